"""elasticache_replication_group against the local emulator: create in check mode (nothing made), create
(a primary and a replica in two zones, TLS, KMS at rest, AUTH, slow-log delivery, tags), a re-run with no
change, modifications (parameter group, snapshot retention, log delivery, tags) in check mode then for
real, an AUTH token rotate then set, settings that cannot change, bad options that fail before any AWS
call, and absent (check mode, real, again). The token is never in any output.

The assertions are what AWS answers; the emulator's fixes (tools/local_services) make it answer so."""

from __future__ import annotations

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.elasticache_replication_group"
GROUP = "functional-rg"
PLAIN = "functional-rg-plain"
TOKEN = "Functional-T0ken-0123456789"
NEW_TOKEN = "Rotated-T0ken-9876543210-abc"
# The calls that change a replication group (check mode and a no-change run must make none).
WRITES = {
    "CreateReplicationGroup",
    "ModifyReplicationGroup",
    "DeleteReplicationGroup",
    "AddTagsToResource",
    "RemoveTagsFromResource",
}


@pytest.fixture(scope="module")
def aws(emulator):
    """A VPC with a subnet in two zones, a cache subnet group, two security groups, a KMS key with an
    alias and two log groups (boto3), and the module's connection."""
    ec2, elasticache = emulator.client("ec2"), emulator.client("elasticache")
    kms, logs = emulator.client("kms"), emulator.client("logs")
    region = emulator.state["aws_region"]
    zones = [region + "a", region + "b"]
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    groups = [
        ec2.create_security_group(GroupName=f"functional-rg-{n}", Description="redis", VpcId=vpc)["GroupId"]
        for n in ("first", "second")
    ]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="functional-rg", CacheSubnetGroupDescription="functional", SubnetIds=subnets
    )
    key = kms.create_key(Description="functional elasticache")["KeyMetadata"]
    kms.create_alias(AliasName="alias/functional-rg", TargetKeyId=key["KeyId"])
    log_groups = {"slow-log": "/functional-rg/slow-log", "engine-log": "/functional-rg/engine-log"}
    for name in log_groups.values():
        logs.create_log_group(logGroupName=name)
    return dict(
        emulator=emulator,
        elasticache=elasticache,
        zones=zones,
        security_groups=groups,
        key=key,
        log_groups=log_groups,
        connection=emulator.module_connection(),
    )


def args(aws, **extra):
    base = dict(
        aws["connection"],
        replication_group_id=GROUP,
        description="Redis of the functional tests",
        engine="redis",
        engine_version="7.1",
        node_type="cache.t4g.micro",
        num_cache_clusters=2,
        preferred_cache_cluster_azs=aws["zones"],
        automatic_failover=True,
        multi_az=True,
        cache_subnet_group="functional-rg",
        security_group_ids=aws["security_groups"][:1],
        transit_encryption=True,
        at_rest_encryption=True,
        kms_key_id="alias/functional-rg",
        auth_token=TOKEN,
        log_delivery=[dict(log_type="slow-log", log_group=aws["log_groups"]["slow-log"])],
        snapshot_retention_limit=1,
        tags={"Stack": "functional"},
        wait_timeout=60,
    )
    return dict(base, **extra)


def run(ansible, module_args, **kwargs):
    result = ansible.module(MODULE, module_args, **kwargs)
    assert result.rc == 0, result.output
    assert TOKEN not in result.output and NEW_TOKEN not in result.output, "the AUTH token leaked"
    return result.result


def fail(ansible, module_args, **kwargs):
    result = ansible.module(MODULE, module_args, **kwargs)
    assert result.rc != 0, result.output
    assert TOKEN not in result.output and NEW_TOKEN not in result.output, "the AUTH token leaked"
    return result.result


def writes_since(aws, count: int) -> list[str]:
    """The group-changing calls the emulator received after its first ``count`` requests."""
    return [r["action"] for r in aws["emulator"].requests()[count:] if r["action"] in WRITES]


def seen(aws) -> int:
    return len(aws["emulator"].requests())


def describe(aws, group_id=GROUP) -> dict | None:
    elasticache = aws["elasticache"]
    try:
        return elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except elasticache.exceptions.ReplicationGroupNotFoundFault:
        return None


