"""The monitoring and backup roles alone on a fresh emulator: check mode creates nothing,
deploy, re-run without change, the resources' settings, then state absent removes them.
Only what the two roles need exists beforehand: a KMS key (as the security layer's fact)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import ansible_strategy

STACK = "fn-monbak"
ABSENT = ("-e", "monitoring_state=absent", "-e", "backup_state=absent")
PLAYBOOK = """\
- name: Monitoring and backup layers alone
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/ajudadigital.openwebui.aws:
      region: "{{ openwebui_aws_region }}"
      endpoint_url: "{{ openwebui_aws_endpoint_url }}"
      access_key: "{{ openwebui_aws_access_key }}"
      secret_key: "{{ openwebui_aws_secret_key }}"
  roles:
    - role: ajudadigital.openwebui.monitoring
    - role: ajudadigital.openwebui.backup
"""


@pytest.fixture(scope="module")
def stack(emulator, tmp_path_factory):
    env = emulator.env()
    client = emulator.client

    key_arn = client("kms").create_key(Description=STACK)["KeyMetadata"]["Arn"]
    directory = tmp_path_factory.mktemp("monbak")
    playbook = directory / "play.yml"
    playbook.write_text(PLAYBOOK)
    extra = {
        "openwebui_environment": "local",
        "openwebui_stack_name": STACK,
        "openwebui_aws_region": env["AWS_REGION"],
        "openwebui_domain": "monbak.local.test",
        "openwebui_aws_endpoint_url": env["AWS_ENDPOINT_URL"],
        "openwebui_aws_access_key": env["AWS_ACCESS_KEY_ID"],
        "openwebui_aws_secret_key": env["AWS_SECRET_ACCESS_KEY"],
        "ansible_python_interpreter": str(Path(__import__("sys").executable)),
        "security_kms_key_arn": key_arn,
        "monitoring_alarm_email": "ops@example.com",
        "monitoring_rds_cpu_threshold": 75,
        "cache_enabled": True,
        "backup_copy_region": "us-west-2",
    }
    extra_file = directory / "extra.json"
    extra_file.write_text(json.dumps(extra))
    return dict(client=client, playbook=str(playbook), extra=f"@{extra_file}", key_arn=key_arn)


def play(ansible, stack, *args):
    # On mitogen's strategy, as local mode and the other deploys of the suite (five runs of
    # two roles: about half the time and CPU of ansible's own linear strategy).
    run = ansible.playbook(
        stack["playbook"], "-i", "localhost,", "-e", stack["extra"], *args, env=ansible_strategy.env(), timeout=600
    )
    assert run.rc == 0, run.output
    return run


def recap_changed(run) -> int:
    line = next(line for line in run.stdout.splitlines() if line.startswith("localhost") and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def alarms(stack) -> dict:
    found = stack["client"]("cloudwatch").describe_alarms(AlarmNamePrefix=STACK + "-")["MetricAlarms"]
    return {a["AlarmName"][len(STACK) + 1 :]: a for a in found}


def plans(stack) -> list:
    return [p for p in stack["client"]("backup").list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == STACK]


def topic_arns(stack) -> list:
    return [
        t["TopicArn"]
        for t in stack["client"]("sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(STACK + "-alarms")
    ]


def test_roles_lifecycle(ansible, stack):
    # Check mode on an empty account: reports changes, creates nothing.
    run = play(ansible, stack, "--check")
    assert recap_changed(run) > 0
    assert alarms(stack) == {} and plans(stack) == [] and topic_arns(stack) == []

    play(ansible, stack)
    assert recap_changed(play(ansible, stack)) == 0, "second run changed something"

    found = alarms(stack)
    assert set(found) == {
        "ecs-cpu-high", "ecs-memory-high", "ecs-running-tasks-low", "rds-cpu-high", "rds-free-storage-low",
        "rds-freeable-memory-low", "rds-connections-high", "cache-001-cpu-high", "cache-001-memory-high",
        "cache-002-cpu-high", "cache-002-memory-high", "app-errors",
    }  # fmt: skip
    (topic,) = topic_arns(stack)
    assert found["rds-cpu-high"]["Threshold"] == 75.0
    assert found["rds-cpu-high"]["AlarmActions"] == [topic]
    assert {d["Name"]: d["Value"] for d in found["ecs-cpu-high"]["Dimensions"]} == {
        "ClusterName": STACK,
        "ServiceName": "open-webui",
    }
    assert found["rds-free-storage-low"]["Threshold"] == 20 * 1024**3
    assert found["app-errors"]["Namespace"] == f"OpenWebUI/{STACK}"
    subscriptions = stack["client"]("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "ops@example.com")]
    attributes = stack["client"]("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId") == stack["key_arn"], "the alarm topic is not encrypted with the stack key"

    logs = stack["client"]("logs")
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/{STACK}/ecs/open-webui")["logGroups"]
    assert group["retentionInDays"] == 30 and group["kmsKeyId"] == stack["key_arn"]
    (metric_filter,) = logs.describe_metric_filters(logGroupName=group["logGroupName"])["metricFilters"]
    assert metric_filter["filterPattern"] == "?ERROR ?Traceback"

    body = json.loads(stack["client"]("cloudwatch").get_dashboard(DashboardName=STACK)["DashboardBody"])
    titles = [w["properties"].get("title") for w in body["widgets"]]
    assert "ECS service: CPU" in titles and "RDS: connections" in titles and "Redis: connections per node" in titles
    assert not any(t and t.startswith("Load balancer") for t in titles), "no load balancer: no widgets for it"

    backup = stack["client"]("backup")
    assert backup.describe_backup_vault(BackupVaultName=STACK)["EncryptionKeyArn"] == stack["key_arn"]
    stack["client"]("backup", "us-west-2").describe_backup_vault(BackupVaultName=STACK)
    (plan,) = plans(stack)
    (rule,) = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert rule["Lifecycle"]["DeleteAfterDays"] == 35
    assert rule["CopyActions"][0]["DestinationBackupVaultArn"].endswith(f":us-west-2:123456789012:backup-vault:{STACK}")
    (selection,) = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
    detail = backup.get_backup_selection(BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"])
    assert detail["BackupSelection"]["IamRoleArn"].endswith(f":role/{STACK}-backup")
    assert detail["BackupSelection"]["Conditions"]["StringEquals"] == [
        {"ConditionKey": "aws:ResourceTag/Stack", "ConditionValue": STACK}
    ]
    role = stack["client"]("iam").list_attached_role_policies(RoleName=f"{STACK}-backup")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in role) == [
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
    ]

    # Every alarm notifies the topic, and carries the stack's tags.
    cloudwatch = stack["client"]("cloudwatch")
    assert {name: a["AlarmActions"] for name, a in found.items()} == {name: [topic] for name in found}
    tags = cloudwatch.list_tags_for_resource(ResourceARN=found["app-errors"]["AlarmArn"])["Tags"]
    assert {"Key": "Stack", "Value": STACK} in tags

    # An alarm that fires reaches the (encrypted) topic: a queue subscribed to it gets the notification.
    sqs = stack["client"]("sqs")
    queue = sqs.create_queue(QueueName=f"{STACK}-alarm-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    probe = stack["client"]("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    cloudwatch.set_alarm_state(AlarmName=f"{STACK}-rds-cpu-high", StateValue="ALARM", StateReason="functional test")
    (received,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2)["Messages"]
    notification = json.loads(json.loads(received["Body"])["Message"])
    assert (notification["AlarmName"], notification["NewStateValue"]) == (f"{STACK}-rds-cpu-high", "ALARM")
    stack["client"]("sns").unsubscribe(SubscriptionArn=probe)

    # A new address: the topic's only subscription is the new one, the alarms still go to the topic;
    # the Redis layer turned off: its alarms go (one module run for all alarms).
    changed_layers = ("-e", "monitoring_alarm_email=oncall@example.com", "-e", "cache_enabled=false")
    run = play(ansible, stack, *changed_layers)
    assert recap_changed(run) == 3, run.stdout  # topic, alarms, dashboard
    subscriptions = stack["client"]("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "oncall@example.com")]
    found = alarms(stack)
    assert not [name for name in found if name.startswith("cache-")]
    assert {name: a["AlarmActions"] for name, a in found.items()} == {name: [topic] for name in found}
    assert topic_arns(stack) == [topic]

    # A new retention updates the plan (and nothing else).
    run = play(ansible, stack, *changed_layers, "-e", "backup_retention_days=40")
    assert recap_changed(run) == 1

    # Absent without openwebui_destroy_data: the vaults and the log group stay.
    play(ansible, stack, *ABSENT)
    assert alarms(stack) == {} and plans(stack) == [] and topic_arns(stack) == []
    assert stack["client"]("cloudwatch").list_dashboards(DashboardNamePrefix=STACK)["DashboardEntries"] == []
    backup.describe_backup_vault(BackupVaultName=STACK)
    assert logs.describe_log_groups(logGroupNamePrefix=f"/{STACK}/")["logGroups"]

    # With openwebui_destroy_data: the (empty) vaults and the log group go too.
    play(ansible, stack, *ABSENT, "-e", "openwebui_destroy_data=true")
    assert [v for v in backup.list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"] == STACK] == []
    assert logs.describe_log_groups(logGroupNamePrefix=f"/{STACK}/")["logGroups"] == []
