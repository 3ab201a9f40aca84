"""backup_restore_job against the local emulator (run-tasks mode, whose EFS file systems keep
their files): check mode starts nothing; a restore of an EFS recovery point lands in
aws-backup-restore_<time> off the file system's root; the same token answers the same job
and restores nothing again (no change); bad options fail naming the option, before any call."""

from __future__ import annotations

import time

import pytest

from tests.functional.return_docs import assert_documented
from tools.local_services import LocalServices

MODULE = "ajudadigital.openwebui.backup_restore_job"
pytestmark = pytest.mark.xdist_group("local_ecs")  # beside test_local_ecs.py's run-tasks emulator


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    services = LocalServices(tmp_path_factory.mktemp("restore-job"), with_postgres=False, run_tasks=True)
    services.start()
    backup, efs = services.client("backup"), services.client("efs")
    backup.create_backup_vault(BackupVaultName="functional-restore")
    fs = efs.create_file_system(CreationToken="functional-restore", Encrypted=True)
    files = services.tasks_dir.parent / "efs" / fs["FileSystemId"]
    (files / "data").mkdir(parents=True)
    (files / "data" / "chat.txt").write_text("as backed up")
    role = "arn:aws:iam::123456789012:role/functional-backup"
    point = backup.start_backup_job(
        BackupVaultName="functional-restore", ResourceArn=fs["FileSystemArn"], IamRoleArn=role
    )
    (files / "data" / "chat.txt").write_text("changed since")
    yield dict(fs=fs, files=files, role=role, point=point["RecoveryPointArn"], connection=services.module_connection())
    services.stop()


def test_restore_lifecycle(ansible, aws):
    args = dict(
        aws["connection"],
        recovery_point_arn=aws["point"],
        iam_role_arn=aws["role"],
        resource_type="EFS",
        metadata={"file-system-id": aws["fs"]["FileSystemId"], "newFileSystem": False},
        idempotency_token="functional-1",
        poll_interval=1,
    )
    run = ansible.module(MODULE, args, check=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert not list(aws["files"].glob("aws-backup-restore_*")), "check mode restored"

    run = ansible.module(MODULE, args)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    job = run.result["restore_job"]
    assert (job["status"], job["created_resource_arn"]) == ("COMPLETED", aws["fs"]["FileSystemArn"])
    assert_documented("backup_restore_job", run.result)
    (restored,) = aws["files"].glob("aws-backup-restore_*")
    assert (restored / "data" / "chat.txt").read_text() == "as backed up"
    assert (aws["files"] / "data" / "chat.txt").read_text() == "changed since", "a restore overwrote the files"

    time.sleep(6)  # past the module's margin for clocks: the job is clearly an earlier run's
    again = ansible.module(MODULE, args)
    assert again.rc == 0 and again.result["changed"] is False, again.output
    assert again.result["restore_job"]["restore_job_id"] == job["restore_job_id"]
    assert len(list(aws["files"].glob("aws-backup-restore_*"))) == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"idempotency_token": "has spaces"}, "idempotency_token"),
        ({"recovery_point_arn": "not-an-arn"}, "recovery_point_arn"),
        ({"wait_timeout": 0}, "wait_timeout"),
    ],
)
def test_bad_options_fail_naming_them(ansible, aws, change, named):
    args = (
        dict(
            aws["connection"],
            recovery_point_arn=aws["point"],
            iam_role_arn=aws["role"],
            metadata={"file-system-id": aws["fs"]["FileSystemId"], "newFileSystem": False},
        )
        | change
    )
    run = ansible.module(MODULE, args)
    assert run.rc != 0 and named in run.result.get("msg", ""), run.output


def test_the_point_is_checked_in_its_vault_before_the_restore(ansible, aws):
    args = dict(
        aws["connection"],
        recovery_point_arn=aws["point"],
        iam_role_arn=aws["role"],
        metadata={"file-system-id": aws["fs"]["FileSystemId"], "newFileSystem": False},
        backup_vault_name="functional-restore",
    )
    other = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-00000000"
    run = ansible.module(MODULE, args | {"source_resource_arn": other}, check=True)
    assert run.rc != 0 and f"not of {other} (source_resource_arn)" in run.result["msg"], run.output
    run = ansible.module(MODULE, args | {"backup_vault_name": "functional-elsewhere"}, check=True)
    assert run.rc != 0 and "holds no such recovery point" in run.result["msg"], run.output
    run = ansible.module(MODULE, args | {"source_resource_arn": aws["fs"]["FileSystemArn"]}, check=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output


def test_a_missing_metadata_key_fails_with_aws_backups_message(ansible, aws):
    args = dict(aws["connection"], recovery_point_arn=aws["point"], iam_role_arn=aws["role"], metadata={})
    run = ansible.module(MODULE, args)
    assert run.rc != 0 and "file-system-id" in run.result.get("msg", ""), run.output