def members(aws, group) -> list[dict]:
    elasticache = aws["elasticache"]
    return [
        elasticache.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"][0]
        for cluster_id in group["MemberClusters"]
    ]


def logs_of(group) -> dict[str, tuple[str, str]]:
    return {
        entry["LogType"]: (entry["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"], entry["LogFormat"])
        for entry in group.get("LogDeliveryConfigurations", [])
        if entry.get("Status") not in ("disabling", "disabled")
    }


def test_lifecycle(ansible, aws):
    elasticache = aws["elasticache"]

    # check mode: reports the creation, makes nothing; the token is in neither the diff nor the -vvv output
    count = seen(aws)
    out = run(ansible, args(aws), check=True, diff=True)
    assert out["changed"] is True and out["replication_group"] == {} and out["changed_settings"] == []
    assert out["diff"]["before"] == {}
    after = out["diff"]["after"]
    assert after["num_cache_clusters"] == 2 and after["transit_encryption"] is True
    assert after["auth_token_enabled"] is True and after["kms_key_id"] == "alias/functional-rg"
    assert writes_since(aws, count) == [] and describe(aws) is None
    verbose = ansible.module(MODULE, args(aws), check=True, diff=True, verbosity=3)
    assert verbose.rc == 0 and TOKEN not in verbose.output, "the AUTH token leaked at -vvv"

    # create: a primary and a replica in two zones, as asked
    out = run(ansible, args(aws), diff=True)
    assert_documented("elasticache_replication_group", out)
    assert out["changed"] is True
    group = describe(aws)
    assert group["Status"] == "available"
    assert group["MemberClusters"] == [f"{GROUP}-001", f"{GROUP}-002"]
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert group["TransitEncryptionEnabled"] is True and group["AtRestEncryptionEnabled"] is True
    kms = aws["emulator"].client("kms")
    assert kms.describe_key(KeyId=group["KmsKeyId"])["KeyMetadata"]["Arn"] == aws["key"]["Arn"]
    assert group["AuthTokenEnabled"] is True
    assert group["SnapshotRetentionLimit"] == 1
    assert logs_of(group) == {"slow-log": (aws["log_groups"]["slow-log"], "json")}
    clusters = members(aws, group)
    assert sorted(c["PreferredAvailabilityZone"] for c in clusters) == aws["zones"]
    for cluster in clusters:
        assert cluster["EngineVersion"].startswith("7.1")
        assert cluster["CacheSubnetGroupName"] == "functional-rg"
        assert [sg["SecurityGroupId"] for sg in cluster["SecurityGroups"]] == aws["security_groups"][:1]
    tags = elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert tags == [{"Key": "Stack", "Value": "functional"}]
    returned = out["replication_group"]
    node_group = group["NodeGroups"][0]
    assert returned["primary_endpoint"] == {
        "address": node_group["PrimaryEndpoint"]["Address"],
        "port": node_group["PrimaryEndpoint"]["Port"],
    }
    assert returned["reader_endpoint"]["address"] == node_group["ReaderEndpoint"]["Address"]
    assert returned["auth_token_enabled"] is True and returned["tags"] == {"Stack": "functional"}
    assert returned["security_group_ids"] == aws["security_groups"][:1]
    assert out["diff"]["after"]["kms_key_id"] == aws["key"]["Arn"]
    assert_documented("elasticache_replication_group", out)

    # again: no change, no write (the token is not compared: AWS never returns it)
    count = seen(aws)
    out = run(ansible, args(aws), diff=True)
    assert out["changed"] is False and out["changed_settings"] == [], out.get("diff")
    assert writes_since(aws, count) == []

    # modifications: a parameter group, the snapshot retention, the engine log, a tag
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="functional-rg-redis7", CacheParameterGroupFamily="redis7", Description="functional"
    )
    modified = args(
        aws,
        cache_parameter_group="functional-rg-redis7",
        snapshot_retention_limit=3,
        log_delivery=[
            dict(log_type="slow-log", log_group=aws["log_groups"]["slow-log"]),
            dict(log_type="engine-log", log_group=aws["log_groups"]["engine-log"], log_format="text"),
        ],
        tags={"Stack": "functional", "Owner": "tests"},
    )
    count = seen(aws)
    out = run(ansible, modified, check=True, diff=True)
    assert out["changed"] is True
    assert out["changed_settings"] == ["cache_parameter_group", "snapshot_retention_limit", "log_delivery", "tags"]
    assert writes_since(aws, count) == [] and describe(aws)["SnapshotRetentionLimit"] == 1

    out = run(ansible, modified, diff=True)
    assert out["changed"] is True
    assert (
        out["diff"]["before"]["snapshot_retention_limit"] == 1 and out["diff"]["after"]["snapshot_retention_limit"] == 3
    )
    assert out["diff"]["after"]["log_delivery"] == [
        {"log_type": "engine-log", "log_group": aws["log_groups"]["engine-log"], "log_format": "text"},
        {"log_type": "slow-log", "log_group": aws["log_groups"]["slow-log"], "log_format": "json"},
    ]
    assert writes_since(aws, count) == ["ModifyReplicationGroup", "AddTagsToResource"]
    group = describe(aws)
    assert group["SnapshotRetentionLimit"] == 3
    assert logs_of(group) == {
        "slow-log": (aws["log_groups"]["slow-log"], "json"),
        "engine-log": (aws["log_groups"]["engine-log"], "text"),
    }
    for cluster in members(aws, group):
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "functional-rg-redis7"
    assert out["replication_group"]["cache_parameter_group"] == "functional-rg-redis7"
    assert out["replication_group"]["tags"] == {"Stack": "functional", "Owner": "tests"}
    assert_documented("elasticache_replication_group", out)

    count = seen(aws)
    out = run(ansible, modified)
    assert out["changed"] is False and writes_since(aws, count) == []

    # the AUTH token: rotate (one modification of its own), then set; the token in no output
    for strategy in ("rotate", "set"):
        last = describe(aws)["AuthTokenLastModifiedDate"]
        count = seen(aws)
        out = run(ansible, dict(modified, auth_token=NEW_TOKEN, auth_token_update_strategy=strategy), diff=True)
        assert out["changed"] is True and out["changed_settings"] == ["auth_token"]
        assert out["diff"]["after"]["auth_token_update"] == strategy
        assert writes_since(aws, count) == ["ModifyReplicationGroup"]
        group = describe(aws)
        assert group["Status"] == "available" and group["AuthTokenEnabled"] is True
        assert group["AuthTokenLastModifiedDate"] > last
        assert_documented("elasticache_replication_group", out)
    # ... and without a strategy the token is not sent again
    count = seen(aws)
    assert run(ansible, dict(modified, auth_token=NEW_TOKEN))["changed"] is False
    assert writes_since(aws, count) == []

    # settings that cannot change fail, naming them, and change nothing
    count = seen(aws)
    out = fail(ansible, dict(modified, port=6380, snapshot_retention_limit=5))
    assert "port (6379, wanted 6380)" in out["msg"], out["msg"]
    assert out["immutable_differences"] == ["port"]
    out = fail(
        ansible, dict(modified, num_cache_clusters=3, preferred_cache_cluster_azs=[*aws["zones"], aws["zones"][0]])
    )
    assert "num_cache_clusters (2, wanted 3)" in out["msg"], out["msg"]
    out = fail(ansible, dict(modified, kms_key_id=None, at_rest_encryption=False))
    assert "at_rest_encryption (True, wanted False)" in out["msg"], out["msg"]
    assert writes_since(aws, count) == [] and describe(aws)["SnapshotRetentionLimit"] == 3

    # absent: check mode deletes nothing; then deleted (the wait sees it gone); then no change
    absent = dict(aws["connection"], replication_group_id=GROUP, state="absent", wait_timeout=60)
    count = seen(aws)
    out = run(ansible, absent, check=True, diff=True)
    assert out["changed"] is True and out["diff"]["after"] == {}
    assert out["diff"]["before"]["snapshot_retention_limit"] == 3
    assert writes_since(aws, count) == [] and describe(aws)["Status"] == "available"

    out = run(ansible, absent)
    assert out["changed"] is True and out["replication_group"] == {}
    assert describe(aws) is None
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        elasticache.describe_cache_clusters(CacheClusterId=f"{GROUP}-001")

    count = seen(aws)
    out = run(ansible, absent)
    assert out["changed"] is False and writes_since(aws, count) == []


