# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the elasticache_replication_group module's pure logic (option checks, the view of a
described group, the diff and the modification plan), and that the AUTH token never leaves it."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import elasticache_replication_group as rg
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

TOKEN = "Sup3r-Secret-T0ken-1234567890"
NEW_TOKEN = "An0ther-Secret-T0ken-0987654321"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ENDPOINT = "openwebui-redis.abc123.euw1.cache.amazonaws.com"

PARAMS = dict(
    state="present",
    replication_group_id="openwebui-redis",
    description="Redis of openwebui",
    engine="redis",
    engine_version="7.1",
    node_type="cache.t4g.small",
    num_cache_clusters=2,
    preferred_cache_cluster_azs=["eu-west-1b", "eu-west-1a"],
    automatic_failover=True,
    multi_az=True,
    port=6379,
    cache_subnet_group="openwebui-redis",
    security_group_ids=["sg-2", "sg-1"],
    cache_parameter_group="openwebui-redis7",
    transit_encryption=True,
    at_rest_encryption=True,
    kms_key_id=KEY,
    auth_token=TOKEN,
    auth_token_update_strategy=None,
    log_delivery=[
        dict(log_type="slow-log", log_group="/openwebui/redis/slow-log", log_format="json"),
        dict(log_type="engine-log", log_group="/openwebui/redis/engine-log", log_format="text"),
    ],
    snapshot_retention_limit=7,
    apply_immediately=True,
    final_snapshot_identifier=None,
    wait=True,
    wait_timeout=1800,
    tags=dict(Stack="openwebui"),
    purge_tags=True,
)


def log_entry(log_type, log_group, log_format, status="active"):
    return dict(
        LogType=log_type,
        DestinationType="cloudwatch-logs",
        DestinationDetails=dict(CloudWatchLogsDetails=dict(LogGroup=log_group)),
        LogFormat=log_format,
        Status=status,
    )


GROUP = dict(
    ReplicationGroupId="openwebui-redis",
    Description="Redis of openwebui",
    Status="available",
    PendingModifiedValues={},
    MemberClusters=["openwebui-redis-001", "openwebui-redis-002"],
    NodeGroups=[
        dict(
            NodeGroupId="0001",
            Status="available",
            PrimaryEndpoint=dict(Address="master." + ENDPOINT, Port=6379),
            ReaderEndpoint=dict(Address="replica." + ENDPOINT, Port=6379),
            NodeGroupMembers=[
                dict(CacheClusterId="openwebui-redis-001", CurrentRole="replica"),
                dict(CacheClusterId="openwebui-redis-002", CurrentRole="primary"),
            ],
        )
    ],
    AutomaticFailover="enabled",
    MultiAZ="enabled",
    SnapshotRetentionLimit=7,
    CacheNodeType="cache.t4g.small",
    AuthTokenEnabled=True,
    TransitEncryptionEnabled=True,
    TransitEncryptionMode="required",
    AtRestEncryptionEnabled=True,
    KmsKeyId=KEY,
    ARN="arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:openwebui-redis",
    LogDeliveryConfigurations=[
        log_entry("slow-log", "/openwebui/redis/slow-log", "json"),
        log_entry("engine-log", "/openwebui/redis/engine-log", "text"),
    ],
    Engine="redis",
)


def member(cluster_id, az):
    return dict(
        CacheClusterId=cluster_id,
        Engine="redis",
        EngineVersion="7.1.0",
        PreferredAvailabilityZone=az,
        CacheParameterGroup=dict(CacheParameterGroupName="openwebui-redis7", ParameterApplyStatus="in-sync"),
        CacheSubnetGroupName="openwebui-redis",
        SecurityGroups=[dict(SecurityGroupId="sg-1", Status="active"), dict(SecurityGroupId="sg-2", Status="active")],
        PendingModifiedValues={},
    )


MEMBERS = [member("openwebui-redis-001", "eu-west-1a"), member("openwebui-redis-002", "eu-west-1b")]
TAGS = dict(Stack="openwebui")


def views(params=None, group=None, members=None, tags=None):
    before = rg.current_view(group or GROUP, MEMBERS if members is None else members, TAGS if tags is None else tags)
    after = rg.wanted_view(params or PARAMS, before, KEY)
    return before, after


