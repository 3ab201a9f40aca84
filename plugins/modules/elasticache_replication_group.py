#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elasticache_replication_group
short_description: Manage an ElastiCache (Redis OSS or Valkey) replication group
version_added: 0.2.0
description:
  - Creates, updates or deletes an Amazon ElastiCache replication group with cluster mode disabled
    (one shard), that is a primary and up to five replicas, with automatic failover, Multi-AZ, in-transit
    and at-rest encryption, an AUTH token, a cache parameter group, slow-log and engine-log delivery to
    CloudWatch Logs, and tags. M(community.aws.elasticache) manages single cache clusters only, with no
    TLS, no AUTH, no failover and no check mode.
  - Bad option combinations fail before any AWS call, naming the option, as AWS would refuse them.
    O(auth_token) needs O(transit_encryption=true), O(kms_key_id) needs O(at_rest_encryption=true),
    O(automatic_failover=true) needs O(num_cache_clusters) of 2 or more, O(multi_az=true) needs
    O(automatic_failover=true).
  - On an existing group, the module compares the group as ElastiCache describes it
    (C(DescribeReplicationGroups), and C(DescribeCacheClusters) of its member clusters for the engine
    version, parameter group, security groups, subnet group and Availability Zones) with the options
    given, and calls C(ModifyReplicationGroup) only with what differs. An option that is omitted is
    not compared. The changes that O(apply_immediately=false) leaves pending (engine version, node
    type) count as made.
  - Settings that AWS cannot change on an existing group fail the task, naming them, before any
    change. They are O(engine), O(port), O(cache_subnet_group), O(at_rest_encryption), O(kms_key_id),
    O(preferred_cache_cluster_azs), O(num_cache_clusters) (this module does not add or remove
    replicas), and O(transit_encryption) on Redis OSS before 7.0.
  - On Valkey and on Redis OSS 7.0 or later, the module changes O(transit_encryption) of an existing
    group in the two steps AWS requires, waiting in between. To enable it, C(TransitEncryptionMode)
    C(preferred) then C(required); clients that do not use TLS are disconnected at the second step.
    To disable it, C(preferred) then disabled. A group with an AUTH token cannot disable it.
  - "AUTH token: AWS never returns the token, so the module cannot compare it. It changes the token
    only when asked to. When it creates the group, it sets O(auth_token). On an existing group it
    sends O(auth_token) only with O(auth_token_update_strategy): C(rotate) adds it (the previous token
    stays valid, so clients can move to the new one), C(set) makes it the only valid token (AWS allows
    C(set) only after a C(rotate)). Every run with O(auth_token_update_strategy) on an existing group
    is a change: give it only in the run that rotates. O(auth_token) on an existing group without an
    AUTH token and without O(auth_token_update_strategy) fails."
  - The token is never returned, never in the diff, and hidden in the logged invocation (C(no_log)).
  - Check mode makes no change and reports what would change (for a missing group, that it would be
    created). Diff mode gives the managed settings before and after, never the token.
  - With O(wait), the module polls the group until it is C(available) after a creation or a
    modification, and until it is gone after a deletion. A call refused because the group is busy
    (C(InvalidReplicationGroupState)) is retried, as are throttled calls.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  state:
    description: Whether the replication group should exist.
    type: str
    choices: [present, absent]
    default: present
  replication_group_id:
    description:
      - ID of the replication group, 1 to 40 letters, digits or hyphens, starting with a letter, without two
        consecutive hyphens and not ending with one. ElastiCache stores it in lower case.
      - Its member clusters are named C(<replication_group_id>-001), C(-002), ...
    type: str
    required: true
    aliases: [name]
  description:
    description:
      - Description of the group (C(ReplicationGroupDescription)). Required to create the group.
    type: str
  engine:
    description:
      - The engine. AWS's default on creation is C(redis). AWS cannot change it on an existing group
        through this module.
    type: str
    choices: [redis, valkey]
  engine_version:
    description:
      - Version of the engine, for example V(7.1) or V(8.0). A version that the group's version starts with
        (V(7.1) for C(7.1.0)) is no change; another one is an upgrade (AWS refuses a downgrade).
    type: str
  node_type:
    description:
      - Node type of every cluster of the group, for example V(cache.t4g.small). Required to create the
        group; a change scales the group.
    type: str
  num_cache_clusters:
    description:
      - Number of clusters (nodes) of the group, the primary and its replicas, 1 to 6.
      - The module does not change it on an existing group; a difference fails the task.
    type: int
    default: 2
  preferred_cache_cluster_azs:
    description:
      - Availability Zones of the clusters, one for each of O(num_cache_clusters) (the first one the
        primary's). Used on creation; on an existing group a different set of zones fails the task.
    type: list
    elements: str
  automatic_failover:
    description:
      - Whether a replica is promoted when the primary fails (C(AutomaticFailoverEnabled)). Needs
        O(num_cache_clusters) of 2 or more. AWS's default on creation is false.
    type: bool
  multi_az:
    description:
      - Whether the group is Multi-AZ (C(MultiAZEnabled)). Needs O(automatic_failover=true).
        AWS's default on creation is false.
    type: bool
  port:
    description: Port of the engine. AWS's default on creation is 6379; it cannot change on an existing group.
    type: int
  cache_subnet_group:
    description:
      - Name of the cache subnet group (M(community.aws.elasticache_subnet_group)) the clusters are in.
      - It cannot change on an existing group.
    type: str
  security_group_ids:
    description: IDs of the VPC security groups of the clusters.
    type: list
    elements: str
  cache_parameter_group:
    description: Name of the cache parameter group of the clusters; omit for the engine's default group on creation.
    type: str
  transit_encryption:
    description:
      - Whether the group encrypts its connections (TLS, C(TransitEncryptionEnabled); with mode C(required)).
      - AWS's default on creation is false. See the description for a change on an existing group.
    type: bool
  at_rest_encryption:
    description:
      - Whether the group encrypts its data on disk (C(AtRestEncryptionEnabled)). AWS's default on creation
        is false; it cannot change on an existing group.
    type: bool
  kms_key_id:
    description:
      - The KMS key of the at-rest encryption (a key ID, key ARN, alias name or alias ARN); needs
        O(at_rest_encryption=true). Without it, AWS uses its own key.
      - Compared as key ARNs (C(kms:DescribeKey)); it cannot change on an existing group.
    type: str
  auth_token:
    description:
      - The AUTH token (password) of the group's default user, 16 to 128 characters, letters, digits and only
        the special characters AWS allows, C(!&#$^<>-). Needs O(transit_encryption=true).
      - Set on creation; on an existing group sent only with O(auth_token_update_strategy). Never returned.
    type: str
  auth_token_update_strategy:
    description:
      - How to change the AUTH token of an existing group to O(auth_token) (C(AuthTokenUpdateStrategy)).
        C(rotate) adds it and keeps the previous token valid; C(set) makes it the only valid token
        (AWS allows it only after a C(rotate)). A group without an AUTH token gets one with C(rotate).
      - Needs O(auth_token). Omit it in the runs that do not change the token; not used on creation.
    type: str
    choices: [rotate, set]
  log_delivery:
    description:
      - Delivery of the engine's logs to CloudWatch Logs, one entry for each log type to deliver. A log type
        that the group delivers and that the list does not hold is turned off; omit the option to keep
        the group's log delivery as it is.
      - The log groups must exist.
    type: list
    elements: dict
    suboptions:
      log_type:
        description: Which log.
        type: str
        choices: [slow-log, engine-log]
        required: true
      log_group:
        description: Name of the CloudWatch Logs log group.
        type: str
        required: true
      log_format:
        description: Format of the log entries.
        type: str
        choices: [json, text]
        default: json
  snapshot_retention_limit:
    description: Days that automatic snapshots are kept, 0 to 35 (0 turns them off).
    type: int
  apply_immediately:
    description:
      - Whether a modification is applied now rather than in the next maintenance window. AUTH token
        and in-transit encryption changes are always applied now.
    type: bool
    default: true
  final_snapshot_identifier:
    description: With O(state=absent), the name of a snapshot ElastiCache takes before it deletes the group.
    type: str
  wait:
    description:
      - Wait until the group is C(available) after a creation or a modification, or gone after a deletion.
      - The module always waits between the steps of an in-transit encryption or AUTH token change.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait (for each wait).
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - The module manages replication groups with cluster mode disabled (one node group) only.
"""

EXAMPLES = r"""
- name: Redis for Open WebUI, a primary and a replica in two zones, encrypted, with an AUTH token
  ajudadigital.openwebui.elasticache_replication_group:
    replication_group_id: openwebui-prod-redis
    description: Redis of openwebui-prod
    engine: redis
    engine_version: "7.1"
    node_type: cache.t4g.small
    num_cache_clusters: 2
    preferred_cache_cluster_azs: [eu-west-1a, eu-west-1b]
    automatic_failover: true
    multi_az: true
    cache_subnet_group: openwebui-prod-redis
    security_group_ids: [sg-0123456789abcdef0]
    cache_parameter_group: openwebui-prod-redis7
    transit_encryption: true
    at_rest_encryption: true
    kms_key_id: alias/openwebui-prod
    auth_token: "{{ redis_auth_token }}"
    log_delivery:
      - log_type: slow-log
        log_group: /openwebui-prod/redis/slow-log
      - log_type: engine-log
        log_group: /openwebui-prod/redis/engine-log
    snapshot_retention_limit: 7
    tags:
      Stack: openwebui-prod
  register: redis

- name: Open WebUI's URL (TLS, the token from Secrets Manager)
  ansible.builtin.set_fact:
    redis_url: >-
      rediss://:{{ redis_auth_token | urlencode }}@{{ redis.replication_group.primary_endpoint.address
      }}:{{ redis.replication_group.primary_endpoint.port }}/0
  no_log: true

