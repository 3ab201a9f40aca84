"""The emulator's RDS instances are real PostgreSQL servers (run-tasks mode, tools/local_services/rds_servers.py).

An emulator in run-tasks mode, with a short ``creating`` time for new instances, is driven
with boto3; the instances' endpoints are reached with psycopg over TLS (``verify-full``
against the CA that LocalServices publishes), as the master user. The story of a restore:
data written before a snapshot comes back in the instance restored from it, data written
after it does not, and the source instance keeps both.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import httpx
import psycopg
import pytest
from botocore.exceptions import ClientError

from tools.local_services import LocalServices

# One emulator for the module's tests, on one xdist worker.
pytestmark = pytest.mark.xdist_group("local_rds")
PENDING = 2  # seconds a new instance is `creating`
MASTER = "owner"


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    services = LocalServices(
        tmp_path_factory.mktemp("local-rds"),
        with_postgres=False,
        run_tasks=True,
        rds_servers=True,
        pending=f"rds={PENDING}",
    )
    services.start()
    yield services
    services.stop()


def create(aws, name: str, password: str, **extra) -> dict:
    return aws.client("rds").create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        EngineVersion="16.8",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername=MASTER,
        MasterUserPassword=password,
        **extra,
    )["DBInstance"]


def available(aws, name: str, timeout: float = 60) -> dict:
    """The instance once it is ``available`` with an endpoint (polled, as a waiter does)."""
    rds = aws.client("rds")
    deadline = time.monotonic() + timeout
    while True:
        (instance,) = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
        if instance["DBInstanceStatus"] == "available" and "Endpoint" in instance:
            return instance
        assert time.monotonic() < deadline, f"{name} is still {instance['DBInstanceStatus']}"
        time.sleep(0.5)


def connect(aws, instance: dict, password: str, dbname: str = "postgres", **extra):
    endpoint = instance["Endpoint"]
    params = {
        "host": endpoint["Address"],
        "port": endpoint["Port"],
        "user": MASTER,
        "password": password,
        "dbname": dbname,
        "sslmode": "verify-full",
        "sslrootcert": aws.state["rds"]["ca_file"],
        "connect_timeout": 10,
        "autocommit": True,
    }
    return psycopg.connect(**{**params, **extra})


def notes(aws, instance: dict, password: str) -> list[str]:
    with connect(aws, instance, password, "app") as conn:
        return [row[0] for row in conn.execute("SELECT body FROM notes ORDER BY id")]


def listening(endpoint: dict) -> bool:
    try:
        with socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=1):
            return True
    except OSError:
        return False


def snapshot_copies(aws) -> int:
    return len(list((aws.state_dir / "rds" / "snapshots").iterdir()))


def test_restore_brings_back_the_snapshot_and_only_it(aws):
    rds = aws.client("rds")
    started = time.monotonic()
    created = create(aws, "app-db", "first-password-1", DBName="app")
    assert created["DBInstanceStatus"] == "creating" and "Endpoint" not in created
    source = available(aws, "app-db")
    assert time.monotonic() - started >= PENDING
    endpoint = source["Endpoint"]
    # Its own loopback address, on the instance's port (what rds_instance compares `port` with).
    assert endpoint["Address"].startswith("127.79.") and endpoint["Port"] == source["DbInstancePort"] == 5432

    password = "first-password-1"
    with connect(aws, source, password) as conn:
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("16.")
        # The master user as RDS makes it: no superuser, CREATEROLE, CREATEDB, in rds_superuser.
        assert conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, pg_has_role(current_user, 'rds_superuser', 'MEMBER')"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, True, True, True)
        # DBName: created, owned by the master user.
        assert conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'").fetchone() == (
            MASTER,
        )
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        connect(aws, source, password, sslmode="disable").close()
    with connect(aws, source, password, "app") as conn:
        conn.execute("CREATE EXTENSION vector")
        conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text, embedding vector(3))")
        conn.execute("INSERT INTO notes (body, embedding) VALUES ('before', '[1,2,3]')")

    snapshot = rds.create_db_snapshot(DBInstanceIdentifier="app-db", DBSnapshotIdentifier="app-db-before")
    assert snapshot["DBSnapshot"]["Status"] == "available"
    with connect(aws, source, password, "app") as conn:
        conn.execute("INSERT INTO notes (body, embedding) VALUES ('after', '[3,2,1]')")

    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="app-db-restored", DBSnapshotIdentifier="app-db-before"
    )["DBInstance"]
    assert restored["DBInstanceStatus"] == "creating"
    restored = available(aws, "app-db-restored")
    assert restored["Endpoint"]["Address"] != endpoint["Address"]
    assert notes(aws, restored, password) == ["before"]
    assert notes(aws, source, password) == ["before", "after"]
    with connect(aws, restored, password, "app") as conn:  # pgvector came back with the data
        assert conn.execute("SELECT embedding <-> '[1,2,3]' FROM notes").fetchone() == (0.0,)

    # A new master password works at once; the restored instance keeps the snapshot's.
    rds.modify_db_instance(DBInstanceIdentifier="app-db", MasterUserPassword="second-password-2", ApplyImmediately=True)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(aws, source, password).close()
    password = "second-password-2"
    assert notes(aws, source, password) == ["before", "after"]
    assert notes(aws, restored, "first-password-1") == ["before"]

    # Delete with a final snapshot: the server goes, the final snapshot restores.
    copies = snapshot_copies(aws)
    rds.delete_db_instance(DBInstanceIdentifier="app-db", FinalDBSnapshotIdentifier="app-db-final")
    assert not listening(endpoint)
    with pytest.raises(ClientError, match="DBInstanceNotFound"):
        rds.describe_db_instances(DBInstanceIdentifier="app-db")
    assert snapshot_copies(aws) == copies + 1
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="app-db-final", DBSnapshotIdentifier="app-db-final")
    final = available(aws, "app-db-final")
    assert notes(aws, final, password) == ["before", "after"]
    assert notes(aws, restored, "first-password-1") == ["before"]  # untouched by all this

    # A copy goes with the last snapshot that holds it (the automated snapshot that moto takes
    # of a restored instance holds the data it was restored from).
    rds.delete_db_snapshot(DBSnapshotIdentifier="app-db-before")
    for name in ("app-db-restored", "app-db-final"):
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    assert not listening(restored["Endpoint"]) and not listening(final["Endpoint"])
    assert snapshot_copies(aws) == 1
    rds.delete_db_snapshot(DBSnapshotIdentifier="app-db-final")
    assert snapshot_copies(aws) == 0


def test_reboot_stop_and_start_keep_the_data(aws):
    rds = aws.client("rds")
    create(aws, "cycle-db", "cycle-password-1")
    instance = available(aws, "cycle-db")
    with connect(aws, instance, "cycle-password-1") as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (1)")
        backend = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
    rds.reboot_db_instance(DBInstanceIdentifier="cycle-db")
    with connect(aws, instance, "cycle-password-1") as conn:
        assert conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0] > backend
        assert conn.execute("SELECT n FROM kept").fetchall() == [(1,)]
    assert rds.stop_db_instance(DBInstanceIdentifier="cycle-db")["DBInstance"]["DBInstanceStatus"] == "stopped"
    assert not listening(instance["Endpoint"])
    rds.start_db_instance(DBInstanceIdentifier="cycle-db")
    again = available(aws, "cycle-db")
    assert again["Endpoint"] == instance["Endpoint"]
    with connect(aws, again, "cycle-password-1") as conn:
        assert conn.execute("SELECT n FROM kept").fetchall() == [(1,)]
    rds.delete_db_instance(DBInstanceIdentifier="cycle-db", SkipFinalSnapshot=True)


def test_a_63_character_identifier_serves_and_a_rename_keeps_the_server(aws):
    """RDS allows identifiers of 63 characters (the restore's <stack>-postgres-restore-<hash>):
    the server's Unix socket must not live under a directory named after it (107 bytes at
    most). A rename (the restore's swap) keeps the instance's server and data."""
    rds = aws.client("rds")
    name = "long-" + "x" * 50 + "-restore"
    assert len(name) == 63
    create(aws, name, "long-password-1")
    instance = available(aws, name)
    with connect(aws, instance, "long-password-1") as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (7)")
    rds.modify_db_instance(DBInstanceIdentifier=name, NewDBInstanceIdentifier="renamed-db", ApplyImmediately=True)
    renamed = available(aws, "renamed-db")
    with connect(aws, renamed, "long-password-1") as conn:
        assert conn.execute("SELECT n FROM kept").fetchall() == [(7,)]
    rds.delete_db_instance(DBInstanceIdentifier="renamed-db", SkipFinalSnapshot=True)
    assert not listening(renamed["Endpoint"])


def _server_pids(state_dir) -> set[int]:
    """The PIDs (server and TLS proxy) that the emulator's records under ``state_dir`` name."""
    records = [json.loads(path.read_text()) for path in (state_dir / "rds" / "servers").glob("*.json")]
    return {record[key] for record in records for key in ("postgres_pid", "proxy_pid")}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split()[2] != "Z"


def test_reset_and_a_killed_emulator_leave_no_server(tmp_path):
    """A moto reset stops the servers; so does the next start after an emulator was killed."""
    first = LocalServices(tmp_path, with_postgres=False, run_tasks=True, rds_servers=True)
    first.start()
    try:
        create(first, "reset-db", "reset-password-1")
        reset = available(first, "reset-db")["Endpoint"]
        assert listening(reset)
        httpx.post(first.state["aws_endpoint_url"] + "/moto-api/reset", timeout=30).raise_for_status()
        assert not listening(reset)
        assert not _server_pids(tmp_path)

        create(first, "left-db", "left-password-1")
        left = available(first, "left-db")["Endpoint"]
        pids = _server_pids(tmp_path)
        assert len(pids) == 2
        os.kill(first.emulator_proc.pid, signal.SIGKILL)  # no atexit: its servers stay
        first.emulator_proc.wait()
        assert listening(left) and all(_alive(pid) for pid in pids)
    finally:
        first.emulator_proc.kill()
        first.emulator_proc.wait()
    second = LocalServices(tmp_path, with_postgres=False, run_tasks=True, rds_servers=True)
    second.start()
    try:
        assert not listening(left)
        assert not any(_alive(pid) for pid in pids)
        assert not _server_pids(tmp_path)
        assert not list((tmp_path / "rds" / "snapshots").iterdir())
    finally:
        second.stop()
        first.stop()
