# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the sns_topic_encryption module's pure logic (ARN and key checks, change detection)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import sns_topic_encryption
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER = "arn:aws:kms:eu-west-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
ENABLED = dict(Arn=KEY, KeyState="Enabled", KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:eu-west-1:123456789012:openwebui-prod-alarms",
        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alarms",
        "arn:aws:sns:eu-west-1:123456789012:orders.fifo",
    ],
)
def test_topic_arns_are_accepted(arn):
    assert sns_topic_encryption.topic_arn_problem(arn) is None


@pytest.mark.parametrize(
    "arn",
    [
        "openwebui-prod-alarms",
        "arn:aws:sqs:eu-west-1:123456789012:queue",
        "arn:aws:sns:eu-west-1:1234:alarms",
        "arn:aws:sns:eu-west-1:123456789012:alarms:subscription-id",
        "",
        None,
    ],
)
def test_other_values_fail_naming_the_option(arn):
    assert sns_topic_encryption.topic_arn_problem(arn).startswith("topic_arn must be an SNS topic ARN")


def test_an_enabled_symmetric_key_is_usable():
    assert sns_topic_encryption.key_problem("alias/stack", ENABLED) is None
    # Older answers give CustomerMasterKeySpec only.
    legacy = dict(ENABLED, KeySpec=None, CustomerMasterKeySpec="SYMMETRIC_DEFAULT")
    assert sns_topic_encryption.key_problem("alias/stack", legacy) is None


@pytest.mark.parametrize(
    "metadata, message",
    [
        (dict(ENABLED, KeyState="Disabled"), "is Disabled, not Enabled"),
        (dict(ENABLED, KeyState="PendingDeletion"), "is PendingDeletion, not Enabled"),
        (dict(ENABLED, KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048"), "symmetric encryption keys only"),
        (dict(ENABLED, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"), "symmetric encryption keys only"),
        (dict(ENABLED, KeyUsage=None), "symmetric encryption keys only"),
    ],
)
def test_keys_sns_cannot_use_fail_naming_the_option(metadata, message):
    problem = sns_topic_encryption.key_problem("alias/stack", metadata)
    assert problem.startswith("kms_key_id alias/stack: the key " + KEY)
    assert message in problem


@pytest.mark.parametrize(
    "current, current_arn, wanted_arn, changed",
    [
        ("", "", "", False),  # not encrypted, none asked
        ("", "", KEY, True),  # encrypt
        ("alias/stack", KEY, KEY, False),  # the same key, named otherwise
        (KEY, KEY, KEY, False),
        ("alias/stack", KEY, OTHER, True),  # another key
        ("alias/stack", KEY, "", True),  # remove
        ("alias/gone", "", KEY, True),  # resolves to no key: rewritten
        ("alias/gone", "", "", True),  # ... or removed
    ],
)
def test_needs_change_compares_the_keys_not_their_names(current, current_arn, wanted_arn, changed):
    assert sns_topic_encryption.needs_change(current, current_arn, wanted_arn) is changed


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def run_main(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        sns_topic_encryption.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_a_malformed_topic_arn_fails_before_any_aws_call(capsys, no_sdk_check):
    code, result = run_main(capsys, {"topic_arn": "alarms", "kms_key_id": "alias/stack"})
    assert code == 1
    assert result["msg"] == (
        "topic_arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got 'alarms'"
    )


def test_the_key_is_required(capsys, no_sdk_check):
    code, result = run_main(capsys, {"topic_arn": "arn:aws:sns:eu-west-1:123456789012:alarms"})
    assert code == 1
    assert "kms_key_id" in result["msg"]
