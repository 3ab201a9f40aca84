#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_run_task
short_description: Run a one-off ECS task to completion and report how it ended
version_added: 0.1.0
description:
  - Runs one task of an ECS task definition on Fargate (C(RunTask)) in the given subnets, with
    the container's command and environment overridden, waits until it has stopped and
    returns its exit code, stopped reason and the last lines of its C(awslogs) log stream.
  - Fails when the task cannot be placed or started, when its container exits with a code
    other than 0, or when it has not stopped after O(wait_timeout) seconds; the message names
    the task, its stopped reason and exit code, and ends with the last lines of its log.
  - One at a time. Before it starts a task, the module waits until every task of the cluster
    started with the same O(started_by) has stopped (a task of an earlier, interrupted run).
    A task still running after O(wait_timeout) is left running and the module fails; a
    migration is never stopped halfway by this module.
  - For a database migration before a service's rollout (the ecs_service role), but nothing
    in it is specific to that. community.aws.ecs_task runs a task but neither waits for it
    to stop nor reads its exit code or log.
  - In check mode no task runs; the module reports a change.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  cluster:
    description: Name or ARN of the ECS cluster.
    type: str
    required: true
  task_definition:
    description: The task definition to run, as C(family), C(family:revision) or its ARN.
    type: str
    required: true
  subnets:
    description: Subnets of the task's network interface (C(awsvpc) network mode).
    type: list
    elements: str
    required: true
  security_groups:
    description: Security groups of the task's network interface (the VPC's default group when empty).
    type: list
    elements: str
    default: []
  assign_public_ip:
    description: Give the task a public IP address (a task in a public subnet that pulls from the internet).
    type: bool
    default: false
  capacity_provider:
    description:
      - V(FARGATE) runs the task with the C(FARGATE) launch type; V(FARGATE_SPOT) on the
        C(FARGATE_SPOT) capacity provider, which the cluster must have.
    type: str
    choices: [FARGATE, FARGATE_SPOT]
    default: FARGATE
  container:
    description:
      - Name of the container that O(command) and O(environment) override, and whose exit
        code and log the module reports. Defaults to the task definition's first essential
        container.
    type: str
  command:
    description: The container's command for this task (replaces the image's C(CMD) and the task definition's).
    type: list
    elements: str
  environment:
    description:
      - Variables added to (or replacing those of) the container's environment for this task.
      - Never secrets; C(DescribeTasks) shows overrides. Secrets come from the task definition's C(secrets).
    type: dict
    default: {}
  started_by:
    description:
      - The task's C(startedBy) (up to 36 letters, digits, hyphens, underscores and slashes).
        Tasks with the same value run one at a time.
    type: str
    default: ajudadigital-openwebui
  tags:
    description: Tags of the task.
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for the task to stop (and, before it starts, for an earlier one).
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two looks at the task.
    type: int
    default: 5
  log_lines:
    description: How many of the last lines of the container's log the module returns (0 for none).
    type: int
    default: 40
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The log lines come from the container's C(awslogs) log configuration (group, stream prefix);
    a container that logs elsewhere returns none.
"""

EXAMPLES = r"""
- name: Migrate the database with the new revision, before the service moves to it
  ajudadigital.openwebui.ecs_run_task:
    cluster: openwebui-prod
    task_definition: openwebui-prod-open-webui:42
    subnets: "{{ vpc_private_subnet_ids }}"
    security_groups: ["{{ security_app_sg_id }}"]
    container: open-webui
    command: [python, -c, "import open_webui.config"]
    environment:
      ENABLE_DB_MIGRATIONS: "true"
    started_by: openwebui-prod-migrate
    wait_timeout: 3600
  register: migration
"""

RETURN = r"""
task_arn:
  description: ARN of the task that ran (empty in check mode).
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task/openwebui-prod/0a1b2c3d4e5f
task_definition_arn:
  description: ARN of the task definition the task ran.
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/openwebui-prod-open-webui:42
last_status:
  description: The task's last status (C(STOPPED) once it ran; empty in check mode).
  returned: always
  type: str
  sample: STOPPED
