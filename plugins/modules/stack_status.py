#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stack_status
short_description: How a deployed stack is doing, in one run, with the list of what is unhealthy
version_added: 0.1.0
description:
  - Reads, in one module run, what an operator looks at first - the ECS service's running and desired
    tasks and each task's health, its deployments, the current and previous task definition revisions
    and their images, the health of the target group's targets, the stack's alarms in C(ALARM), the RDS
    instance's status and pending maintenance, and the latest completed backup of each resource in the
    stack's AWS Backup vault.
  - Returns it as structured data plus RV(problems), one sentence per thing that is unhealthy, so that a
    playbook can print it and fail (C(playbooks/status.yml)).
  - A problem is - fewer tasks running than desired, a task or a target that is C(UNHEALTHY), a deployment
    whose rollout C(FAILED), an alarm in C(ALARM), a database that is not C(available), and a service,
    target group or database that does not exist. A deployment in progress, a draining target, pending
    maintenance and a resource without a backup yet are shown, not problems.
  - Read only; it runs the same in check mode. A name that is not given is not looked up (its part of
    the result is empty).
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  cluster:
    description: Name of the ECS cluster.
    type: str
    required: true
  service:
    description: Name of the ECS service in O(cluster).
    type: str
    required: true
  target_group_name:
    description: Name of the service's Elastic Load Balancing v2 target group.
    type: str
  alarm_name_prefix:
    description:
      - Prefix of the names of the stack's CloudWatch alarms (metric and composite), for example
        C(openwebui-prod-).
    type: str
  db_instance_identifier:
    description: Identifier of the stack's RDS DB instance.
    type: str
  backup_vault_name:
    description: Name of the stack's AWS Backup vault.
    type: str
  file_system_name:
    description:
      - Creation token of the stack's EFS file system. With O(backup_vault_name), the file system is listed
        under RV(backups.resources) even before its first backup (so is the DB instance of
        O(db_instance_identifier)).
    type: str
notes:
  - Only the service's tasks whose desired status is C(RUNNING) are listed; tasks being stopped show as
    C(draining) targets.
  - The previous revision is the highest C(ACTIVE) revision of the current one's family below it; a
    deregistered (C(INACTIVE)) revision is not offered, as it cannot be rolled back to.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read how the stack is doing
  ajudadigital.openwebui.stack_status:
    cluster: openwebui-prod
    service: open-webui
    target_group_name: openwebui-prod-app
    alarm_name_prefix: openwebui-prod-
    db_instance_identifier: openwebui-prod-postgres
    backup_vault_name: openwebui-prod
    file_system_name: openwebui-prod-data
  register: status

- name: Fail with what is unhealthy
  ansible.builtin.assert:
    that: status.problems | length == 0
    fail_msg: "{{ status.problems | join('; ') }}"
"""

RETURN = r"""
service:
  description:
    - The ECS service; RV(service.found) is false when the cluster or the service does not exist (or is
      not C(ACTIVE)).
  returned: always
  type: dict
  contains:
    found:
      description: Whether the service exists and is C(ACTIVE).
      type: bool
    cluster:
      description: The cluster's name, as given.
      type: str
    name:
      description: The service's name, as given.
      type: str
    status:
      description: The service's status (C(ACTIVE), C(DRAINING), C(INACTIVE)); empty when not found.
      type: str
    desired_count:
      description: Tasks the service wants.
      type: int
    running_count:
      description: Tasks in C(RUNNING).
      type: int
    pending_count:
      description: Tasks in C(PENDING).
      type: int
    task_definition:
      description: ARN of the service's task definition.
      type: str
  sample:
    found: true
    cluster: openwebui-prod
    name: open-webui
    status: ACTIVE
    desired_count: 2
    running_count: 2
    pending_count: 0
    task_definition: arn:aws:ecs:eu-west-1:123456789012:task-definition/openwebui-prod-open-webui:7
tasks:
  description: The service's tasks whose desired status is C(RUNNING), oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The task's ID (the last part of its ARN).
      type: str
    last_status:
      description: C(PROVISIONING), C(PENDING), C(RUNNING), ...
      type: str
    health_status:
      description: C(HEALTHY), C(UNHEALTHY) or C(UNKNOWN) (no container health check, or not yet known).
      type: str
    revision:
      description: The revision of the task definition it runs.
      type: int
    started_at:
      description: When it started (ISO 8601), empty when it has not yet.
      type: str
    availability_zone:
      description: Its availability zone.
      type: str
  sample:
    - id: 0a1b2c3d4e5f
      last_status: RUNNING
      health_status: HEALTHY
      revision: 7
      started_at: "2026-12-06T10:00:00+00:00"
      availability_zone: eu-west-1a