- name: Rotate the AUTH token (the old one stays valid until the set below)
  ajudadigital.openwebui.elasticache_replication_group:
    replication_group_id: openwebui-prod-redis
    transit_encryption: true
    auth_token: "{{ new_redis_auth_token }}"
    auth_token_update_strategy: rotate

- name: Once the clients use the new token, make it the only one
  ajudadigital.openwebui.elasticache_replication_group:
    replication_group_id: openwebui-prod-redis
    transit_encryption: true
    auth_token: "{{ new_redis_auth_token }}"
    auth_token_update_strategy: set

- name: Delete it, with a final snapshot
  ajudadigital.openwebui.elasticache_replication_group:
    replication_group_id: openwebui-prod-redis
    state: absent
    final_snapshot_identifier: openwebui-prod-redis-final
"""

RETURN = r"""
replication_group:
  description:
    - The group as C(DescribeReplicationGroups) describes it, in snake case, with its tags as a dict and
      what the module reads from its primary cluster (C(engine_version), C(cache_parameter_group),
      C(security_group_ids), C(cache_subnet_group)) and its endpoints at the top level.
    - Empty when the group is absent, and when check mode would create it. Never holds the AUTH token.
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: ID of the group.
      type: str
      returned: when present
    arn:
      description: ARN of the group.
      type: str
      returned: when present
    status:
      description: C(creating), C(available), C(modifying), C(deleting), C(create-failed) or C(snapshotting).
      type: str
      returned: when present
    primary_endpoint:
      description: Address and port of the primary (read and write), empty while the group is created.
      type: dict
      returned: when present
      contains:
        address:
          description: DNS name.
          type: str
        port:
          description: Port.
          type: int
    reader_endpoint:
      description: Address and port that balance reads over the replicas, empty while the group is created.
      type: dict
      returned: when present
      contains:
        address:
          description: DNS name.
          type: str
        port:
          description: Port.
          type: int
    member_clusters:
      description: IDs of the clusters of the group.
      type: list
      elements: str
      returned: when present
    engine:
      description: C(redis) or C(valkey).
      type: str
      returned: when present
    engine_version:
      description: Engine version of the primary cluster.
      type: str
      returned: when present
    cache_node_type:
      description: Node type.
      type: str
      returned: when present
    cache_parameter_group:
      description: Name of the parameter group of the primary cluster.
      type: str
      returned: when present
    cache_subnet_group:
      description: Name of the subnet group.
      type: str
      returned: when present
    security_group_ids:
      description: IDs of the security groups of the primary cluster.
      type: list
      elements: str
      returned: when present
    automatic_failover:
      description: C(enabled), C(disabled), C(enabling) or C(disabling).
      type: str
      returned: when present
    multi_az:
      description: C(enabled) or C(disabled).
      type: str
      returned: when present
    transit_encryption_enabled:
      description: Whether connections are encrypted.
      type: bool
      returned: when present
    transit_encryption_mode:
      description: C(preferred) or C(required).
      type: str
      returned: when present
    at_rest_encryption_enabled:
      description: Whether data on disk is encrypted.
      type: bool
      returned: when present
    kms_key_id:
      description: ARN of the KMS key of the at-rest encryption.
      type: str
      returned: when present
    auth_token_enabled:
      description: Whether the group has an AUTH token (the token itself is never returned).
      type: bool
      returned: when present
    log_delivery_configurations:
      description:
        - The log deliveries (C(log_type), C(destination_type), C(destination_details), C(log_format),
          C(status)).
      type: list
      elements: dict
      returned: when present
    snapshot_retention_limit:
      description: Days that automatic snapshots are kept.
      type: int
      returned: when present
    tags:
      description: Tags of the group.
      type: dict
      returned: when present
  sample:
    replication_group_id: openwebui-prod-redis
    arn: arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:openwebui-prod-redis
    status: available
    primary_endpoint:
      address: master.openwebui-prod-redis.abc123.euw1.cache.amazonaws.com
      port: 6379
    reader_endpoint:
      address: replica.openwebui-prod-redis.abc123.euw1.cache.amazonaws.com
      port: 6379
    member_clusters: [openwebui-prod-redis-001, openwebui-prod-redis-002]
    engine: redis
    engine_version: 7.1.0
    cache_node_type: cache.t4g.small
    cache_parameter_group: openwebui-prod-redis7
    cache_subnet_group: openwebui-prod-redis
    security_group_ids: [sg-0123456789abcdef0]
    automatic_failover: enabled
    multi_az: enabled
    transit_encryption_enabled: true
    transit_encryption_mode: required
    at_rest_encryption_enabled: true
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    auth_token_enabled: true
    snapshot_retention_limit: 7
    tags:
      Stack: openwebui-prod