def test_an_existing_group_without_auth_token(ansible, aws):
    """A group made without TLS nor AUTH: the token is not added without a strategy, nor with set;
    deleted with a final snapshot."""
    plain = dict(
        aws["connection"],
        replication_group_id=PLAIN,
        description="Redis without AUTH",
        engine="redis",
        engine_version="7.1",
        node_type="cache.t4g.micro",
        num_cache_clusters=1,
        cache_subnet_group="functional-rg",
        wait_timeout=60,
    )
    out = run(ansible, plain)
    assert out["changed"] is True and out["replication_group"]["auth_token_enabled"] is False

    count = seen(aws)
    out = fail(ansible, dict(plain, transit_encryption=True, auth_token=TOKEN))
    assert out["msg"].startswith("auth_token: the group has no AUTH token"), out["msg"]
    out = fail(ansible, dict(plain, transit_encryption=True, auth_token=TOKEN, auth_token_update_strategy="set"))
    assert out["msg"].startswith("auth_token_update_strategy=set: the group has no AUTH token"), out["msg"]
    assert writes_since(aws, count) == [] and describe(aws, PLAIN)["AuthTokenEnabled"] is False

    out = run(ansible, dict(plain, state="absent", final_snapshot_identifier=f"{PLAIN}-final"))
    assert out["changed"] is True and describe(aws, PLAIN) is None
    snapshots = aws["elasticache"].describe_snapshots(SnapshotName=f"{PLAIN}-final")["Snapshots"]
    assert [s["ReplicationGroupId"] for s in snapshots] == [PLAIN]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(transit_encryption=False), "auth_token needs transit_encryption=true"),
        (dict(auth_token="too-short"), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(auth_token="Functional/T0ken-0123456789"), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(num_cache_clusters=1, preferred_cache_cluster_azs=None), "automatic_failover needs num_cache_clusters"),
        (dict(automatic_failover=False), "multi_az needs automatic_failover=true"),
        (dict(at_rest_encryption=False), "kms_key_id needs at_rest_encryption=true"),
    ],
)
def test_bad_options_fail_before_any_aws_call(ansible, aws, changes, message):
    """The combinations AWS refuses (the unit tests check every other option check)."""
    count = seen(aws)
    out = fail(ansible, args(aws, **changes))
    assert out["msg"].startswith(message), out["msg"]
    assert aws["emulator"].requests()[count:] == [], "bad options reached AWS"


