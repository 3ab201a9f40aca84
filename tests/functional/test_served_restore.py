"""Day 2's restore (``playbooks/restore.yml``) on the session's deployed stack (xdist group
``local_stack``): the emulator's RDS instance is a real PostgreSQL server whose snapshots
hold its data (``rds_servers``), its EFS file system is the folder the local tasks mount
(AWS Backup's jobs copy it), and the real Open WebUI runs in the local ECS.

Runs after the secret-leak test and before test_served_rotate.py (file order), whose
``site.yml --check --diff`` on the whole stack then also proves that site.yml keeps what
the restore did: the restored instance under the stack's name, with the stack's settings.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from tests.functional.conftest import LOCAL_STACK, master_dsn
from tests.functional.test_secret_leak import collect_labels, find_leaks
from tests.functional.test_served_stack import first_admin_token, running_tasks, service, stack_tls, urls
from tools.make_local import ANSI

pytestmark = pytest.mark.xdist_group("local_stack")
INSTANCE = f"{LOCAL_STACK}-postgres"
FAST = ("-e", "ecs_service_wait_delay=2")


def write_a_chat(stack, title: str) -> str:
    https, tls = urls(stack)[443], stack_tls(stack)
    headers = {"Authorization": f"Bearer {first_admin_token(stack)}"}
    message = {"id": "m1", "role": "user", "content": title, "timestamp": int(time.time())}
    chat = {"title": title, "messages": [message], "history": {"messages": {"m1": message}}}
    created = httpx.post(f"{https}/api/v1/chats/new", json={"chat": chat}, headers=headers, verify=tls, timeout=60)
    assert created.status_code == 200, created.text
    return created.json()["id"]


def chat_titles(stack) -> set[str]:
    https, tls = urls(stack)[443], stack_tls(stack)
    headers = {"Authorization": f"Bearer {first_admin_token(stack)}"}
    listed = httpx.get(f"{https}/api/v1/chats/", headers=headers, verify=tls, timeout=60)
    assert listed.status_code == 200, listed.text
    return {chat["title"] for chat in listed.json()}


def _instances(stack) -> dict[str, dict]:
    return {i["DBInstanceIdentifier"]: i for i in stack.client("rds").describe_db_instances()["DBInstances"]}


def file_system(stack) -> dict:
    (fs,) = stack.client("efs").describe_file_systems(CreationToken=f"{LOCAL_STACK}-data")["FileSystems"]
    return fs


def data_folder(stack) -> Path:
    """The app's directory on the stack's EFS (storage_efs_path), as the local tasks mount it."""
    return stack.services.tasks_dir.parent / "efs" / file_system(stack)["FileSystemId"] / "openwebui"


def backup_now(stack, resource_arn: str) -> tuple[str, str]:
    """An on-demand AWS Backup job of the resource, into the stack's vault with the stack's
    backup role (as `aws backup start-backup-job`); returns the vault and the recovery point's ARN."""
    backup = stack.client("backup")
    (vault,) = [
        v for v in backup.list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"].startswith(LOCAL_STACK)
    ]
    (plan,) = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"].startswith(LOCAL_STACK)]
    (selection,) = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
    job = backup.start_backup_job(
        BackupVaultName=vault["BackupVaultName"], ResourceArn=resource_arn, IamRoleArn=selection["IamRoleArn"]
    )
    assert backup.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"
    return vault["BackupVaultName"], job["RecoveryPointArn"]