changed_settings:
  description:
    - The options that differed on an existing group and were (in check mode would be) changed;
      C(auth_token) for a token rotation or set. Empty when the group was created or deleted, or when
      nothing changed.
  returned: always
  type: list
  elements: str
  sample: [snapshot_retention_limit, log_delivery, tags]
"""

import re
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule


from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    describe_members,
    elasticache_client,
    endpoints,
    primary_member,
    update_tags,
)
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    describe_replication_group as describe_group,
)
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    replication_group_id_of as group_id_of,
)
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    replication_group_summary as summary,
)
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    replication_group_tags as group_tags,
)
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

# 1 to 40 characters: a letter first, then letters, digits and single hyphens, no hyphen last.
GROUP_ID = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,39}$")
# Printable ASCII but space, and none of @ " / (AWS's AUTH token constraints).
AUTH_TOKEN = re.compile(r"^[A-Za-z0-9!&#$^<>-]{16,128}$")  # AWS: only !&#$^<>- besides letters, digits
# What KMS answers for a key or alias that does not exist, or that the caller may not describe.
KEY_NOT_USABLE = ["NotFoundException", "AccessDeniedException", "InvalidArnException"]
# Settings of a group that AWS (or this module) cannot change once it exists, in the order they are named.
IMMUTABLE = [
    "engine",
    "port",
    "cache_subnet_group",
    "num_cache_clusters",
    "preferred_cache_cluster_azs",
    "at_rest_encryption",
    "kms_key_id",
]
# Options that one ModifyReplicationGroup request changes: option -> request parameter.
MODIFIABLE = [
    ("description", "ReplicationGroupDescription"),
    ("engine_version", "EngineVersion"),
    ("node_type", "CacheNodeType"),
    ("automatic_failover", "AutomaticFailoverEnabled"),
    ("multi_az", "MultiAZEnabled"),
    ("security_group_ids", "SecurityGroupIds"),
    ("cache_parameter_group", "CacheParameterGroupName"),
    ("snapshot_retention_limit", "SnapshotRetentionLimit"),
    ("log_delivery", "LogDeliveryConfigurations"),
]
# Statuses in which a group accepts a modification or a deletion.
SETTLED = ("available",)
DELETABLE = ("available", "create-failed")


def option_problem(params):
    """An error message naming the option when the options are not a combination AWS accepts, else None.
    Never quotes the AUTH token."""
    group_id = params.get("replication_group_id") or ""
    if not GROUP_ID.match(group_id) or group_id.endswith("-"):
        return (
            "replication_group_id must be 1 to 40 letters, digits or hyphens, start with a letter, "
            "and have no two consecutive hyphens and no hyphen at the end, got {0!r}".format(group_id)
        )
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 1:
        return "wait_timeout must be 1 or more seconds"
    if params.get("state") == "absent":
        return None
    num = params.get("num_cache_clusters")
    if num is None or not 1 <= num <= 6:
        return "num_cache_clusters must be 1 to 6 (the primary and up to 5 replicas), got {0}".format(num)
    if params.get("automatic_failover") and num < 2:
        return "automatic_failover needs num_cache_clusters of 2 or more (a replica to promote), got {0}".format(num)
    if params.get("multi_az") and params.get("automatic_failover") is not True:
        return "multi_az needs automatic_failover=true"
    azs = params.get("preferred_cache_cluster_azs")
    if azs is not None and len(azs) != num:
        return (
            "preferred_cache_cluster_azs must name one Availability Zone for each of num_cache_clusters ({0}), "
            "got {1}".format(num, len(azs))
        )
    token = params.get("auth_token")
    if token is not None:
        if params.get("transit_encryption") is not True:
            return "auth_token needs transit_encryption=true (AWS accepts an AUTH token only with TLS)"
        if not AUTH_TOKEN.match(token):
            return (
                "auth_token must be 16 to 128 printable ASCII characters: letters, digits and only the special "
                "characters !&#$^<>- (got {0} characters; the value is not shown)".format(len(token))
            )
    if params.get("auth_token_update_strategy") and token is None:
        return "auth_token_update_strategy needs auth_token (the token to rotate to or set)"
    if params.get("kms_key_id") and params.get("at_rest_encryption") is not True:
        return "kms_key_id needs at_rest_encryption=true"
    node_type = params.get("node_type")
    if node_type is not None and not node_type.startswith("cache."):
        return "node_type must be an ElastiCache node type such as cache.t4g.small, got {0!r}".format(node_type)
    port = params.get("port")
    if port is not None and not 1 <= port <= 65535:
        return "port must be 1 to 65535, got {0}".format(port)
    retention = params.get("snapshot_retention_limit")
    if retention is not None and not 0 <= retention <= 35:
        return "snapshot_retention_limit must be 0 to 35 days, got {0}".format(retention)
    seen = set()
    for entry in params.get("log_delivery") or []:
        if entry["log_type"] in seen:
            return "log_delivery: log_type {0} is given twice".format(entry["log_type"])
        seen.add(entry["log_type"])
        if not (entry.get("log_group") or "").strip():
            return "log_delivery: log_group of {0} must not be empty".format(entry["log_type"])
    return None


def create_problem(params):
    """What creating the group lacks (an error message naming the option), or None."""
    missing = [option for option in ("description", "node_type") if not params.get(option)]
    if missing:
        return "{0} needed to create replication group {1}".format(
            " and ".join(missing) + (" is" if len(missing) == 1 else " are"), params["replication_group_id"]
        )
    return None


def version_matches(current, wanted):
    """Whether the engine version ``current`` (7.1.0) is ``wanted`` (7.1, 7.1.0 or 6.x)."""
    if not wanted:
        return True
    wanted = wanted[:-2] if wanted.endswith(".x") else wanted
    return bool(current) and (current == wanted or current.startswith(wanted + "."))


def transit_changeable(engine, version):
    """Whether AWS can change the in-transit encryption of an existing group of this engine and version
    (an unknown version: AWS answers)."""
    if engine == "valkey" or not version:
        return True
    major = version.split(".")[0]
    return major.isdigit() and int(major) >= 7


def current_log_delivery(group):
    """The group's log deliveries as the option gives them, sorted by log type (those being disabled left out)."""
    result = []
    for entry in group.get("LogDeliveryConfigurations") or []:
        if entry.get("Status") in ("disabling", "disabled"):
            continue
        details = entry.get("DestinationDetails") or {}
        if entry.get("DestinationType", "cloudwatch-logs") == "cloudwatch-logs":
            log_group = (details.get("CloudWatchLogsDetails") or {}).get("LogGroup")
        else:
            stream = (details.get("KinesisFirehoseDetails") or {}).get("DeliveryStream")
            log_group = "{0}:{1}".format(entry.get("DestinationType"), stream)
        result.append(dict(log_type=entry.get("LogType"), log_group=log_group, log_format=entry.get("LogFormat")))
    return sorted(result, key=lambda entry: entry["log_type"] or "")


