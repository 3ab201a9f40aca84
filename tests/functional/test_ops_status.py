"""Day-2 status (playbooks/status.yml) on the session's deployed stack.

Read only, one screen: the table names the service with its running tasks, the current
task definition's image tag and the site's URL, and the play passes while the stack is
healthy; one of the stack's alarms set to ALARM makes it fail (rc != 0) naming that alarm,
and it passes again once the alarm is back to OK. Runs on the ``local_stack`` fixture
(its xdist group keeps the stack's tests on one worker, in file order).
"""

from __future__ import annotations

import time

import pytest

from tests.functional.conftest import LOCAL_STACK

pytestmark = pytest.mark.xdist_group("local_stack")
CLUSTER, SERVICE = LOCAL_STACK, "open-webui"
FAMILY = f"{LOCAL_STACK}-open-webui"
DOMAIN = "openwebui.local.test"  # inventories/local
ALARM = f"{LOCAL_STACK}-app-errors"  # roles/monitoring: every alarm is named <stack>-...


def steady(stack, timeout: float = 300) -> dict:
    """The service once it is steady (an earlier test may have left a rollout settling): one
    deployment, completed, every desired task running, every target healthy."""
    ecs, elbv2 = stack.client("ecs"), stack.client("elbv2")
    (group,) = elbv2.describe_target_groups(Names=[f"{LOCAL_STACK}-app"])["TargetGroups"]
    deadline = time.monotonic() + timeout
    while True:
        service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        states = [
            d["TargetHealth"]["State"]
            for d in elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
        ]
        deployments = service["deployments"]
        if (
            len(deployments) == 1
            and deployments[0].get("rolloutState") == "COMPLETED"
            and service["runningCount"] == service["desiredCount"]
            and states
            and set(states) == {"healthy"}
        ):
            return service
        assert time.monotonic() < deadline, f"service not steady: {deployments}, targets {states}"
        time.sleep(5)


def image_tag(stack, task_definition: str) -> str:
    (container,) = stack.client("ecs").describe_task_definition(taskDefinition=task_definition)["taskDefinition"][
        "containerDefinitions"
    ]
    return container["image"].rsplit(":", 1)[1]


def previous_revision(stack, current: int) -> int | None:
    arns = stack.client("ecs").list_task_definitions(familyPrefix=FAMILY, status="ACTIVE")["taskDefinitionArns"]
    below = [int(a.rsplit(":", 1)[1]) for a in arns if a.split("/")[-1].rsplit(":", 1)[0] == FAMILY]
    below = [r for r in below if r < current]
    return max(below) if below else None


def test_status_passes_on_the_deployed_stack_and_names_what_runs(local_stack):
    service = steady(local_stack)
    # The inventory's 2 tasks, unless a day-2 test that ran before (scale) left another count.
    tasks = service["desiredCount"]
    assert tasks >= 1
    current = int(service["taskDefinition"].rsplit(":", 1)[1])
    tag = image_tag(local_stack, service["taskDefinition"])
    previous = previous_revision(local_stack, current)

    run = local_stack.playbook("playbooks/status.yml")
    assert run.rc == 0, run.output[-5000:]
    out = run.stdout
    assert f"{SERVICE} (cluster {CLUSTER}): {tasks}/{tasks} running, 0 pending, ACTIVE" in out, out
    assert out.count(" RUNNING  HEALTHY ") == tasks, out  # one table row per task
    assert f"current  {FAMILY}:{current}  open-webui={tag}" in out, out
    assert (f"previous {FAMILY}:{previous}" if previous else "previous (none)") in out, out
    assert f"https://{DOMAIN}" in out, out
    assert f"{LOCAL_STACK}-app: {tasks} targets, {tasks} healthy" in out, out
    assert f"{LOCAL_STACK}-postgres: available" in out, out
    assert "0 of " in out and " in ALARM" in out, out
    assert "Problems    none" in out, out
    assert "changed=0" in out and "failed=0" in out, out

    # Read only: the same in check mode.
    checked = local_stack.playbook("playbooks/status.yml", "--check")
    assert checked.rc == 0, checked.output[-5000:]
    assert f"open-webui={tag}" in checked.stdout and "changed=0" in checked.stdout


def test_status_fails_naming_an_alarm_in_alarm_and_passes_again_once_it_is_ok(local_stack):
    steady(local_stack)
    cloudwatch = local_stack.client("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"], f"no alarm {ALARM}"
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="test_ops_status: the gate")
    try:
        run = local_stack.playbook("playbooks/status.yml")
        assert run.rc != 0, run.output[-5000:]
        # The table lists it under Problems, and the failure message names it.
        assert f"alarm {ALARM} is in ALARM: test_ops_status: the gate" in run.stdout, run.stdout[-5000:]
        assert f"{LOCAL_STACK} is unhealthy (1 problem):\n- alarm {ALARM} is in ALARM" in run.output, run.output[-5000:]
        assert f"{ALARM}  since " in run.stdout, run.stdout[-5000:]
    finally:
        cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test_ops_status: back to OK")

    again = local_stack.playbook("playbooks/status.yml")
    assert again.rc == 0, again.output[-5000:]
    assert "Problems    none" in again.stdout


def test_the_module_returns_what_its_docs_say_and_the_same_in_check_mode(local_stack):
    from tests.functional.return_docs import assert_documented

    service = steady(local_stack)
    args = {
        "cluster": CLUSTER,
        "service": SERVICE,
        "target_group_name": f"{LOCAL_STACK}-app",
        "alarm_name_prefix": f"{LOCAL_STACK}-",
        "db_instance_identifier": f"{LOCAL_STACK}-postgres",
        "backup_vault_name": LOCAL_STACK,
        "file_system_name": f"{LOCAL_STACK}-data",
    }
    run = local_stack.ansible.module("ajudadigital.openwebui.stack_status", args, env=local_stack.aws_env)
    assert run.rc == 0, run.output[-5000:]
    result = run.result
    assert_documented("stack_status", result)
    assert (result["changed"], result["problems"]) == (False, [])
    assert result["service"]["task_definition"] == service["taskDefinition"]
    assert len(result["tasks"]) == service["desiredCount"]
    assert {t["health_status"] for t in result["tasks"]} == {"HEALTHY"}
    assert result["alarms"]["total"] >= 10 and result["alarms"]["in_alarm"] == []
    assert (result["database"]["found"], result["database"]["status"]) == (True, "available")
    # The emulator runs no backup job: the instance and the file system are listed without one.
    assert result["backups"]["vault_found"] is True
    assert {r["resource_type"] for r in result["backups"]["resources"]} == {"RDS", "EFS"}
    assert all(r["last_backup"] == {} for r in result["backups"]["resources"])

    checked = local_stack.ansible.module(
        "ajudadigital.openwebui.stack_status", args, check=True, env=local_stack.aws_env
    )
    assert checked.rc == 0, checked.output[-5000:]
    assert (checked.result["changed"], checked.result["problems"]) == (False, [])
    assert checked.result["task_definitions"] == result["task_definitions"]
