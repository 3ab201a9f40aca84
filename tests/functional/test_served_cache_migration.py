"""The upgrade of a stack deployed before the cache's replication group (issue #21), on the
session's served stack (xdist group ``local_stack``), with the real Open WebUI running in
the local ECS.

The test first puts the stack back in its pre-#21 shape, as the cache role of then left
it: the single-node cluster ``<stack>-redis`` (a real Redis here, plain TCP, no AUTH) in the
subnet group ``<stack>-redis``, its ``redis://`` URL in ``<stack>/redis-url``, the service's
tasks started on that URL; no replication group, parameter group, AUTH token secret or
cache log groups, and the stack key's policy without the cache's log groups and
ElastiCache. Then ``site.yml --tags security,cache`` (the least README says works; the
whole ``site.yml`` it tells an operator to run does the same in these two layers, and
no-change runs of the others) migrates it while ``/health`` is asked through the front door.

Runs after the secret-leak test and before test_served_restore.py (file order): the stack
it leaves is the shape a fresh deploy has, which the later served tests expect.
"""

from __future__ import annotations

import json
import ssl
import threading
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.functional.conftest import LOCAL_STACK, wait_for
from tests.functional.test_replication_groups import redis
from tests.functional.test_served_rotate import redis_accepts, secret
from tests.functional.test_served_stack import _serving_checker, running_tasks, service, stack_tls, urls
from tests.functional.test_stack import changed_tasks
from tools.local_services import cache_nodes
from tools.make_local import recap

pytestmark = pytest.mark.xdist_group("local_stack")
FAST = ("-e", "ecs_service_wait_delay=2", "-e", "cache_wait_delay=2")
OLD_CLUSTER, GROUP = f"{LOCAL_STACK}-redis", f"{LOCAL_STACK}-cache"
CACHE_LOG_GROUPS = [f"/{LOCAL_STACK}/elasticache/slow-log", f"/{LOCAL_STACK}/elasticache/engine-log"]
CLUSTER, SERVICE = LOCAL_STACK, "open-webui"


def old_cluster(stack) -> dict | None:
    try:
        (cluster,) = stack.client("elasticache").describe_cache_clusters(
            CacheClusterId=OLD_CLUSTER, ShowCacheNodeInfo=True
        )["CacheClusters"]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "CacheClusterNotFound", error
        return None
    return cluster


def group_gone(stack) -> bool:
    try:
        stack.client("elasticache").describe_replication_groups(ReplicationGroupId=GROUP)
    except ClientError as error:
        return error.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"
    return False


def restart_and_wait(stack) -> None:
    """What the pre-#21 deploy left: the service's tasks started on the URL the secret holds now."""
    before = {t["taskArn"] for t in running_tasks(stack)}
    stack.client("ecs").update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)

    def steady():
        svc, tasks = service(stack), running_tasks(stack)
        done = len(svc["deployments"]) == 1 and svc["deployments"][0].get("rolloutState") == "COMPLETED"
        return done and len(tasks) == 2 and not before & {t["taskArn"] for t in tasks}

    wait_for(steady, 600, "the service's restart onto the old cluster")


def old_key_policy(policy: dict) -> dict:
    """The stack key's policy as the security role wrote it before #21: CloudWatch Logs for the
    app's and the flow logs' groups only, and no ElastiCache among the services."""
    for statement in policy["Statement"]:
        if statement.get("Sid") == "CloudWatchLogsOfTheStack":
            arns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
            statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] = [
                a for a in arns if not any(a.endswith(f":log-group:{name}") for name in CACHE_LOG_GROUPS)
            ]
        if statement.get("Sid") == "StackServicesOnBehalfOfTheAccount":
            services = statement["Condition"]["StringEquals"]["kms:ViaService"]
            statement["Condition"]["StringEquals"]["kms:ViaService"] = [
                s for s in services if not s.startswith("elasticache.")
            ]
    return policy