# -- option checks --------------------------------------------------------------------------------


def test_the_stack_s_options_are_accepted():
    assert rg.option_problem(PARAMS) is None
    assert rg.option_problem(dict(PARAMS, replication_group_id="A1-b2")) is None
    assert rg.option_problem(dict(PARAMS, replication_group_id="a" * 40)) is None


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(replication_group_id="1redis"), "replication_group_id must be 1 to 40"),
        (dict(replication_group_id="red--is"), "replication_group_id must be 1 to 40"),
        (dict(replication_group_id="redis-"), "replication_group_id must be 1 to 40"),
        (dict(replication_group_id="a" * 41), "replication_group_id must be 1 to 40"),
        (dict(replication_group_id="red_is"), "replication_group_id must be 1 to 40"),
        (dict(transit_encryption=None), "auth_token needs transit_encryption=true"),
        (dict(transit_encryption=False), "auth_token needs transit_encryption=true"),
        (dict(auth_token="short"), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(auth_token="x" * 129), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(auth_token="Percent%Token0123456"), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(auth_token="Tilde~Token01234567"), "auth_token must be 16 to 128 printable ASCII characters"),
        (dict(auth_token="with-an-@-sign-in-it"), "auth_token must be 16 to 128"),
        (dict(auth_token='with-a-"-quote-in-it'), "auth_token must be 16 to 128"),
        (dict(auth_token="with-a-/-slash-in-it"), "auth_token must be 16 to 128"),
        (dict(auth_token="with a space in it!!"), "auth_token must be 16 to 128"),
        (dict(auth_token="non-ascii-é-token-xxxx"), "auth_token must be 16 to 128"),
        (dict(auth_token=None, auth_token_update_strategy="rotate"), "auth_token_update_strategy needs auth_token"),
        (dict(at_rest_encryption=None), "kms_key_id needs at_rest_encryption=true"),
        (dict(at_rest_encryption=False), "kms_key_id needs at_rest_encryption=true"),
        (dict(num_cache_clusters=1, preferred_cache_cluster_azs=None), "automatic_failover needs num_cache_clusters"),
        (dict(num_cache_clusters=7), "num_cache_clusters must be 1 to 6"),
        (dict(num_cache_clusters=0), "num_cache_clusters must be 1 to 6"),
        (dict(automatic_failover=None), "multi_az needs automatic_failover=true"),
        (dict(automatic_failover=False), "multi_az needs automatic_failover=true"),
        (dict(preferred_cache_cluster_azs=["eu-west-1a"]), "preferred_cache_cluster_azs must name one"),
        (dict(node_type="t4g.small"), "node_type must be an ElastiCache node type"),
        (dict(port=70000), "port must be 1 to 65535"),
        (dict(snapshot_retention_limit=36), "snapshot_retention_limit must be 0 to 35"),
        (dict(wait_timeout=0), "wait_timeout must be 1 or more"),
    ],
)
def test_combinations_aws_refuses_fail_naming_the_option(changes, message):
    problem = rg.option_problem(dict(PARAMS, **changes))
    assert problem is not None and problem.startswith(message), problem


def test_a_bad_token_is_never_quoted():
    for token in ("short-token", "with-an-@-sign-in-it-and-long-enough"):
        problem = rg.option_problem(dict(PARAMS, auth_token=token))
        assert token not in problem


def test_log_delivery_checks():
    twice = PARAMS["log_delivery"] + [dict(log_type="slow-log", log_group="/other", log_format="json")]
    assert rg.option_problem(dict(PARAMS, log_delivery=twice)) == "log_delivery: log_type slow-log is given twice"
    empty = [dict(log_type="engine-log", log_group=" ", log_format="json")]
    assert (
        rg.option_problem(dict(PARAMS, log_delivery=empty)) == "log_delivery: log_group of engine-log must not be empty"
    )


def test_state_absent_checks_the_id_only():
    absent = dict(PARAMS, state="absent", transit_encryption=None, num_cache_clusters=9)
    assert rg.option_problem(absent) is None
    assert rg.option_problem(dict(absent, replication_group_id="-x")).startswith("replication_group_id")