stopped_tasks:
  description:
    - The service's recently stopped tasks (ECS keeps a stopped task for about an hour), newest first,
      at most 10; with their reasons, for example the failed tasks of a rollout.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The task's ID (the last part of its ARN).
      type: str
    revision:
      description: The revision of the task definition it ran.
      type: int
    stop_code:
      description: C(TaskFailedToStart), C(EssentialContainerExited), C(ServiceSchedulerInitiated), ...
      type: str
    stopped_reason:
      description: Why it stopped, as ECS says (for example C(ResourceInitializationError) ...).
      type: str
    stopped_at:
      description: When it stopped (ISO 8601), empty when it has not yet.
      type: str
    containers:
      description: Its containers' names, exit codes (null when none) and reasons.
      type: list
      elements: dict
  sample:
    - id: 9f8e7d6c5b4a
      revision: 8
      stop_code: TaskFailedToStart
      stopped_reason: "ResourceInitializationError: unable to pull secrets or registry auth"
      stopped_at: "2026-12-06T10:05:00+00:00"
      containers:
        - name: open-webui
          exit_code: null
          reason: ""
deployments:
  description: The service's deployments, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The deployment's ID.
      type: str
    status:
      description: C(PRIMARY) (the newest), C(ACTIVE) (an older one still running tasks) or C(INACTIVE).
      type: str
    rollout_state:
      description: C(COMPLETED), C(IN_PROGRESS) or C(FAILED).
      type: str
    rollout_state_reason:
      description: ECS's reason for the rollout state.
      type: str
    in_progress:
      description: Whether the rollout is C(IN_PROGRESS).
      type: bool
    revision:
      description: The revision of its task definition.
      type: int
    desired_count:
      description: Tasks it wants.
      type: int
    running_count:
      description: Its tasks in C(RUNNING).
      type: int
    pending_count:
      description: Its tasks in C(PENDING).
      type: int
    failed_tasks:
      description: Its tasks that failed to start or to become healthy.
      type: int
    updated_at:
      description: When it last changed (ISO 8601).
      type: str
  sample:
    - id: ecs-svc/1234567890123456789
      status: PRIMARY
      rollout_state: COMPLETED
      rollout_state_reason: ECS deployment ecs-svc/1234567890123456789 completed.
      in_progress: false
      revision: 7
      desired_count: 2
      running_count: 2
      pending_count: 0
      failed_tasks: 0
      updated_at: "2026-12-06T10:05:00+00:00"
task_definitions:
  description:
    - The service's current task definition and the previous one (the highest C(ACTIVE) revision of its
      family below it); each an empty dict when there is none.
  returned: always
  type: dict
  contains:
    current:
      description: The current revision.
      type: dict
      contains:
        arn:
          description: Its ARN.
          type: str
        family:
          description: Its family.
          type: str
        revision:
          description: Its revision.
          type: int
        images:
          description: Each container's image and the image's tag (or digest; C(latest) when the image names none).
          type: list
          elements: dict
    previous:
      description: The previous revision, in the same shape as RV(task_definitions.current).
      type: dict
  sample:
    current:
      arn: arn:aws:ecs:eu-west-1:123456789012:task-definition/openwebui-prod-open-webui:7
      family: openwebui-prod-open-webui
      revision: 7
      images:
        - container: open-webui
          image: ghcr.io/open-webui/open-webui:v0.12.4
          tag: v0.12.4
    previous:
      arn: arn:aws:ecs:eu-west-1:123456789012:task-definition/openwebui-prod-open-webui:6
      family: openwebui-prod-open-webui
      revision: 6
      images:
        - container: open-webui
          image: ghcr.io/open-webui/open-webui:v0.12.3
          tag: v0.12.3
