"""sns_topic_encryption against the local emulator: check mode, set, unchanged (alias or ARN), change,
remove, and the errors that name the option (missing topic, missing or unusable key)."""

from __future__ import annotations

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.sns_topic_encryption"


@pytest.fixture(scope="module")
def aws(emulator):
    sns, kms = emulator.client("sns"), emulator.client("kms")
    topic = sns.create_topic(Name="functional-encrypted-alarms")["TopicArn"]
    keys = {}
    for name in ("first", "second"):
        key = kms.create_key(Description=f"functional {name}")["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/functional-sns-{name}", TargetKeyId=key["KeyId"])
        keys[name] = key
    return dict(sns=sns, kms=kms, topic=topic, keys=keys, connection=emulator.module_connection())


def stored(aws) -> str | None:
    return aws["sns"].get_topic_attributes(TopicArn=aws["topic"])["Attributes"].get("KmsMasterKeyId")


def test_lifecycle(ansible, aws):
    first, second = aws["keys"]["first"], aws["keys"]["second"]
    args = dict(aws["connection"], topic_arn=aws["topic"], kms_key_id="alias/functional-sns-first")

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"] == {
        "before": {"kms_master_key_id": "", "kms_key_arn": ""},
        "after": {"kms_master_key_id": "alias/functional-sns-first", "kms_key_arn": first["Arn"]},
    }
    assert stored(aws) is None, "check mode encrypted the topic"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert stored(aws) == "alias/functional-sns-first", "the value is written as given"
    assert run.result["kms_master_key_id"] == "alias/functional-sns-first"
    assert run.result["kms_key_arn"] == first["Arn"]
    assert_documented("sns_topic_encryption", run.result)

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False

    # The same key named otherwise (its ARN, its ID, the alias's ARN): no change, nothing written.
    alias_arn = first["Arn"].split(":key/")[0] + ":alias/functional-sns-first"
    for same in (first["Arn"], first["KeyId"], alias_arn):
        run = ansible.module(MODULE, dict(args, kms_key_id=same))
        assert run.rc == 0, run.output
        assert run.result["changed"] is False, same
    assert stored(aws) == "alias/functional-sns-first"

    changed = dict(args, kms_key_id=second["Arn"])
    run = ansible.module(MODULE, changed, check=True, diff=True)
    assert run.result["changed"] is True
    assert run.result["diff"]["before"] == {
        "kms_master_key_id": "alias/functional-sns-first",
        "kms_key_arn": first["Arn"],
    }
    assert stored(aws) == "alias/functional-sns-first", "check mode changed the key"

    run = ansible.module(MODULE, changed, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["diff"]["after"] == {"kms_master_key_id": second["Arn"], "kms_key_arn": second["Arn"]}
    assert stored(aws) == second["Arn"]

    run = ansible.module(MODULE, dict(changed, kms_key_id="alias/functional-sns-second"))
    assert run.rc == 0 and run.result["changed"] is False, run.output

    removed = dict(args, kms_key_id="")
    run = ansible.module(MODULE, removed, check=True)
    assert run.result["changed"] is True
    assert stored(aws) == second["Arn"], "check mode removed the encryption"

    run = ansible.module(MODULE, removed, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["diff"]["after"] == {"kms_master_key_id": "", "kms_key_arn": ""}
    assert stored(aws) is None
    assert run.result["kms_master_key_id"] == "" and run.result["kms_key_arn"] == ""

    run = ansible.module(MODULE, removed)
    assert run.rc == 0 and run.result["changed"] is False, run.output


def test_a_value_that_resolves_to_no_key_is_rewritten(ansible, aws):
    """A topic whose value names no key (an alias since deleted) is not taken for any key."""
    aws["sns"].set_topic_attributes(TopicArn=aws["topic"], AttributeName="KmsMasterKeyId", AttributeValue="alias/gone")
    try:
        args = dict(aws["connection"], topic_arn=aws["topic"], kms_key_id="alias/functional-sns-first")
        run = ansible.module(MODULE, args, diff=True)
        assert run.rc == 0 and run.result["changed"] is True, run.output
        assert run.result["diff"]["before"] == {"kms_master_key_id": "alias/gone", "kms_key_arn": ""}
        assert stored(aws) == "alias/functional-sns-first"
    finally:
        aws["sns"].set_topic_attributes(TopicArn=aws["topic"], AttributeName="KmsMasterKeyId", AttributeValue="")


def test_a_missing_topic_fails_naming_the_option(ansible, aws):
    missing = aws["topic"] + "-missing"
    run = ansible.module(MODULE, dict(aws["connection"], topic_arn=missing, kms_key_id="alias/functional-sns-first"))
    assert run.rc != 0
    assert run.result["msg"] == f"topic_arn {missing}: no such SNS topic; create it first (community.aws.sns_topic)"


def test_a_missing_key_fails_naming_the_option_and_changes_nothing(ansible, aws):
    run = ansible.module(MODULE, dict(aws["connection"], topic_arn=aws["topic"], kms_key_id="alias/no-such-key"))
    assert run.rc != 0
    assert run.result["msg"].startswith("kms_key_id alias/no-such-key: no KMS key found")
    assert stored(aws) is None


def test_a_disabled_key_fails_naming_the_option(ansible, aws):
    key = aws["kms"].create_key(Description="functional disabled")["KeyMetadata"]
    aws["kms"].disable_key(KeyId=key["KeyId"])
    run = ansible.module(MODULE, dict(aws["connection"], topic_arn=aws["topic"], kms_key_id=key["KeyId"]), check=True)
    assert run.rc != 0
    assert run.result["msg"] == (
        f"kms_key_id {key['KeyId']}: the key {key['Arn']} is Disabled, not Enabled: SNS could not encrypt with it"
    )


def test_an_asymmetric_key_fails_naming_the_option(ansible, aws):
    key = aws["kms"].create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]
    run = ansible.module(MODULE, dict(aws["connection"], topic_arn=aws["topic"], kms_key_id=key["Arn"]))
    assert run.rc != 0
    assert "SNS supports symmetric encryption keys only" in run.result["msg"]
    assert stored(aws) is None


def test_a_malformed_topic_arn_fails_before_any_aws_call(ansible, aws):
    run = ansible.module(MODULE, dict(aws["connection"], topic_arn="functional-alarms", kms_key_id=""))
    assert run.rc != 0
    assert run.result["msg"].startswith("topic_arn must be an SNS topic ARN")
