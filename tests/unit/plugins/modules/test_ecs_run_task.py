# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ecs_run_task module's pure logic (option checks, the RunTask request,
the log stream, the failure message). Against the emulator: tests/functional/test_local_ecs.py."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import ecs_run_task

PARAMS = dict(
    cluster="c",
    task_definition="f:3",
    subnets=["subnet-1", "", "subnet-2"],
    security_groups=["sg-1"],
    assign_public_ip=False,
    capacity_provider="FARGATE",
    container=None,
    command=None,
    environment={},
    started_by="stack-migrate",
    tags={},
    wait_timeout=60,
    poll_interval=5,
    log_lines=40,
)
CONTAINER = {
    "name": "app",
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/stack/app", "awslogs-stream-prefix": "web"},
    },
}


def test_good_options_have_no_problem():
    assert ecs_run_task.check_params(PARAMS) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"cluster": " "}, "cluster must not be empty"),
        ({"subnets": [""]}, "subnets must name at least one subnet"),
        ({"started_by": "x" * 37}, "started_by must be 1 to 36"),
        ({"started_by": "a.b"}, "started_by must be 1 to 36"),
        ({"poll_interval": 0}, "poll_interval must be at least 1"),
        ({"log_lines": -1}, "log_lines must be at least 0"),
        ({"environment": {"A-B": "1"}}, "environment: not variable names: A-B"),
    ],
)
def test_each_bad_option_is_named(change, named):
    problems = ecs_run_task.check_params(dict(PARAMS, **change))
    assert len(problems) == 1 and problems[0].startswith(named), problems


def test_the_request_runs_one_fargate_task_with_the_overrides_in_the_subnets():
    params = dict(PARAMS, command=["python", "-c", "pass"], environment={"B": 2, "A": "x"}, tags={"k": "v"})
    request = ecs_run_task.run_request(params, "app")
    assert request["count"] == 1 and request["launchType"] == "FARGATE"
    assert request["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-1", "subnet-2"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
    assert request["overrides"] == {
        "containerOverrides": [
            {
                "name": "app",
                "command": ["python", "-c", "pass"],
                "environment": [{"name": "A", "value": "x"}, {"name": "B", "value": "2"}],
            }
        ]
    }
    assert request["tags"] == [{"key": "k", "value": "v"}]
    assert request["startedBy"] == "stack-migrate"


def test_spot_is_a_capacity_provider_strategy_and_no_override_means_none():
    request = ecs_run_task.run_request(dict(PARAMS, capacity_provider="FARGATE_SPOT"), "app")
    assert "launchType" not in request
    assert request["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    assert "overrides" not in request and "tags" not in request


def test_the_container_is_the_named_one_else_the_first_essential():
    definition = {"containerDefinitions": [{"name": "side", "essential": False}, {"name": "app"}]}
    assert ecs_run_task.choose_container(definition, None)["name"] == "app"
    assert ecs_run_task.choose_container(definition, "side")["name"] == "side"
    assert ecs_run_task.choose_container(definition, "nope") is None


def test_the_log_stream_is_prefix_container_task():
    assert ecs_run_task.log_location(CONTAINER, "abc") == ("/stack/app", "web/app/abc")
    assert ecs_run_task.log_location({"name": "app"}, "abc") == ("", "")


def _result(**more):
    result = dict(
        task_arn="arn:aws:ecs:r:1:task/c/abc",
        last_status="STOPPED",
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
        exit_code=2,
        container_reason="",
        log_group="/stack/app",
        log_stream="web/app/abc",
        log_tail=["line 1", "boom"],
    )
    result.update(more)
    return result


def test_the_failure_message_has_the_reason_the_exit_code_and_the_log():
    message = ecs_run_task.failure_message(_result(), "f:3")
    assert message.startswith("the task abc of f:3 failed: Essential container in task exited (exit code 2)")
    assert message.endswith("(/stack/app, web/app/abc):\nline 1\nboom")


def test_the_failure_message_of_a_task_that_did_not_run_or_still_runs():
    message = ecs_run_task.failure_message(
        _result(
            stop_code="TaskFailedToStart", stopped_reason="CannotPullContainerError: x", exit_code=None, log_tail=[]
        ),
        "f:3",
    )
    assert "failed: CannotPullContainerError: x (exit code none: the container did not run)" in message
    assert message.endswith("Its log stream web/app/abc in /stack/app has no lines")
    message = ecs_run_task.failure_message(_result(last_status="RUNNING"), "f:3")
    assert message.startswith("the task abc of f:3 is still RUNNING after the wait; it was left running")