target_group:
  description: The target group and the health of its targets; an empty dict when O(target_group_name) is not given.
  returned: always
  type: dict
  contains:
    found:
      description: Whether the target group exists.
      type: bool
    name:
      description: Its name, as given.
      type: str
    arn:
      description: Its ARN (empty when not found).
      type: str
    targets:
      description:
        - Each target with its state (C(initial), C(healthy), C(unhealthy), C(unused), C(draining),
          C(unavailable)), reason and description.
      type: list
      elements: dict
  sample:
    found: true
    name: openwebui-prod-app
    arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/openwebui-prod-app/73e2d6bc24d8a067
    targets:
      - id: 10.0.10.12
        port: 8080
        state: healthy
        reason: ""
        description: ""
alarms:
  description: The stack's alarms (by O(alarm_name_prefix)); an empty dict when it is not given.
  returned: always
  type: dict
  contains:
    prefix:
      description: The prefix, as given.
      type: str
    total:
      description: How many alarms have a name with the prefix.
      type: int
    insufficient_data:
      description: How many of them are in C(INSUFFICIENT_DATA).
      type: int
    in_alarm:
      description: Those in C(ALARM), by name, with their state reason and when they entered it.
      type: list
      elements: dict
  sample:
    prefix: openwebui-prod-
    total: 13
    insufficient_data: 2
    in_alarm:
      - name: openwebui-prod-alb-target-5xx
        reason: Threshold Crossed - 1 datapoint [42.0] was greater than the threshold (10.0).
        since: "2026-12-06T10:10:00+00:00"
database:
  description: The RDS DB instance; an empty dict when O(db_instance_identifier) is not given.
  returned: always
  type: dict
  contains:
    found:
      description: Whether the instance exists.
      type: bool
    identifier:
      description: Its identifier, as given.
      type: str
    arn:
      description: Its ARN (empty when not found).
      type: str
    status:
      description: Its status (C(available), C(modifying), C(backing-up), ...).
      type: str
    engine_version:
      description: Its engine and version.
      type: str
    instance_class:
      description: Its class.
      type: str
    multi_az:
      description: Whether it is Multi-AZ.
      type: bool
    pending_maintenance:
      description: Its pending maintenance actions (action, description, dates, opt-in status).
      type: list
      elements: dict
  sample:
    found: true
    identifier: openwebui-prod-postgres
    arn: arn:aws:rds:eu-west-1:123456789012:db:openwebui-prod-postgres
    status: available
    engine_version: postgres 16.4
    instance_class: db.r7g.large
    multi_az: true
    pending_maintenance:
      - action: system-update
        description: New Operating System update is available
        auto_applied_after: ""
        forced_apply_date: ""
        current_apply_date: ""
        opt_in_status: ""
backups:
  description:
    - The latest completed recovery point of each resource in the vault (and of the DB instance and
      file system given, which may have none yet); an empty dict when O(backup_vault_name) is not given.
  returned: always
  type: dict
  contains:
    vault:
      description: The vault's name, as given.
      type: str
    vault_found:
      description:
        - Whether the vault exists. AWS Backup refuses to list the recovery points of a vault that does not exist
          with C(AccessDeniedException); the module then looks for the vault in C(ListBackupVaults).
      type: bool
    resources:
      description:
        - One entry per resource, sorted by ARN; C(last_backup) is an empty dict when the resource has no
          completed recovery point yet.
      type: list
      elements: dict
  sample:
    vault: openwebui-prod
    vault_found: true
    resources:
      - resource_arn: arn:aws:rds:eu-west-1:123456789012:db:openwebui-prod-postgres
        resource_type: RDS
        last_backup:
          recovery_point_arn: arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-1234
          status: COMPLETED
          created_at: "2026-12-06T03:05:00+00:00"
          completed_at: "2026-12-06T03:20:00+00:00"
      - resource_arn: arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0
        resource_type: EFS
        last_backup: {}
problems:
  description: What is unhealthy, one sentence each (empty when all is well).
  returned: always
  type: list
  elements: str
  sample:
    - "service open-webui: 1 of 2 desired tasks running"
    - "alarm openwebui-prod-alb-target-5xx is in ALARM: Threshold Crossed"