def test_creation_needs_a_description_and_a_node_type():
    assert rg.create_problem(PARAMS) is None
    assert (
        rg.create_problem(dict(PARAMS, node_type=None))
        == "node_type is needed to create replication group openwebui-redis"
    )
    assert rg.create_problem(dict(PARAMS, node_type=None, description="")) == (
        "description and node_type are needed to create replication group openwebui-redis"
    )


# -- the view of a described group -----------------------------------------------------------------


def test_versions():
    assert rg.version_matches("7.1.0", "7.1")
    assert rg.version_matches("7.1.0", "7.1.0")
    assert rg.version_matches("6.2.6", "6.x")
    assert rg.version_matches("7.1.0", None)
    assert not rg.version_matches("7.1.0", "7.0")
    assert not rg.version_matches("7.10.0", "7.1")
    assert not rg.version_matches(None, "7.1")
    assert rg.transit_changeable("valkey", "7.2.6")
    assert rg.transit_changeable("redis", "7.0.7")
    assert not rg.transit_changeable("redis", "6.2.6")
    assert rg.transit_changeable("redis", None)  # unknown: AWS answers


def test_current_view_reads_the_group_and_its_primary():
    before = rg.current_view(GROUP, MEMBERS, TAGS)
    assert before == dict(
        description="Redis of openwebui",
        engine="redis",
        engine_version="7.1.0",
        node_type="cache.t4g.small",
        num_cache_clusters=2,
        preferred_cache_cluster_azs=["eu-west-1a", "eu-west-1b"],
        automatic_failover=True,
        multi_az=True,
        port=6379,
        cache_subnet_group="openwebui-redis",
        security_group_ids=["sg-1", "sg-2"],
        cache_parameter_group="openwebui-redis7",
        transit_encryption=True,
        transit_encryption_mode="required",
        at_rest_encryption=True,
        kms_key_id=KEY,
        auth_token_enabled=True,
        log_delivery=[
            dict(log_type="engine-log", log_group="/openwebui/redis/engine-log", log_format="text"),
            dict(log_type="slow-log", log_group="/openwebui/redis/slow-log", log_format="json"),
        ],
        snapshot_retention_limit=7,
        tags=TAGS,
    )


def test_the_primary_is_the_member_in_the_primary_role():
    other = dict(MEMBERS[0], EngineVersion="7.0.7")
    assert rg.primary_member(GROUP, [other, MEMBERS[1]]) is MEMBERS[1]
    assert rg.primary_member(dict(GROUP, NodeGroups=[]), [other, MEMBERS[1]]) is other
    assert rg.primary_member(GROUP, []) == {}


def test_pending_values_count_as_made():
    members = [MEMBERS[0], dict(MEMBERS[1], PendingModifiedValues=dict(EngineVersion="7.1.0", CacheNodeType="x"))]
    group = dict(GROUP, PendingModifiedValues=dict(AutomaticFailoverStatus="disabled"))
    before = rg.current_view(group, [dict(m, EngineVersion="7.0.7") for m in members], TAGS)
    assert before["engine_version"] == "7.1.0"
    assert before["node_type"] == "x"
    assert before["automatic_failover"] is False


def test_logs_being_disabled_are_left_out():
    group = dict(GROUP, LogDeliveryConfigurations=[log_entry("slow-log", "/a", "json", status="disabling")])
    assert rg.current_view(group, MEMBERS, TAGS)["log_delivery"] == []


def test_a_group_being_created_has_no_endpoint_yet():
    group = dict(GROUP, Status="creating", NodeGroups=[dict(NodeGroupId="0001", Status="creating")])
    assert rg.endpoints(group) == [{}, {}]
    assert rg.current_view(group, [], {})["port"] is None
    assert rg.summary(group, [], {})["primary_endpoint"] == {}


# -- comparison and plan ---------------------------------------------------------------------------


def test_the_same_settings_are_no_change():
    before, after = views()
    assert after == before
    assert rg.immutable_differences(before, after) == []
    assert rg.existing_problem(PARAMS, before, before) is None
    assert rg.plan(PARAMS, before, after) == ([], [])


def test_omitted_options_are_not_compared():
    bare = dict(
        (k, None) for k in PARAMS if k not in ("state", "replication_group_id", "num_cache_clusters", "purge_tags")
    )
    params = dict(bare, state="present", replication_group_id="openwebui-redis", num_cache_clusters=2, purge_tags=True)
    before, after = views(params)
    assert after == before
    assert rg.plan(params, before, after) == ([], [])