stop_code:
  description: Why ECS stopped the task (C(EssentialContainerExited), C(TaskFailedToStart), ...).
  returned: always
  type: str
  sample: EssentialContainerExited
stopped_reason:
  description: ECS's reason for the task's stop.
  returned: always
  type: str
  sample: Essential container in task exited
exit_code:
  description: The container's exit code; null when it did not run (or in check mode).
  returned: always
  type: int
  sample: 0
container_reason:
  description: ECS's reason for the container's stop, when it gives one (an image that cannot be pulled).
  returned: always
  type: str
  sample: ""
log_group:
  description: The container's log group (empty when it does not log with C(awslogs)).
  returned: always
  type: str
  sample: /ecs/openwebui-prod/open-webui
log_stream:
  description: The task's log stream in RV(log_group).
  returned: always
  type: str
  sample: open-webui/open-webui/0a1b2c3d4e5f
log_tail:
  description: The last O(log_lines) lines the container wrote, oldest first.
  returned: always
  type: list
  elements: str
  sample: ["INFO  [alembic.runtime.migration] Running upgrade ..."]
waited_for:
  description: ARNs of the earlier tasks (same O(started_by)) the module waited for before it started its own.
  returned: always
  type: list
  elements: str
  sample: []
"""

import re
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate

STARTED_BY = re.compile(r"^[A-Za-z0-9_/-]{1,36}$")


def check_params(params):
    """Problems with the options, each naming its option (before any AWS call)."""
    problems = []
    for name in ("cluster", "task_definition"):
        if not (params.get(name) or "").strip():
            problems.append("{0} must not be empty".format(name))
    if not [s for s in params.get("subnets") or [] if s]:
        problems.append("subnets must name at least one subnet")
    if not STARTED_BY.match(params.get("started_by") or ""):
        problems.append(
            "started_by must be 1 to 36 letters, digits, hyphens, underscores or slashes, got {0!r}".format(
                params.get("started_by")
            )
        )
    for name, least in (("wait_timeout", 1), ("poll_interval", 1), ("log_lines", 0)):
        if params.get(name) is None or params[name] < least:
            problems.append("{0} must be at least {1}, got {2}".format(name, least, params.get(name)))
    if params.get("environment"):
        bad = sorted(k for k in params["environment"] if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(k)))
        if bad:
            problems.append("environment: not variable names: {0}".format(", ".join(bad)))
    return problems


def choose_container(task_definition, name):
    """The container definition named ``name``, else the first essential one; None when there is no such name."""
    containers = task_definition.get("containerDefinitions") or []
    if name:
        return next((c for c in containers if c.get("name") == name), None)
    return next((c for c in containers if c.get("essential", True)), containers[0] if containers else None)


def log_location(container, task_id):
    """(group, stream) of a container's awslogs stream for a task, or ("", "")."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return "", ""
    options = config.get("options") or {}
    prefix = options.get("awslogs-stream-prefix", "")
    stream = "{0}/{1}/{2}".format(prefix, container["name"], task_id) if prefix else task_id
    return options.get("awslogs-group", ""), stream


def run_request(params, container_name):
    """The RunTask request."""
    request = dict(
        cluster=params["cluster"],
        taskDefinition=params["task_definition"],
        count=1,
        startedBy=params["started_by"],
        networkConfiguration=dict(
            awsvpcConfiguration=dict(
                subnets=[s for s in params["subnets"] if s],
                securityGroups=[g for g in params["security_groups"] if g],
                assignPublicIp="ENABLED" if params["assign_public_ip"] else "DISABLED",
            )
        ),
    )
    if params["capacity_provider"] == "FARGATE":
        request["launchType"] = "FARGATE"
    else:
        request["capacityProviderStrategy"] = [dict(capacityProvider=params["capacity_provider"], weight=1, base=0)]
    override = dict(name=container_name)
    if params.get("command"):
        override["command"] = list(params["command"])
    if params.get("environment"):
        override["environment"] = [dict(name=k, value=str(v)) for k, v in sorted(params["environment"].items())]
    if len(override) > 1:
        request["overrides"] = dict(containerOverrides=[override])
    if params.get("tags"):
        request["tags"] = [dict(key=k, value=str(v)) for k, v in sorted(params["tags"].items())]
    return request