"""

import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate

# DescribeTasks takes up to 100 tasks a call.
MAX_TASKS = 100
MAX_STOPPED = 10  # the newest stopped tasks returned
# A task definition ARN ends with task-definition/<family>:<revision>.
TASK_DEFINITION_ARN = re.compile(r":task-definition/(?P<family>[^:/]+):(?P<revision>\d+)$")
# Recovery point statuses of a backup that can be restored.
COMPLETED = ("COMPLETED", "AVAILABLE")
OPTIONAL_NAMES = (
    "target_group_name",
    "alarm_name_prefix",
    "db_instance_identifier",
    "backup_vault_name",
    "file_system_name",
)


def validate(params):
    """An error message naming the first bad option, or None."""
    for option in ("cluster", "service"):
        if not (params.get(option) or "").strip():
            return "{0} must be a non-empty string".format(option)
    for option in OPTIONAL_NAMES:
        value = params.get(option)
        if value is not None and not value.strip():
            return "{0} must be a non-empty string when given".format(option)
    return None


def iso(value):
    """A timestamp as ISO 8601 text (botocore gives datetimes); '' for none."""
    if not value:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def revision_of(arn):
    """(family, revision) of a task definition ARN, or (None, None)."""
    match = TASK_DEFINITION_ARN.search(arn or "")
    if not match:
        return None, None
    return match.group("family"), int(match.group("revision"))


def image_tag(image):
    """The tag of an image reference (its digest when pinned by one; ``latest`` when it names none)."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def previous_revision(arns, family, current):
    """The ARN of the highest revision of ``family`` below ``current`` among ``arns``, or None.
    ListTaskDefinitions' familyPrefix also matches longer families: those are left out."""
    best, best_revision = None, 0
    for arn in arns:
        found_family, revision = revision_of(arn)
        if found_family == family and best_revision < revision < current:
            best, best_revision = arn, revision
    return best


def summarize_task_definition(definition):
    family, revision = definition.get("family"), definition.get("revision")
    return dict(
        arn=definition.get("taskDefinitionArn", ""),
        family=family,
        revision=revision,
        images=[
            dict(container=c.get("name", ""), image=c.get("image", ""), tag=image_tag(c.get("image", "")))
            for c in definition.get("containerDefinitions") or []
        ],
    )


def summarize_service(cluster, name, service):
    if not service:
        return dict(
            found=False,
            cluster=cluster,
            name=name,
            status="",
            desired_count=0,
            running_count=0,
            pending_count=0,
            task_definition="",
        )
    return dict(
        found=service.get("status") == "ACTIVE",
        cluster=cluster,
        name=name,
        status=service.get("status", ""),
        desired_count=service.get("desiredCount", 0),
        running_count=service.get("runningCount", 0),
        pending_count=service.get("pendingCount", 0),
        task_definition=service.get("taskDefinition", ""),
    )


def summarize_deployments(deployments):
    summary = []
    for deployment in deployments or []:
        rollout = deployment.get("rolloutState", "")
        summary.append(
            dict(
                id=deployment.get("id", ""),
                status=deployment.get("status", ""),
                rollout_state=rollout,
                rollout_state_reason=deployment.get("rolloutStateReason", ""),
                in_progress=rollout == "IN_PROGRESS",
                revision=revision_of(deployment.get("taskDefinition"))[1],
                desired_count=deployment.get("desiredCount", 0),
                running_count=deployment.get("runningCount", 0),
                pending_count=deployment.get("pendingCount", 0),
                failed_tasks=deployment.get("failedTasks", 0),
                created_at=deployment.get("createdAt"),
                updated_at=iso(deployment.get("updatedAt")),
            )
        )
    summary.sort(key=lambda d: (d["created_at"] is not None, d["created_at"]), reverse=True)
    for deployment in summary:
        deployment.pop("created_at")
    return summary


def summarize_tasks(tasks):
    ordered = sorted(tasks or [], key=lambda t: (t.get("startedAt") is None, t.get("startedAt"), t.get("taskArn", "")))
    return [
        dict(
            id=task.get("taskArn", "").rsplit("/", 1)[-1],
            last_status=task.get("lastStatus", ""),
            health_status=task.get("healthStatus", "UNKNOWN"),
            revision=revision_of(task.get("taskDefinitionArn"))[1],
            started_at=iso(task.get("startedAt")),
            availability_zone=task.get("availabilityZone", ""),
        )
        for task in ordered
    ]