def test_differences_make_one_modification():
    params = dict(
        PARAMS,
        description="new",
        engine_version="7.2",
        snapshot_retention_limit=1,
        cache_parameter_group="other",
        security_group_ids=["sg-3"],
        log_delivery=[dict(log_type="slow-log", log_group="/openwebui/redis/slow", log_format="text")],
        apply_immediately=False,
    )
    before, after = views(params)
    steps, names = rg.plan(params, before, after)
    assert names == [
        "description",
        "engine_version",
        "security_group_ids",
        "cache_parameter_group",
        "snapshot_retention_limit",
        "log_delivery",
    ]
    assert steps == [
        dict(
            ReplicationGroupDescription="new",
            EngineVersion="7.2",
            SecurityGroupIds=["sg-3"],
            CacheParameterGroupName="other",
            SnapshotRetentionLimit=1,
            LogDeliveryConfigurations=[
                dict(
                    LogType="slow-log",
                    DestinationType="cloudwatch-logs",
                    DestinationDetails=dict(CloudWatchLogsDetails=dict(LogGroup="/openwebui/redis/slow")),
                    LogFormat="text",
                    Enabled=True,
                ),
                dict(LogType="engine-log", Enabled=False),
            ],
            ApplyImmediately=False,
        )
    ]


def test_failover_cannot_be_turned_off_on_a_multi_az_group():
    params = dict(PARAMS, automatic_failover=False, multi_az=None)
    before, after = views(params)
    assert rg.existing_problem(params, before, after).startswith("automatic_failover=false: the group is Multi-AZ")


def test_failover_and_multi_az_are_turned_off_together():
    params = dict(PARAMS, automatic_failover=False, multi_az=False)
    before, after = views(params)
    steps, names = rg.plan(params, before, after)
    assert names == ["automatic_failover", "multi_az"]
    assert steps == [dict(AutomaticFailoverEnabled=False, MultiAZEnabled=False, ApplyImmediately=True)]


def test_log_delivery_requests():
    slow = dict(log_type="slow-log", log_group="/a", log_format="json")
    engine = dict(log_type="engine-log", log_group="/b", log_format="json")
    assert rg.log_delivery_requests([slow], [slow]) == []
    assert rg.log_delivery_requests([], [slow])[0]["Enabled"] is True
    assert rg.log_delivery_requests([slow, engine], []) == [
        dict(LogType="engine-log", Enabled=False),
        dict(LogType="slow-log", Enabled=False),
    ]
    moved = rg.log_delivery_requests([slow], [dict(slow, log_group="/c")])
    assert moved[0]["DestinationDetails"] == dict(CloudWatchLogsDetails=dict(LogGroup="/c"))


def test_tags_are_compared_with_purge_or_merged():
    before, after = views(dict(PARAMS, tags=dict(Owner="tests")))
    assert after["tags"] == dict(Owner="tests")
    assert rg.plan(PARAMS, before, after) == ([], ["tags"])
    before, after = views(dict(PARAMS, tags=dict(Owner="tests"), purge_tags=False))
    assert after["tags"] == dict(Stack="openwebui", Owner="tests")
    before, after = views(dict(PARAMS, tags=dict(Stack="openwebui"), purge_tags=False))
    assert after["tags"] == before["tags"]


@pytest.mark.parametrize(
    "changes, named",
    [
        (dict(engine="valkey"), "engine (redis, wanted valkey)"),
        (dict(port=6380), "port (6379, wanted 6380)"),
        (dict(cache_subnet_group="other"), "cache_subnet_group (openwebui-redis, wanted other)"),
        (dict(num_cache_clusters=3, preferred_cache_cluster_azs=None), "num_cache_clusters (2, wanted 3)"),
        (dict(preferred_cache_cluster_azs=["eu-west-1a", "eu-west-1c"]), "preferred_cache_cluster_azs"),
        (dict(at_rest_encryption=False, kms_key_id=None), "at_rest_encryption (True, wanted False)"),
    ],
)
def test_settings_aws_cannot_change_are_named(changes, named):
    before, after = views(dict(PARAMS, **changes))
    names = rg.immutable_differences(before, after)
    assert len(names) == 1
    assert rg.describe_difference(names[0], before, after).startswith(named)


