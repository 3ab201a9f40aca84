"""playbooks/logs.yml on the deployed stack: the lines the stack's ECS tasks wrote to the app's
log group (the emulator's ECS runs the real Open WebUI and writes its output to the task's
awslogs stream), one per line as ``<time> <task id> <message>``.

Runs on the session's deployed stack (the ``local_stack`` fixture), read only. What the
tasks really write there at start: each service task, Open WebUI's banner with
``v0.12.4 - building the best AI user interface.`` (and uvicorn's ``Started server process``);
the migration task, alembic's ``Running upgrade <from> -> <to>, <name>`` lines up to the
head of 0.12.4 (``0bd252b206fb``).
"""

from __future__ import annotations

import datetime
import json
import re

import pytest

from tests.functional.conftest import LOCAL_STACK

pytestmark = pytest.mark.xdist_group("local_stack")
LOG_GROUP = f"/{LOCAL_STACK}/ecs/open-webui"
BANNER = "v0.12.4 - building the best AI user interface."
LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (\S+) (.*)$", re.DOTALL)
SHOW, NONE, LEFT_OUT = (
    "Show the log lines, oldest first (<time> <task id> <message>)",
    "Say that no line matched",
    "Say that older lines were left out",
)


def logs(stack, *options: str) -> tuple[int, dict[str, dict], str]:
    """Run logs.yml with these ``-e`` options: (rc, {task name: result}, output)."""
    args = [arg for option in options for arg in ("-e", option)]
    run = stack.playbook("playbooks/logs.yml", *args, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
    results = {}
    try:
        for task in json.loads(run.stdout)["plays"][0]["tasks"]:
            results[task["task"]["name"]] = task["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        pass
    return run.rc, results, run.output


def shown(results: dict[str, dict]) -> list[tuple[str, str, str]]:
    """The lines the playbook printed, as (time, task id, message)."""
    lines = results[SHOW]["msg"]
    assert isinstance(lines, list), lines
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), [line for line in lines if not LINE.match(line)]
    return [match.groups() for match in parsed]


def healthy_task_ids(stack) -> set[str]:
    """The service's tasks that are running and healthy (so they printed their banner long ago)."""
    ecs = stack.client("ecs")
    arns = ecs.list_tasks(cluster=LOCAL_STACK, serviceName="open-webui", desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=LOCAL_STACK, tasks=arns)["tasks"] if arns else []
    return {
        t["taskArn"].rsplit("/", 1)[-1]
        for t in tasks
        if (t["lastStatus"], t.get("healthStatus")) == ("RUNNING", "HEALTHY")
    }


def filter_calls(stack) -> int:
    return sum(1 for r in stack.services.requests() if r.get("action") == "FilterLogEvents")


def test_logs_show_the_banner_each_healthy_task_wrote_at_start(local_stack):
    rc, results, output = logs(local_stack, "since=1d", json.dumps({"pattern": f'"{BANNER}"'}))
    assert rc == 0, output[-3000:]
    lines = shown(results)
    assert {message for _stamp, _task, message in lines} == {BANNER}
    times = [stamp for stamp, _task, _message in lines]
    assert times == sorted(times), "not oldest first"
    for stamp in times:
        datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    healthy = healthy_task_ids(local_stack)
    assert healthy and healthy <= {task for _stamp, task, _message in lines}, (healthy, lines)
    assert results[NONE].get("skipped") and results[LEFT_OUT].get("skipped")


def test_logs_of_one_task_by_its_stream_prefix(local_stack):
    task = sorted(healthy_task_ids(local_stack))[0]
    rc, results, output = logs(local_stack, "since=1d", f"stream_prefix=open-webui/open-webui/{task}")
    assert rc == 0, output[-3000:]
    lines = shown(results)
    assert {task_id for _stamp, task_id, _message in lines} == {task}
    assert any(message == BANNER for _stamp, _task, message in lines)
    assert any(message.startswith("INFO:     Started server process [") for _stamp, _task, message in lines)


def test_logs_limit_keeps_the_newest_line_and_says_older_ones_were_left_out(local_stack):
    """The migration task's last alembic step reaches 0.12.4's head; with limit=1 it is the one line shown."""
    rc, results, output = logs(local_stack, "since=1d", json.dumps({"pattern": '"Running upgrade"'}), "limit=1")
    assert rc == 0, output[-3000:]
    ((_stamp, task, message),) = shown(results)
    assert re.search(r"Running upgrade \w+ -> 0bd252b206fb, ", message), message
    assert task not in healthy_task_ids(local_stack), "a migration task, not a service task"
    assert results[LEFT_OUT]["msg"].startswith("Older lines matched too: only the newest 1 are shown")


def test_logs_say_so_when_no_line_matches(local_stack):
    rc, results, output = logs(local_stack, "since=10m", "pattern=zzNoSuchLine7f3a")
    assert rc == 0, output[-3000:]
    assert results[SHOW].get("skipped") is True
    message = results[NONE]["msg"]
    assert re.match(
        rf"^No log lines in {re.escape(LOG_GROUP)} from \d{{4}}-\d{{2}}-\d{{2}}T[\d:.]+Z to now "
        r'matching the pattern "zzNoSuchLine7f3a"\.$',
        message,
    ), message


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ("since=yesterday", "since must be a duration (a number and a unit s, m, h, d or w: 30s, 10m, 2h, 1d) or an"),
        ("since=2026-13-01", 'or an ISO 8601 time (2026-12-06T10:00:00Z), got "2026-13-01"'),
        ("limit=0", 'limit must be a whole number from 1 to 10000, got "0"'),
        ("stream_prefix=open-webui:*", "stream_prefix must be at most 512 characters without : or *"),
    ],
)
def test_logs_bad_options_fail_before_any_aws_call(local_stack, option, named):
    before = filter_calls(local_stack)
    rc, results, output = logs(local_stack, option)
    assert rc != 0
    assert named in results["Check the options before any AWS call"]["msg"], output[-3000:]
    assert "Read the log lines" not in results
    assert filter_calls(local_stack) == before
