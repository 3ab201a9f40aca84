# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the shared PostgreSQL connection code (no server: injected connect/sleep/clock)."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.module_utils import postgres
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.postgres import (
    AUTH,
    MISSING_DATABASE,
    STARTING,
    TLS,
    UNREACHABLE,
    PostgresConnectionError,
    classify_connect_error,
    connect,
    connection_kwargs,
    describe_target,
    redact,
    version_key,
)

PASSWORD = "pa ss+w0rd"
PARAMS = dict(
    login_host="db.example.internal",
    login_port=5432,
    login_user="postgres",
    login_password=PASSWORD,
    login_db="openwebui",
    ssl_mode="require",
    ca_cert=None,
    connect_timeout=5,
    wait_timeout=10,
)

REFUSED = (
    'connection failed: connection to server at "10.0.0.5", port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?"
)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def failing_then(errors, result="connection"):
    calls = []

    def connect_fn(**kwargs):
        calls.append(kwargs)
        if len(calls) <= len(errors):
            raise Exception(errors[len(calls) - 1])
        return result

    return connect_fn, calls


@pytest.mark.parametrize(
    "message, kind",
    [
        (REFUSED, UNREACHABLE),
        ("failed to resolve host 'x.invalid': [Errno -2] Name or service not known", UNREACHABLE),
        ("connection failed: timeout expired", UNREACHABLE),
        ("FATAL:  the database system is starting up", STARTING),
        ('FATAL:  password authentication failed for user "postgres"', AUTH),
        ('FATAL:  no pg_hba.conf entry for host "1.2.3.4"', AUTH),
        ('FATAL:  database "nope" does not exist', MISSING_DATABASE),
        ("server does not support SSL, but SSL was required", TLS),
        ("something else entirely", "other"),
    ],
)
def test_classify(message, kind):
    assert classify_connect_error(message) == kind


def test_connect_waits_while_unreachable_then_succeeds():
    fake = FakeClock()
    connect_fn, calls = failing_then([REFUSED, "FATAL:  the database system is starting up"])
    conn, attempts = connect(PARAMS, connect_fn=connect_fn, sleep=fake.sleep, clock=fake.clock)
    assert conn == "connection" and attempts == 3
    assert fake.sleeps == [2.0, 2.0]
    assert calls[0]["autocommit"] is True
    assert calls[0]["password"] == PASSWORD and calls[0]["sslmode"] == "require"


def test_connect_gives_up_after_wait_timeout_without_the_password():
    fake = FakeClock()
    connect_fn, calls = failing_then([REFUSED + " " + PASSWORD] * 100)
    with pytest.raises(PostgresConnectionError) as info:
        connect(PARAMS, connect_fn=connect_fn, sleep=fake.sleep, clock=fake.clock)
    message = str(info.value)
    assert info.value.kind == UNREACHABLE
    assert PASSWORD not in message
    assert "postgres@db.example.internal:5432/openwebui" in message
    assert "wait_timeout=10" in message
    assert fake.now <= 10 and len(calls) == 5


def test_connect_fails_at_once_on_wrong_password():
    fake = FakeClock()
    connect_fn, calls = failing_then(['FATAL:  password authentication failed for user "postgres"'])
    with pytest.raises(PostgresConnectionError) as info:
        connect(PARAMS, connect_fn=connect_fn, sleep=fake.sleep, clock=fake.clock)
    assert info.value.kind == AUTH and len(calls) == 1 and fake.sleeps == []
    assert "login_password" in str(info.value)


def test_zero_wait_timeout_makes_one_attempt():
    fake = FakeClock()
    connect_fn, calls = failing_then([REFUSED] * 3)
    with pytest.raises(PostgresConnectionError):
        connect(dict(PARAMS, wait_timeout=0), connect_fn=connect_fn, sleep=fake.sleep, clock=fake.clock)
    assert len(calls) == 1


def test_connection_kwargs_and_target():
    kwargs = connection_kwargs(dict(PARAMS, login_password=None, ca_cert="/ca.pem"))
    assert "password" not in kwargs and kwargs["sslrootcert"] == "/ca.pem" and kwargs["dbname"] == "openwebui"
    assert describe_target(dict(PARAMS, login_host="::1")) == "postgres@[::1]:5432/openwebui"


def test_redact():
    assert redact("a secret b secret", "secret", None, "") == "a ******** b ********"


def test_version_key_orders_numerically():
    versions = ["0.10.0", "0.8.0", "0.5.1", "0.7.4", "0.6.10", "0.6.2"]
    assert sorted(versions, key=version_key) == ["0.5.1", "0.6.2", "0.6.10", "0.7.4", "0.8.0", "0.10.0"]


def test_module_utils_imports_without_psycopg_marker():
    assert postgres.HAS_PSYCOPG in (True, False)
