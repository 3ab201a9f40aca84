# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of cognito_user_pool's pure logic: views, requests, schema and argument checks."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import changed_keys
from ansible_collections.ajudadigital.openwebui.plugins.modules import cognito_user_pool as m
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

PARAMS = dict(
    name="stack-users",
    password_policy=dict(
        minimum_length=12,
        require_uppercase=True,
        require_lowercase=True,
        require_numbers=True,
        require_symbols=True,
        temporary_password_validity_days=7,
    ),
    mfa="OPTIONAL",
    auto_verified_attributes=["email"],
    username_attributes=["email"],
    username_case_sensitive=False,
    account_recovery=["verified_email"],
    deletion_protection=True,
    allow_admin_create_user_only=True,
    schema=[dict(name="email", attribute_data_type="String", required=True, mutable=True)],
    tags={"Stack": "stack"},
    purge_tags=True,
)

POOL = dict(
    Id="us-east-1_abc",
    Name="stack-users",
    Policies={
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": 7,
        }
    },
    DeletionProtection="ACTIVE",
    AutoVerifiedAttributes=["email"],
    UsernameAttributes=["email"],
    UsernameConfiguration={"CaseSensitive": False},
    AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    AdminCreateUserConfig={"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
    UserPoolTags={"Stack": "stack"},
    SchemaAttributes=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    EmailConfiguration={"EmailSendingAccount": "COGNITO_DEFAULT"},
    LambdaConfig={"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:f"},
)
MFA = {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}}


def diff(pool=None, mfa_config=None, **params):
    before = m.current_view(pool or POOL, mfa_config or MFA)
    return changed_keys(before, m.wanted_view(dict(PARAMS, **params), before["tags"]), m.UNORDERED, exact=("tags",))


def test_same_settings_are_no_change():
    assert diff() == []


def test_each_difference_is_named():
    assert diff(password_policy=dict(PARAMS["password_policy"], minimum_length=16)) == ["password_policy"]
    assert diff(mfa="ON") == ["mfa"]
    assert diff(deletion_protection=False) == ["deletion_protection"]
    assert diff(tags={"Stack": "other"}) == ["tags"]
    assert diff(tags={}, purge_tags=False) == []
    assert diff(tags=None) == []


def test_mfa_needs_the_software_token():
    assert diff(mfa_config=dict(MFA, SoftwareTokenMfaConfiguration=None)) == ["software_token_mfa"]
    # OFF does not care about the token setting
    assert diff(mfa_config={"MfaConfiguration": "OFF"}, mfa="OFF") == []


def test_update_request_keeps_unmanaged_settings_and_drops_deprecated_ones():
    request = m.update_request(
        POOL, dict(PARAMS, password_policy=dict(PARAMS["password_policy"], minimum_length=16)), {"Stack": "stack"}
    )
    assert request["UserPoolId"] == "us-east-1_abc"
    assert request["Policies"]["PasswordPolicy"]["MinimumLength"] == 16
    assert request["LambdaConfig"] == POOL["LambdaConfig"]
    assert request["EmailConfiguration"] == POOL["EmailConfiguration"]
    assert request["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert request["MfaConfiguration"] == "OPTIONAL"
    assert request["DeletionProtection"] == "ACTIVE"
    assert request["UserPoolTags"] == {"Stack": "stack"}
    # creation-only settings are never sent to UpdateUserPool
    assert "UsernameAttributes" not in request and "Schema" not in request and "PoolName" not in request


def test_create_request():
    request = m.create_request(dict(PARAMS, schema=PARAMS["schema"] + [dict(name="team", required=False)]))
    assert request["PoolName"] == "stack-users"
    assert request["UsernameAttributes"] == ["email"]
    assert request["UsernameConfiguration"] == {"CaseSensitive": False}
    assert request["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]}
    assert [a["Name"] for a in request["Schema"]] == ["email", "team"]
    assert "MfaConfiguration" not in request, "MFA is set with SetUserPoolMfaConfig after the pool exists"


def test_schema_plan_adds_custom_attributes_and_refuses_the_rest():
    to_add, problems = m.schema_plan([dict(name="email", required=True), dict(name="team")], POOL)
    assert to_add == [{"Name": "team", "AttributeDataType": "String", "Required": False, "Mutable": True}]
    assert problems == []
    _to_add, problems = m.schema_plan([dict(name="email", required=False)], POOL)
    assert problems == ["Required of attribute email is True, not False"]
    _to_add, problems = m.schema_plan([dict(name="phone_number")], POOL)
    assert problems == ["standard attribute phone_number is not in the pool"]


def test_unreported_creation_settings_are_not_compared():
    pool = dict(POOL)
    del pool["UsernameAttributes"]
    view = m.current_view(pool, MFA)
    assert view["username_attributes"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(password_policy=dict(PARAMS["password_policy"], minimum_length=5)), "minimum_length must be 6 to 99"),
        (
            dict(password_policy=dict(PARAMS["password_policy"], temporary_password_validity_days=400)),
            "temporary_password_validity_days must be 0 to 365",
        ),
        (dict(account_recovery=["verified_email", "verified_email"]), "account_recovery must list"),
        (dict(account_recovery=[]), "account_recovery must list"),
        (dict(account_recovery=["admin_only", "verified_email"]), "admin_only cannot be combined"),
    ],
)
def test_argument_problems(args, message):
    assert message in m.argument_problem(dict(PARAMS, **args))


def test_good_arguments():
    assert m.argument_problem(PARAMS) is None


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(password_policy=dict(minimum_length=5)), "password_policy.minimum_length must be 6 to 99"),
        (dict(mfa="SMS"), "value of mfa must be one of"),
        (dict(username_attributes=["nickname"]), "username_attributes must be one or more of"),
    ],
)
def test_main_fails_on_bad_arguments_before_any_call(args, message, capsys, no_sdk_check):
    with patch_module_args(dict(name="p", region="us-east-1", **args)), pytest.raises(SystemExit) as info:
        m.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1 and message in result["msg"]
