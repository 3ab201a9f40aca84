"""Local services for local mode and the tests: the AWS emulator and PostgreSQL.

``LocalServices(state_dir)`` starts the project's moto launcher and a real
PostgreSQL + pgvector on free ports of 127.0.0.1, writes what clients need to
``<state_dir>/services.json`` (mode 0600; ``inventories/local`` reads it), keeps PID
files and logs there, and stops everything on ``stop()``, on exit, and on
SIGINT/SIGTERM. Use it as a context manager, or through the CLI
(``python -m tools.local_services start|stop|status|env``).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tools import ansible_strategy

from . import rds_servers
from .cache_nodes import ca_bundle as cache_ca_bundle
from .cache_nodes import ca_file as cache_ca_file
from .cache_nodes import stop_leftovers
from .ecs_runner import kill_leftovers
from .postgres import DEFAULT_FLAVOUR, LocalPostgres, stop_pid
from .util import free_port, pid_alive, stop_group, wait_for

REPO = Path(__file__).resolve().parents[2]
DEFAULT_STATE = REPO / ".local" / "run"
REGION = "us-east-1"
# Dummy credentials: the emulator accepts any; they never reach AWS.
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105


def state_dir_from_env() -> Path:
    return Path(os.environ.get("OPENWEBUI_LOCAL_STATE", DEFAULT_STATE)).resolve()


class LocalServices:
    """The emulator and PostgreSQL, started together and stopped together."""

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        postgres_flavour: str = DEFAULT_FLAVOUR,
        pending: str = "",
        time_scale: str = "",
        with_postgres: bool = True,
        enforce_iam: int | None = None,
        run_tasks: bool = False,
        rds_servers: bool = False,
    ):
        self.state_dir = Path(state_dir or state_dir_from_env()).resolve()
        self.postgres_flavour = postgres_flavour
        from .emulator import parse_pending, parse_time_scale

        parse_pending(pending)  # a bad --pending fails here, not in the emulator's log
        self.pending = pending
        # The clock of metrics, alarms and autoscaling: 1 (or "") is AWS's, 0.05 makes a minute 3 s.
        parse_time_scale(time_scale)
        self.time_scale = str(time_scale)
        self.with_postgres = with_postgres
        # None: the emulator accepts any credentials; N: IAM is enforced after N requests.
        self.enforce_iam = enforce_iam
        # Run-tasks mode: the emulator's ECS starts a process per task (ecs_runner).
        self.run_tasks = run_tasks
        # With run_tasks: every RDS postgres instance is a real PostgreSQL server (rds_servers);
        # inventories/local then logs in at the instances' endpoints (make local, the local_stack
        # fixture), else at the one local PostgreSQL (with_postgres).
        self.rds_servers = rds_servers and run_tasks
        self.emulator_proc: subprocess.Popen | None = None
        self.postgres: LocalPostgres | None = None
        self.state: dict = {}
        self._stopped = True

    # -- paths -----------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.state_dir / "services.json"

    @property
    def tasks_dir(self) -> Path:
        return self.state_dir / "tasks"

    @property
    def request_log(self) -> Path:
        return self.state_dir / "emulator-requests.jsonl"

    # -- lifecycle -------------------------------------------------------
    def start(self, timeout: float = 90) -> dict:
        if self.state_file.exists():
            stale = json.loads(self.state_file.read_text())
            if any(pid_alive(p) for p in stale.get("pids", {}).values()):
                raise RuntimeError(
                    f"local services already run from {self.state_dir}: "
                    "stop them first (python -m tools.local_services stop)"
                )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._stopped = False
        atexit.register(self.stop)
        try:
            endpoint = self._start_emulator(timeout)
            self.state = {
                "aws_endpoint_url": endpoint,
                "aws_region": REGION,
                "aws_access_key_id": ACCESS_KEY,
                "aws_secret_access_key": SECRET_KEY,
                "request_log": str(self.request_log),
                "pids": {"emulator": self.emulator_proc.pid},
            }
            if self.run_tasks:
                self.state["tasks_dir"] = str(self.tasks_dir)
                # The CA of the replication groups' nodes (cache_nodes: TLS, as in-transit
                # encryption): a client's ssl_ca_certs / redis-cli --cacert; and the bundle of the
                # system's CAs with it that the tasks get as SSL_CERT_FILE.
                self.state["elasticache"] = {
                    "ca_file": str(cache_ca_file(self.state_dir)),
                    "ca_bundle": str(cache_ca_bundle(self.state_dir)),
                }
            if self.rds_servers:
                # The CA of the RDS instances' servers (rds_servers): sslrootcert for verify-full.
                self.state["rds"] = {"ca_file": str(rds_servers.ca_file(self.state_dir))}
            if self.with_postgres:
                self.postgres = LocalPostgres(self.state_dir, self.postgres_flavour)
                info = self.postgres.start(timeout)
                self.state["postgres"] = info.to_dict()
                self.state["pids"]["postgres"] = info.pid
                self.state["pids"]["postgres_tls"] = info.proxy_pid
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self.state

    def _start_emulator(self, timeout: float) -> str:
        port = free_port()
        log = open(self.state_dir / "emulator.log", "ab")  # noqa: SIM115 - handed to the child
        self.request_log.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "tools.local_services.emulator",
            "--port",
            str(port),
            "--request-log",
            str(self.request_log),
        ]
        if self.pending:
            cmd += ["--pending", self.pending]
        if self.time_scale:
            cmd += ["--time-scale", self.time_scale]
        if self.enforce_iam is not None:
            cmd += ["--enforce-iam", str(self.enforce_iam)]
        if self.run_tasks:
            cmd += ["--tasks-dir", str(self.tasks_dir)]
        if self.rds_servers:
            cmd += ["--rds-servers"]
        self.emulator_proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        endpoint = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if self.emulator_proc.poll() is not None:
                raise RuntimeError(f"the emulator exited; see {self.state_dir / 'emulator.log'}")
            try:
                with urllib.request.urlopen(endpoint + "/moto-api/", timeout=1):  # noqa: S310 - our http URL
                    return True
            except OSError:
                return False

        wait_for(ready, timeout, f"the AWS emulator on {endpoint}", self.state_dir / "emulator.log")
        return endpoint

    def _write_state(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2))
        tmp.chmod(0o600)
        tmp.replace(self.state_file)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.postgres is not None:
            self.postgres.stop()
        # SIGTERM to the emulator alone: it stops its tasks and servers itself.
        stop_group(self.emulator_proc, 10, leader_only=True)
        if self.run_tasks:
            kill_leftovers(self.tasks_dir)
            stop_leftovers(self.state_dir)
            rds_servers.stop_leftovers(self.state_dir)
        self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> LocalServices:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- for tests and scripts --------------------------------------------
    def env(self) -> dict[str, str]:
        """Environment for boto3, the aws CLI and ansible-playbook."""
        env = {
            "AWS_ENDPOINT_URL": self.state["aws_endpoint_url"],
            "AWS_ACCESS_KEY_ID": self.state["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self.state["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.state["aws_region"],
            "AWS_REGION": self.state["aws_region"],
            "OPENWEBUI_LOCAL_STATE": str(self.state_dir),
        }
        env.update(ansible_strategy.env())  # mitogen's persistent interpreter (tools/ansible_strategy.py)
        return env

    def client(self, service: str, region: str | None = None):
        """A boto3 client of ``service`` on the emulator (boto3 is in the dev venv; the
        launcher itself does not need it)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.state["aws_endpoint_url"],
            region_name=region or self.state["aws_region"],
            aws_access_key_id=self.state["aws_access_key_id"],
            aws_secret_access_key=self.state["aws_secret_access_key"],
        )

    def module_connection(self) -> dict[str, str]:
        """The amazon.aws module options that reach the emulator."""
        return {
            "endpoint_url": self.state["aws_endpoint_url"],
            "access_key": self.state["aws_access_key_id"],
            "secret_key": self.state["aws_secret_access_key"],
            "region": self.state["aws_region"],
        }

    def requests(self) -> list[dict]:
        """Every request the emulator has received so far."""
        if not self.request_log.exists():
            return []
        return [json.loads(line) for line in self.request_log.read_text().splitlines() if line]


def stop_from_state(state_dir: Path) -> bool:
    """Stop services that another process started (``make local KEEP=1``)."""
    state_file = state_dir / "services.json"
    if not state_file.exists():
        return False
    state = json.loads(state_file.read_text())
    pids = state.get("pids", {})
    stop_pid(pids.get("postgres_tls"))
    stop_pid(pids.get("postgres"))
    if "postgres" in state:
        root = Path(state["postgres"]["data_dir"]).parent
        if root.name.startswith("openwebui-pg-"):  # the service user's private directory
            shutil.rmtree(root, ignore_errors=True)
    emulator = pids.get("emulator")
    if emulator and pid_alive(emulator):
        os.kill(emulator, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while pid_alive(emulator) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(emulator):
            os.kill(emulator, signal.SIGKILL)
    if state.get("tasks_dir"):
        kill_leftovers(Path(state["tasks_dir"]))
        stop_leftovers(Path(state["tasks_dir"]).parent)
        rds_servers.stop_leftovers(Path(state["tasks_dir"]).parent)
    state_file.unlink(missing_ok=True)
    return True


def install_signal_handlers(services: LocalServices) -> None:
    """Stop the services on Ctrl-C / SIGTERM, then exit."""

    def _handler(signum, frame):
        services.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
