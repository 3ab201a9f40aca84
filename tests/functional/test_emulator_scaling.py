"""Target tracking on the ECS services' metrics (``tools/local_services/autoscaling.py``,
``tools/local_services/ecs_metrics.py``), against the emulator.

The alarms a target tracking policy makes are checked on an emulator of its own kind (no
tasks); the scaling itself in run-tasks mode, on small Python tasks whose memory the test
controls, with the emulator's clock sped up (``time_scale``: a metric minute lasts 1.8 s,
so AlarmHigh's 3 minutes take about 6 s and AlarmLow's 15 about 30 s). To see a test
fail on stock moto behaviour: ``OPENWEBUI_EMULATOR_DISABLE_FIXES=<fix name>``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.functional.conftest import wait_for
from tools.local_services import LocalServices
from tools.local_services.check_fixes import covers

REGION = "us-east-1"
IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"
TIME_SCALE = "0.03"  # a minute of metrics lasts 1.8 s; the 300 s cooldowns 9 s
# A task that holds 80 MiB in a child process (the metric counts the task's children):
# with 512 MiB reserved, its memory utilization is about 17 %.
HOLDER = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', \"import time; block = b'x' * (80 * 1024 * 1024); time.sleep(3600)\"])\n"
    "time.sleep(3600)\n"
)


def policy(cluster: str, service: str, target: float, *, disable_scale_in: bool = False) -> dict:
    return {
        "PolicyName": f"{service}-memory",
        "ServiceNamespace": "ecs",
        "ResourceId": f"service/{cluster}/{service}",
        "ScalableDimension": "ecs:service:DesiredCount",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"},
            "DisableScaleIn": disable_scale_in,
        },
    }


def test_a_bad_time_scale_fails_before_the_emulator_starts():
    for bad in ("fast", "0", "2", "-1"):
        with pytest.raises(ValueError, match="time scale"):
            LocalServices(Path("/nonexistent"), with_postgres=False, time_scale=bad)


@covers("application_autoscaling_target_tracking_creates_aws_alarms")
def test_application_autoscaling_target_tracking_creates_aws_alarms(emulator):
    ecs = emulator.client("ecs", REGION)
    scaling = emulator.client("application-autoscaling", REGION)
    cloudwatch = emulator.client("cloudwatch", REGION)
    ecs.create_cluster(clusterName="fixes-tracking")
    container = {"name": "c", "image": IMAGE, "memory": 128}
    ecs.register_task_definition(family="fixes-tracking", containerDefinitions=[container])
    ecs.create_service(cluster="fixes-tracking", serviceName="web", taskDefinition="fixes-tracking", desiredCount=1)
    resource = {"ServiceNamespace": "ecs", "ResourceId": "service/fixes-tracking/web"}
    resource["ScalableDimension"] = "ecs:service:DesiredCount"
    scaling.register_scalable_target(**resource, MinCapacity=1, MaxCapacity=4)
    cpu = {
        **resource,
        "PolicyName": "fixes-cpu",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    }
    put = scaling.put_scaling_policy(**cpu)

    def alarms() -> dict[str, dict]:
        found = cloudwatch.describe_alarms(AlarmNamePrefix="TargetTracking-service/fixes-tracking/web-")
        return {a["AlarmName"].split("-")[-6]: a for a in found["MetricAlarms"]}

    made = alarms()
    assert sorted(made) == ["AlarmHigh", "AlarmLow"]
    assert sorted(a["AlarmName"] for a in put["Alarms"]) == sorted(a["AlarmName"] for a in made.values())
    for kind, operator, periods, threshold in (
        ("AlarmHigh", "GreaterThanThreshold", 3, 70.0),
        ("AlarmLow", "LessThanThreshold", 15, 63.0),
    ):
        alarm = made[kind]
        assert (alarm["ComparisonOperator"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (
            operator,
            periods,
            periods,
        )
        assert (alarm["Threshold"], alarm["Period"], alarm["Statistic"], alarm["Unit"]) == (
            threshold,
            60,
            "Average",
            "Percent",
        )
        assert (alarm["Namespace"], alarm["MetricName"], alarm["TreatMissingData"]) == (
            "AWS/ECS",
            "CPUUtilization",
            "missing",
        )
        assert sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"]) == [
            ("ClusterName", "fixes-tracking"),
            ("ServiceName", "web"),
        ]
        (action,) = alarm["AlarmActions"]
        assert action.startswith(put["PolicyARN"] + ":createdBy/")
        assert alarm["AlarmDescription"] == f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}."
        assert alarm["StateValue"] == "INSUFFICIENT_DATA"

    # An update keeps the policy's ARN and replaces its alarms.
    cpu["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] = 50.0
    again = scaling.put_scaling_policy(**cpu)
    assert again["PolicyARN"] == put["PolicyARN"]
    updated = alarms()
    assert (updated["AlarmHigh"]["Threshold"], updated["AlarmLow"]["Threshold"]) == (50.0, 45.0)
    assert not {a["AlarmName"] for a in made.values()} & {a["AlarmName"] for a in updated.values()}

    # Deregistering the scalable target deletes its policies, and so their alarms.
    scaling.deregister_scalable_target(**resource)
    assert (
        scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource["ResourceId"])["ScalingPolicies"]
        == []
    )
    assert alarms() == {}
    ecs.delete_service(cluster="fixes-tracking", service="web", force=True)


@pytest.fixture(scope="module")
def scaling_aws(tmp_path_factory):
    """An emulator in run-tasks mode whose metric minute lasts 1.8 s."""
    services = LocalServices(
        tmp_path_factory.mktemp("scaling"), with_postgres=False, run_tasks=True, time_scale=TIME_SCALE
    )
    services.start()
    yield services
    services.stop()


@covers(
    "application_autoscaling_target_tracking_creates_aws_alarms",
    "ecs_services_publish_utilization_metrics",
    "application_autoscaling_target_tracking_scales_ecs_services",
    "application_autoscaling_describe_scaling_activities",
)
def test_target_tracking_scales_a_service_out_and_back_in_on_its_tasks_memory(scaling_aws):
    ecs = scaling_aws.client("ecs", REGION)
    scaling = scaling_aws.client("application-autoscaling", REGION)
    cloudwatch = scaling_aws.client("cloudwatch", REGION)
    ec2 = scaling_aws.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    sg = ec2.create_security_group(GroupName="scaling", Description="scaling", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]], "securityGroups": [sg]}}
    ecs.create_cluster(clusterName="scaling")
    ecs.register_task_definition(
        family="holder", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[
            {"name": "app", "image": IMAGE, "essential": True, "command": ["python3", "-c", HOLDER], "stopTimeout": 2}
        ],
    )  # fmt: skip
    # "grows" scales in again; "kept" has scale-in disabled.
    for name in ("grows", "kept"):
        ecs.create_service(
            cluster="scaling", serviceName=name, taskDefinition="holder", desiredCount=1, launchType="FARGATE",
            networkConfiguration=network,
        )  # fmt: skip
        scaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/scaling/{name}",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2,
        )  # fmt: skip
        # About 17 % used against a target of 10 %: AlarmHigh, then ceil(1 * 17 / 10) = 2 tasks.
        scaling.put_scaling_policy(**policy("scaling", name, 10.0, disable_scale_in=name == "kept"))

    def desired(name: str) -> int:
        return ecs.describe_services(cluster="scaling", services=[name])["services"][0]["desiredCount"]

    def running(name: str) -> list[str]:
        arns = ecs.list_tasks(cluster="scaling", serviceName=name)["taskArns"]
        if not arns:
            return []
        tasks = ecs.describe_tasks(cluster="scaling", tasks=arns)["tasks"]
        return [t["taskArn"] for t in tasks if t["lastStatus"] == "RUNNING"]

    def activities(name: str) -> list[dict]:
        return scaling.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=f"service/scaling/{name}")[
            "ScalingActivities"
        ]

    started = time.monotonic()
    for name in ("grows", "kept"):
        wait_for(lambda n=name: desired(n) == 2 and len(running(n)) == 2, 60, f"{name} scaled out to 2 running tasks")
    scaled_out = time.monotonic() - started
    # The metric ECS publishes: the service's memory, in percent of the reserved 512 MiB.
    now = time.time()
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/ECS", MetricName="MemoryUtilization", Period=60, Statistics=["Average", "Maximum"],
        Dimensions=[{"Name": "ClusterName", "Value": "scaling"}, {"Name": "ServiceName", "Value": "grows"}],
        StartTime=now - 600, EndTime=now + 60,
    )["Datapoints"]  # fmt: skip
    assert stats and all(10 < d["Average"] < 60 and d["Unit"] == "Percent" for d in stats), stats
    cpu = cloudwatch.get_metric_statistics(
        Namespace="AWS/ECS", MetricName="CPUUtilization", Period=60, Statistics=["Average"],
        Dimensions=[{"Name": "ClusterName", "Value": "scaling"}, {"Name": "ServiceName", "Value": "grows"}],
        StartTime=now - 600, EndTime=now + 60,
    )["Datapoints"]  # fmt: skip
    assert cpu and all(0 <= d["Average"] < 50 for d in cpu), cpu  # sleeping tasks
    (out,) = activities("grows")
    assert (out["Description"], out["StatusCode"]) == ("Setting desired count to 2.", "Successful")
    assert out["Cause"].startswith("monitor alarm TargetTracking-service/scaling/grows-AlarmHigh-")
    assert out["Cause"].endswith(" in state ALARM triggered policy grows-memory")
    assert out["StatusMessage"] == "Successfully set desired count to 2. Change successfully fulfilled by ecs."
    # Still above the target, but the range ends at 2.
    time.sleep(4 * 1.8)
    assert (desired("grows"), len(activities("grows"))) == (2, 1)

    # A target of 90 %: AlarmLow (below 81 % for 15 periods) scales "grows" in, ceil(2 * 17 / 90) = 1;
    # "kept" stays, its scale-in disabled.
    for name in ("grows", "kept"):
        scaling.put_scaling_policy(**policy("scaling", name, 90.0, disable_scale_in=name == "kept"))
    started = time.monotonic()
    wait_for(lambda: desired("grows") == 1 and len(running("grows")) == 1, 90, "grows scaled in to 1 running task")
    scaled_in = time.monotonic() - started
    newest = activities("grows")[0]
    assert newest["Description"] == "Setting desired count to 1."
    assert newest["Cause"].startswith("monitor alarm TargetTracking-service/scaling/grows-AlarmLow-")

    def kept_low() -> str:
        found = cloudwatch.describe_alarms(AlarmNamePrefix="TargetTracking-service/scaling/kept-AlarmLow-")
        return found["MetricAlarms"][0]["StateValue"]

    wait_for(lambda: kept_low() == "ALARM", 10, "kept's AlarmLow in ALARM")
    assert (desired("kept"), len(running("kept")), len(activities("kept"))) == (2, 2, 1)
    print(f"scaled out after {scaled_out:.0f} s, in after {scaled_in:.0f} s")
    for name in ("grows", "kept"):
        ecs.delete_service(cluster="scaling", service=name, force=True)
