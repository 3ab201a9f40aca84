# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection code shared by the collection's PostgreSQL modules (psycopg 3).

* ``postgres_argument_spec()``: the login options of the ``ajudadigital.openwebui.postgres``
  doc fragment;
* ``connect()``: one connection, retried while the server does not answer yet
  (a new RDS instance), failing at once on what waiting cannot cure;
* ``classify_connect_error()`` / ``is_privilege_error()``: error classification;
* ``redact()``: keeps the password out of every message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

PSYCOPG_IMPORT_ERROR = None
try:
    import psycopg
    from psycopg import sql

    HAS_PSYCOPG = True
except ImportError:
    psycopg = None
    sql = None
    HAS_PSYCOPG = False
    PSYCOPG_IMPORT_ERROR = traceback.format_exc()

SSL_MODES = ["allow", "disable", "prefer", "require", "verify-ca", "verify-full"]
APPLICATION_NAME = "ansible-ajudadigital.openwebui"
POLL_INTERVAL = 2.0

# Kinds of connection failure.
UNREACHABLE = "unreachable"  # nothing answers yet: wait
STARTING = "starting"  # the server answers but does not accept connections yet: wait
AUTH = "auth"  # wrong user/password, pg_hba: fail at once
MISSING_DATABASE = "missing_database"  # fail at once
TLS = "tls"  # fail at once
OTHER = "other"  # fail at once
RETRYABLE = (UNREACHABLE, STARTING)

_MARKERS = (
    (
        STARTING,
        (
            "the database system is starting up",
            "not yet accepting connections",
            "the database system is shutting down",
            "the database system is in recovery mode",
            "too many clients already",
            "remaining connection slots are reserved",
        ),
    ),
    (
        AUTH,
        (
            "password authentication failed",
            "no password supplied",
            "authentication failed",
            "no pg_hba.conf entry",
            'role "',
            "pg_hba.conf rejects",
        ),
    ),
    (MISSING_DATABASE, ('database "',)),
    (
        UNREACHABLE,
        (
            "connection refused",
            "timeout expired",
            "timed out",
            "could not connect",
            "failed to resolve host",
            "could not translate host name",
            "name or service not known",
            "temporary failure in name resolution",
            "no route to host",
            "network is unreachable",
            "server closed the connection unexpectedly",
            "connection reset",
            "host is unreachable",
        ),
    ),
    (TLS, ("ssl", "certificate", "tls")),
)


class PostgresConnectionError(Exception):
    """The server could not be reached or refused the login; the message holds no password."""

    def __init__(self, kind, message):
        self.kind = kind
        super(PostgresConnectionError, self).__init__(message)


def postgres_argument_spec():
    """The options of the ``ajudadigital.openwebui.postgres`` doc fragment."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=5432),
        login_user=dict(type="str", default="postgres", aliases=["login"]),
        login_password=dict(type="str", no_log=True),
        login_db=dict(type="str"),
        ssl_mode=dict(type="str", default="prefer", choices=SSL_MODES),
        ca_cert=dict(type="path", aliases=["ssl_rootcert"]),
        connect_timeout=dict(type="int", default=10),
        wait_timeout=dict(type="int", default=300),
    )


def connection_kwargs(params):
    """psycopg.connect() keyword arguments from module params (never logged)."""
    kwargs = dict(
        host=params["login_host"],
        port=params["login_port"],
        user=params["login_user"],
        dbname=params["login_db"],
        sslmode=params.get("ssl_mode") or "prefer",
        connect_timeout=max(1, int(params.get("connect_timeout") or 10)),
        application_name=APPLICATION_NAME,
    )
    if params.get("login_password"):
        kwargs["password"] = params["login_password"]
    if params.get("ca_cert"):
        kwargs["sslrootcert"] = params["ca_cert"]
    return kwargs


def describe_target(params):
    """``user@host:port/db`` for messages (no password)."""
    host = params["login_host"]
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    return "%s@%s:%s/%s" % (params["login_user"], host, params["login_port"], params["login_db"])


def redact(text, *secrets):
    """``text`` with every non-empty secret replaced by ********."""
    text = "%s" % (text,)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def error_text(exc, *secrets):
    """One-line, redacted text of an exception."""
    return " ".join(redact(exc, *secrets).split())


def classify_connect_error(message):
    """The kind of a connection failure, from libpq's message."""
    lowered = ("%s" % message).lower()
    for kind, markers in _MARKERS:
        if any(marker in lowered for marker in markers):
            return kind
    return OTHER


def is_privilege_error(exc):
    """True for SQLSTATE 42501 (insufficient_privilege)."""
    return getattr(exc, "sqlstate", None) == "42501"


def _advice(kind, params):
    if kind == AUTH:
        return (
            "the server refused the login: check login_user and login_password (and pg_hba.conf on a "
            "self-managed server)"
        )
    if kind == MISSING_DATABASE:
        return "the database does not exist: check login_db or create the database first"
    if kind == TLS:
        return "the TLS handshake failed: check ssl_mode and ca_cert"
    if kind in RETRYABLE:
        return (
            "no answer within wait_timeout=%ss: check login_host/login_port, that the server is running, and "
            "the security groups / network ACLs between this host and the server" % params.get("wait_timeout", 0)
        )
    return "the connection failed"


def connect(params, connect_fn=None, sleep=time.sleep, clock=time.monotonic, interval=POLL_INTERVAL):
    """Connect (autocommit) and return ``(connection, attempts)``.

    Retries every ``interval`` seconds for up to ``params['wait_timeout']`` seconds while
    the failure is one that waiting can cure; raises PostgresConnectionError otherwise.
    ``connect_fn`` (default ``psycopg.connect``), ``sleep`` and ``clock`` are injectable for tests.
    """
    if connect_fn is None:
        connect_fn = psycopg.connect
    kwargs = connection_kwargs(params)
    password = params.get("login_password")
    deadline = clock() + max(0, int(params.get("wait_timeout") or 0))
    attempts = 0
    while True:
        attempts += 1
        try:
            return connect_fn(autocommit=True, **kwargs), attempts
        except Exception as exc:  # psycopg.OperationalError and friends; psycopg may be absent in tests
            message = error_text(exc, password)
            kind = classify_connect_error(message)
            if kind in RETRYABLE and clock() + interval < deadline:
                sleep(interval)
                continue
            raise PostgresConnectionError(
                kind,
                "could not connect to PostgreSQL as %s after %d attempt(s): %s (%s)"
                % (describe_target(params), attempts, _advice(kind, params), message),
            ) from None


def ident(*names):
    """A quoted SQL identifier (``"schema"."name"``) for psycopg's sql composition."""
    return sql.Identifier(*names)


def version_key(version):
    """Sort key for extension versions such as 0.8.0, 0.10.1, 1.0.0-beta."""
    key = []
    for part in ("%s" % version).replace("-", ".").replace("+", ".").split("."):
        key.append((int(part), "") if part.isdigit() else (-1, part))
    return tuple(key)
