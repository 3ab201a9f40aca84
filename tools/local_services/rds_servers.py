"""Real PostgreSQL servers behind the emulator's RDS instances (run-tasks mode, with ``--rds-servers``).

In AWS every RDS instance is a database server, a snapshot holds the instance's data at
the moment it was taken, and a restore makes a new server from that data. Stock moto keeps
metadata only: an instance's endpoint is a host name that cannot be resolved, and a
snapshot holds nothing. In run-tasks mode (``ecs_runner``), the Open WebUI tasks are real
processes that connect to the instance's endpoint, and a restore must bring back data, so
``install()`` makes each ``postgres`` instance real:

* When an instance first reports ``available`` (with ``--pending rds=N``, N seconds after
  CreateDBInstance: the fix ``rds_instance_creating_then_available``), the getter of
  ``DBInstance.endpoint`` starts a PostgreSQL 16 server with pgvector (the ``pgserver``
  wheel, as ``postgres.LocalPostgres`` runs it) while it answers the request, and waits
  until it accepts the master user over TLS (at most ``START_TIMEOUT`` seconds). While the
  instance is ``creating`` there is no server.
* Each instance gets its own loopback address (``127.79.0.2``, ``127.79.0.3``, ...; never
  reused in the emulator process; one where the port is taken is skipped) and listens on
  the instance's port (``Port``, 5432 by default). ``Endpoint.Address`` and
  ``Endpoint.Port`` are that address and port. The port is the instance's, not a free
  one, because ``Endpoint.Port`` is the instance's port on AWS too, and
  amazon.aws.rds_instance compares its ``port`` option with it (a different port would
  modify the instance on every run). Only if ``FALLBACK_AFTER`` fresh addresses in a row
  refuse the port (something listens on ``0.0.0.0:5432``, such as a Docker PostgreSQL)
  does the instance get a free port, and a warning on stderr says why. Linux routes all of
  127.0.0.0/8 to the loopback interface, macOS does not: this mode is for Linux.
* TLS only, as RDS with ``rds.force_ssl=1`` (the default from PostgreSQL 15): the
  ``tls_proxy`` in front of each server presents a certificate for the instance's address,
  signed by one CA per emulator state directory, ``<state_dir>/rds/ca.pem``
  (``ca_file(state_dir)``; LocalServices publishes it as ``rds.ca_file`` in
  ``services.json``): clients can use ``sslmode=verify-full`` with it as the root
  certificate, as they would with RDS's ``global-bundle.pem``. The CA is kept across
  emulator restarts (its key, ``ca.key``, is readable by its owner only) and renewed when
  it has less than a month left.
* The master user and password are the instance's (``MasterUsername``,
  ``MasterUserPassword``, or the password in the secret when ``ManageMasterUserPassword``
  is on). The master user is what RDS makes (``postgres.create_rds_roles``, shared with
  LocalPostgres): ``LOGIN CREATEROLE CREATEDB``, not a superuser, member of
  ``rds_superuser``. It may create pgvector (``CREATE EXTENSION vector``) as
  ``rds_superuser`` may on RDS. ``DBName`` is created, owned by the master user. The
  superuser is ``rdsadmin``, as on RDS, with a password only this module knows.
  ModifyDBInstance with ``MasterUserPassword`` (or a change of the managed secret's
  password through ModifyDBInstance) sets the new password in the same request.
* CreateDBSnapshot, the final snapshot of DeleteDBInstance (``FinalDBSnapshotIdentifier``)
  and StopDBInstance's snapshot copy the server's data at that moment with
  ``pg_basebackup`` (plain format, WAL streamed, fast checkpoint) into
  ``<state_dir>/rds/snapshots/<uuid>/data``. A base backup is a physical copy of the
  running server, consistent at one point in time, as an RDS snapshot (a storage snapshot)
  is: every database, role, password, extension and setting of the instance comes back on
  restore, and nothing written after it does; a restore is a PostgreSQL start on a copy
  (recovery replays the WAL of the backup), which takes about a second. (A ``pg_dumpall``
  would be a logical copy: slower to restore, with the roles replayed over the new
  server's own, and the restored master password would not be the snapshot's without
  more work.) A snapshot of a stopped instance copies its data directory. An instance
  without a server yet (moto's automated snapshot, taken at creation) holds what it would
  start from: the empty initial database, or for a restored instance its snapshot's
  data. CopyDBSnapshot shares the copy; DeleteDBSnapshot removes it once no snapshot or
  pending restore holds it. A manual snapshot of an instance that is not ``available``
  fails, as on AWS (the fix ``rds_snapshot_needs_an_available_instance``).
* RestoreDBInstanceFromDBSnapshot starts a NEW server, at its own address, from a copy of
  the snapshot's data, once the restored instance reports ``available``: the master
  password is the one in the snapshot, as on AWS. The source instance keeps running,
  untouched. RestoreDBInstanceToPointInTime takes a base backup of the running source
  when it is called and restores that (the latest restorable time, whatever
  ``RestoreTime`` says).
* DeleteDBInstance stops the server (after the final snapshot, when one is asked for) and
  removes its data in the same request; RebootDBInstance restarts it (connections are cut,
  data stays); StopDBInstance stops it and StartDBInstance starts it again at the same
  address. A reset of moto (``/moto-api/reset``) stops the servers of the instances it
  drops and removes their snapshots' copies. ``stop_all()`` (also registered with
  ``atexit``) stops every server when the emulator stops. ``install()`` stops servers
  that an emulator killed earlier (SIGKILL: no ``atexit``) left under the same
  ``state_dir`` (``<state_dir>/rds/servers/*.json`` name their processes, checked against
  ``/proc``) and removes their files, as ``stop_leftovers(state_dir)`` does for
  LocalServices.
* As root, the servers run as the unprivileged ``openwebui-local`` account (PostgreSQL
  refuses root) from a private directory in ``/tmp`` (``openwebui-rds-*``); otherwise under
  ``<state_dir>/rds/run``. Each server's ``postgres.log`` (server and TLS proxy) is in its
  directory.

Differences from RDS:

* One server per instance: no Multi-AZ standby (``MultiAZ`` changes nothing) and no read
  replicas (CreateDBInstanceReadReplica gets moto's endpoint, no server).
* Always PostgreSQL 16 (``pgserver``) with pgvector 0.6.2, whatever ``EngineVersion``
  says (a warning on stderr for another major version); other engines keep moto's
  endpoint. Minor version upgrades and maintenance are not simulated.
* Parameter groups are not applied: the settings are PostgreSQL's defaults, with
  ``fsync``/``full_page_writes``/``synchronous_commit`` off (local speed, no durability
  after a crash of the machine); TLS is always required (``rds.force_ssl`` 0 is ignored).
  ``shared_preload_libraries`` (pg_stat_statements, pgaudit) are not loaded.
* Storage: the data lives on the local disk, without a size limit; ``AllocatedStorage``,
  ``StorageType``, IOPS, throughput and storage encryption (KMS) are metadata only.
  Instance classes do not limit CPU or memory.
* The TLS proxy terminates TLS in front of the server, so PostgreSQL itself sees
  Unix-socket connections: ``pg_stat_ssl`` says no SSL and ``inet_client_addr()`` is
  NULL, and ``pg_hba.conf`` admits ``local`` connections only. A connection without TLS
  gets RDS's refusal (``no pg_hba.conf entry ... no encryption``).
* Security groups, subnets and ``PubliclyAccessible`` are not enforced: any local process
  reaches the endpoint. IAM database authentication and Kerberos are not emulated.
* No continuous backup: point-in-time restore gives the data of the moment of the call;
  moto takes no daily automated snapshots. Snapshots are ready at once (no ``creating``).
* A rename (ModifyDBInstance's ``NewDBInstanceIdentifier``) keeps the instance's server,
  data and address; on AWS the endpoint's host name follows the new identifier.
* ModifyDBInstance's ``DBPortNumber`` is not applied (moto 5.2.5 ignores it too), nor a
  rotation of a managed master secret outside ModifyDBInstance. The master user's
  password is never rotated by itself.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from .certificates import load_or_make_ca
from .postgres import (
    REPO,
    SERVICE_USER,
    SUPERUSER,
    _private_install,
    _service_account,
    bin_dir,
    create_rds_roles,
    issue_server_certificate,
    write_certificate,
    write_private_key,
)
from .util import LoopbackAddresses, free_port, pid_alive, stop_group

FLAVOUR = "pgserver"  # PostgreSQL 16, the stack's engine version
SERVER_MAJOR = "16"
SERVED_ENGINES = ("postgres",)
START_TIMEOUT = 30.0  # seconds for a new server to accept the master user
STOP_TIMEOUT = 10.0  # seconds for a server to shut down (fast) before SIGKILL
NETWORK = "127.79"  # instances get 127.79.0.2, 127.79.0.3, ...
FIRST_HOST = 2
# Fresh addresses that refuse the port before a free port is used: far more than the servers that
# the emulators of one machine run at once (each skips the addresses the others hold).
FALLBACK_AFTER = 200
CA_DAYS = 365
SETTINGS = {
    "listen_addresses": "",
    "unix_socket_permissions": "0700",
    "max_connections": "100",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "password_encryption": "scram-sha-256",
    "wal_level": "replica",
    "max_wal_senders": "4",
}
PG_HBA = (
    "# Only the TLS proxy reaches this socket (written by tools/local_services/rds_servers.py)\n"
    "local all all scram-sha-256\n"
    f"local replication {SUPERUSER} scram-sha-256\n"
)


def ca_file(state_dir: Path) -> Path:
    """The CA that signs every instance's server certificate (``sslrootcert``)."""
    return Path(state_dir).resolve() / "rds" / "ca.pem"


