"""Day 2's scale (``playbooks/scale.yml``) on the session's deployed stack (xdist group
``local_stack``): the count and the autoscaling range, and what a later site.yml keeps."""

from __future__ import annotations

import time

import pytest

from tests.functional.test_served_stack import running_tasks, service
from tests.functional.test_stack import changed_tasks

pytestmark = pytest.mark.xdist_group("local_stack")
RESOURCE = "service/openwebui-local/open-webui"
FAST = ("-e", "ecs_service_wait_delay=2")


def scaling_range(stack) -> tuple[int, int]:
    (target,) = stack.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[RESOURCE]
    )["ScalableTargets"]
    return target["MinCapacity"], target["MaxCapacity"]


def wait_for_tasks(stack, count: int, timeout: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        tasks = [t for t in running_tasks(stack) if t["lastStatus"] == "RUNNING"]
        if len(tasks) == count or time.monotonic() > deadline:
            return tasks
        time.sleep(2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-e", "count=three"], "count=three: a whole number of tasks"),
        (["-e", "count=9"], "count (9) must be within the autoscaling range 1..4"),
        (["-e", "min=3", "-e", "max=2"], "the range's min (3) must be at most its max (2)"),
    ],
)
def test_scale_yml_refuses_bad_input_naming_it(local_stack, args, expected):
    before = service(local_stack)
    run = local_stack.playbook("playbooks/scale.yml", *args)
    assert run.rc != 0 and expected in " ".join(run.output.split()), run.output[-2000:]
    assert service(local_stack)["desiredCount"] == before["desiredCount"]


def test_scale_yml_sets_the_count_and_the_range_and_site_yml_keeps_the_count(local_stack):
    """count=3 max=3: three tasks run and autoscaling stays within 1..3. The next site.yml
    keeps the count (within the inventory's 1..4) and sets the inventory's range back, as
    documented; count=2 then returns to two tasks."""
    assert service(local_stack)["desiredCount"] == 2
    run = local_stack.playbook("playbooks/scale.yml", "-e", "count=3", "-e", "max=3", *FAST)
    assert run.rc == 0, run.output[-3000:]
    assert "The next site.yml sets the range back to what the inventory says (1..4)" in " ".join(run.stdout.split())
    assert [t for _role, t in changed_tasks(run.stdout)] == [
        "Create or update the service (private subnets, behind the target group, circuit breaker)",
        "Scale on CPU and memory (target tracking; the first task registers the scalable target)",
    ]
    assert service(local_stack)["desiredCount"] == 3 and scaling_range(local_stack) == (1, 3)
    assert len(wait_for_tasks(local_stack, 3)) == 3, "the third task does not run"

    run = local_stack.playbook("site.yml", "--tags", "ecs_service", *FAST)
    assert run.rc == 0, run.output[-3000:]
    assert [t for _role, t in changed_tasks(run.stdout)] == [
        "Scale on CPU and memory (target tracking; the first task registers the scalable target)"
    ], "site.yml changed more than the range"
    assert service(local_stack)["desiredCount"] == 3 and scaling_range(local_stack) == (1, 4)

    run = local_stack.playbook("playbooks/scale.yml", "-e", "count=2", *FAST)
    assert run.rc == 0, run.output[-3000:]
    assert service(local_stack)["desiredCount"] == 2
    assert len(wait_for_tasks(local_stack, 2)) == 2, "the third task still runs"
    assert scaling_range(local_stack) == (1, 4)