def wanted_log_delivery(entries):
    return sorted(
        (
            dict(log_type=e["log_type"], log_group=e["log_group"], log_format=e.get("log_format") or "json")
            for e in entries
        ),
        key=lambda entry: entry["log_type"],
    )


def log_delivery_requests(current, wanted):
    """LogDeliveryConfigurations of a modification from ``current`` to ``wanted`` (both as the option gives them):
    the new or changed ones enabled, the others turned off."""
    current = dict((entry["log_type"], entry) for entry in current)
    wanted = dict((entry["log_type"], entry) for entry in wanted)
    requests = []
    for log_type in sorted(wanted):
        if current.get(log_type) != wanted[log_type]:
            requests.append(log_delivery_request(wanted[log_type]))
    for log_type in sorted(set(current) - set(wanted)):
        requests.append(dict(LogType=log_type, Enabled=False))
    return requests


def log_delivery_request(entry):
    return dict(
        LogType=entry["log_type"],
        DestinationType="cloudwatch-logs",
        DestinationDetails=dict(CloudWatchLogsDetails=dict(LogGroup=entry["log_group"])),
        LogFormat=entry.get("log_format") or "json",
        Enabled=True,
    )


def current_view(group, members, tags):
    """The managed settings of the group, as the options name them (the diff's before)."""
    primary = primary_member(group, members)
    member_pending = primary.get("PendingModifiedValues") or {}
    group_pending = group.get("PendingModifiedValues") or {}
    transit = group_pending.get("TransitEncryptionEnabled", group.get("TransitEncryptionEnabled"))
    mode = group_pending.get("TransitEncryptionMode") or group.get("TransitEncryptionMode")
    failover = group_pending.get("AutomaticFailoverStatus") or group.get("AutomaticFailover")
    primary_endpoint = endpoints(group)[0]
    return dict(
        description=group.get("Description"),
        engine=group.get("Engine") or primary.get("Engine"),
        engine_version=member_pending.get("EngineVersion") or primary.get("EngineVersion"),
        node_type=member_pending.get("CacheNodeType") or group.get("CacheNodeType"),
        num_cache_clusters=len(group.get("MemberClusters") or []),
        preferred_cache_cluster_azs=sorted(
            member["PreferredAvailabilityZone"] for member in members if member.get("PreferredAvailabilityZone")
        ),
        automatic_failover=failover in ("enabled", "enabling"),
        multi_az=group.get("MultiAZ") == "enabled",
        port=primary_endpoint.get("port") or (primary.get("ConfigurationEndpoint") or {}).get("Port"),
        cache_subnet_group=primary.get("CacheSubnetGroupName"),
        security_group_ids=sorted(sg["SecurityGroupId"] for sg in primary.get("SecurityGroups") or []),
        cache_parameter_group=(primary.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
        transit_encryption=bool(transit),
        # A group made before the modes existed is "required"; without encryption, no mode.
        transit_encryption_mode=(mode or "required") if transit else None,
        at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
        kms_key_id=group.get("KmsKeyId") or "",
        auth_token_enabled=bool(group.get("AuthTokenEnabled")),
        log_delivery=current_log_delivery(group),
        snapshot_retention_limit=group.get("SnapshotRetentionLimit"),
        tags=tags,
    )


def wanted_view(params, before, kms_key_arn=None):
    """The settings the options ask for, over ``before`` (the current view; {} for a new group).
    ``kms_key_arn`` is O(kms_key_id) resolved to a key ARN (compared with the group's)."""
    after = dict(before)
    for option in (
        "description",
        "engine",
        "node_type",
        "num_cache_clusters",
        "automatic_failover",
        "multi_az",
        "port",
        "cache_subnet_group",
        "cache_parameter_group",
        "at_rest_encryption",
        "snapshot_retention_limit",
    ):
        if params.get(option) is not None:
            after[option] = params[option]
    if params.get("engine_version") and not version_matches(before.get("engine_version"), params["engine_version"]):
        after["engine_version"] = params["engine_version"]
    for option in ("preferred_cache_cluster_azs", "security_group_ids"):
        if params.get(option) is not None:
            after[option] = sorted(params[option])
    if params.get("transit_encryption") is not None:
        after["transit_encryption"] = params["transit_encryption"]
        after["transit_encryption_mode"] = "required" if params["transit_encryption"] else None
    if params.get("kms_key_id"):
        after["kms_key_id"] = kms_key_arn or params["kms_key_id"]
    if params.get("auth_token") is not None and (not before or params.get("auth_token_update_strategy")):
        after["auth_token_enabled"] = True
    if params.get("log_delivery") is not None:
        after["log_delivery"] = wanted_log_delivery(params["log_delivery"])
    if params.get("tags") is not None:
        tags = dict(params["tags"])
        after["tags"] = tags if params.get("purge_tags", True) else dict(before.get("tags") or {}, **tags)
    return after


def immutable_differences(before, after):
    """The settings that differ and that this module cannot change on an existing group. A setting not known
    yet (the port and zones of a group still being created) is not compared."""
    names = [name for name in IMMUTABLE if before.get(name) not in (None, []) and after.get(name) != before.get(name)]
    transit = (after.get("transit_encryption"), after.get("transit_encryption_mode"))
    differs = transit != (before.get("transit_encryption"), before.get("transit_encryption_mode"))
    version = before.get("engine_version") or after.get("engine_version")
    if differs and not transit_changeable(before.get("engine"), version):
        names.append("transit_encryption")
    return names


def describe_difference(name, before, after):
    """'port (6379, wanted 6380)' for the error of an immutable setting."""
    if name == "transit_encryption":
        return "transit_encryption ({0}, wanted {1}: AWS changes it on Valkey and Redis OSS 7.0 or later only)".format(
            before.get(name), after.get(name)
        )
    return "{0} ({1}, wanted {2})".format(name, before.get(name), after.get(name))


def existing_problem(params, before, after):
    """Why the options cannot apply to this existing group as AWS would refuse them (an error message naming
    the option), or None."""
    if after.get("multi_az") and not after.get("automatic_failover"):
        return "automatic_failover=false: the group is Multi-AZ, which needs automatic failover; set multi_az=false too"
    strategy = params.get("auth_token_update_strategy")
    if params.get("auth_token") is not None and not before.get("auth_token_enabled"):
        if not strategy:
            return (
                "auth_token: the group has no AUTH token and the module changes the token of an existing group "
                "only with auth_token_update_strategy (rotate adds it)"
            )
        if strategy == "set":
            return "auth_token_update_strategy=set: the group has no AUTH token; AWS allows set only after rotate"
    if params.get("transit_encryption") is False and before.get("auth_token_enabled"):
        return "transit_encryption=false: the group has an AUTH token, which needs in-transit encryption"
    return None


def transit_steps(before, after):
    """The ModifyReplicationGroup requests (without the group ID) that take the in-transit encryption from
    ``before`` to ``after``, in AWS's two steps through the mode ``preferred``."""
    current = (before.get("transit_encryption"), before.get("transit_encryption_mode"))
    wanted = (after.get("transit_encryption"), after.get("transit_encryption_mode"))
    if current == wanted:
        return []
    preferred = dict(TransitEncryptionEnabled=True, TransitEncryptionMode="preferred", ApplyImmediately=True)
    if wanted[0]:
        required = dict(TransitEncryptionEnabled=True, TransitEncryptionMode="required", ApplyImmediately=True)
        return [required] if current == (True, "preferred") else [preferred, required]
    disable = dict(TransitEncryptionEnabled=False, ApplyImmediately=True)
    return [disable] if current == (True, "preferred") else [preferred, disable]


def plan(params, before, after):
    """The changes to an existing group: (ModifyReplicationGroup requests without the group ID, in order;
    the names of the options that differ). The AUTH token goes in a request of its own, last."""
    names = []
    request = {}
    for option, parameter in MODIFIABLE:
        if after.get(option) == before.get(option):
            continue
        names.append(option)
        if option == "log_delivery":
            request[parameter] = log_delivery_requests(before.get("log_delivery") or [], after[option])
        else:
            request[parameter] = after[option]
    steps = []
    if request:
        request["ApplyImmediately"] = params.get("apply_immediately", True)
        steps.append(request)
    transit = transit_steps(before, after)
    if transit:
        names.append("transit_encryption")
        steps.extend(transit)
    if after.get("tags") != before.get("tags"):
        names.append("tags")
    if params.get("auth_token_update_strategy") and params.get("auth_token") is not None:
        names.append("auth_token")
        steps.append(
            dict(
                AuthToken=params["auth_token"],
                AuthTokenUpdateStrategy=params["auth_token_update_strategy"].upper(),
                ApplyImmediately=True,
            )
        )
    return steps, names


def create_request(params, group_id, tags):
    """Keyword arguments of CreateReplicationGroup."""
    request = dict(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription=params["description"],
        NumCacheClusters=params["num_cache_clusters"],
        CacheNodeType=params["node_type"],
    )
    for option, parameter in (
        ("engine", "Engine"),
        ("engine_version", "EngineVersion"),
        ("preferred_cache_cluster_azs", "PreferredCacheClusterAZs"),
        ("automatic_failover", "AutomaticFailoverEnabled"),
        ("multi_az", "MultiAZEnabled"),
        ("port", "Port"),
        ("cache_subnet_group", "CacheSubnetGroupName"),
        ("security_group_ids", "SecurityGroupIds"),
        ("cache_parameter_group", "CacheParameterGroupName"),
        ("transit_encryption", "TransitEncryptionEnabled"),
        ("at_rest_encryption", "AtRestEncryptionEnabled"),
        ("kms_key_id", "KmsKeyId"),
        ("auth_token", "AuthToken"),
        ("snapshot_retention_limit", "SnapshotRetentionLimit"),
    ):
        if params.get(option) is not None:
            request[parameter] = params[option]
    if params.get("log_delivery"):
        request["LogDeliveryConfigurations"] = [log_delivery_request(e) for e in params["log_delivery"]]
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def public_view(view):
    """A view for the diff (the mode is internal to the comparison)."""
    view = dict(view)
    view.pop("transit_encryption_mode", None)
    return view


# -- AWS calls ------------------------------------------------------------------------------------


def resolve_key(module, kms, key_id, option=True):
    """The ARN of the KMS key ``key_id`` names. For the option (``option``), fails naming it when KMS does not
    know the key; for the group's value, answers the value itself."""
    if not key_id or (key_id.startswith("arn:") and ":key/" in key_id):
        return key_id or ""
    try:
        return kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]["Arn"]
    except is_boto3_error_code(KEY_NOT_USABLE) as e:
        if not option:
            return key_id
        module.fail_json(
            msg="kms_key_id {0}: no KMS key found, or no permission to describe it (kms:DescribeKey: {1})".format(
                key_id, e.response.get("Error", {}).get("Message", e)
            )
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe KMS key {0}".format(key_id))


def wait_for(client, module, group_id, ready, what):
    """Poll the group until ``ready(group)`` (group None: gone); fails after wait_timeout or on create-failed."""
    deadline = time.monotonic() + module.params["wait_timeout"]
    delay = 1
    while True:
        group = describe_group(client, module, group_id)
        if ready(group):
            return group
        status = group.get("Status") if group else "gone"
        if status == "create-failed" and what == "available":
            module.fail_json(msg="replication group {0} is create-failed".format(group_id))
        if time.monotonic() >= deadline:
            module.fail_json(
                msg="replication group {0} is still {1}, not {2}, after wait_timeout ({3} s)".format(
                    group_id, status, what, module.params["wait_timeout"]
                )
            )
        time.sleep(delay)
        delay = min(delay * 2, 15)


def wait_available(client, module, group_id):
    return wait_for(client, module, group_id, lambda g: bool(g) and g.get("Status") in SETTLED, "available")


def modify(client, module, group_id, request):
    try:
        client.modify_replication_group(aws_retry=True, ReplicationGroupId=group_id, **request)
    except (BotoCoreError, ClientError) as e:
        changing = ", ".join(sorted(k for k in request if k not in ("ApplyImmediately", "AuthToken")))
        module.fail_json_aws(e, msg="Failed to modify replication group {0} ({1})".format(group_id, changing))


def update_group_tags(client, module, group, before_tags, after_tags):
    update_tags(
        client, module, group["ARN"], before_tags, after_tags, True, "replication group {0}".format(group_id_of(group))
    )


def read_back(client, module, group):
    """(group, members, tags) as ElastiCache describes them now."""
    group = describe_group(client, module, group_id_of(group)) or group
    return group, describe_members(client, module, group), group_tags(client, module, group)


# -- states ---------------------------------------------------------------------------------------


def ensure_present(client, module, group_id):
    params = module.params
    group = describe_group(client, module, group_id)
    if group and group.get("Status") == "deleting":
        module.fail_json(msg="replication group {0} is being deleted; run again once it is gone".format(group_id))
    if group is None:
        create(client, module, group_id)
    if group.get("Status") not in SETTLED and params["wait"] and not module.check_mode:
        # Compare with the group as it will be (a group being created has no endpoint nor members yet).
        group = wait_available(client, module, group_id)

    members = describe_members(client, module, group)
    tags = group_tags(client, module, group)
    before = current_view(group, members, tags)
    kms_key_arn = None
    if params.get("kms_key_id"):
        kms = aws_client(module, "kms", retry_decorator=AWSRetry.jittered_backoff())
        kms_key_arn = resolve_key(module, kms, params["kms_key_id"])
        before["kms_key_id"] = resolve_key(module, kms, before["kms_key_id"], option=False)
    after = wanted_view(params, before, kms_key_arn)

    immutable = immutable_differences(before, after)
    if immutable:
        module.fail_json(
            msg=(
                "replication group {0} differs in settings that cannot change on an existing group: {1}; "
                "delete and create it again to change them"
            ).format(group_id, "; ".join(describe_difference(name, before, after) for name in immutable)),
            immutable_differences=immutable,
        )
    problem = existing_problem(params, before, after)
    if problem:
        module.fail_json(msg=problem)

    steps, names = plan(params, before, after)
    changed = bool(names)
    if changed and not module.check_mode:
        for index, request in enumerate(steps):
            if index or group.get("Status") not in SETTLED:
                # AWS accepts one modification at a time: wait for the group to settle first.
                wait_available(client, module, group_id)
            modify(client, module, group_id, request)
        if "tags" in names:
            update_group_tags(client, module, group, before["tags"], after["tags"])
        if steps and params["wait"]:
            wait_available(client, module, group_id)
        group, members, tags = read_back(client, module, group)

    result = dict(changed=changed, replication_group=summary(group, members, tags), changed_settings=names)
    if module._diff:
        shown_after = after
        if "auth_token" in names:
            shown_after = dict(after, auth_token_update=params["auth_token_update_strategy"])
        result["diff"] = dict(before=public_view(before), after=public_view(shown_after if changed else before))
    module.exit_json(**result)


def create(client, module, group_id):
    """Create the group (check mode: report it) and exit."""
    params = module.params
    problem = create_problem(params)
    if problem:
        module.fail_json(msg=problem)
    tags = params.get("tags") or {}
    result = dict(changed=True, replication_group={}, changed_settings=[])
    if module._diff:
        result["diff"] = dict(before={}, after=public_view(wanted_view(params, {})))
    if module.check_mode:
        module.exit_json(msg="would create replication group {0}".format(group_id), **result)
    try:
        group = client.create_replication_group(aws_retry=True, **create_request(params, group_id, tags))[
            "ReplicationGroup"
        ]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to create replication group {0}".format(group_id))
    if params["wait"]:
        group = wait_available(client, module, group_id)
    group, members, tags = read_back(client, module, group)
    result["replication_group"] = summary(group, members, tags)
    if module._diff:
        after = current_view(group, members, tags)
        if after["kms_key_id"]:
            kms = aws_client(module, "kms", retry_decorator=AWSRetry.jittered_backoff())
            after["kms_key_id"] = resolve_key(module, kms, after["kms_key_id"], option=False)
        result["diff"]["after"] = public_view(after)
    module.exit_json(**result)


def ensure_absent(client, module, group_id):
    params = module.params
    group = describe_group(client, module, group_id)
    result = dict(changed=False, replication_group={}, changed_settings=[])
    if group is None:
        module.exit_json(**result)
    deleting = group.get("Status") == "deleting"
    if not deleting:
        result["changed"] = True
        if module._diff:
            members = describe_members(client, module, group)
            before = current_view(group, members, group_tags(client, module, group))
            result["diff"] = dict(before=public_view(before), after={})
        if module.check_mode:
            module.exit_json(**result)
        if group.get("Status") not in DELETABLE:
            wait_for(client, module, group_id, lambda g: not g or g.get("Status") in DELETABLE, "deletable")
        request = dict(ReplicationGroupId=group_id, RetainPrimaryCluster=False)
        if params.get("final_snapshot_identifier"):
            request["FinalSnapshotIdentifier"] = params["final_snapshot_identifier"]
        try:
            client.delete_replication_group(aws_retry=True, **request)
        except is_boto3_error_code("ReplicationGroupNotFoundFault"):
            module.exit_json(**result)
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to delete replication group {0}".format(group_id))
    if params["wait"] and not module.check_mode:
        wait_for(client, module, group_id, lambda g: g is None, "deleted")
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        replication_group_id=dict(type="str", required=True, aliases=["name"]),
        description=dict(type="str"),
        engine=dict(type="str", choices=["redis", "valkey"]),
        engine_version=dict(type="str"),
        node_type=dict(type="str"),
        num_cache_clusters=dict(type="int", default=2),
        preferred_cache_cluster_azs=dict(type="list", elements="str"),
        automatic_failover=dict(type="bool"),
        multi_az=dict(type="bool"),
        port=dict(type="int"),
        cache_subnet_group=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        cache_parameter_group=dict(type="str"),
        transit_encryption=dict(type="bool"),
        at_rest_encryption=dict(type="bool"),
        kms_key_id=dict(type="str", no_log=False),
        auth_token=dict(type="str", no_log=True),
        auth_token_update_strategy=dict(type="str", choices=["rotate", "set"], no_log=False),
        log_delivery=dict(
            type="list",
            elements="dict",
            options=dict(
                log_type=dict(type="str", required=True, choices=["slow-log", "engine-log"]),
                log_group=dict(type="str", required=True),
                log_format=dict(type="str", choices=["json", "text"], default="json"),
            ),
        ),
        snapshot_retention_limit=dict(type="int"),
        apply_immediately=dict(type="bool", default=True),
        final_snapshot_identifier=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problem = option_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    group_id = module.params["replication_group_id"].lower()
    module.params["replication_group_id"] = group_id
    client = elasticache_client(module, ["InvalidReplicationGroupState"])
    if module.params["state"] == "present":
        ensure_present(client, module, group_id)
    else:
        ensure_absent(client, module, group_id)


if __name__ == "__main__":
    main()