def make_the_pre_21_shape(stack) -> tuple[str, int]:
    """The stack as the cache role left it before #21; returns the old cluster's endpoint."""
    elasticache, secrets = stack.client("elasticache"), stack.client("secretsmanager")
    kms, logs = stack.client("kms"), stack.client("logs")
    (redis_sg,) = stack.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"{LOCAL_STACK}-redis"]}]
    )["SecurityGroups"]
    # The single-node cluster, as community.aws.elasticache made it (roles/cache before #21).
    elasticache.create_cache_cluster(
        CacheClusterId=OLD_CLUSTER,
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.small",
        NumCacheNodes=1,
        Port=6379,
        CacheSubnetGroupName=f"{LOCAL_STACK}-redis",
        SecurityGroupIds=[redis_sg["GroupId"]],
    )

    def endpoint():
        cluster = old_cluster(stack)
        nodes = cluster["CacheNodes"] if cluster and cluster["CacheClusterStatus"] == "available" else []
        return nodes and nodes[0].get("Endpoint")

    found = wait_for(endpoint, 300, "the old cluster")
    address, port = found["Address"], found["Port"]
    # Its URL (redis://, no TLS, no AUTH), and the service's tasks on it.
    secrets.put_secret_value(SecretId=f"{LOCAL_STACK}/redis-url", SecretString=f"redis://{address}:{port}/0")
    restart_and_wait(stack)
    # No replication group (nor what came with it) yet.
    elasticache.delete_replication_group(ReplicationGroupId=GROUP)
    wait_for(lambda: group_gone(stack), 300, "the replication group to go")
    elasticache.delete_cache_parameter_group(CacheParameterGroupName=f"{LOCAL_STACK}-cache-redis7")
    secrets.delete_secret(SecretId=f"{LOCAL_STACK}/redis-auth-token", ForceDeleteWithoutRecovery=True)
    for name in CACHE_LOG_GROUPS:
        logs.delete_log_group(logGroupName=name)
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/{LOCAL_STACK}"]
    policy = json.loads(kms.get_key_policy(KeyId=alias["TargetKeyId"], PolicyName="default")["Policy"])
    kms.put_key_policy(KeyId=alias["TargetKeyId"], PolicyName="default", Policy=json.dumps(old_key_policy(policy)))
    return address, port


def connected_clients(address: tuple[str, int], *auth: str, context=None) -> int:
    """Clients connected to a Redis server, besides the one asking."""
    replies = redis(address, *([("AUTH", *auth)] if auth else []), ("INFO", "clients"), context=context)
    info = dict(line.split(":", 1) for line in replies[-1].splitlines() if ":" in line)
    return int(info["connected_clients"]) - 1


def test_site_yml_migrates_a_single_node_cluster_while_the_service_serves(local_stack):
    """site.yml --tags security,cache on the pre-#21 shape: /health answers 200 throughout;
    the replication group exists, the URL secret is rediss:// to its primary with the AUTH token of its own secret,
    the service's tasks were replaced and the new ones use the group; the old cluster is
    gone; the key policy has the cache's log groups again. Then the security and cache layers
    in check mode would change nothing."""
    address, port = make_the_pre_21_shape(local_stack)
    assert connected_clients((address, port)) >= 1, "the tasks do not use the old cluster"
    old_tasks = {t["taskArn"] for t in running_tasks(local_stack)}

    https, tls = urls(local_stack)[443], stack_tls(local_stack)
    stop, answers = threading.Event(), []
    checker = threading.Thread(target=_serving_checker, args=(https, tls, stop, answers, "/health"))
    checker.start()
    try:
        run = local_stack.playbook("site.yml", "--tags", "security,cache", *FAST)
    finally:
        stop.set()
        checker.join(60)
    assert run.rc == 0, run.output[-4000:]
    assert answers and set(answers) == {200}, f"a request failed during the migration: {sorted(set(map(str, answers)))}"
    text = " ".join(run.stdout.split())
    assert f"{OLD_CLUSTER} (the single-node cluster) is replaced by the replication group {GROUP}" in text

    # The old cluster is gone; the group serves, over TLS with the token of its secret.
    assert old_cluster(local_stack) is None
    (group,) = local_stack.client("elasticache").describe_replication_groups(ReplicationGroupId=GROUP)[
        "ReplicationGroups"
    ]
    assert group["Status"] == "available" and group["TransitEncryptionEnabled"] and group["AuthTokenEnabled"]
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    url, token = secret(local_stack, "redis-url"), secret(local_stack, "redis-auth-token")
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port, parts.path, parts.password) == (
        "rediss",
        primary["Address"],
        primary["Port"],
        "/0",
        token,
    )
    assert redis_accepts(local_stack, url, token)

    # Only new tasks run, as many as before, and they use the group (the old cluster is gone).
    tasks = running_tasks(local_stack)
    assert len(tasks) == len(old_tasks) and not old_tasks & {t["taskArn"] for t in tasks}
    assert service(local_stack)["deployments"][0]["rolloutState"] == "COMPLETED"
    context = ssl.create_default_context(cafile=str(cache_nodes.ca_file(local_stack.services.state_dir)))
    assert connected_clients((primary["Address"], primary["Port"]), token, context=context) >= 1

    # The security layer gave the key policy the cache's log groups and ElastiCache back.
    kms = local_stack.client("kms")
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/{LOCAL_STACK}"]
    policy = kms.get_key_policy(KeyId=alias["TargetKeyId"], PolicyName="default")["Policy"]
    assert all(f":log-group:{name}" in policy for name in CACHE_LOG_GROUPS) and "elasticache." in policy

    # Converged: the layers the migration touched would change nothing (check mode, which
    # test_served_rotate.py's whole-stack check also runs later on this stack).
    again = local_stack.playbook("site.yml", "--tags", "security,cache", "--check", "--diff")
    assert again.rc == 0, again.output[-4000:]
    assert changed_tasks(again.stdout) == [] and recap(again.stdout)["localhost"]["changed"] == 0