def test_another_kms_key_cannot_change():
    before = rg.current_view(GROUP, MEMBERS, TAGS)
    after = rg.wanted_view(PARAMS, before, KEY.replace("1234abcd", "9999abcd"))
    assert rg.immutable_differences(before, after) == ["kms_key_id"]


def test_unknown_settings_of_a_group_being_created_are_not_compared():
    group = dict(GROUP, Status="creating", NodeGroups=[dict(NodeGroupId="0001", Status="creating")])
    before, after = views(group=group, members=[])
    assert rg.immutable_differences(before, after) == []


def test_transit_encryption_on_redis_6_cannot_change():
    members = [dict(m, EngineVersion="6.2.6") for m in MEMBERS]
    group = dict(GROUP, TransitEncryptionEnabled=False, TransitEncryptionMode=None, AuthTokenEnabled=False)
    params = dict(PARAMS, engine_version=None, auth_token=None)
    before, after = views(params, group=group, members=members)
    assert rg.immutable_differences(before, after) == ["transit_encryption"]
    assert "Redis OSS 7.0 or later" in rg.describe_difference("transit_encryption", before, after)


def test_transit_encryption_on_redis_7_is_enabled_in_two_steps():
    group = dict(GROUP, TransitEncryptionEnabled=False, TransitEncryptionMode=None, AuthTokenEnabled=False)
    params = dict(PARAMS, auth_token=None)
    before, after = views(params, group=group)
    assert rg.immutable_differences(before, after) == []
    steps, names = rg.plan(params, before, after)
    assert names == ["transit_encryption"]
    assert steps == [
        dict(TransitEncryptionEnabled=True, TransitEncryptionMode="preferred", ApplyImmediately=True),
        dict(TransitEncryptionEnabled=True, TransitEncryptionMode="required", ApplyImmediately=True),
    ]
    # interrupted after the first step: the second one only
    before, after = views(params, group=dict(group, TransitEncryptionEnabled=True, TransitEncryptionMode="preferred"))
    assert rg.plan(params, before, after)[0] == [steps[1]]


def test_transit_encryption_is_disabled_through_preferred():
    group = dict(GROUP, AuthTokenEnabled=False)
    params = dict(PARAMS, auth_token=None, transit_encryption=False)
    before, after = views(params, group=group)
    assert rg.plan(params, before, after)[0] == [
        dict(TransitEncryptionEnabled=True, TransitEncryptionMode="preferred", ApplyImmediately=True),
        dict(TransitEncryptionEnabled=False, ApplyImmediately=True),
    ]
    # not with an AUTH token
    before = views(params)[0]
    assert rg.existing_problem(params, before, before).startswith("transit_encryption=false: the group has an AUTH")


# -- the AUTH token --------------------------------------------------------------------------------


def test_the_token_is_sent_to_an_existing_group_only_with_a_strategy():
    before, after = views()
    assert rg.plan(PARAMS, before, after) == ([], [])
    for strategy in ("rotate", "set"):
        params = dict(PARAMS, auth_token=NEW_TOKEN, auth_token_update_strategy=strategy)
        before, after = views(params)
        steps, names = rg.plan(params, before, after)
        assert names == ["auth_token"]
        assert steps == [dict(AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy=strategy.upper(), ApplyImmediately=True)]


def test_the_token_comes_last_after_the_other_changes():
    params = dict(PARAMS, snapshot_retention_limit=0, auth_token=NEW_TOKEN, auth_token_update_strategy="rotate")
    before, after = views(params)
    steps, names = rg.plan(params, before, after)
    assert names == ["snapshot_retention_limit", "auth_token"]
    assert [sorted(step) for step in steps] == [
        ["ApplyImmediately", "SnapshotRetentionLimit"],
        ["ApplyImmediately", "AuthToken", "AuthTokenUpdateStrategy"],
    ]


