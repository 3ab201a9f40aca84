"""vpc_flow_log against the local emulator: check mode, create, unchanged, update tags, absent."""

from __future__ import annotations

import json

import pytest

from tests.functional.return_docs import assert_documented

LOG_GROUP = "/functional/vpc-flow-logs"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture(scope="module")
def aws(emulator):
    return emulator.env(), emulator.client


@pytest.fixture(scope="module")
def vpc(aws):
    env, client = aws
    ec2 = client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    client("logs").create_log_group(logGroupName=LOG_GROUP)
    role = client("iam").create_role(RoleName="functional-flow-logs", AssumeRolePolicyDocument=json.dumps(TRUST))
    return dict(env=env, ec2=ec2, vpc_id=vpc_id, role_arn=role["Role"]["Arn"])


def args(vpc, **extra):
    base = dict(
        resource_id=vpc["vpc_id"],
        log_group_name=LOG_GROUP,
        deliver_logs_permission_arn=vpc["role_arn"],
        max_aggregation_interval=60,
        tags={"Stack": "functional"},
        endpoint_url=vpc["env"]["AWS_ENDPOINT_URL"],
        access_key=vpc["env"]["AWS_ACCESS_KEY_ID"],
        secret_key=vpc["env"]["AWS_SECRET_ACCESS_KEY"],
        region=vpc["env"]["AWS_REGION"],
    )
    return dict(base, **extra)


def flow_logs(vpc):
    return vpc["ec2"].describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["vpc_id"]]}])["FlowLogs"]


def test_lifecycle(ansible, vpc):
    name = "ajudadigital.openwebui.vpc_flow_log"

    run = ansible.module(name, args(vpc), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"]["after"]["log_group_name"] == LOG_GROUP
    assert flow_logs(vpc) == [], "check mode created a flow log"

    run = ansible.module(name, args(vpc))
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    created = flow_logs(vpc)
    assert len(created) == 1
    assert created[0]["LogGroupName"] == LOG_GROUP and created[0]["MaxAggregationInterval"] == 60
    assert run.result["flow_log_id"] == created[0]["FlowLogId"]
    assert run.result["flow_log"]["tags"] == {"Stack": "functional"}

    run = ansible.module(name, args(vpc))
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    assert run.result["flow_log_id"] == created[0]["FlowLogId"]

    run = ansible.module(name, args(vpc, tags={"Stack": "functional", "Owner": "tests"}))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["flow_log"]["tags"] == {"Stack": "functional", "Owner": "tests"}
    assert flow_logs(vpc)[0]["FlowLogId"] == created[0]["FlowLogId"], "a tag change must not replace it"

    run = ansible.module(name, args(vpc, state="absent"), check=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert len(flow_logs(vpc)) == 1, "check mode deleted the flow log"

    run = ansible.module(name, args(vpc, state="absent"))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert flow_logs(vpc) == []

    run = ansible.module(name, args(vpc, state="absent"))
    assert run.rc == 0 and run.result["changed"] is False, run.output


def test_immutable_change_replaces_the_flow_log(ansible, vpc):
    name = "ajudadigital.openwebui.vpc_flow_log"
    run = ansible.module(name, args(vpc))
    assert run.rc == 0, run.output
    first = run.result["flow_log_id"]

    # without allow_replacement: a clear failure naming the setting, nothing changed
    run = ansible.module(name, args(vpc, max_aggregation_interval=600))
    assert run.rc != 0, run.output
    assert "max_aggregation_interval" in run.result["msg"] and "allow_replacement" in run.result["msg"]
    assert [f["FlowLogId"] for f in flow_logs(vpc)] == [first]

    run = ansible.module(name, args(vpc, max_aggregation_interval=600, allow_replacement=True))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["replaced"] is True and run.result["replaced_settings"] == ["max_aggregation_interval"]
    assert_documented("vpc_flow_log", run.result)
    current = flow_logs(vpc)
    assert len(current) == 1 and current[0]["FlowLogId"] != first
    assert current[0]["MaxAggregationInterval"] == 600
    assert ansible.module(name, args(vpc, state="absent")).rc == 0


def test_traffic_type_change_replaces_the_one_flow_log(ansible, vpc):
    """A changed traffic type is the same flow log (resource + destination) with an immutable
    setting changed: a replacement, never a second flow log beside the first."""
    name = "ajudadigital.openwebui.vpc_flow_log"
    run = ansible.module(name, args(vpc, traffic_type="ALL"))
    assert run.rc == 0, run.output
    assert_documented("vpc_flow_log", run.result)
    first = run.result["flow_log_id"]

    run = ansible.module(name, args(vpc, traffic_type="REJECT"))
    assert run.rc != 0, run.output
    assert "traffic_type" in run.result["msg"] and "allow_replacement" in run.result["msg"], run.output
    assert run.result["immutable_differences"] == ["traffic_type"]
    assert [f["FlowLogId"] for f in flow_logs(vpc)] == [first], "a refused replacement changed the flow logs"

    replace = args(vpc, traffic_type="REJECT", allow_replacement=True)
    run = ansible.module(name, replace, check=True, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["replaced"] is True and run.result["replaced_settings"] == ["traffic_type"]
    assert run.result["diff"]["before"]["traffic_type"] == "ALL"
    assert run.result["diff"]["after"]["traffic_type"] == "REJECT"
    assert_documented("vpc_flow_log", run.result)
    assert [f["FlowLogId"] for f in flow_logs(vpc)] == [first], "check mode changed the flow logs"

    run = ansible.module(name, replace, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["replaced"] is True
    assert run.result["diff"]["before"]["traffic_type"] == "ALL"
    assert run.result["diff"]["after"]["traffic_type"] == "REJECT"
    current = flow_logs(vpc)
    assert len(current) == 1, f"the old flow log was left beside the new one: {current}"
    assert current[0]["FlowLogId"] != first and current[0]["TrafficType"] == "REJECT"
    assert run.result["flow_log_id"] == current[0]["FlowLogId"]
    assert run.result["flow_log"]["tags"] == {"Stack": "functional"}

    run = ansible.module(name, replace)
    assert run.rc == 0 and run.result["changed"] is False and run.result["replaced"] is False, run.output

    run = ansible.module(name, args(vpc, traffic_type="REJECT", state="absent"))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert_documented("vpc_flow_log", run.result)
    assert flow_logs(vpc) == []