def outcome(task, container_name):
    """What a described task says of how it ended."""
    container = next((c for c in task.get("containers") or [] if c.get("name") == container_name), {})
    return dict(
        task_arn=task.get("taskArn", ""),
        task_definition_arn=task.get("taskDefinitionArn", ""),
        last_status=task.get("lastStatus", ""),
        stop_code=task.get("stopCode", "") or "",
        stopped_reason=task.get("stoppedReason", "") or "",
        exit_code=container.get("exitCode"),
        container_reason=container.get("reason", "") or "",
    )


def failure_message(result, task_definition):
    """Why the task failed, with the tail of its log."""
    task_id = result["task_arn"].rsplit("/", 1)[-1]
    if result["last_status"] != "STOPPED":
        head = "the task {0} of {1} is still {2} after the wait; it was left running".format(
            task_id, task_definition, result["last_status"] or "PENDING"
        )
    else:
        head = "the task {0} of {1} failed: {2}{3} (exit code {4})".format(
            task_id,
            task_definition,
            result["stopped_reason"] or result["stop_code"] or "stopped",
            "; " + result["container_reason"] if result["container_reason"] else "",
            "none: the container did not run" if result["exit_code"] is None else result["exit_code"],
        )
    if result["log_tail"]:
        head += ". Last lines of its log ({0}, {1}):\n{2}".format(
            result["log_group"], result["log_stream"], "\n".join(result["log_tail"])
        )
    elif result["log_group"]:
        head += ". Its log stream {0} in {1} has no lines".format(result["log_stream"], result["log_group"])
    return head