def test_restore_yml_brings_the_database_and_the_files_back_to_recovery_points_and_the_app_serves_them(local_stack):
    """From AWS Backup recovery points of the instance and of the file system, in one run:
    data written before them is there, data written after them is gone, the app serves from
    the restored instance (under the stack's instance name) and the restored files (in the
    access point's directory), what they replaced is kept until restore_cleanup, and no
    secret value appears in the output."""
    rds = local_stack.client("rds")
    marker = f"restore-{int(time.time())}"
    before, after = f"Before the snapshot {marker}", f"After the snapshot {marker}"
    write_a_chat(local_stack, before)
    files = data_folder(local_stack)
    (files / "restore-drill.txt").write_text(before)
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=INSTANCE)["DBInstances"]
    vault, snapshot_arn = backup_now(local_stack, instance["DBInstanceArn"])  # ...:snapshot:awsbackup:job-<id>
    _vault, efs_point = backup_now(local_stack, file_system(local_stack)["FileSystemArn"])
    write_a_chat(local_stack, after)
    (files / "restore-drill.txt").write_text(after)
    (files / "written-after.txt").write_text(after)
    assert {before, after} <= chat_titles(local_stack)
    old = _instances(local_stack)[INSTANCE]
    tasks_before = {t["taskArn"] for t in running_tasks(local_stack)}

    # Check mode: both points are checked, it says what it would do, and nothing changes.
    both = ("-e", f"restore_point={snapshot_arn}", "-e", f"restore_efs_point={efs_point}")
    check = local_stack.playbook("playbooks/restore.yml", "--check", *both)
    assert check.rc == 0, check.output[-3000:]
    said = " ".join(ANSI.sub("", check.stdout).split())
    assert f"would restore {efs_point} into {file_system(local_stack)['FileSystemId']}" in said, said[-3000:]
    assert set(_instances(local_stack)) == {INSTANCE} and not list(files.parent.glob("aws-backup-restore_*"))
    assert {t["taskArn"] for t in running_tasks(local_stack)} == tasks_before

    # By ARN, as an AWS Backup recovery point of the instance is given.
    run = local_stack.playbook("playbooks/restore.yml", *both, *FAST)
    assert run.rc == 0, run.output[-5000:]
    assert find_leaks(collect_labels(local_stack.services), {"restore": run.output}) == []

    instances = _instances(local_stack)
    (replaced,) = [name for name in instances if name.startswith(f"{INSTANCE}-replaced-")]
    text = " ".join(ANSI.sub("", run.stdout).split())
    assert f"now holds the data of {snapshot_arn.split(':snapshot:')[1]}" in text and f"kept as {replaced}" in text
    restored = instances[INSTANCE]
    assert restored["DbiResourceId"] != old["DbiResourceId"]  # a new instance under the stack's name
    assert instances[replaced]["DbiResourceId"] == old["DbiResourceId"]
    assert (restored["MultiAZ"], restored["DBParameterGroups"][0]["DBParameterGroupName"]) == (
        True,
        f"{LOCAL_STACK}-postgres16",
    )

    # The app: new tasks, on a DATABASE_URL that names the restored instance's endpoint.
    tasks_after = {t["taskArn"] for t in running_tasks(local_stack)}
    assert tasks_after and not tasks_after & tasks_before
    assert service(local_stack)["deployments"][0]["rolloutState"] == "COMPLETED"
    url = local_stack.client("secretsmanager").get_secret_value(SecretId=f"{LOCAL_STACK}/database-url")["SecretString"]
    assert urlsplit(url).hostname == restored["Endpoint"]["Address"] != instances[replaced]["Endpoint"]["Address"]
    titles = chat_titles(local_stack)
    assert before in titles and after not in titles, sorted(titles)

    # The stored master password logs in on the restored instance (the snapshot's was reset).
    with psycopg.connect(master_dsn(local_stack)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "openwebui_admin"

    # The files: the access point's directory holds the recovery point's; what it replaced is kept.
    assert (files / "restore-drill.txt").read_text() == before and not (files / "written-after.txt").exists()
    (kept,) = files.parent.glob("openwebui-replaced-*")
    assert (kept / "written-after.txt").read_text() == after
    assert not list(files.parent.glob("aws-backup-restore_*")), "the restored directory is left"
    assert f"the files it replaced are in /{kept.name}" in text

    # restore_cleanup: the replaced instance goes, with a final snapshot of what it held.
    cleanup = local_stack.playbook("playbooks/restore.yml", "-e", "restore_cleanup=true")
    assert cleanup.rc == 0, cleanup.output[-3000:]
    assert replaced not in _instances(local_stack) and INSTANCE in _instances(local_stack)
    finals = rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s for s in finals if s["DBSnapshotIdentifier"].startswith(f"{replaced}-final-")], finals
    assert sorted(p.name for p in files.parent.iterdir()) == ["openwebui"], "restore_cleanup left files"
    assert before in chat_titles(local_stack)
    # The recovery point is the test's: deleted, as an operator would (the vault holds none
    # for the teardown, which keeps a vault that holds any).
    for point in (snapshot_arn, efs_point):
        local_stack.client("backup").delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=point)


def test_restore_yml_refuses_a_bad_restore_point_before_any_aws_call(local_stack):
    requests = local_stack.services.request_log
    for given, expected in (
        ({"restore_point": "not a snapshot!"}, "restore_point must name an RDS snapshot"),
        (
            {"restore_point": "arn:aws:backup:us-east-1:123456789012:recovery-point:0a1b2c3d"},
            "an AWS Backup recovery point of the EFS file system is restore_efs_point",
        ),
        ({"restore_point": "arn:aws:rds:eu-west-1:123456789012:snapshot:x"}, "the ARN is of another region"),
        (
            {"restore_efs_point": "arn:aws:rds:us-east-1:123456789012:snapshot:x"},
            "restore_efs_point must be an AWS Backup recovery point of the stack's EFS file system",
        ),
    ):
        calls = requests.read_bytes().count(b"\n")
        run = local_stack.playbook("playbooks/restore.yml", "-e", json.dumps(given))
        assert run.rc != 0 and expected in " ".join(ANSI.sub("", run.stdout).split()), run.output[-2000:]
        assert requests.read_bytes().count(b"\n") == calls, "an AWS call before the check"
    missing = local_stack.playbook("playbooks/restore.yml", "-e", f"restore_point={INSTANCE}-no-such-snapshot")
    text = " ".join(ANSI.sub("", missing.stdout).split())
    assert missing.rc != 0 and "not an RDS snapshot in us-east-1" in text, missing.output[-2000:]
