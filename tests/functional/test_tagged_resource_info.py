"""tagged_resource_info against the local emulator: by tag, by type, several values, bad input."""

from __future__ import annotations

import pytest

MODULE = "ajudadigital.openwebui.tagged_resource_info"
STACK = "functional-tagged"


@pytest.fixture(scope="module")
def aws(emulator):
    client = emulator.client
    tags = [{"TagKey": "Stack", "TagValue": STACK}, {"TagKey": "Name", "TagValue": STACK}]
    key = client("kms").create_key(Description="tagged", Tags=tags)["KeyMetadata"]["Arn"]
    other = client("kms").create_key(Description="another stack's", Tags=[{"TagKey": "Stack", "TagValue": "other"}])
    vpc = client("ec2").create_vpc(
        CidrBlock="10.99.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Stack", "Value": STACK}]}],
    )["Vpc"]["VpcId"]
    return dict(connection=emulator.module_connection(), key=key, other=other["KeyMetadata"]["Arn"], vpc=vpc)


def arns(run) -> list[str]:
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    return [r["resource_arn"] for r in run.result["resources"]]


def test_finds_the_stacks_key_by_tag_and_type(ansible, aws):
    run = ansible.module(MODULE, dict(aws["connection"], tags={"Stack": STACK}, resource_types=["kms:key"]))
    assert arns(run) == [aws["key"]]
    assert run.result["resources"][0]["tags"] == {"Stack": STACK, "Name": STACK}


def test_every_type_when_none_is_given_and_in_check_mode(ansible, aws):
    found = arns(ansible.module(MODULE, dict(aws["connection"], tags={"Stack": STACK}), check=True))
    assert aws["key"] in found
    assert any(arn.endswith(f":vpc/{aws['vpc']}") for arn in found)
    assert aws["other"] not in found


def test_every_tag_must_match_and_a_list_is_any_of_its_values(ansible, aws):
    both = dict(aws["connection"], tags={"Stack": STACK, "Name": "nope"}, resource_types=["kms:key"])
    assert arns(ansible.module(MODULE, both)) == []
    either = dict(aws["connection"], tags={"Stack": [STACK, "other"]}, resource_types=["kms:key"])
    assert arns(ansible.module(MODULE, either)) == sorted([aws["key"], aws["other"]])


@pytest.mark.parametrize(
    "tags, message",
    [
        ({}, "tags must name at least one tag"),
        ({"Stack": []}, "tags.Stack must be a string or a non-empty list of strings"),
        ({"Stack": [1]}, "tags.Stack must be a string or a non-empty list of strings"),
    ],
)
def test_bad_tags_fail_naming_the_option(ansible, aws, tags, message):
    run = ansible.module(MODULE, dict(aws["connection"], tags=tags))
    assert run.rc != 0
    assert message in run.result["msg"]