def test_a_group_without_token():
    group = dict(GROUP, AuthTokenEnabled=False)
    before = views(group=group)[0]
    assert rg.existing_problem(PARAMS, before, before).startswith("auth_token: the group has no AUTH token")
    assert rg.existing_problem(dict(PARAMS, auth_token_update_strategy="set"), before, before).startswith(
        "auth_token_update_strategy=set: the group has no AUTH token"
    )
    assert rg.existing_problem(dict(PARAMS, auth_token_update_strategy="rotate"), before, before) is None
    assert rg.existing_problem(dict(PARAMS, auth_token=None), before, before) is None


def test_the_token_is_in_no_view_summary_or_diff():
    params = dict(PARAMS, auth_token=NEW_TOKEN, auth_token_update_strategy="rotate")
    before, after = views(params)
    created = rg.wanted_view(params, {})
    assert created["auth_token_enabled"] is True
    shown = repr([before, after, created, rg.public_view(after), rg.summary(GROUP, MEMBERS, TAGS)])
    assert TOKEN not in shown and NEW_TOKEN not in shown


def test_create_request():
    request = rg.create_request(PARAMS, "openwebui-redis", PARAMS["tags"])
    assert request["AuthToken"] == TOKEN
    assert request["NumCacheClusters"] == 2
    assert request["PreferredCacheClusterAZs"] == ["eu-west-1b", "eu-west-1a"]
    assert request["KmsKeyId"] == KEY
    assert request["TransitEncryptionEnabled"] is True and request["AtRestEncryptionEnabled"] is True
    assert request["AutomaticFailoverEnabled"] is True and request["MultiAZEnabled"] is True
    assert request["Tags"] == [dict(Key="Stack", Value="openwebui")]
    assert [c["LogType"] for c in request["LogDeliveryConfigurations"]] == ["slow-log", "engine-log"]
    assert "ApplyImmediately" not in request and "AuthTokenUpdateStrategy" not in request
    bare = rg.create_request(dict(PARAMS, engine=None, port=None, auth_token=None, log_delivery=None), "x", {})
    assert not {"Engine", "Port", "AuthToken", "LogDeliveryConfigurations", "Tags"} & set(bare)


def test_summary_puts_the_endpoints_and_the_primary_s_settings_at_the_top():
    result = rg.summary(dict(GROUP, ResponseMetadata={}), MEMBERS, TAGS)
    assert result["primary_endpoint"] == dict(address="master." + ENDPOINT, port=6379)
    assert result["reader_endpoint"] == dict(address="replica." + ENDPOINT, port=6379)
    assert result["engine_version"] == "7.1.0"
    assert result["cache_parameter_group"] == "openwebui-redis7"
    assert result["cache_subnet_group"] == "openwebui-redis"
    assert result["security_group_ids"] == ["sg-1", "sg-2"]
    assert result["tags"] == TAGS
    assert result["multi_az"] == "enabled" and result["arn"] == GROUP["ARN"]
    assert "response_metadata" not in result
    assert rg.summary(None, [], {}) == {}


# -- main(): the checks come before any AWS call ----------------------------------------------------


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def run_main(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        rg.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out)


def test_auth_without_transit_encryption_fails_before_any_call_and_hides_the_token(capsys, no_sdk_check):
    code, result = run_main(
        capsys,
        dict(replication_group_id="openwebui-redis", auth_token=TOKEN, description="x", node_type="cache.t4g.micro"),
    )
    assert code == 1
    assert result["msg"].startswith("auth_token needs transit_encryption=true")
    assert TOKEN not in json.dumps(result)


def test_a_malformed_token_fails_without_showing_it(capsys, no_sdk_check):
    bad = "bad/token-but-long-enough"
    code, result = run_main(
        capsys, dict(replication_group_id="openwebui-redis", auth_token=bad, transit_encryption=True)
    )
    assert code == 1
    assert result["msg"].startswith("auth_token must be 16 to 128")
    assert bad not in json.dumps(result)


def test_multi_az_without_failover_fails(capsys, no_sdk_check):
    code, result = run_main(capsys, dict(replication_group_id="openwebui-redis", multi_az=True))
    assert code == 1
    assert result["msg"] == "multi_az needs automatic_failover=true"


def test_a_bad_log_type_fails(capsys, no_sdk_check):
    code, result = run_main(
        capsys, dict(replication_group_id="r", log_delivery=[dict(log_type="audit-log", log_group="/x")])
    )
    assert code == 1
    assert "log_type" in result["msg"]
