"""cloudwatch_metric_alarms against the local emulator: a set of alarms in one run, with check
mode, diff, unchanged re-run, a changed setting, tags, removal, and bad input named."""

from __future__ import annotations

import pytest

MODULE = "ajudadigital.openwebui.cloudwatch_metric_alarms"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:functional-alarms"
OTHER_TOPIC = "arn:aws:sns:eu-west-1:123456789012:functional-other"


def alarm(name: str, **overrides) -> dict:
    settings = dict(
        name=name,
        description="functional " + name,
        namespace="AWS/ECS",
        metric_name="CPUUtilization",
        statistic="Average",
        comparison="GreaterThanThreshold",
        threshold=80,
        period=300,
        evaluation_periods=2,
        dimensions={"ClusterName": "functional", "ServiceName": "open-webui"},
        alarm_actions=[TOPIC],
    )
    settings.update(overrides)
    return settings


@pytest.fixture(scope="module")
def aws(emulator):
    return emulator.client("cloudwatch"), emulator.module_connection()


def described(cloudwatch, prefix: str) -> dict:
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    return {a["AlarmName"]: a for a in alarms}


def test_lifecycle(ansible, aws):
    cloudwatch, connection = aws
    prefix = "functional-set-"
    alarms = [
        alarm(prefix + "cpu"),
        alarm(prefix + "memory", metric_name="MemoryUtilization", threshold=90, ok_actions=[TOPIC]),
        alarm(
            prefix + "errors",
            namespace="OpenWebUI/functional",
            metric_name="AppErrors",
            statistic="Sum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=1,
            dimensions={},
            treat_missing_data="notBreaching",
        ),
    ]
    args = dict(connection, alarms=alarms, tags={"Stack": "functional"})

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["created"] == [a["name"] for a in alarms]
    assert run.result["diff"]["before"] == {}
    assert sorted(run.result["diff"]["after"]) == sorted(a["name"] for a in alarms)
    assert described(cloudwatch, prefix) == {}, "check mode created alarms"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["created"] == [a["name"] for a in alarms]
    found = described(cloudwatch, prefix)
    assert sorted(found) == sorted(a["name"] for a in alarms)
    memory = found[prefix + "memory"]
    assert memory["MetricName"] == "MemoryUtilization"
    assert memory["Threshold"] == 90.0
    assert memory["OKActions"] == [TOPIC]
    assert memory["AlarmActions"] == [TOPIC]
    assert {d["Name"]: d["Value"] for d in memory["Dimensions"]} == alarms[1]["dimensions"]
    assert found[prefix + "errors"]["TreatMissingData"] == "notBreaching"
    assert [r["arn"] for r in run.result["alarms"]] == [found[a["name"]]["AlarmArn"] for a in alarms]
    tags = cloudwatch.list_tags_for_resource(ResourceARN=memory["AlarmArn"])["Tags"]
    assert tags == [{"Key": "Stack", "Value": "functional"}]

    # The same set again (threshold as a string, dimensions in another order): no change, no write.
    same = [dict(a) for a in alarms]
    same[0]["threshold"] = "80.0"
    same[0]["dimensions"] = dict(reversed(list(alarms[0]["dimensions"].items())))
    run = ansible.module(MODULE, dict(args, alarms=same), diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False, run.result
    assert run.result["diff"] == {"before": {}, "after": {}}

    # One threshold and the actions of another: only those two are updated; check mode first.
    changed = [dict(a) for a in alarms]
    changed[0]["threshold"] = 70
    changed[1]["alarm_actions"] = [TOPIC, OTHER_TOPIC]
    run = ansible.module(MODULE, dict(args, alarms=changed), check=True, diff=True)
    assert run.result["changed"] is True
    assert run.result["updated"] == [prefix + "cpu", prefix + "memory"]
    assert run.result["diff"]["before"][prefix + "cpu"]["threshold"] == 80.0
    assert run.result["diff"]["after"][prefix + "cpu"]["threshold"] == 70.0
    assert described(cloudwatch, prefix)[prefix + "cpu"]["Threshold"] == 80.0, "check mode changed an alarm"

    run = ansible.module(MODULE, dict(args, alarms=changed))
    assert run.rc == 0, run.output
    assert run.result["updated"] == [prefix + "cpu", prefix + "memory"]
    found = described(cloudwatch, prefix)
    assert found[prefix + "cpu"]["Threshold"] == 70.0
    assert sorted(found[prefix + "memory"]["AlarmActions"]) == sorted([TOPIC, OTHER_TOPIC])

    # A tag change alone is an update of every alarm (purge_tags removes the old key).
    run = ansible.module(MODULE, dict(args, alarms=changed, tags={"Stack": "functional", "Owner": "platform"}))
    assert run.rc == 0, run.output
    assert run.result["updated"] == [a["name"] for a in alarms]
    tags = cloudwatch.list_tags_for_resource(ResourceARN=found[prefix + "cpu"]["AlarmArn"])["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Owner", "platform"), ("Stack", "functional")]

    # state=absent removes one alarm (check mode first) and is a no-op once it is gone.
    removing = [dict(changed[0]), dict(changed[1]), dict(name=prefix + "errors", state="absent")]
    removing_args = dict(args, alarms=removing, tags={"Stack": "functional", "Owner": "platform"})
    run = ansible.module(MODULE, removing_args, check=True, diff=True)
    assert run.result["deleted"] == [prefix + "errors"]
    assert prefix + "errors" in run.result["diff"]["before"]
    assert prefix + "errors" not in run.result["diff"]["after"]
    assert prefix + "errors" in described(cloudwatch, prefix), "check mode deleted an alarm"

    run = ansible.module(MODULE, removing_args)
    assert run.rc == 0, run.output
    assert run.result["deleted"] == [prefix + "errors"]
    assert sorted(described(cloudwatch, prefix)) == [prefix + "cpu", prefix + "memory"]
    assert [r["name"] for r in run.result["alarms"]] == [prefix + "cpu", prefix + "memory"]

    run = ansible.module(MODULE, removing_args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False, run.result


@pytest.mark.parametrize(
    ("alarms", "message"),
    [
        ([alarm("functional-bad-a"), alarm("functional-bad-a")], "alarms[1] (functional-bad-a): the name appears"),
        ([dict(name="functional-bad-b", namespace="AWS/ECS")], "alarms[0] (functional-bad-b): metric_name, statistic"),
        ([alarm("functional-bad-c", period=45)], "alarms[0] (functional-bad-c): period must be"),
        ([alarm("functional-bad-d", datapoints_to_alarm=3)], "datapoints_to_alarm must be between 1 and"),
    ],
)
def test_bad_input_fails_naming_the_option(ansible, aws, alarms, message):
    cloudwatch, connection = aws
    run = ansible.module(MODULE, dict(connection, alarms=alarms))
    assert run.rc != 0
    assert message in run.output
    assert described(cloudwatch, "functional-bad-") == {}
