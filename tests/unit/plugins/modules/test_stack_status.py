# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the stack_status module's pure logic (image tags, the previous revision, the
summaries and the problems found, argument checks). Against the deployed local stack:
tests/functional/test_ops_status.py."""

from __future__ import absolute_import, division, print_function

import datetime
import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import stack_status
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"
T0 = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=datetime.UTC)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("ghcr.io/open-webui/open-webui:v0.12.4", "v0.12.4"),
        ("registry.local:5000/team/app:1.2", "1.2"),
        ("registry.local:5000/team/app", "latest"),
        ("nginx", "latest"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/s/open-webui@sha256:abc123", "sha256:abc123"),
    ],
)
def test_image_tag(image, tag):
    assert stack_status.image_tag(image) == tag


def test_revision_of_reads_family_and_revision():
    assert stack_status.revision_of(TD + "stack-open-webui:12") == ("stack-open-webui", 12)
    assert stack_status.revision_of("not-an-arn") == (None, None)
    assert stack_status.revision_of(None) == (None, None)


def test_previous_revision_is_the_highest_active_one_below_the_current_of_the_same_family():
    arns = [TD + "app:" + str(n) for n in (1, 3, 4, 7)] + [TD + "app-worker:6", TD + "other:5"]
    assert stack_status.previous_revision(arns, "app", 7) == TD + "app:4"
    assert stack_status.previous_revision(arns, "app", 4) == TD + "app:3"
    # A rollback to 3 left 4 and 7 active: the previous of 3 is below it, not the newest.
    assert stack_status.previous_revision(arns, "app", 3) == TD + "app:1"
    assert stack_status.previous_revision(arns, "app", 1) is None
    assert stack_status.previous_revision([], "app", 7) is None


def test_summarize_task_definition_lists_each_containers_image_and_tag():
    summary = stack_status.summarize_task_definition(
        {
            "taskDefinitionArn": TD + "app:7",
            "family": "app",
            "revision": 7,
            "containerDefinitions": [
                {"name": "open-webui", "image": "ghcr.io/open-webui/open-webui:v0.12.4"},
                {"name": "sidecar", "image": "busybox"},
            ],
        }
    )
    assert summary == {
        "arn": TD + "app:7",
        "family": "app",
        "revision": 7,
        "images": [
            {"container": "open-webui", "image": "ghcr.io/open-webui/open-webui:v0.12.4", "tag": "v0.12.4"},
            {"container": "sidecar", "image": "busybox", "tag": "latest"},
        ],
    }


def service(**change):
    base = dict(status="ACTIVE", desiredCount=2, runningCount=2, pendingCount=0, taskDefinition=TD + "app:7")
    return stack_status.summarize_service("stack", "open-webui", dict(base, **change))


def test_summarize_service_and_a_missing_one():
    assert service() == {
        "found": True,
        "cluster": "stack",
        "name": "open-webui",
        "status": "ACTIVE",
        "desired_count": 2,
        "running_count": 2,
        "pending_count": 0,
        "task_definition": TD + "app:7",
    }
    missing = stack_status.summarize_service("stack", "open-webui", {})
    assert (missing["found"], missing["status"], missing["running_count"]) == (False, "", 0)
    assert service(status="DRAINING")["found"] is False


def test_deployments_newest_first_with_the_rollout_in_progress_marked():
    deployments = stack_status.summarize_deployments(
        [
            dict(id="old", status="ACTIVE", rolloutState="COMPLETED", taskDefinition=TD + "app:6", createdAt=at(0)),
            dict(
                id="new",
                status="PRIMARY",
                rolloutState="IN_PROGRESS",
                rolloutStateReason="ECS deployment new in progress.",
                taskDefinition=TD + "app:7",
                desiredCount=2,
                runningCount=1,
                pendingCount=1,
                failedTasks=0,
                createdAt=at(5),
                updatedAt=at(6),
            ),
        ]
    )
    assert [d["id"] for d in deployments] == ["new", "old"]
    assert deployments[0]["in_progress"] is True and deployments[1]["in_progress"] is False
    assert deployments[0]["revision"] == 7
    assert deployments[0]["updated_at"] == "2026-12-06T10:06:00+00:00"
    assert "created_at" not in deployments[0]
    assert deployments[1]["updated_at"] == ""


def test_tasks_oldest_first_with_their_revision_and_health():
    tasks = stack_status.summarize_tasks(
        [
            dict(taskArn="arn:aws:ecs:r:1:task/stack/b", lastStatus="PENDING", taskDefinitionArn=TD + "app:7"),
            dict(
                taskArn="arn:aws:ecs:r:1:task/stack/a",
                lastStatus="RUNNING",
                healthStatus="HEALTHY",
                taskDefinitionArn=TD + "app:6",
                startedAt=at(1),
                availabilityZone="eu-west-1a",
            ),
        ]
    )
    assert tasks == [
        {
            "id": "a",
            "last_status": "RUNNING",
            "health_status": "HEALTHY",
            "revision": 6,
            "started_at": "2026-12-06T10:01:00+00:00",
            "availability_zone": "eu-west-1a",
        },
        {
            "id": "b",
            "last_status": "PENDING",
            "health_status": "UNKNOWN",
            "revision": 7,
            "started_at": "",
            "availability_zone": "",
        },
    ]


def test_stopped_tasks_newest_first_with_reasons_and_at_most_ten():
    failed = dict(
        taskArn="arn:aws:ecs:r:1:task/stack/new",
        taskDefinitionArn=TD + "app:8",
        stopCode="TaskFailedToStart",
        stoppedReason="ResourceInitializationError: unable to pull secrets",
        stoppedAt=at(5),
        containers=[dict(name="open-webui")],
    )
    drained = dict(
        taskArn="arn:aws:ecs:r:1:task/stack/old",
        taskDefinitionArn=TD + "app:7",
        stopCode="ServiceSchedulerInitiated",
        stoppedReason="Scaling activity initiated by (deployment ecs-svc/1)",
        stoppedAt=at(2),
        containers=[dict(name="open-webui", exitCode=0)],
    )
    stopping = dict(taskArn="arn:aws:ecs:r:1:task/stack/stopping", taskDefinitionArn=TD + "app:8")
    stopped = stack_status.summarize_stopped_tasks([drained, stopping, failed])
    assert [t["id"] for t in stopped] == ["stopping", "new", "old"]
    assert stopped[1] == {
        "id": "new",
        "revision": 8,
        "stop_code": "TaskFailedToStart",
        "stopped_reason": "ResourceInitializationError: unable to pull secrets",
        "stopped_at": "2026-12-06T10:05:00+00:00",
        "containers": [{"name": "open-webui", "exit_code": None, "reason": ""}],
    }
    assert stopped[2]["containers"] == [{"name": "open-webui", "exit_code": 0, "reason": ""}]
    many = [dict(drained, taskArn=f"arn:aws:ecs:r:1:task/stack/t{i}", stoppedAt=at(i)) for i in range(12)]
    assert [t["id"] for t in stack_status.summarize_stopped_tasks(many)] == [f"t{i}" for i in range(11, 1, -1)]


def test_targets_with_state_and_reason():
    targets = stack_status.summarize_targets(
        [
            {"Target": {"Id": "10.0.1.9", "Port": 8080}, "TargetHealth": {"State": "healthy"}},
            {
                "Target": {"Id": "10.0.1.5", "Port": 8080},
                "TargetHealth": {
                    "State": "unhealthy",
                    "Reason": "Target.ResponseCodeMismatch",
                    "Description": "Health checks failed with these codes: [502]",
                },
            },
        ]
    )
    assert [(t["id"], t["state"]) for t in targets] == [("10.0.1.5", "unhealthy"), ("10.0.1.9", "healthy")]
    assert targets[0]["reason"] == "Target.ResponseCodeMismatch"
    assert targets[1]["reason"] == targets[1]["description"] == ""


def test_alarms_count_and_those_in_alarm_by_name():
    alarms = stack_status.summarize_alarms(
        "stack-",
        [
            dict(AlarmName="stack-b", StateValue="ALARM", StateReason="Threshold Crossed", StateUpdatedTimestamp=at(2)),
            dict(AlarmName="stack-c", StateValue="OK"),
            dict(AlarmName="stack-d", StateValue="INSUFFICIENT_DATA"),
        ],
        [dict(AlarmName="stack-a", StateValue="ALARM")],
    )
    assert alarms["total"] == 4 and alarms["insufficient_data"] == 1
    assert alarms["in_alarm"] == [
        {"name": "stack-a", "reason": "", "since": ""},
        {"name": "stack-b", "reason": "Threshold Crossed", "since": "2026-12-06T10:02:00+00:00"},
    ]


def test_pending_maintenance_one_entry_per_action():
    actions = stack_status.summarize_maintenance(
        [
            {
                "ResourceIdentifier": "arn:aws:rds:r:1:db:stack-postgres",
                "PendingMaintenanceActionDetails": [
                    {"Action": "system-update", "Description": "New OS update", "AutoAppliedAfterDate": at(0)},
                    {"Action": "db-upgrade", "OptInStatus": "next-maintenance"},
                ],
            }
        ]
    )
    assert [a["action"] for a in actions] == ["system-update", "db-upgrade"]
    assert actions[0]["auto_applied_after"] == "2026-12-06T10:00:00+00:00"
    assert actions[1]["opt_in_status"] == "next-maintenance" and actions[1]["forced_apply_date"] == ""


DB = "arn:aws:rds:eu-west-1:1:db:stack-postgres"
FS = "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1"


def point(arn, status, created, completed=None, kind="RDS"):
    return dict(
        ResourceArn=arn,
        ResourceType=kind,
        RecoveryPointArn=f"rp-{arn[-1]}-{created}",
        Status=status,
        CreationDate=at(created),
        CompletionDate=at(completed) if completed is not None else None,
    )


def test_latest_completed_backup_per_resource_and_none_yet_for_the_expected_ones():
    points = [
        point(DB, "COMPLETED", 0, 10),
        point(DB, "COMPLETED", 60, 70),
        point(DB, "PARTIAL", 120, 130),  # newer, but not complete
        point("arn:aws:rds:eu-west-1:1:db:other", "EXPIRED", 0, 5),
    ]
    resources = stack_status.latest_backups(points, {DB: "RDS", FS: "EFS"})
    assert [r["resource_arn"] for r in resources] == sorted([DB, FS, "arn:aws:rds:eu-west-1:1:db:other"])
    by_arn = {r["resource_arn"]: r for r in resources}
    assert by_arn[DB]["last_backup"] == {
        "recovery_point_arn": "rp-s-60",
        "status": "COMPLETED",
        "created_at": "2026-12-06T11:00:00+00:00",
        "completed_at": "2026-12-06T11:10:00+00:00",
    }
    assert by_arn[FS] == {"resource_arn": FS, "resource_type": "EFS", "last_backup": {}}
    assert by_arn["arn:aws:rds:eu-west-1:1:db:other"]["last_backup"] == {}


def test_no_recovery_point_and_nothing_expected_is_an_empty_list():
    assert stack_status.latest_backups([], {}) == []


HEALTHY = dict(
    service=service(),
    tasks=[dict(id="a", last_status="RUNNING", health_status="HEALTHY")],
    deployments=[dict(id="d", revision=7, rollout_state="COMPLETED", rollout_state_reason="")],
    target_group=dict(
        found=True,
        name="stack-app",
        targets=[dict(id="10.0.1.5", port=8080, state="draining", reason="", description="")],
    ),
    alarms=dict(prefix="stack-", total=3, insufficient_data=1, in_alarm=[]),
    database=dict(found=True, identifier="stack-postgres", status="available"),
)


def problems(**change):
    return stack_status.find_problems(**dict(HEALTHY, **change))


def test_a_healthy_stack_has_no_problem_and_a_draining_target_is_none():
    assert problems() == []
    # Parts that were not asked for are not problems either.
    assert problems(target_group={}, alarms={}, database={}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"service": service(runningCount=1)}, ["service open-webui: 1 of 2 desired tasks running"]),
        (
            {"service": stack_status.summarize_service("stack", "open-webui", {})},
            ["service open-webui: not found in cluster stack"],
        ),
        ({"service": service(status="DRAINING")}, ["service open-webui: status DRAINING, not ACTIVE"]),
        (
            {"tasks": [dict(id="a", last_status="RUNNING", health_status="UNHEALTHY")]},
            ["task a: UNHEALTHY (RUNNING)"],
        ),
        (
            {"deployments": [dict(id="d", revision=8, rollout_state="FAILED", rollout_state_reason="circuit breaker")]},
            ["deployment d (revision 8): rollout FAILED: circuit breaker"],
        ),
        (
            {
                "target_group": dict(
                    found=True,
                    name="stack-app",
                    targets=[
                        dict(
                            id="10.0.1.5",
                            port=8080,
                            state="unhealthy",
                            reason="Target.Timeout",
                            description="Request timed out",
                        )
                    ],
                )
            },
            ["target 10.0.1.5:8080 of stack-app: unhealthy (Target.Timeout, Request timed out)"],
        ),
        ({"target_group": dict(found=False, name="stack-app", targets=[])}, ["target group stack-app: not found"]),
        (
            {"alarms": dict(in_alarm=[dict(name="stack-app-errors", reason="Threshold Crossed", since="")])},
            ["alarm stack-app-errors is in ALARM: Threshold Crossed"],
        ),
        (
            {"database": dict(found=True, identifier="stack-postgres", status="modifying")},
            ["database stack-postgres: status modifying, not available"],
        ),
        (
            {"database": dict(found=False, identifier="stack-postgres", status="")},
            ["database stack-postgres: not found"],
        ),
    ],
)
def test_each_unhealthy_thing_is_one_problem(change, expected):
    assert problems(**change) == expected


def test_an_in_progress_deployment_with_fewer_tasks_is_only_the_count():
    found = problems(
        service=service(runningCount=1, pendingCount=1),
        deployments=[dict(id="d", revision=8, rollout_state="IN_PROGRESS", rollout_state_reason="")],
    )
    assert found == ["service open-webui: 1 of 2 desired tasks running"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cluster": "c", "service": "s"}, None),
        ({"cluster": " ", "service": "s"}, "cluster must be a non-empty string"),
        ({"cluster": "c", "service": ""}, "service must be a non-empty string"),
        (
            {"cluster": "c", "service": "s", "backup_vault_name": " "},
            "backup_vault_name must be a non-empty string when given",
        ),
    ],
)
def test_validate(params, message):
    assert stack_status.validate(params) == message


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def test_an_empty_name_fails_before_any_aws_call(capsys, no_sdk_check):
    args = {"cluster": "stack", "service": "open-webui", "alarm_name_prefix": ""}
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        stack_status.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert result["msg"] == "alarm_name_prefix must be a non-empty string when given"