def summarize_stopped_tasks(tasks):
    # Newest first: a task still stopping (no stoppedAt yet), then by when it stopped.
    ordered = sorted(tasks or [], key=lambda t: (t.get("stoppedAt") is None, t.get("stoppedAt")), reverse=True)
    return [
        dict(
            id=task.get("taskArn", "").rsplit("/", 1)[-1],
            revision=revision_of(task.get("taskDefinitionArn"))[1],
            stop_code=task.get("stopCode", ""),
            stopped_reason=task.get("stoppedReason", ""),
            stopped_at=iso(task.get("stoppedAt")),
            containers=[
                dict(name=c.get("name", ""), exit_code=c.get("exitCode"), reason=c.get("reason", ""))
                for c in task.get("containers") or []
            ],
        )
        for task in ordered[:MAX_STOPPED]
    ]


def summarize_targets(descriptions):
    targets = []
    for description in descriptions or []:
        target, health = description.get("Target", {}), description.get("TargetHealth", {})
        targets.append(
            dict(
                id=target.get("Id", ""),
                port=target.get("Port"),
                state=health.get("State", ""),
                reason=health.get("Reason", ""),
                description=health.get("Description", ""),
            )
        )
    return sorted(targets, key=lambda t: (t["id"], t["port"] or 0))


def summarize_alarms(prefix, metric_alarms, composite_alarms):
    alarms = list(metric_alarms or []) + list(composite_alarms or [])
    in_alarm = [
        dict(name=a["AlarmName"], reason=a.get("StateReason", ""), since=iso(a.get("StateUpdatedTimestamp")))
        for a in alarms
        if a.get("StateValue") == "ALARM"
    ]
    return dict(
        prefix=prefix,
        total=len(alarms),
        insufficient_data=len([a for a in alarms if a.get("StateValue") == "INSUFFICIENT_DATA"]),
        in_alarm=sorted(in_alarm, key=lambda a: a["name"]),
    )


def summarize_maintenance(actions):
    summary = []
    for resource in actions or []:
        for action in resource.get("PendingMaintenanceActionDetails") or []:
            summary.append(
                dict(
                    action=action.get("Action", ""),
                    description=action.get("Description", ""),
                    auto_applied_after=iso(action.get("AutoAppliedAfterDate")),
                    forced_apply_date=iso(action.get("ForcedApplyDate")),
                    current_apply_date=iso(action.get("CurrentApplyDate")),
                    opt_in_status=action.get("OptInStatus", ""),
                )
            )
    return summary


def latest_backups(recovery_points, expected):
    """One entry per resource (those of ``recovery_points`` and the ARNs in ``expected``, a dict of
    ARN to resource type) with its latest completed recovery point, or an empty dict."""
    latest, types = {}, dict(expected)
    for point in recovery_points or []:
        arn = point.get("ResourceArn", "")
        if not arn:
            continue
        types.setdefault(arn, point.get("ResourceType", ""))
        if point.get("Status") not in COMPLETED:
            continue
        when = point.get("CompletionDate") or point.get("CreationDate")
        if arn not in latest or (when and (latest[arn][0] is None or when > latest[arn][0])):
            latest[arn] = (when, point)
    resources = []
    for arn in sorted(types):
        last = {}
        if arn in latest:
            point = latest[arn][1]
            last = dict(
                recovery_point_arn=point.get("RecoveryPointArn", ""),
                status=point.get("Status", ""),
                created_at=iso(point.get("CreationDate")),
                completed_at=iso(point.get("CompletionDate")),
            )
        resources.append(dict(resource_arn=arn, resource_type=types[arn], last_backup=last))
    return resources


def find_problems(service, tasks, deployments, target_group, alarms, database):
    """What is unhealthy, one sentence each."""
    problems = []
    name = service["name"]
    if not service["found"]:
        if service["status"]:
            problems.append("service {0}: status {1}, not ACTIVE".format(name, service["status"]))
        else:
            problems.append("service {0}: not found in cluster {1}".format(name, service["cluster"]))
    elif service["running_count"] < service["desired_count"]:
        problems.append(
            "service {0}: {1} of {2} desired tasks running".format(
                name, service["running_count"], service["desired_count"]
            )
        )
    for task in tasks:
        if task["health_status"] == "UNHEALTHY":
            problems.append("task {0}: UNHEALTHY ({1})".format(task["id"], task["last_status"]))
    for deployment in deployments:
        if deployment["rollout_state"] == "FAILED":
            reason = deployment["rollout_state_reason"]
            problems.append(
                "deployment {0} (revision {1}): rollout FAILED{2}".format(
                    deployment["id"], deployment["revision"], ": " + reason if reason else ""
                )
            )
    if target_group:
        if not target_group["found"]:
            problems.append("target group {0}: not found".format(target_group["name"]))
        for target in target_group["targets"]:
            if target["state"] == "unhealthy":
                why = ", ".join(x for x in (target["reason"], target["description"]) if x)
                problems.append(
                    "target {0}:{1} of {2}: unhealthy{3}".format(
                        target["id"], target["port"], target_group["name"], " (" + why + ")" if why else ""
                    )
                )
    for alarm in (alarms or {}).get("in_alarm", []):
        problems.append(
            "alarm {0} is in ALARM{1}".format(alarm["name"], ": " + alarm["reason"] if alarm["reason"] else "")
        )
    if database:
        if not database["found"]:
            problems.append("database {0}: not found".format(database["identifier"]))
        elif database["status"] != "available":
            problems.append(
                "database {0}: status {1}, not available".format(database["identifier"], database["status"])
            )
    return problems


