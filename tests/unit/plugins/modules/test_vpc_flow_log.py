# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the vpc_flow_log module's pure logic (matching, replacement, requests)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import vpc_flow_log
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

PARAMS = dict(
    resource_id="vpc-1",
    resource_type="VPC",
    traffic_type="ALL",
    log_destination_type="cloud-watch-logs",
    log_group_name="/stack/vpc-flow-logs",
    deliver_logs_permission_arn="arn:aws:iam::123456789012:role/stack-vpc-flow-logs",
    log_destination=None,
    max_aggregation_interval=600,
    log_format=None,
)

EXISTING = dict(
    FlowLogId="fl-1",
    ResourceId="vpc-1",
    TrafficType="ALL",
    LogDestinationType="cloud-watch-logs",
    LogGroupName="/stack/vpc-flow-logs",
    DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/stack-vpc-flow-logs",
    MaxAggregationInterval=600,
    LogFormat="${version} ${account-id}",
    Tags=[{"Key": "Stack", "Value": "stack"}],
)


def test_matches_by_resource_and_destination():
    assert vpc_flow_log.matches(EXISTING, PARAMS)
    # the traffic type is an immutable setting of the same flow log, not part of its identity
    assert vpc_flow_log.matches(EXISTING, dict(PARAMS, traffic_type="REJECT"))
    assert not vpc_flow_log.matches(EXISTING, dict(PARAMS, log_group_name="/other"))
    assert not vpc_flow_log.matches(EXISTING, dict(PARAMS, resource_id="vpc-2"))


def test_s3_destination_is_matched_by_arn():
    existing = dict(EXISTING, LogDestinationType="s3", LogDestination="arn:aws:s3:::logs", LogGroupName=None)
    params = dict(PARAMS, log_destination_type="s3", log_destination="arn:aws:s3:::logs", log_group_name=None)
    assert vpc_flow_log.matches(existing, params)
    assert not vpc_flow_log.matches(existing, dict(params, log_destination="arn:aws:s3:::other"))


def test_unset_log_format_is_not_a_difference():
    assert vpc_flow_log.immutable_differences(EXISTING, PARAMS) == []


def test_immutable_differences_are_named():
    params = dict(PARAMS, max_aggregation_interval=60, deliver_logs_permission_arn="arn:aws:iam::1:role/x")
    assert vpc_flow_log.immutable_differences(EXISTING, params) == [
        "deliver_logs_permission_arn",
        "max_aggregation_interval",
    ]


def test_traffic_type_is_an_immutable_difference():
    assert vpc_flow_log.immutable_differences(EXISTING, dict(PARAMS, traffic_type="REJECT")) == ["traffic_type"]


def test_create_request_cloudwatch_with_tags():
    request = vpc_flow_log.create_request(PARAMS, {"Stack": "stack"})
    assert request["ResourceIds"] == ["vpc-1"]
    assert request["LogGroupName"] == "/stack/vpc-flow-logs"
    assert request["DeliverLogsPermissionArn"].endswith(":role/stack-vpc-flow-logs")
    assert "LogDestination" not in request and "LogFormat" not in request
    assert request["TagSpecifications"] == [
        {"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Stack", "Value": "stack"}]}
    ]


def test_create_request_s3_without_tags():
    params = dict(PARAMS, log_destination_type="s3", log_destination="arn:aws:s3:::logs", log_format="${srcaddr}")
    request = vpc_flow_log.create_request(params, None)
    assert request["LogDestination"] == "arn:aws:s3:::logs"
    assert request["LogFormat"] == "${srcaddr}"
    assert "LogGroupName" not in request and "TagSpecifications" not in request


def test_summary_is_snake_case_with_tag_dict():
    result = vpc_flow_log.summary(dict(EXISTING, CreationTime="2026-01-01"))
    assert result["flow_log_id"] == "fl-1"
    assert result["log_group_name"] == "/stack/vpc-flow-logs"
    assert result["tags"] == {"Stack": "stack"}
    assert "creation_time" not in result
    assert vpc_flow_log.summary(None) == {}


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def test_missing_role_fails_before_any_aws_call(capsys, no_sdk_check):
    args = dict(resource_id="vpc-1", log_group_name="/stack/vpc-flow-logs")
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        vpc_flow_log.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert "deliver_logs_permission_arn" in result["msg"]


def test_s3_destination_needs_log_destination(capsys, no_sdk_check):
    args = dict(resource_id="vpc-1", log_destination_type="s3")
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        vpc_flow_log.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert "log_destination" in result["msg"]
