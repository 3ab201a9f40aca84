# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the vpc_subnets module's pure logic (input checks, tags, the plan of a subnet)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import vpc_subnets
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

ENTRY = dict(
    cidr="10.0.0.0/24",
    state="present",
    az="eu-west-1a",
    name="stack-public-eu-west-1a",
    map_public=False,
    tags={"Tier": "public"},
)

EXISTING = dict(
    SubnetId="subnet-1",
    CidrBlock="10.0.0.0/24",
    AvailabilityZone="eu-west-1a",
    MapPublicIpOnLaunch=False,
    State="available",
    Tags=[
        {"Key": "Name", "Value": "stack-public-eu-west-1a"},
        {"Key": "Stack", "Value": "stack"},
        {"Key": "Tier", "Value": "public"},
    ],
)


def test_check_subnets_accepts_present_and_absent_entries():
    assert vpc_subnets.check_subnets([ENTRY, dict(cidr="10.0.1.0/24", state="absent")]) is None


def test_check_subnets_names_a_repeated_cidr():
    message = vpc_subnets.check_subnets([ENTRY, dict(ENTRY, name="other")])
    assert message == "subnets[1] (10.0.0.0/24): the CIDR block appears more than once in subnets"


def test_check_subnets_needs_az_and_name_when_present():
    assert "az needed" in vpc_subnets.check_subnets([dict(ENTRY, az=None)])
    assert "az and name needed" in vpc_subnets.check_subnets([dict(ENTRY, az=None, name="")])


def test_wanted_tags_entry_overrides_common_and_name_is_set():
    tags = vpc_subnets.wanted_tags(dict(ENTRY, tags={"Tier": "public", "Stack": "own"}), {"Stack": "stack"})
    assert tags == {"Name": "stack-public-eu-west-1a", "Stack": "own", "Tier": "public"}


def test_plan_is_empty_when_nothing_differs():
    assert vpc_subnets.plan_subnet(ENTRY, EXISTING, {"Stack": "stack"}, True) == {}


def test_plan_sets_and_purges_tags_but_never_aws_ones():
    existing = dict(
        EXISTING,
        Tags=[
            {"Key": "Stack", "Value": "old"},
            {"Key": "Manual", "Value": "yes"},
            {"Key": "aws:cloudformation:stack-name", "Value": "x"},
        ],
    )
    steps = vpc_subnets.plan_subnet(ENTRY, existing, {"Stack": "stack"}, True)
    assert steps == {
        "set_tags": {"Name": "stack-public-eu-west-1a", "Stack": "stack", "Tier": "public"},
        "drop_tags": ["Manual"],
    }
    assert "drop_tags" not in vpc_subnets.plan_subnet(ENTRY, existing, {"Stack": "stack"}, False)


def test_plan_changes_the_public_ip_mapping():
    assert vpc_subnets.plan_subnet(dict(ENTRY, map_public=True), EXISTING, {"Stack": "stack"}, True) == {
        "map_public": True
    }
    existing = dict(EXISTING, MapPublicIpOnLaunch=True)
    assert vpc_subnets.plan_subnet(ENTRY, existing, {"Stack": "stack"}, True) == {"map_public": False}


def test_summaries_of_an_existing_and_a_planned_subnet():
    described = vpc_subnets.described_summary(EXISTING)
    assert described == dict(
        cidr="10.0.0.0/24",
        id="subnet-1",
        az="eu-west-1a",
        name="stack-public-eu-west-1a",
        map_public=False,
        tags={"Name": "stack-public-eu-west-1a", "Stack": "stack", "Tier": "public"},
    )
    assert vpc_subnets.wanted_summary(ENTRY, EXISTING, {"Stack": "stack"}) == described
    assert vpc_subnets.wanted_summary(ENTRY, None, {"Stack": "stack"})["id"] == ""
    manual = dict(EXISTING, Tags=EXISTING["Tags"] + [{"Key": "Manual", "Value": "yes"}])
    assert "Manual" not in vpc_subnets.wanted_summary(ENTRY, manual, {"Stack": "stack"})["tags"]
    assert vpc_subnets.wanted_summary(ENTRY, manual, {"Stack": "stack"}, False)["tags"]["Manual"] == "yes"


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


@pytest.mark.parametrize(
    ("subnets", "message"),
    [
        ([dict(cidr="10.0.0.0/24", name="x")], "subnets[0] (10.0.0.0/24): az needed when state is present"),
        ([dict(cidr="10.0.0.0/24", state="absent")] * 2, "the CIDR block appears more than once"),
    ],
)
def test_bad_input_fails_before_any_aws_call(capsys, no_sdk_check, subnets, message):
    with patch_module_args(dict(vpc_id="vpc-1", subnets=subnets)), pytest.raises(SystemExit) as info:
        vpc_subnets.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert message in result["msg"]