class _Blob:
    """The data of a snapshot (a base backup in ``path/data``), shared by the snapshots and
    pending restores that use it; removed when the last one lets go."""

    def __init__(self, path: Path, admin_password: str):
        self.path = path
        self.admin_password = admin_password
        self.users = 1

    @property
    def data(self) -> Path:
        return self.path / "data"

    def share(self) -> _Blob:
        self.users += 1
        return self

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            shutil.rmtree(self.path, ignore_errors=True)


class _Runtime:
    """What the servers of one emulator share: binaries, service account, CA, directories."""

    def __init__(self, state_dir: Path, flavour: str):
        self.state_dir = state_dir
        self.home = state_dir / "rds"
        self.bin = bin_dir(flavour)
        self.account = _service_account()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "servers").mkdir(exist_ok=True)
        (self.home / "snapshots").mkdir(exist_ok=True)
        self.ca, self.ca_key = _load_or_make_ca(self.home)
        self._root: Path | None = None
        self._server_bin: Path | None = None

    def run_as(self) -> dict:
        if self.account is None:
            return {}
        uid, gid = self.account
        return {"user": uid, "group": gid, "extra_groups": []}

    def chown(self, path: Path, recursive: bool = False) -> None:
        if self.account is None:
            return
        os.chown(path, *self.account)
        if recursive:
            for parent, dirs, files in os.walk(path):
                for name in dirs + files:
                    os.lchown(os.path.join(parent, name), *self.account)

    @property
    def root(self) -> Path:
        """The servers' directory (made on first use): as root a private directory of the
        service user in /tmp (the state directory may be out of its reach)."""
        if self._root is None:
            if self.account is not None:
                probe = subprocess.run(
                    [str(self.bin / "postgres"), "--version"],
                    capture_output=True,
                    text=True,
                    check=False,
                    **self.run_as(),
                )
                if probe.returncode != 0:
                    raise RuntimeError(
                        f"rds_servers: user {SERVICE_USER} cannot run {self.bin}/postgres ({probe.stderr.strip()}): "
                        "put the checkout (and its .venv) where other users can read it"
                    )
                root = Path(tempfile.mkdtemp(prefix="openwebui-rds-"))
                (self.home / "run-root").write_text(str(root), encoding="utf-8")
            else:
                root = self.home / "run"
                root.mkdir(mode=0o700, exist_ok=True)
            self.chown(root)
            self._root = root
        return self._root

    @property
    def server_bin(self) -> Path:
        """A private copy of the server binary whose pgvector is trusted (postgres.py)."""
        if self._server_bin is None:
            self._server_bin = _private_install(self.bin.parent, self.root / "pginstall")
        return self._server_bin

    def remove_root(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            (self.home / "run-root").unlink(missing_ok=True)
        self._root = self._server_bin = None


def _load_or_make_ca(home: Path):
    """The state directory's CA: kept across restarts, renewed with less than 30 days left."""
    return load_or_make_ca(home, "openwebui local RDS CA", days=CA_DAYS)


class _Server:
    """One instance's PostgreSQL server and the TLS proxy in front of it."""

    def __init__(self, runtime: _Runtime, instance_id: str, address: str, port: int):
        self.runtime = runtime
        self.instance_id = instance_id
        self.address = address
        self.port = port
        self.name = f"{instance_id}-{secrets.token_hex(3)}"
        self.dir = runtime.root / "instances" / self.name
        self.data_dir = self.dir / "data"
        # Not below self.dir: a Unix socket's path has at most 107 bytes, and an instance
        # identifier may have 63 characters (test_local_rds: a 63-character identifier serves).
        self.socket_dir = runtime.root / "sockets" / secrets.token_hex(4)
        self.log_file = self.dir / "postgres.log"
        self.record = runtime.home / "servers" / f"{self.name}.json"
        self.backend_port = free_port()  # names the Unix socket; the server listens on no TCP port
        self.admin_password = ""
        self.master_user = ""
        self.master_password = ""
        self.proc: subprocess.Popen | None = None
        self.proxy: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- creation ------------------------------------------------------------------------------
    def create(self, listener: socket.socket, seed: _Blob | None, user: str, password: str, db_name: str) -> None:
        """Make the data directory (a copy of ``seed``, or a new database with the master
        user), start the server behind ``listener`` and wait until it serves."""
        rt = self.runtime
        (rt.root / "instances").mkdir(exist_ok=True)
        rt.chown(rt.root / "instances")
        self.dir.mkdir(mode=0o700)
        rt.chown(self.dir)
        tls = self.dir / "tls"
        tls.mkdir()
        cert, key = issue_server_certificate(rt.ca, rt.ca_key, self.address)
        write_certificate(tls / "server.crt", cert)
        write_private_key(tls / "server.key", key)
        (rt.root / "sockets").mkdir(exist_ok=True)
        rt.chown(rt.root / "sockets")
        self.socket_dir.mkdir(mode=0o700)
        rt.chown(self.socket_dir)
        if seed is not None:
            shutil.copytree(seed.data, self.data_dir, symlinks=True)
            for stale in ("postmaster.pid", "postmaster.opts"):
                (self.data_dir / stale).unlink(missing_ok=True)
            self.data_dir.chmod(0o700)
            rt.chown(self.data_dir, recursive=True)
            self.admin_password = seed.admin_password
        else:
            self.admin_password = secrets.token_urlsafe(24)
            self._initdb()
        self.master_user, self.master_password = user, password
        self.start(listener)
        if seed is None:
            self._admin(functools.partial(_set_up_new_instance, user=user, password=password, db_name=db_name))

    def _initdb(self) -> None:
        rt = self.runtime
        pwfile = self.dir / ".pwfile"
        pwfile.write_text(self.admin_password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        rt.chown(pwfile)
        try:
            subprocess.run(
                [
                    str(rt.bin / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                text=True,
                **rt.run_as(),
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"RDS instance {self.instance_id}: initdb failed: {exc.stderr.strip()}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        (self.data_dir / "pg_hba.conf").write_text(PG_HBA, encoding="utf-8")

    # -- processes -----------------------------------------------------------------------------
    def start(self, listener: socket.socket | None = None) -> None:
        """Start the server and its proxy (on ``listener``, or the address and port bound
        again) and wait until the superuser gets in over TLS."""
        rt = self.runtime
        if listener is None:
            listener = _listen(self.address, self.port)
        settings = dict(SETTINGS, port=str(self.backend_port), unix_socket_directories=str(self.socket_dir))
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the children
        try:
            rt.chown(self.log_file)
            self.proc = subprocess.Popen(
                [str(rt.server_bin / "postgres"), "-D", str(self.data_dir)]
                + [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **rt.run_as(),
            )
            self.proxy = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tools.local_services.tls_proxy",
                    "--listen-fd",
                    str(listener.fileno()),
                    "--socket",
                    str(self.socket_dir / f".s.PGSQL.{self.backend_port}"),
                    "--cert",
                    str(self.dir / "tls" / "server.crt"),
                    "--key",
                    str(self.dir / "tls" / "server.key"),
                ],
                cwd=REPO,
                pass_fds=(listener.fileno(),),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            self.stop()
            raise
        finally:
            log.close()
            listener.close()  # the proxy holds it now
        self._write_record()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for what, proc in (("postgres", self.proc), ("its TLS proxy", self.proxy)):
                if proc is None or proc.poll() is not None:
                    raise RuntimeError(
                        f"RDS instance {self.instance_id}: {what} exited with "
                        f"{proc.returncode if proc else '?'}:\n{self._log_tail()}"
                    )
            try:
                with self._connect(connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"RDS instance {self.instance_id}: its server did not accept connections on "
                        f"{self.address}:{self.port} within {START_TIMEOUT:.0f} s ({exc}):\n{self._log_tail()}"
                    ) from exc
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the proxy (the port closes), then the server (fast shutdown)."""
        proxy, self.proxy = self.proxy, None
        proc, self.proc = self.proc, None
        for child, signum in ((proxy, signal.SIGTERM), (proc, signal.SIGINT)):
            stop_group(child, STOP_TIMEOUT, signum, leader_only=True)
        self.record.unlink(missing_ok=True)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _write_record(self) -> None:
        record = {
            "instance": self.instance_id,
            "postgres_pid": self.proc.pid if self.proc else 0,
            "proxy_pid": self.proxy.pid if self.proxy else 0,
            "data_dir": str(self.data_dir),
            "dir": str(self.dir),
        }
        self.record.write_text(json.dumps(record), encoding="utf-8")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
        return ""

    # -- SQL -------------------------------------------------------------------------------------
    def _connect(self, **extra):
        import psycopg

        return psycopg.connect(
            host=self.address,
            port=self.port,
            user=SUPERUSER,
            password=self.admin_password,
            dbname="postgres",
            sslmode="verify-full",
            sslrootcert=str(ca_file(self.runtime.state_dir)),
            autocommit=True,
            **{"connect_timeout": 10, **extra},
        )

    def _admin(self, action) -> None:
        with self._connect() as conn:
            action(conn)

    def set_master_password(self, password: str) -> None:
        from psycopg import sql

        def alter(conn):
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                    sql.Identifier(self.master_user), sql.Literal(password)
                )
            )

        self._admin(alter)
        self.master_password = password

    # -- snapshots -------------------------------------------------------------------------------
    def copy_data(self, target: Path) -> None:
        """The server's data now: a base backup of the running server, or a copy of the
        data directory of a stopped one."""
        if not self.running:
            shutil.copytree(self.data_dir, target, symlinks=True, ignore=shutil.ignore_patterns("postmaster.pid"))
            return
        rt = self.runtime
        env = dict(os.environ, PGPASSWORD=self.admin_password, PGSSLMODE="disable")
        result = subprocess.run(
            [
                str(rt.bin / "pg_basebackup"),
                "--host",
                str(self.socket_dir),
                "--port",
                str(self.backend_port),
                "--username",
                SUPERUSER,
                "--pgdata",
                str(target),
                "--format=plain",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
                "--no-password",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise RuntimeError(f"RDS instance {self.instance_id}: pg_basebackup failed: {result.stderr.strip()}")


def _set_up_new_instance(conn, user: str, password: str, db_name: str) -> None:
    """RDS's set-up of a new instance: rds_superuser, the master user, ``DBName``."""
    from psycopg import sql

    create_rds_roles(conn, user, password)
    if db_name and db_name != "postgres":
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db_name), sql.Identifier(user)))


# -- state of the emulator process ------------------------------------------------------------------
_LOCK = threading.RLock()
_STATE: dict = {}  # runtime, stopping
_SERVERS: dict[int, tuple[object, _Server]] = {}  # id(instance) -> (instance, server)
_SEEDS: dict[int, tuple[object, _Blob | None]] = {}  # restored instance not served yet -> its data
_RESTORING: dict[tuple[int, str], _Blob | None] = {}  # (id(backend), instance id) during a restore call
_SNAPSHOTS: dict[int, tuple[object, _Blob | None]] = {}  # id(snapshot) -> (snapshot, its data)
_ORIGINALS: dict[str, object] = {}
_ADDRESSES = LoopbackAddresses(NETWORK, FIRST_HOST)


def _runtime() -> _Runtime:
    runtime = _STATE.get("runtime")
    if runtime is None:
        raise RuntimeError("rds_servers.install() was not called")
    return runtime


def _listen(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def _bind_new(instance_id: str, port: int) -> tuple[str, int, socket.socket]:
    """A fresh loopback address with ``port`` bound (see the module docstring)."""
    refused = 0
    for _attempt in range(FALLBACK_AFTER + 50):
        address = _ADDRESSES.next()
        try:
            return address, port, _listen(address, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            refused += 1
        if refused >= FALLBACK_AFTER:
            sock = _listen(address, 0)
            free = sock.getsockname()[1]
            print(
                f"emulator: RDS instance {instance_id}: port {port} is taken on every loopback address "
                f"(does something listen on 0.0.0.0:{port}?); it listens on {address}:{free} instead, and "
                f"Endpoint.Port ({free}) differs from its port ({port}): amazon.aws.rds_instance will "
                "modify the port on every run",
                file=sys.stderr,
                flush=True,
            )
            return address, free, sock
    raise RuntimeError(f"RDS instance {instance_id}: no free loopback address for port {port}")


def _is_postgres(instance) -> bool:
    return str(getattr(instance, "engine", "")).lower() in SERVED_ENGINES


def _served(instance) -> bool:
    """A postgres instance of its backend (not a snapshot's copy of one, not deleted, no replica)."""
    if not _is_postgres(instance) or getattr(instance, "is_replica", False):
        return False
    backend = instance.__dict__.get("backend")
    identifier = instance.__dict__.get("_db_instance_identifier")
    return backend is not None and backend.databases.get(identifier) is instance


def _master_password(instance) -> str:
    secret = instance.__dict__.get("master_user_secret")
    if instance.__dict__.get("manage_master_user_password") and secret is not None:
        with contextlib.suppress(TypeError, ValueError, KeyError, AttributeError):
            return json.loads(secret.secret.secret_string)["password"]
    return instance.__dict__.get("_master_user_password") or ""


def _server_of(instance) -> _Server | None:
    entry = _SERVERS.get(id(instance))
    return entry[1] if entry is not None and entry[0] is instance else None


def _restoring_key(instance) -> tuple[int, str]:
    return id(instance.__dict__.get("backend")), str(instance.__dict__.get("_db_instance_identifier") or "")


def _restoring(instance) -> bool:
    return _restoring_key(instance) in _RESTORING


def _seed_of(instance) -> tuple[bool, _Blob | None]:
    """(known, data) of an instance that is not served yet: a restore's data."""
    entry = _SEEDS.get(id(instance))
    if entry is not None and entry[0] is instance:
        return True, entry[1]
    key = _restoring_key(instance)
    if key in _RESTORING:
        return True, _RESTORING[key]
    return False, None


def _serve(instance) -> _Server | None:
    """The instance's server, started now if it is available and has none yet."""
    server = _server_of(instance)
    if server is not None or _STATE.get("stopping") or not _served(instance):
        return server
    if instance.status != "available" or _restoring(instance):
        return None  # a restore in progress registers the data to start from first
    runtime = _runtime()
    instance_id = instance.db_instance_identifier
    version = str(instance.engine_version or "")
    if version.split(".", 1)[0] != SERVER_MAJOR:
        print(
            f"emulator: RDS instance {instance_id}: engine version {version} runs as PostgreSQL {SERVER_MAJOR} "
            f"(the {FLAVOUR} wheel)",
            file=sys.stderr,
            flush=True,
        )
    user = instance.master_username or "postgres"
    address, port, listener = _bind_new(instance_id, int(instance.port or 5432))
    server = _Server(runtime, instance_id, address, port)
    entry = _SEEDS.pop(id(instance), None)
    seed = entry[1] if entry is not None and entry[0] is instance else None
    try:
        server.create(listener, seed, user, _master_password(instance), instance.db_name or "")
    except BaseException:
        listener.close()
        server.destroy()
        if entry is not None:  # let a later describe try again
            _SEEDS[id(instance)] = entry
        raise
    if seed is not None:
        seed.release()
    _SERVERS[id(instance)] = (instance, server)
    instance.__dict__["_rds_server_endpoint"] = {"Address": server.address, "Port": server.port}
    return server


def _endpoint_of(instance, endpoint):
    """``Endpoint`` as the instance reports it (``endpoint``: what moto and the fixes say)."""
    if endpoint is None or not _is_postgres(instance):
        return endpoint
    with _LOCK:
        server = _serve(instance)
    if server is not None:
        return {"Address": server.address, "Port": server.port}
    last = instance.__dict__.get("_rds_server_endpoint")
    return dict(last) if last else endpoint


def _capture(instance) -> _Blob | None:
    """The instance's data now, for a snapshot (None: the empty initial database). An
    instance without a server yet holds what it would start from: the data of the snapshot
    it is restored from, or the empty initial database."""
    server = _server_of(instance)
    if server is None:
        known, seed = _seed_of(instance)
        return seed.share() if known and seed is not None else None
    path = _runtime().home / "snapshots" / uuid.uuid4().hex
    path.mkdir(parents=True)
    try:
        server.copy_data(path / "data")
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return _Blob(path, server.admin_password)


def _forget_snapshot(snapshot) -> None:
    entry = _SNAPSHOTS.pop(id(snapshot), None)
    if entry is not None and entry[0] is snapshot and entry[1] is not None:
        entry[1].release()


def _destroy(instance) -> None:
    """Stop the instance's server and remove its data; forget a pending restore's data."""
    server = _server_of(instance)
    if server is not None:
        del _SERVERS[id(instance)]
        server.destroy()
    entry = _SEEDS.pop(id(instance), None)
    if entry is not None and entry[0] is instance and entry[1] is not None:
        entry[1].release()


def _apply_master_password(instance) -> None:
    server = _server_of(instance)
    if server is None or not server.running:
        return
    password = _master_password(instance)
    if password and password != server.master_password:
        server.set_master_password(password)


def stop_all() -> None:
    """Stop every server and remove every copy (the emulator is stopping); the CA stays.
    Safe to call more than once."""
    with _LOCK:
        _STATE["stopping"] = True
        while _SERVERS:
            _key, (_instance, server) = _SERVERS.popitem()
            server.destroy()
        for _instance, seed in list(_SEEDS.values()):
            if seed is not None:
                seed.release()
        _SEEDS.clear()
        for _snapshot, blob in list(_SNAPSHOTS.values()):
            if blob is not None:
                blob.release()
        _SNAPSHOTS.clear()
        runtime = _STATE.get("runtime")
        if runtime is not None:
            runtime.remove_root()


def stop_leftovers(state_dir: Path) -> None:
    """Stop the servers that an emulator killed before its ``atexit`` ran left under
    ``state_dir`` and remove their files (``install()`` calls it; so does LocalServices).
    A PID counts only if it is a ``postgres`` of that data directory, or a TLS proxy."""
    home = Path(state_dir).resolve() / "rds"
    ours = {
        proc.pid for _instance, server in _SERVERS.values() for proc in (server.proc, server.proxy) if proc is not None
    }
    for record_file in sorted(home.glob("servers/*.json")):
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(record_file.read_text(encoding="utf-8"))
            if {record.get("proxy_pid"), record.get("postgres_pid")} & ours:
                continue
            _stop_pid(record.get("proxy_pid"), "tls_proxy", signal.SIGTERM)
            _stop_pid(record.get("postgres_pid"), record.get("data_dir") or "/nonexistent", signal.SIGINT)
            shutil.rmtree(record.get("dir") or "/nonexistent", ignore_errors=True)
        record_file.unlink(missing_ok=True)
    if _SERVERS or _SNAPSHOTS or _SEEDS:
        return  # this process serves from here: its copies stay
    shutil.rmtree(home / "snapshots", ignore_errors=True)
    shutil.rmtree(home / "run", ignore_errors=True)
    with contextlib.suppress(OSError):
        root = Path((home / "run-root").read_text(encoding="utf-8").strip())
        if root.name.startswith("openwebui-rds-"):
            shutil.rmtree(root, ignore_errors=True)
        (home / "run-root").unlink()


def _stop_pid(pid, marker: str, signum: int) -> None:
    """Stop ``pid`` if its command line contains ``marker`` (it is the process we started)."""
    if not pid or not pid_alive(int(pid)):
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return
    if marker not in cmdline:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(pid), signum)
    deadline = time.monotonic() + STOP_TIMEOUT
    while pid_alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(int(pid)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid), signal.SIGKILL)


# -- wiring into moto ---------------------------------------------------------------------------------
def install(state_dir: Path, flavour: str = FLAVOUR) -> None:
    """Make the emulator's RDS ``postgres`` instances real servers (see the module
    docstring). Call it once in the emulator process, after ``moto_fixes.apply()``. A
    second call changes nothing but stops leftovers again."""
    from moto.rds.models import DBInstance, RDSBackend

    state_dir = Path(state_dir).resolve()
    with _LOCK:
        stop_leftovers(state_dir)
        if _ORIGINALS:
            return
        _STATE.update(runtime=_Runtime(state_dir, flavour), stopping=False)
        endpoint = DBInstance.__dict__["endpoint"]
        originals = {
            name: getattr(RDSBackend, name)
            for name in (
                "create_db_snapshot",
                "copy_db_snapshot",
                "delete_db_snapshot",
                "restore_db_instance_from_db_snapshot",
                "restore_db_instance_to_point_in_time",
                "delete_db_instance",
                "reboot_db_instance",
                "stop_db_instance",
                "start_db_instance",
                "modify_db_instance",
                "reset",
            )
        }
        _ORIGINALS.update(originals, endpoint=endpoint, had_own_reset="reset" in RDSBackend.__dict__)

        def endpoint_served(self):
            return _endpoint_of(self, endpoint.fget(self))

        def create_db_snapshot(self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs):
            with _LOCK:
                snapshot = originals["create_db_snapshot"](
                    self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs
                )
                database = self.databases.get(db_instance_identifier)
                try:
                    blob = _capture(database) if database is not None and _is_postgres(database) else None
                except BaseException:
                    self.database_snapshots.pop(db_snapshot_identifier, None)
                    raise
                _SNAPSHOTS[id(snapshot)] = (snapshot, blob)
                return snapshot

        def copy_db_snapshot(self, source_db_snapshot_identifier, target_db_snapshot_identifier, *args, **kwargs):
            with _LOCK:
                copy = originals["copy_db_snapshot"](
                    self, source_db_snapshot_identifier, target_db_snapshot_identifier, *args, **kwargs
                )
                source = self.database_snapshots.get(str(source_db_snapshot_identifier).rsplit(":", 1)[-1])
                entry = _SNAPSHOTS.get(id(source))
                blob = entry[1] if entry is not None and entry[0] is source else None
                _SNAPSHOTS[id(copy)] = (copy, blob.share() if blob is not None else None)
                return copy

        def delete_db_snapshot(self, db_snapshot_identifier):
            with _LOCK:
                snapshot = originals["delete_db_snapshot"](self, db_snapshot_identifier)
                _forget_snapshot(snapshot)
                return snapshot

        def restore_db_instance_from_db_snapshot(self, from_snapshot_id, overrides):
            name = str(from_snapshot_id)
            if name.startswith("arn:"):
                name = self.extract_snapshot_name_from_arn(name)
            with _LOCK:
                snapshot = self.database_snapshots.get(name)
                entry = _SNAPSHOTS.get(id(snapshot))
                blob = entry[1] if entry is not None and entry[0] is snapshot else None
                return _restore(
                    self,
                    overrides.get("db_instance_identifier"),
                    blob.share() if blob is not None else None,
                    lambda: originals["restore_db_instance_from_db_snapshot"](self, from_snapshot_id, overrides),
                )

        def restore_db_instance_to_point_in_time(self, source_db_identifier, target_db_identifier, overrides):
            with _LOCK:
                source = self.databases.get(source_db_identifier)
                blob = _capture(source) if source is not None and _is_postgres(source) else None
                return _restore(
                    self,
                    target_db_identifier,
                    blob,
                    lambda: originals["restore_db_instance_to_point_in_time"](
                        self, source_db_identifier, target_db_identifier, overrides
                    ),
                )

        def delete_db_instance(self, *args, **kwargs):
            with _LOCK:
                instance = originals["delete_db_instance"](self, *args, **kwargs)
                _destroy(instance)
                return instance

        def reboot_db_instance(self, db_instance_identifier):
            with _LOCK:
                instance = originals["reboot_db_instance"](self, db_instance_identifier)
                server = _server_of(instance)
                if server is not None and server.running:
                    server.stop()
                    server.start()
                return instance

        def stop_db_instance(self, *args, **kwargs):
            with _LOCK:
                instance = originals["stop_db_instance"](self, *args, **kwargs)
                server = _server_of(instance)
                if server is not None:
                    server.stop()
                return instance

        def start_db_instance(self, *args, **kwargs):
            with _LOCK:
                instance = originals["start_db_instance"](self, *args, **kwargs)
                server = _server_of(instance)
                if server is not None and not server.running:
                    server.start()
                    _apply_master_password(instance)
                return instance

        def modify_db_instance(self, db_instance_identifier, db_kwargs):
            with _LOCK:
                instance = originals["modify_db_instance"](self, db_instance_identifier, db_kwargs)
                _apply_master_password(instance)
                return instance

        def reset(self):
            with _LOCK:
                for instance, _used in list(_SERVERS.values()) + list(_SEEDS.values()):
                    if instance.__dict__.get("backend") is self:
                        _destroy(instance)
                for snapshot, _blob in list(_SNAPSHOTS.values()):
                    if snapshot.__dict__.get("backend") is self:
                        _forget_snapshot(snapshot)
            return originals["reset"](self)

        def _restore(backend, instance_id, blob, call):
            key = (id(backend), str(instance_id or "").lower())
            _RESTORING[key] = blob
            try:
                instance = call()
            except BaseException:
                if blob is not None:
                    blob.release()
                raise
            finally:
                _RESTORING.pop(key, None)
            _SEEDS[id(instance)] = (instance, blob)
            return instance

        DBInstance.endpoint = property(endpoint_served)
        patched = {
            "create_db_snapshot": create_db_snapshot,
            "copy_db_snapshot": copy_db_snapshot,
            "delete_db_snapshot": delete_db_snapshot,
            "restore_db_instance_from_db_snapshot": restore_db_instance_from_db_snapshot,
            "restore_db_instance_to_point_in_time": restore_db_instance_to_point_in_time,
            "delete_db_instance": delete_db_instance,
            "reboot_db_instance": reboot_db_instance,
            "stop_db_instance": stop_db_instance,
            "start_db_instance": start_db_instance,
            "modify_db_instance": modify_db_instance,
            "reset": reset,
        }
        for name, function in patched.items():
            setattr(RDSBackend, name, functools.wraps(originals[name])(function))
        atexit.register(stop_all)


def uninstall() -> None:
    """Stop every server and take the patches out again (for tests)."""
    from moto.rds.models import DBInstance, RDSBackend

    with _LOCK:
        stop_all()
        if _ORIGINALS:
            DBInstance.endpoint = _ORIGINALS.pop("endpoint")
            had_own_reset = _ORIGINALS.pop("had_own_reset")
            for name, function in _ORIGINALS.items():
                if name == "reset" and not had_own_reset:
                    del RDSBackend.reset
                else:
                    setattr(RDSBackend, name, function)
            atexit.unregister(stop_all)
        _ORIGINALS.clear()
        _STATE.clear()
