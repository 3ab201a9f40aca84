# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the database_url module: run main() with patched args, parse its JSON."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import database_url

PASSWORD = "p@ss:w/rd+ %#?&"
ENCODED = "p%40ss%3Aw%2Frd%2B%20%25%23%3F%26"
ARGS = dict(user="openwebui", password=PASSWORD, host="db.example.internal", database="openwebui")


def run(capsys, args, check_mode=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        database_url.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out), out


def test_url_and_redacted(capsys):
    rc, result, _dummy = run(capsys, ARGS)
    assert rc == 0
    assert result["changed"] is False
    assert result["url"] == f"postgresql://openwebui:{ENCODED}@db.example.internal:5432/openwebui"
    assert result["url_redacted"] == "postgresql://openwebui:********@db.example.internal:5432/openwebui"
    assert "warnings" not in result


def test_check_mode_gives_the_same_url(capsys):
    _dummy, normal, _dummy2 = run(capsys, ARGS)
    rc, checked, _dummy3 = run(capsys, ARGS, check_mode=True)
    assert rc == 0 and checked["changed"] is False and checked["url"] == normal["url"]


def test_ipv6_scheme_port_query(capsys):
    args = dict(
        ARGS,
        scheme="postgresql+psycopg",
        host="2001:db8::10",
        port=6543,
        query=dict(sslmode="verify-full", sslrootcert="/etc/ssl/rds bundle.pem"),
    )
    rc, result, _dummy = run(capsys, args)
    assert rc == 0
    assert result["url"] == (
        f"postgresql+psycopg://openwebui:{ENCODED}@[2001:db8::10]:6543/openwebui"
        "?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Frds%20bundle.pem"
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(port=70000), "database_url: option 'port' must be between 1 and 65535, got 70000"),
        (dict(port=0), "database_url: option 'port' must be between 1 and 65535, got 0"),
        (dict(host=""), "database_url: option 'host' must not be empty"),
        (dict(user=""), "database_url: option 'user' must not be empty"),
        (dict(database="x\ny"), "database_url: option 'database' contains a control character (U+000A) at position 1"),
        (dict(password=PASSWORD + "\x01"), "database_url: option 'password' contains a control character (U+0001)"),
    ],
)
def test_bad_input_fails_naming_the_option(capsys, overrides, message):
    rc, result, out = run(capsys, dict(ARGS, **overrides))
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert PASSWORD not in out and ENCODED not in out


def test_unknown_scheme_is_refused_by_choices(capsys):
    rc, result, _dummy = run(capsys, dict(ARGS, scheme="mysql"))
    assert rc == 1 and "scheme" in result["msg"]


def test_missing_required_options(capsys):
    rc, result, _dummy = run(capsys, dict(password="x"))
    assert rc == 1
    for option in ("user", "host", "database"):
        assert option in result["msg"]
