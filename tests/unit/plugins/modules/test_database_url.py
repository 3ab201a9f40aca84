# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the database_url module: its pure logic (what to change, the diff) and the
argument checks that run before any AWS call (main() with patched args, its JSON parsed).

Writing the secret is tested against the emulator in tests/functional/test_database_url.py."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import database_url
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

PASSWORD = "p@ss:w/rd+ %#?&"
ENCODED = "p%40ss%3Aw%2Frd%2B%20%25%23%3F%26"
ARGS = dict(
    secret_name="openwebui/database-url",
    user="openwebui",
    password=PASSWORD,
    host="db.example.internal",
    database="openwebui",
    region="eu-west-1",
)
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
WANTED = dict(description="d", kms_key_id=None, tags=None, purge_tags=True)


def current(**overrides):
    state = dict(description="d", kms_key_id=KEY, tags={"A": "1"}, deleted=False, value_matches=True)
    state.update(overrides)
    return state


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        database_url.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out), out


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(port=70000), "database_url: option 'port' must be between 1 and 65535, got 70000"),
        (dict(port=0), "database_url: option 'port' must be between 1 and 65535, got 0"),
        (dict(host=""), "database_url: option 'host' must not be empty"),
        (dict(user=""), "database_url: option 'user' must not be empty"),
        (dict(database="x\ny"), "database_url: option 'database' contains a control character (U+000A) at position 1"),
        (dict(password=PASSWORD + "\x01"), "database_url: option 'password' contains a control character (U+0001)"),
        (dict(secret_name="arn:aws:secretsmanager:eu-west-1:1:secret:x"), "database_url: option 'secret_name' must"),
        (dict(secret_name=""), "database_url: option 'secret_name' must be 1 to 512"),
        (dict(secret_name="a b"), "database_url: option 'secret_name' must be 1 to 512"),
    ],
)
def test_bad_input_fails_naming_the_option(capsys, no_sdk_check, overrides, message):
    rc, result, out = run(capsys, dict(ARGS, **overrides))
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert PASSWORD not in out and ENCODED not in out
    assert "url" not in result


def test_unknown_scheme_is_refused_by_choices(capsys, no_sdk_check):
    rc, result, _dummy = run(capsys, dict(ARGS, scheme="mysql"))
    assert rc == 1 and "scheme" in result["msg"]


def test_missing_required_options(capsys, no_sdk_check):
    rc, result, _dummy = run(capsys, dict(password="x"))
    assert rc == 1
    for option in ("secret_name", "user", "host", "database"):
        assert option in result["msg"]


def test_secret_names():
    assert database_url.check_secret_name("openwebui-prod/database-url_1+=.@") is None
    assert database_url.check_secret_name("a" * 512) is None
    assert "secret_name" in database_url.check_secret_name("a" * 513)
    assert "secret_name" in database_url.check_secret_name("é")


def test_same_kms_key():
    assert database_url.same_kms_key(None, KEY)  # not given: whatever the secret has
    assert database_url.same_kms_key(KEY, KEY)
    assert database_url.same_kms_key("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", KEY)
    assert database_url.same_kms_key(KEY, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    assert database_url.same_kms_key("alias/openwebui", "arn:aws:kms:eu-west-1:123456789012:alias/openwebui")
    assert not database_url.same_kms_key(KEY, None)  # the account's default key
    assert not database_url.same_kms_key(KEY, KEY.replace("0f1e", "9f1e"))


def test_plan_missing_secret_creates_it():
    todo = database_url.plan(None, WANTED)
    assert todo["create"] and todo["changed"] and todo["put_value"]


def test_plan_nothing_to_do():
    todo = database_url.plan(current(), dict(WANTED, kms_key_id=KEY, tags={"A": "1"}))
    assert not todo["changed"]
    assert not (todo["update"] or todo["put_value"] or todo["restore"] or todo["tags_add"] or todo["tags_remove"])


def test_plan_value_only():
    todo = database_url.plan(current(value_matches=False), WANTED)
    assert todo["changed"] and todo["put_value"] and not todo["update"]


def test_plan_description_and_absent_description():
    assert database_url.plan(current(), dict(WANTED, description="e"))["update"]
    assert not database_url.plan(current(), dict(WANTED, description=None))["changed"]
    # Secrets Manager leaves out an empty description.
    assert not database_url.plan(current(description=None), dict(WANTED, description=""))["changed"]


def test_plan_new_kms_key_rewrites_the_value():
    todo = database_url.plan(current(), dict(WANTED, kms_key_id=KEY.replace("0f1e", "9f1e")))
    assert todo["update"] and todo["kms_changed"] and todo["put_value"]


def test_plan_tags():
    todo = database_url.plan(current(), dict(WANTED, tags={"B": "2"}))
    assert todo["tags_add"] == {"B": "2"} and todo["tags_remove"] == ["A"] and todo["changed"]
    todo = database_url.plan(current(), dict(WANTED, tags={"B": "2"}, purge_tags=False))
    assert todo["tags_add"] == {"B": "2"} and todo["tags_remove"] == []
    todo = database_url.plan(current(), dict(WANTED, tags={}))
    assert todo["tags_remove"] == ["A"]
    assert not database_url.plan(current(), dict(WANTED, tags=None))["changed"]


def test_plan_secret_scheduled_for_deletion():
    # Its value cannot be read (value_matches None): restored, and written unless it matches then.
    todo = database_url.plan(current(deleted=True, value_matches=None), WANTED)
    assert todo["restore"] and todo["changed"] and todo["put_value"]


def test_diff_never_holds_the_value():
    todo = database_url.plan(current(value_matches=False), dict(WANTED, tags={"B": "2"}, purge_tags=False))
    diff = database_url.diff_of(current(value_matches=False), dict(WANTED, tags={"B": "2"}, purge_tags=False), todo)
    assert diff == {
        "before": {"description": "d", "kms_key_id": KEY, "tags": {"A": "1"}, "value": "(hidden)"},
        "after": {"description": "d", "kms_key_id": KEY, "tags": {"A": "1", "B": "2"}, "value": "(hidden, changed)"},
    }
    created = database_url.diff_of(None, dict(WANTED, tags={"B": "2"}), database_url.plan(None, WANTED))
    assert created["before"] == {}
    assert created["after"] == {"description": "d", "kms_key_id": "", "tags": {"B": "2"}, "value": "(hidden, changed)"}
    deleted = database_url.diff_of(current(deleted=True), WANTED, database_url.plan(current(deleted=True), WANTED))
    assert deleted["before"]["scheduled_for_deletion"] is True