INFO = "ajudadigital.openwebui.elasticache_replication_group_info"


def test_info_reads_the_group_as_the_module_returns_it_and_writes_nothing(ansible, aws):
    """elasticache_replication_group_info: a missing group is no error (exists false, empty); an
    existing one comes back as elasticache_replication_group returns it (endpoints, encryption, the
    KMS key's ARN, tags, AUTH without the token), in check mode the same; no write."""
    group_id = "functional-rg-info"
    missing = ansible.module(INFO, dict(aws["connection"], replication_group_id=group_id))
    assert missing.rc == 0, missing.output
    assert (missing.result["changed"], missing.result["exists"], missing.result["replication_group"]) == (
        False,
        False,
        {},
    )
    made = run(
        ansible,
        args(aws, replication_group_id=group_id, num_cache_clusters=1, preferred_cache_cluster_azs=aws["zones"][:1],
             automatic_failover=False, multi_az=False, snapshot_retention_limit=0, wait=True),
    )  # fmt: skip
    before = seen(aws)
    for check in (False, True):
        read = ansible.module(INFO, dict(aws["connection"], id=group_id.upper()), check=check)
        assert read.rc == 0 and TOKEN not in read.output, read.output
        assert (read.result["changed"], read.result["exists"]) == (False, True)
        found = read.result["replication_group"]
        assert found == made["replication_group"]
        assert found["transit_encryption_enabled"] and found["auth_token_enabled"]
        assert found["kms_key_id"] == aws["key"]["Arn"] and found["tags"] == {"Stack": "functional"}
        assert found["primary_endpoint"]["address"] and found["auth_token_last_modified_date"]
        assert_documented("elasticache_replication_group_info", read.result)
    assert writes_since(aws, before) == []
    run(ansible, dict(aws["connection"], replication_group_id=group_id, state="absent", wait=True, wait_timeout=60))
