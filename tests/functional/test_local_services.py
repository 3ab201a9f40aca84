"""The local services: loopback only, unprivileged PostgreSQL, nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import psycopg
import pytest

from tools.local_services import LocalServices
from tools.local_services.emulator import parse_pending
from tools.make_local import recap

REPO_PY = sys.executable


def _listening(pid: int) -> list[tuple[str, int]]:
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return [
        (c.laddr.ip, c.laddr.port)
        for p in procs
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def services(tmp_path):
    svc = LocalServices(tmp_path / "state")
    svc.start()
    yield svc
    svc.stop()


def test_services_listen_on_loopback_only_and_stop_cleanly(services):
    state = json.loads(services.state_file.read_text())
    assert oct(services.state_file.stat().st_mode & 0o777) == "0o600"
    emulator_pid, postgres_pid = state["pids"]["emulator"], state["pids"]["postgres"]
    listening = _listening(emulator_pid) + _listening(postgres_pid)
    assert listening, "nothing listens"
    assert {address[0] for address in listening} == {"127.0.0.1"}
    pg_port = state["postgres"]["port"]
    emulator_port = int(state["aws_endpoint_url"].rsplit(":", 1)[1])
    assert _port_open(pg_port) and _port_open(emulator_port)

    services.stop()
    for pid in (emulator_pid, postgres_pid):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not _port_open(pg_port) and not _port_open(emulator_port)
    assert not services.state_file.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_postgres_runs_unprivileged_and_needs_a_password(services):
    pg = services.state["postgres"]
    assert psutil.Process(pg["pid"]).username() == "openwebui-local"
    login = dict(host=pg["host"], port=pg["port"], dbname=pg["database"], sslmode="require", connect_timeout=5)
    with psycopg.connect(user=pg["user"], password=pg["password"], **login) as conn:
        assert conn.execute("select current_user").fetchone() == ("openwebui_admin",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(user=pg["user"], password="wrong", **login)


def test_postgres_has_pgvector(services):
    pg = services.state["postgres"]
    with psycopg.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg["password"],
        dbname=pg["database"],
        sslmode="verify-full",
        sslrootcert=pg["ca_file"],
    ) as conn:
        (version,) = conn.execute(
            "select default_version from pg_available_extensions where name = 'vector'"
        ).fetchone()
    # The default flavour (pgserver): PostgreSQL 16, as prod, with pgvector 0.6.2.
    assert pg["flavour"] == "pgserver" and version == pg["pgvector_version"] == "0.6.2"


def test_request_log_names_actions_and_never_holds_bodies(services):
    services.client("secretsmanager").create_secret(Name="probe", SecretString="s3cr3t-value-that-must-not-be-logged")
    services.client("ec2").describe_vpcs()
    actions = [(r["service"], r["action"]) for r in services.requests()]
    assert ("secretsmanager", "CreateSecret") in actions
    assert ("ec2", "DescribeVpcs") in actions
    assert "s3cr3t-value" not in services.request_log.read_text()


def test_cli_start_status_stop_leaves_nothing_running(tmp_path):
    env = dict(os.environ, OPENWEBUI_LOCAL_STATE=str(tmp_path / "cli"))
    cli = [REPO_PY, "-m", "tools.local_services"]
    started = subprocess.run([*cli, "start"], env=env, capture_output=True, text=True, check=True, timeout=120)
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:" in started.stdout
    state = json.loads((tmp_path / "cli" / "services.json").read_text())
    try:
        status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=True)
        assert status.stdout.count(" running") == len(state["pids"]) >= 2  # emulator, postgres (+ its TLS proxy)
        assert "DEAD" not in status.stdout
        again = subprocess.run([*cli, "start"], env=env, capture_output=True, text=True, check=False)
        assert again.returncode != 0 and "already run" in again.stderr
    finally:
        subprocess.run([*cli, "stop"], env=env, capture_output=True, text=True, check=True, timeout=60)
    for pid in state["pids"].values():
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=False)
    assert status.returncode == 1 and "not running" in status.stderr


def test_run_stops_the_services_on_sigterm(tmp_path):
    """`run -- CMD` cleans up when interrupted (as on Ctrl-C in a terminal)."""
    state_dir = tmp_path / "run"
    env = dict(os.environ, OPENWEBUI_LOCAL_STATE=str(state_dir))
    proc = subprocess.Popen([REPO_PY, "-m", "tools.local_services", "run", "--", "sleep", "120"], env=env)
    deadline = time.monotonic() + 60
    while not (state_dir / "services.json").exists():
        assert time.monotonic() < deadline, "services did not start"
        assert proc.poll() is None
        time.sleep(0.2)
    pids = json.loads((state_dir / "services.json").read_text())["pids"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) != 0
    for pid in pids.values():
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (state_dir / "services.json").exists()


def test_site_yml_refuses_local_mode_without_services(ansible, tmp_path):
    run = ansible.playbook(
        "site.yml", "-i", "inventories/local", env={"OPENWEBUI_LOCAL_STATE": str(tmp_path / "nothing")}
    )
    assert run.rc != 0
    assert "local mode needs the local services" in run.output


def test_recap_parsing_and_pending_option():
    out = "\x1b[0;32mlocalhost\x1b[0m  : \x1b[0;32mok=5 \x1b[0m changed=2    unreachable=0    failed=0    skipped=1"
    assert recap(out) == {"localhost": {"ok": 5, "changed": 2, "unreachable": 0, "failed": 0}}
    assert parse_pending("rds=20, nat=2.5") == {"rds": 20.0, "nat": 2.5}
    assert parse_pending("") == {}
    assert parse_pending("elasticache=6") == {"elasticache": 6.0}


def test_cli_refuses_an_unknown_pending_kind_before_starting(tmp_path):
    env = dict(os.environ, OPENWEBUI_LOCAL_STATE=str(tmp_path))
    done = subprocess.run(
        [REPO_PY, "-m", "tools.local_services", "start", "--pending", "rds=3,elasticcache=3"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "unknown kind 'elasticcache'" in done.stderr
    assert not (tmp_path / "services.json").exists()