class Runner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.ecs = aws_client(module, "ecs", retry_decorator=AWSRetry.jittered_backoff())
        self.deadline = time.monotonic() + self.params["wait_timeout"]

    def task_definition(self):
        try:
            return self.ecs.describe_task_definition(aws_retry=True, taskDefinition=self.params["task_definition"])[
                "taskDefinition"
            ]
        except is_boto3_error_code("ClientException"):
            self.module.fail_json(msg="task_definition: no task definition {0}".format(self.params["task_definition"]))
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(
                e, msg="Failed to describe task definition {0}".format(self.params["task_definition"])
            )

    def describe(self, arns):
        found = []
        for start in range(0, len(arns), 100):
            try:
                found.extend(
                    self.ecs.describe_tasks(
                        aws_retry=True, cluster=self.params["cluster"], tasks=arns[start : start + 100]
                    )["tasks"]
                )
            except is_boto3_error_code("ClusterNotFoundException"):
                self.module.fail_json(msg="cluster: no ECS cluster {0}".format(self.params["cluster"]))
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg="Failed to describe tasks in {0}".format(self.params["cluster"]))
        return found

    def earlier_tasks(self):
        """ARNs of the cluster's tasks with our startedBy that have not stopped."""
        try:
            arns = paginate(
                self.ecs,
                "list_tasks",
                cluster=self.params["cluster"],
                startedBy=self.params["started_by"],
                desiredStatus="RUNNING",
            )["taskArns"]
        except is_boto3_error_code("ClusterNotFoundException"):
            self.module.fail_json(msg="cluster: no ECS cluster {0}".format(self.params["cluster"]))
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to list tasks in {0}".format(self.params["cluster"]))
        return [t["taskArn"] for t in self.describe(arns) if t.get("lastStatus") != "STOPPED"] if arns else []

    def wait_stopped(self, arns):
        """The tasks, described once every one has stopped or the deadline has passed."""
        while True:
            tasks = self.describe(arns)
            if all(t.get("lastStatus") == "STOPPED" for t in tasks) or time.monotonic() >= self.deadline:
                return tasks
            time.sleep(min(self.params["poll_interval"], max(0.0, self.deadline - time.monotonic())) or 0.1)

    def run(self, container_name):
        try:
            response = self.ecs.run_task(**run_request(self.params, container_name))
        except is_boto3_error_code("ClusterNotFoundException"):
            self.module.fail_json(msg="cluster: no ECS cluster {0}".format(self.params["cluster"]))
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to run a task of {0}".format(self.params["task_definition"]))
        if response.get("failures") or not response.get("tasks"):
            reasons = "; ".join(
                "{0}{1}".format(f.get("reason", "unknown"), " (" + f["detail"] + ")" if f.get("detail") else "")
                for f in response.get("failures") or []
            )
            self.module.fail_json(
                msg="ECS could not place a task of {0}: {1}".format(
                    self.params["task_definition"], reasons or "no task"
                )
            )
        return response["tasks"][0]["taskArn"]

    def log_tail(self, group, stream):
        if not group or self.params["log_lines"] == 0:
            return []
        logs = aws_client(self.module, "logs", retry_decorator=AWSRetry.jittered_backoff())
        try:
            events = logs.get_log_events(
                aws_retry=True,
                logGroupName=group,
                logStreamName=stream,
                limit=self.params["log_lines"],
                startFromHead=False,
            )["events"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return []
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.warn("Could not read the log stream {0} in {1}: {2}".format(stream, group, e))
            return []
        return [e.get("message", "").rstrip("\n") for e in events]


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str", required=True),
        subnets=dict(type="list", elements="str", required=True),
        security_groups=dict(type="list", elements="str", default=[]),
        assign_public_ip=dict(type="bool", default=False),
        capacity_provider=dict(type="str", choices=["FARGATE", "FARGATE_SPOT"], default="FARGATE"),
        container=dict(type="str"),
        command=dict(type="list", elements="str"),
        environment=dict(type="dict", default={}),
        started_by=dict(type="str", default="ajudadigital-openwebui"),
        tags=dict(type="dict", default={}),
        wait_timeout=dict(type="int", default=1800),
        poll_interval=dict(type="int", default=5),
        log_lines=dict(type="int", default=40),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = check_params(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    runner = Runner(module)
    task_definition = runner.task_definition()
    container = choose_container(task_definition, module.params["container"])
    if container is None:
        module.fail_json(
            msg="container: the task definition {0} has no container {1!r} (it has {2})".format(
                task_definition["taskDefinitionArn"],
                module.params["container"],
                ", ".join(c["name"] for c in task_definition.get("containerDefinitions") or []) or "none",
            )
        )
    result = dict(
        changed=True,
        task_arn="",
        task_definition_arn=task_definition["taskDefinitionArn"],
        last_status="",
        stop_code="",
        stopped_reason="",
        exit_code=None,
        container_reason="",
        log_group="",
        log_stream="",
        log_tail=[],
        waited_for=[],
    )
    if module.check_mode:
        module.exit_json(**result)

    earlier = runner.earlier_tasks()
    if earlier:
        result["waited_for"] = earlier
        still = [t["taskArn"] for t in runner.wait_stopped(earlier) if t.get("lastStatus") != "STOPPED"]
        if still:
            module.fail_json(
                msg="started_by {0}: an earlier task is still running after {1} s ({2}); none was started".format(
                    module.params["started_by"], module.params["wait_timeout"], ", ".join(still)
                ),
                **result,
            )

    arn = runner.run(container["name"])
    (task,) = runner.wait_stopped([arn]) or [dict(taskArn=arn)]
    result.update(outcome(task, container["name"]))
    result["log_group"], result["log_stream"] = log_location(container, arn.rsplit("/", 1)[-1])
    result["log_tail"] = runner.log_tail(result["log_group"], result["log_stream"])
    if result["last_status"] != "STOPPED" or result["exit_code"] != 0:
        module.fail_json(msg=failure_message(result, task_definition["taskDefinitionArn"].rsplit("/", 1)[-1]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