# -- AWS reads --------------------------------------------------------------------------


def read_service(module, ecs, cluster, name):
    try:
        found = ecs.describe_services(cluster=cluster, services=[name], aws_retry=True)
    except is_boto3_error_code("ClusterNotFoundException"):
        return {}
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe service {0} of cluster {1}".format(name, cluster))
    services = found.get("services") or []
    return services[0] if services else {}


def read_tasks(module, ecs, cluster, name, desired_status="RUNNING"):
    try:
        arns = paginate(ecs, "list_tasks", cluster=cluster, serviceName=name, desiredStatus=desired_status).get(
            "taskArns", []
        )
        tasks = []
        for start in range(0, len(arns), MAX_TASKS):
            tasks.extend(
                ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + MAX_TASKS], aws_retry=True).get(
                    "tasks", []
                )
            )
    except is_boto3_error_code(("ClusterNotFoundException", "ServiceNotFoundException")):
        return []
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to list the tasks of service {0}".format(name))
    return tasks


def describe_task_definition(module, ecs, arn):
    try:
        return ecs.describe_task_definition(taskDefinition=arn, aws_retry=True)["taskDefinition"]
    except is_boto3_error_code("ClientException"):
        return {}  # deregistered and deleted
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe task definition {0}".format(arn))


def read_task_definitions(module, ecs, current_arn):
    family, revision = revision_of(current_arn)
    if not family:
        return dict(current={}, previous={})
    current = describe_task_definition(module, ecs, current_arn)
    try:
        arns = paginate(ecs, "list_task_definitions", familyPrefix=family, status="ACTIVE").get(
            "taskDefinitionArns", []
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the revisions of task definition family {0}".format(family))
    previous_arn = previous_revision(arns, family, revision)
    previous = describe_task_definition(module, ecs, previous_arn) if previous_arn else {}
    return dict(
        current=summarize_task_definition(current) if current else {},
        previous=summarize_task_definition(previous) if previous else {},
    )


def read_target_group(module, name):
    elbv2 = aws_client(module, "elbv2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        groups = elbv2.describe_target_groups(Names=[name], aws_retry=True).get("TargetGroups", [])
    except is_boto3_error_code("TargetGroupNotFound"):
        groups = []
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe target group {0}".format(name))
    if not groups:
        return dict(found=False, name=name, arn="", targets=[])
    arn = groups[0]["TargetGroupArn"]
    try:
        health = elbv2.describe_target_health(TargetGroupArn=arn, aws_retry=True)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to read the target health of {0}".format(name))
    return dict(found=True, name=name, arn=arn, targets=summarize_targets(health.get("TargetHealthDescriptions")))


def read_alarms(module, prefix):
    cloudwatch = aws_client(module, "cloudwatch")
    try:
        found = paginate(
            cloudwatch, "describe_alarms", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe the alarms named {0}*".format(prefix))
    return summarize_alarms(prefix, found.get("MetricAlarms"), found.get("CompositeAlarms"))


def read_database(module, rds, identifier):
    try:
        instances = rds.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True).get("DBInstances", [])
    except is_boto3_error_code("DBInstanceNotFound"):
        instances = []
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe DB instance {0}".format(identifier))
    if not instances:
        return dict(
            found=False,
            identifier=identifier,
            arn="",
            status="",
            engine_version="",
            instance_class="",
            multi_az=False,
            pending_maintenance=[],
        )
    instance = instances[0]
    arn = instance.get("DBInstanceArn", "")
    try:
        actions = paginate(rds, "describe_pending_maintenance_actions", ResourceIdentifier=arn).get(
            "PendingMaintenanceActions", []
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to read the pending maintenance of DB instance {0}".format(identifier))
    return dict(
        found=True,
        identifier=identifier,
        arn=arn,
        status=instance.get("DBInstanceStatus", ""),
        engine_version="{0} {1}".format(instance.get("Engine", ""), instance.get("EngineVersion", "")).strip(),
        instance_class=instance.get("DBInstanceClass", ""),
        multi_az=bool(instance.get("MultiAZ")),
        pending_maintenance=summarize_maintenance(actions),
    )


def read_file_system_arn(module, name):
    efs = aws_client(module, "efs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        systems = paginate(efs, "describe_file_systems", CreationToken=name).get("FileSystems", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe EFS file system {0}".format(name))
    return systems[0].get("FileSystemArn", "") if systems else ""


def vault_exists(module, backup, vault):
    try:
        vaults = paginate(backup, "list_backup_vaults").get("BackupVaultList", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the backup vaults")
    return any(v.get("BackupVaultName") == vault for v in vaults)


def read_backups(module, vault, expected):
    backup = aws_client(module, "backup")
    missing = dict(vault=vault, vault_found=False, resources=latest_backups([], expected))
    try:
        points = paginate(backup, "list_recovery_points_by_backup_vault", BackupVaultName=vault).get(
            "RecoveryPoints", []
        )
    except is_boto3_error_code("ResourceNotFoundException"):
        return missing
    except is_boto3_error_code("AccessDeniedException") as e:  # pylint: disable=duplicate-except
        # AWS Backup answers AccessDenied for a vault that does not exist, too.
        if not vault_exists(module, backup, vault):
            return missing
        module.fail_json_aws(e, msg="Failed to list the recovery points of backup vault {0}".format(vault))
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to list the recovery points of backup vault {0}".format(vault))
    return dict(vault=vault, vault_found=True, resources=latest_backups(points, expected))


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        target_group_name=dict(type="str"),
        alarm_name_prefix=dict(type="str"),
        db_instance_identifier=dict(type="str"),
        backup_vault_name=dict(type="str"),
        file_system_name=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate(params)
    if error:
        module.fail_json(msg=error)

    ecs = aws_client(module, "ecs", retry_decorator=AWSRetry.jittered_backoff())
    raw_service = read_service(module, ecs, params["cluster"], params["service"])
    service = summarize_service(params["cluster"], params["service"], raw_service)
    tasks, stopped_tasks, deployments, task_definitions = [], [], [], dict(current={}, previous={})
    if raw_service:
        cluster, name = params["cluster"], params["service"]
        tasks = summarize_tasks(read_tasks(module, ecs, cluster, name))
        stopped_tasks = summarize_stopped_tasks(read_tasks(module, ecs, cluster, name, desired_status="STOPPED"))
        deployments = summarize_deployments(raw_service.get("deployments"))
        task_definitions = read_task_definitions(module, ecs, service["task_definition"])

    target_group = read_target_group(module, params["target_group_name"]) if params["target_group_name"] else {}
    alarms = read_alarms(module, params["alarm_name_prefix"]) if params["alarm_name_prefix"] else {}
    database = {}
    if params["db_instance_identifier"]:
        rds = aws_client(module, "rds", retry_decorator=AWSRetry.jittered_backoff())
        database = read_database(module, rds, params["db_instance_identifier"])
    backups = {}
    if params["backup_vault_name"]:
        expected = {}
        if database.get("arn"):
            expected[database["arn"]] = "RDS"
        if params["file_system_name"]:
            file_system_arn = read_file_system_arn(module, params["file_system_name"])
            if file_system_arn:
                expected[file_system_arn] = "EFS"
        backups = read_backups(module, params["backup_vault_name"], expected)

    module.exit_json(
        changed=False,
        service=service,
        tasks=tasks,
        stopped_tasks=stopped_tasks,
        deployments=deployments,
        task_definitions=task_definitions,
        target_group=target_group,
        alarms=alarms,
        database=database,
        backups=backups,
        problems=find_problems(service, tasks, deployments, target_group, alarms, database),
    )


if __name__ == "__main__":
    main()
