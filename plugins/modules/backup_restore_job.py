#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_restore_job
short_description: Restore an AWS Backup recovery point and wait for the restore job
version_added: 0.1.0
description:
  - Starts an AWS Backup restore job (C(backup:StartRestoreJob)) of a recovery point and, with
    O(wait), waits until it is C(COMPLETED). amazon.aws has modules for backup plans, selections
    and vaults, and C(amazon.aws.backup_restore_job_info) to read restore jobs, but none starts one.
  - "What a restore makes depends on the resource type and O(metadata). For an EFS file system
    (C(file-system-id), C(newFileSystem)), AWS Backup never overwrites: it restores into a new
    directory C(aws-backup-restore_<time>) off the root of the target file system (a new one with
    C(newFileSystem=true)). Moving the restored files where an application reads them is the
    caller's work."
  - Idempotence rests on O(idempotency_token). AWS Backup answers a repeated request that has the
    token of an earlier one with that job, and restores nothing again. The module then reports no
    change, because the job was created before the module ran. Without a token, every run starts
    a restore.
  - With O(backup_vault_name), the module first reads the recovery point in that vault
    (C(backup:DescribeRecoveryPoint)) and fails, naming O(recovery_point_arn), when the vault does not
    hold it, when it is not C(COMPLETED), or when it is not of O(source_resource_arn).
  - Check mode starts nothing and reports the restore it would start as a change (after the
    checks above, which only read).
  - A job that ends C(FAILED) or C(ABORTED) fails the task with AWS Backup's status message.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  recovery_point_arn:
    description: ARN of the recovery point to restore.
    type: str
    required: true
  iam_role_arn:
    description:
      - The role AWS Backup restores with (for EFS, for example, one with the managed policy
        C(AWSBackupServiceRolePolicyForRestores)). The caller needs C(iam:PassRole) on it.
    type: str
    required: true
  metadata:
    description:
      - The restore's metadata (C(Metadata)), as C(backup:GetRecoveryPointRestoreMetadata) describes
        it for the resource type. For EFS C(file-system-id) and C(newFileSystem) are required.
      - Values are sent as strings (C(true) becomes C("true")).
    type: dict
    required: true
  backup_vault_name:
    description: The vault that holds the recovery point; when given, the point is checked before the restore.
    type: str
  source_resource_arn:
    description:
      - ARN of the resource the recovery point must be of (for example the file system it is restored
        into). Needs O(backup_vault_name).
    type: str
  resource_type:
    description: The type of resource the recovery point is of (C(EFS), C(RDS), ...); AWS Backup infers it if omitted.
    type: str
  idempotency_token:
    description:
      - A token that makes a repeated request (a re-run) answer the job of the first one instead of
        restoring again. 1 to 50 characters of letters, digits, C(-), C(_) and C(.).
    type: str
  wait:
    description: Wait until the job is C(COMPLETED) (it fails on C(FAILED) or C(ABORTED)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the job.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between two reads of the job's status.
    type: int
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Restore an EFS recovery point into the file system it was taken of
  ajudadigital.openwebui.backup_restore_job:
    recovery_point_arn: arn:aws:backup:eu-west-1:123456789012:recovery-point:0A1B2C3D-0000-4000-8000-123456789ABC
    iam_role_arn: arn:aws:iam::123456789012:role/openwebui-prod-backup
    resource_type: EFS
    metadata:
      file-system-id: fs-0123456789abcdef0
      newFileSystem: false
    idempotency_token: openwebui-prod-0a1b2c3d
    backup_vault_name: openwebui-prod-vault
    source_resource_arn: arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0
  register: restore

- name: Say where the files are
  ansible.builtin.debug:
    msg: restored into {{ restore.restore_job.created_resource_arn }} (aws-backup-restore_* off its root)
"""

RETURN = r"""
restore_job:
  description:
    - The job as C(backup:DescribeRestoreJob) describes it, in snake case; empty in check mode.
  returned: always
  type: dict
  contains:
    restore_job_id:
      description: ID of the job.
      type: str
      sample: 3F1C2A4E-0000-4000-8000-123456789ABC
    status:
      description: C(PENDING), C(RUNNING), C(COMPLETED), C(ABORTED) or C(FAILED).
      type: str
      sample: COMPLETED
    created_resource_arn:
      description: ARN of the resource the job restored into (for EFS, the target file system).
      type: str
      sample: arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0
    recovery_point_arn:
      description: ARN of the recovery point.
      type: str
      sample: arn:aws:backup:eu-west-1:123456789012:recovery-point:0A1B2C3D-0000-4000-8000-123456789ABC
  sample:
    restore_job_id: 3F1C2A4E-0000-4000-8000-123456789ABC
    status: COMPLETED
"""

import datetime
import re
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,50}$")
FINAL = ("COMPLETED", "ABORTED", "FAILED")
# A job created this long before the module ran is an earlier run's (clocks differ a little).
EARLIER_RUN_SECONDS = 5


def option_problem(params):
    """An error message naming the option, or None."""
    token = params.get("idempotency_token")
    if token is not None and not TOKEN.match(token):
        return "idempotency_token must be 1 to 50 letters, digits, '-', '_' or '.', got {0!r}".format(token)
    if not (params.get("recovery_point_arn") or "").startswith("arn:"):
        return "recovery_point_arn must be the ARN of a recovery point, got {0!r}".format(
            params.get("recovery_point_arn")
        )
    if params.get("source_resource_arn") and not params.get("backup_vault_name"):
        return "source_resource_arn needs backup_vault_name (the vault that holds the recovery point)"
    if params["wait_timeout"] < 1 or params["poll_interval"] < 1:
        return "wait_timeout and poll_interval must be 1 or more seconds"
    return None


def as_strings(metadata):
    """AWS Backup's Metadata is a map of strings: booleans as 'true'/'false'."""
    return dict((key, str(value).lower() if isinstance(value, bool) else str(value)) for key, value in metadata.items())


def started_before(job, started_at):
    """Whether the job was created before this run (a repeated token answered an earlier job)."""
    created = job.get("CreationDate")
    if not isinstance(created, datetime.datetime):
        return False
    return (started_at - created).total_seconds() > EARLIER_RUN_SECONDS


def point_problem(point, params):
    """Why the recovery point described in the vault cannot be restored here (naming the option), or None."""
    if point.get("Status") != "COMPLETED":
        return "recovery_point_arn {0} is {1}, not COMPLETED: it cannot be restored".format(
            params["recovery_point_arn"], point.get("Status")
        )
    wanted = params.get("source_resource_arn")
    if wanted and point.get("ResourceArn") != wanted:
        return "recovery_point_arn {0} is a recovery point of {1}, not of {2} (source_resource_arn)".format(
            params["recovery_point_arn"], point.get("ResourceArn"), wanted
        )
    return None


def check_point(client, module):
    """Fail, naming the option, unless the vault holds a restorable point of the wanted resource."""
    params = module.params
    try:
        point = client.describe_recovery_point(
            aws_retry=True, BackupVaultName=params["backup_vault_name"], RecoveryPointArn=params["recovery_point_arn"]
        )
    except is_boto3_error_code(
        ["ResourceNotFoundException", "AccessDeniedException", "InvalidParameterValueException"]
    ):
        module.fail_json(
            msg="recovery_point_arn {0}: the vault {1} (backup_vault_name) holds no such recovery point".format(
                params["recovery_point_arn"], params["backup_vault_name"]
            )
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe recovery point {0}".format(params["recovery_point_arn"]))
    problem = point_problem(point, params)
    if problem:
        module.fail_json(msg=problem)


def describe(client, module, job_id):
    try:
        return client.describe_restore_job(aws_retry=True, RestoreJobId=job_id)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe restore job {0}".format(job_id))


def main():
    argument_spec = dict(
        recovery_point_arn=dict(type="str", required=True),
        iam_role_arn=dict(type="str", required=True),
        metadata=dict(type="dict", required=True),
        backup_vault_name=dict(type="str"),
        source_resource_arn=dict(type="str"),
        resource_type=dict(type="str"),
        idempotency_token=dict(type="str", no_log=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="int", default=10),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problem = option_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    point = module.params["recovery_point_arn"]
    client = aws_client(module, "backup", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["backup_vault_name"]:
        check_point(client, module)
    if module.check_mode:
        module.exit_json(changed=True, restore_job={}, msg="would restore {0}".format(point))

    request = dict(
        RecoveryPointArn=point,
        IamRoleArn=module.params["iam_role_arn"],
        Metadata=as_strings(module.params["metadata"]),
    )
    if module.params["resource_type"]:
        request["ResourceType"] = module.params["resource_type"]
    if module.params["idempotency_token"]:
        request["IdempotencyToken"] = module.params["idempotency_token"]
    started_at = datetime.datetime.now(datetime.timezone.utc)
    try:
        job_id = client.start_restore_job(aws_retry=True, **request)["RestoreJobId"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to start the restore of recovery point {0}".format(point))
    job = describe(client, module, job_id)
    deadline = time.monotonic() + module.params["wait_timeout"]
    while module.params["wait"] and job.get("Status") not in FINAL:
        if time.monotonic() > deadline:
            module.fail_json(
                msg="restore job {0} of {1} is still {2} after wait_timeout ({3} s)".format(
                    job_id, point, job.get("Status"), module.params["wait_timeout"]
                ),
                restore_job=camel_dict_to_snake_dict(job),
            )
        time.sleep(module.params["poll_interval"])
        job = describe(client, module, job_id)
    job.pop("ResponseMetadata", None)
    result = camel_dict_to_snake_dict(job)
    if job.get("Status") in ("FAILED", "ABORTED"):
        module.fail_json(
            msg="restore job {0} of {1} ended {2}: {3}".format(
                job_id, point, job["Status"], job.get("StatusMessage", "")
            ),
            restore_job=result,
        )
    module.exit_json(changed=not started_before(job, started_at), restore_job=result)


if __name__ == "__main__":
    main()
