"""Fixes to moto's ElastiCache replication groups and cache parameter groups.

The stack's cache is a replication group: a primary and a replica in two AZs, automatic
failover, Multi-AZ, in-transit encryption with an AUTH token that is rotated, at-rest
encryption with a KMS key, a cache parameter group, slow and engine logs delivered to
CloudWatch Logs. Stock moto 5.2.5 keeps little of that (see each fix). The fixes here are
``moto_fixes`` fixes like the others: registered with its ``@fix`` (``moto_fixes`` imports
this module last, so they run after the cache cluster fixes), installed by
``moto_fixes.apply()``, left out by name with ``OPENWEBUI_EMULATOR_DISABLE_FIXES`` and
proved by ``check_fixes`` (their tests: ``tests/functional/test_replication_groups.py``,
and ``test_emulator_fixes.py`` for community.aws.elasticache_parameter_group).

The model (cluster mode disabled; a group with cluster mode enabled keeps moto's
behaviour): ``state(group)`` is what the fixes keep on a moto ``ReplicationGroup``:
``members`` (the member cluster ids, in order), ``primary`` (the one with the primary
role), ``azs``, ``domain`` (of the endpoint host names), ``tokens`` (the AUTH tokens that
are valid: one, or two during a rotation) and ``passwordless`` (connections without AUTH
are valid too: a group without a token, or one that got its first token with ROTATE).
``cache_nodes`` reads it to run a real ``redis-server`` per member; ``members()``,
``group_of()``, ``modifying()`` and ``effective_parameters()`` are its accessors.

Simulated time: the ``elasticache`` pending time (``moto_fixes.apply(pending=...)``)
holds a new group ``creating`` (the fix ``elasticache_creating_then_available``), a
modified one ``modifying`` and a deleted one ``deleting``, as AWS does for minutes.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import inspect
import re
import time

from . import elasticache_parameters as parameters
from .moto_fixes import _PENDING, fix

# AWS: 16 to 128 printable characters; the non-alphanumeric ones restricted to these.
AUTH_TOKEN = re.compile(r"[A-Za-z0-9!&#$^<>-]{16,128}")
LOG_TYPES = ("slow-log", "engine-log")
LOG_DESTINATIONS = {"cloudwatch-logs": "CloudWatchLogsDetails", "kinesis-firehose": "KinesisFirehoseDetails"}
LOG_FORMATS = ("text", "json")
MAX_CACHE_CLUSTERS = 6  # 1 primary + 5 replicas
PARAMETER_GROUP_NAME = re.compile(r"[a-z](?:-?[a-z0-9])*")
_GROUPS_OF_PARAMETERS: list[bool] = []  # [True] once elasticache_cache_parameter_groups is applied
# How ROTATE and SET treat the tokens a group already has (elasticache_auth_token_rotation_keeps_the_two_newest).
_ROTATION = {"two_newest": False}


# -- the model -----------------------------------------------------------------------------


def state(group) -> dict | None:
    """The fixes' model of a replication group (None: moto's own, e.g. cluster mode enabled)."""
    return group.__dict__.get("_fix_rg")


def group_of(cluster):
    """The replication group a member cluster belongs to (None for a standalone cluster)."""
    return cluster.__dict__.get("_fix_group")


def members(group) -> list:
    """The member clusters (moto ``CacheCluster``) of a group, in order."""
    st = state(group)
    if st is None:
        return []
    clusters = st["backend"].cache_clusters
    return [clusters[member_id] for member_id in st["members"] if member_id in clusters]


def modifying(group) -> bool:
    """Whether a modification of the group is under way (the simulated time after it)."""
    st = state(group) or {}
    modified = st.get("modified")
    return modified is not None and time.monotonic() < modified + float(_PENDING.get("elasticache", 0))


def effective_parameters(group) -> list[dict]:
    """The parameters the group's nodes run with: its parameter group family's engine
    defaults, with the values set on its parameter group (``Source`` ``user``)."""
    name = group.cache_parameter_group_name or ""
    st = state(group)
    user = _parameter_groups(st["backend"]).get(name) if st else None
    if user is not None:
        family = user["family"]
    elif name.startswith("default."):
        family = name[len("default.") :]
    else:
        family = parameters.family_of(group.engine, group.engine_version) or ""
    params = parameters.engine_defaults(family)
    for param in params:
        if user is not None and param["ParameterName"] in user["values"]:
            param.update(ParameterValue=user["values"][param["ParameterName"]], Source="user")
    return params


def _error(code: str, message: str) -> Exception:
    """An ElastiCache error of that code (the model's error shape gives its HTTP status)."""
    from moto.elasticache.exceptions import ElastiCacheException

    class Error(ElastiCacheException):
        """The error; its ``code`` is set below."""

    Error.code = code
    return Error(message)


def _layer(cls, attribute: str, getter) -> None:
    """Make ``cls.attribute`` a property whose value is ``getter(self, stored)``: ``stored``
    is what an earlier fix's property, or else the instance, holds (setting it sets that)."""
    previous = cls.__dict__.get(attribute)

    def _get(self):
        stored = previous.fget(self) if isinstance(previous, property) else self.__dict__.get(attribute)
        return getter(self, stored)

    def _set(self, value):
        if isinstance(previous, property):
            previous.fset(self, value)
        else:
            self.__dict__[attribute] = value

    setattr(cls, attribute, property(_get, _set))


def _check_auth_token(token: str) -> None:
    if not AUTH_TOKEN.fullmatch(token):
        raise _error("InvalidParameterValue", "Invalid AuthToken provided.")


def _check_log_deliveries(configurations: list[dict], modify: bool = False) -> None:
    """LogDeliveryConfigurations: one per LogType (slow-log, engine-log), a known destination
    with its details, a known format (a disabling entry of ModifyReplicationGroup needs the
    LogType only)."""
    seen = set()
    for config in configurations or []:
        log_type = config.get("LogType")
        if log_type not in LOG_TYPES:
            raise _error("InvalidParameterValue", f"Invalid LogType: {log_type}. Valid values: {', '.join(LOG_TYPES)}")
        if log_type in seen:
            raise _error("InvalidParameterCombination", f"Only one log delivery configuration per LogType: {log_type}")
        seen.add(log_type)
        if modify and str(config.get("Enabled", True)).lower() == "false":
            continue
        destination = config.get("DestinationType")
        if destination not in LOG_DESTINATIONS:
            raise _error(
                "InvalidParameterValue",
                f"Invalid DestinationType: {destination}. Valid values: {', '.join(LOG_DESTINATIONS)}",
            )
        if not (config.get("DestinationDetails") or {}).get(LOG_DESTINATIONS[destination]):
            raise _error(
                "InvalidParameterValue",
                f"DestinationDetails must have {LOG_DESTINATIONS[destination]} for DestinationType {destination}",
            )
        if config.get("LogFormat") not in LOG_FORMATS:
            raise _error(
                "InvalidParameterValue",
                f"Invalid LogFormat: {config.get('LogFormat')}. Valid values: {', '.join(LOG_FORMATS)}",
            )


def _log_delivery(config: dict, status: str) -> dict:
    messages = {"active": "Log delivery configuration is active."}
    item = {
        key: config[key] for key in ("LogType", "DestinationType", "DestinationDetails", "LogFormat") if key in config
    }
    item.update(Status=status)
    if status in messages:
        item["Message"] = messages[status]
    return item


def _check_parameter_group(backend, name: str | None, engine: str | None, engine_version: str | None) -> None:
    """The group exists and its family fits the engine version (with the parameter group fix)."""
    if not name or not _GROUPS_OF_PARAMETERS:
        return
    group = _parameter_groups(backend).get(name) or _default_parameter_group(name)
    if group is None:
        raise _error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
    family = parameters.family_of(engine, engine_version)
    if family and group["family"] != family:
        raise _error(
            "InvalidParameterCombination",
            f"The parameter group {name} (family {group['family']}) cannot be used with "
            f"{engine or 'redis'} {engine_version or parameters.DEFAULT_ENGINE_VERSIONS.get(engine or 'redis')} "
            f"(family {family}).",
        )


def _group(backend, replication_group_id: str):
    return backend.describe_replication_groups(replication_group_id)[0]


def _require_available(group) -> None:
    if group.status != "available":
        raise _error(
            "InvalidReplicationGroupState",
            f"Replication group {group.replication_group_id} is not in available state ({group.status}).",
        )


# -- CreateReplicationGroup ---------------------------------------------------------------


@fix
def elasticache_replication_group_validates_its_parameters(pending):
    """AWS: CreateReplicationGroup refuses an AuthToken without TransitEncryptionEnabled ("The
    AUTH token is only supported when encryption-in-transit is enabled") and one that is not
    16-128 characters of letters, digits and ``!&#$^<>-`` ("Invalid AuthToken provided.");
    automatic failover with fewer than 2 clusters ("When using automatic failover, there must
    be at least 2 cache clusters in the replication group."); Multi-AZ without automatic
    failover; a KmsKeyId without at-rest encryption, or one KMS does not know
    (InvalidKMSKeyFault); more than 6 clusters, or PreferredCacheClusterAZs of another count;
    an unknown engine, subnet group or parameter group (or one of another family); bad
    LogDeliveryConfigurations; TransitEncryptionMode without in-transit encryption. moto:
    takes all of it. Broke: nothing yet; a role mistake here would pass locally and fail on
    AWS (the collection's elasticache_replication_group)."""
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.responses import ElastiCacheResponse
    from moto.kms.models import kms_backends

    original = ElastiCacheResponse.create_replication_group

    @functools.wraps(original)
    def create_replication_group(self):
        backend = self.elasticache_backend
        engine = (self._get_param("Engine") or "redis").lower()
        if engine not in ("redis", "valkey"):
            raise _error("InvalidParameterValue", f"Invalid engine {engine} for a replication group: redis or valkey")
        tls = self._get_bool_param("TransitEncryptionEnabled") is True
        token = self._get_param("AuthToken")
        if token is not None:
            if not tls:
                raise _error(
                    "InvalidParameterValue", "The AUTH token is only supported when encryption-in-transit is enabled"
                )
            _check_auth_token(token)
        mode = self._get_param("TransitEncryptionMode")
        if mode is not None:
            if mode not in ("preferred", "required"):
                raise _error("InvalidParameterValue", f"Invalid TransitEncryptionMode: {mode}")
            if not tls:
                raise _error(
                    "InvalidParameterCombination", "TransitEncryptionMode requires TransitEncryptionEnabled to be true."
                )
        clustered = self._get_param("ClusterMode") == "enabled" or (self._get_int_param("NumNodeGroups") or 1) > 1
        azs = self._get_param("PreferredCacheClusterAZs") or []
        count = self._get_int_param("NumCacheClusters")
        replicas = self._get_int_param("ReplicasPerNodeGroup")
        clusters = count or ((replicas + 1) if replicas is not None else (len(azs) or 1))
        if not clustered:
            if not 1 <= clusters <= MAX_CACHE_CLUSTERS:
                raise _error(
                    "InvalidParameterValue",
                    f"NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS} (1 primary and up to 5 replicas).",
                )
            if azs and len(azs) != clusters:
                raise _error(
                    "InvalidParameterValue",
                    f"The number of PreferredCacheClusterAZs ({len(azs)}) must equal NumCacheClusters ({clusters}).",
                )
        failover = self._get_bool_param("AutomaticFailoverEnabled") is True
        if failover and not clustered and clusters < 2:
            raise _error(
                "InvalidParameterCombination",
                "When using automatic failover, there must be at least 2 cache clusters in the replication group.",
            )
        if self._get_bool_param("MultiAZEnabled") is True and not failover:
            raise _error("InvalidParameterCombination", "Multi-AZ requires automatic failover to be enabled.")
        kms_key_id = self._get_param("KmsKeyId")
        if kms_key_id:
            if self._get_bool_param("AtRestEncryptionEnabled") is not True:
                raise _error(
                    "InvalidParameterCombination",
                    "KmsKeyId can be specified only when AtRestEncryptionEnabled is true.",
                )
            try:
                kms_backends[self.current_account][self.region].describe_key(kms_key_id)
            except Exception:
                raise _error("InvalidKMSKeyFault", f"The KMS key {kms_key_id} is not valid.") from None
        subnet_group = self._get_param("CacheSubnetGroupName")
        if subnet_group and subnet_group not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(subnet_group)
        _check_parameter_group(
            backend, self._get_param("CacheParameterGroupName"), engine, self._get_param("EngineVersion")
        )
        _check_log_deliveries(self._get_param("LogDeliveryConfigurations") or [])
        return original(self)

    ElastiCacheResponse.create_replication_group = create_replication_group


@fix
def elasticache_replication_group_reports_its_kms_key_arn(pending):
    """AWS: a replication group encrypted at rest with a KmsKeyId given as a key ID, key ARN,
    alias name or alias ARN reports that key's ARN as its ``KmsKeyId`` (DescribeReplicationGroups,
    and the CreateReplicationGroup answer). Not in AWS's API reference ("The ID of the KMS key
    used to encrypt the disk in the cluster"); seen in the field: terraform-provider-aws
    #25713 (an alias given, the key ARN read back), #35285 (ElastiCache Serverless: a key ID
    given, the key ARN read back), floci #2615 (a live account reports the key ARN). moto:
    the value as given."""
    from moto.elasticache.models import ElastiCacheBackend
    from moto.kms.models import kms_backends

    create = ElastiCacheBackend.create_replication_group

    @functools.wraps(create)
    def create_replication_group(self, *args, **kwargs):
        group = create(self, *args, **kwargs)
        if group.kms_key_id:
            # An unknown key: refused by elasticache_replication_group_validates_its_parameters (when on).
            with contextlib.suppress(Exception):
                group.kms_key_id = kms_backends[self.account_id][self.region_name].describe_key(group.kms_key_id).arn
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group


def _cluster_count(request: dict) -> int:
    if request.get("num_cache_clusters"):
        return int(request["num_cache_clusters"])
    if request.get("replicas_per_node_group") is not None:
        return int(request["replicas_per_node_group"]) + 1
    return len(request.get("preferred_cache_cluster_azs") or []) or 1


def _member_azs(backend, request: dict, count: int) -> list[str]:
    """PreferredCacheClusterAZs in order; else the subnet group's AZs (or the region's a, b,
    c) in turn, as AWS spreads the clusters."""
    preferred = list(request.get("preferred_cache_cluster_azs") or [])
    if preferred:
        return [preferred[n % len(preferred)] for n in range(count)]
    subnet_group = backend.cache_subnet_groups.get(request.get("cache_subnet_group_name") or "")
    subnets = getattr(subnet_group, "subnets", [])
    azs = sorted({s["subnet_availability_zone"] for s in subnets if isinstance(s.get("subnet_availability_zone"), str)})
    azs = azs or [f"{backend.region_name}{letter}" for letter in "abc"]
    return [azs[n % len(azs)] for n in range(count)]


@fix
def elasticache_replication_group_has_member_clusters(pending):
    """AWS: a replication group (cluster mode disabled) of NumCacheClusters clusters is made of
    member cache clusters ``<id>-001``, ``<id>-002``, ... in PreferredCacheClusterAZs, in
    order: DescribeCacheClusters lists them (``ReplicationGroupId``, ``CacheParameterGroup``,
    encryption flags, a status that follows the group's), and the group's ``MemberClusters``
    and ``NodeGroups[0]`` name them: ``PrimaryEndpoint``, ``ReaderEndpoint`` and one
    ``NodeGroupMembers`` entry per cluster (``CacheNodeId`` ``0001``, ``ReadEndpoint``, AZ,
    ``CurrentRole`` primary/replica; no endpoint while ``creating``); ``TransitEncryptionMode``
    is ``required`` with in-transit encryption. A cluster id that exists already:
    CacheClusterAlreadyExists. moto: only the primary (NumCacheClusters is ignored without
    ReplicasPerNodeGroup), no member cluster, no ReaderEndpoint, no TransitEncryptionMode,
    no CacheParameterGroup on clusters. Broke: the stack's primary + replica in two AZs (the
    collection's elasticache_replication_group)."""
    from moto.elasticache.exceptions import CacheClusterAlreadyExists
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

    create = ElastiCacheBackend.create_replication_group
    cluster_arguments = list(inspect.signature(ElastiCacheBackend.create_cache_cluster).parameters)[1:]

    @functools.wraps(create)
    def create_replication_group(self, *args, **kwargs):
        request = inspect.signature(create).bind(self, *args, **kwargs).arguments
        if request.get("cluster_mode") == "enabled" or int(request.get("num_node_groups") or 1) > 1:
            return create(self, *args, **kwargs)
        group_id = request["replication_group_id"]
        count = _cluster_count(request)
        member_ids = [f"{group_id}-{n:03d}" for n in range(1, count + 1)]
        if group_id not in self.replication_groups:
            for member_id in member_ids:
                if member_id in self.cache_clusters:
                    raise CacheClusterAlreadyExists(member_id)
        group = create(self, *args, **kwargs)
        engine = (request.get("engine") or "redis").lower()
        version = request.get("engine_version") or parameters.DEFAULT_ENGINE_VERSIONS.get(engine)
        family = parameters.family_of(engine, version)
        tls = bool(request.get("transit_encryption_enabled"))
        token = request.get("auth_token")
        group.engine_version = version
        group.cache_parameter_group_name = request.get("cache_parameter_group_name") or (
            parameters.default_group_name(family) if family else None
        )
        group.transit_encryption_mode = (request.get("transit_encryption_mode") or "required") if tls else None
        azs = _member_azs(self, request, count)
        group.__dict__["_fix_rg"] = {
            "backend": self,
            "members": member_ids,
            "primary": member_ids[0],
            "azs": dict(zip(member_ids, azs, strict=True)),
            "domain": group.__dict__["node_groups"][0]["primary_endpoint_address"].split(".", 1)[1],
            "tokens": [token] if token else [],
            "passwordless": not token,
        }
        if group.snapshot_retention_limit:
            group.snapshotting_cluster_id = member_ids[1] if count > 1 else member_ids[0]
        for member_id, az in zip(member_ids, azs, strict=True):
            arguments = dict.fromkeys(cluster_arguments)
            arguments.update(
                cache_cluster_id=member_id,
                replication_group_id=group_id,
                cache_node_type=group.cache_node_type,
                engine=engine,
                engine_version=version,
                cache_parameter_group_name=group.cache_parameter_group_name,
                cache_subnet_group_name=request.get("cache_subnet_group_name"),
                security_group_ids=request.get("security_group_ids") or [],
                port=group.port,
                preferred_availability_zone=az,
                transit_encryption_enabled=tls,
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=group.snapshot_window,
                preferred_maintenance_window=request.get("preferred_maintenance_window"),
                auto_minor_version_upgrade=request.get("auto_minor_version_upgrade"),
                notification_topic_arn=request.get("notification_topic_arn"),
                num_cache_nodes=1,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=[],
                cache_node_ids_to_reboot=[],
            )
            cluster = self.create_cache_cluster(**arguments)
            cluster.num_cache_nodes = 1
            cluster.replication_group_id = group_id
            cluster.at_rest_encryption_enabled = bool(group.at_rest_encryption_enabled)
            cluster.transit_encryption_mode = group.transit_encryption_mode
            cluster.auth_token_enabled = bool(token)
            cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
            cluster.log_delivery_configurations = copy.deepcopy(group.log_delivery_configurations)
            cluster.replication_group_log_delivery_enabled = bool(group.log_delivery_configurations)
            cluster.__dict__["_fix_group"] = group
        return group

    def node_groups(self, stored):
        st = state(self)
        if st is None:
            return stored
        status = self.status
        ready = status != "creating"
        domain, port = st["domain"], self.port
        node_members = []
        for member_id in st["members"]:
            member = {
                "cache_cluster_id": member_id,
                "cache_node_id": "0001",
                "preferred_availability_zone": st["azs"][member_id],
                "current_role": "primary" if member_id == st["primary"] else "replica",
            }
            if ready:
                member["read_endpoint"] = {"address": f"{member_id}.{domain}", "port": port}
            node_members.append(member)
        node_group = {"node_group_id": "0001", "status": status, "node_group_members": node_members}
        if ready:
            node_group["primary_endpoint"] = {"address": f"master.{domain}", "port": port}
            node_group["reader_endpoint"] = {"address": f"replica.{domain}", "port": port}
        return [node_group]

    def member_status(self, stored):
        group = group_of(self)
        return stored if group is None else group.status

    def cache_parameter_group(self):
        name = self.cache_parameter_group_name
        if not name:
            family = parameters.family_of(self.engine, self.engine_version)
            name = parameters.default_group_name(family) if family else None
        if name is None:
            return None
        return {"CacheParameterGroupName": name, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}

    ElastiCacheBackend.create_replication_group = create_replication_group
    _layer(ReplicationGroup, "node_groups", node_groups)
    _layer(
        ReplicationGroup,
        "member_clusters",
        lambda self, stored: list(state(self)["members"]) if state(self) else stored,
    )
    _layer(CacheCluster, "cache_cluster_status", member_status)
    CacheCluster.cache_parameter_group = property(cache_parameter_group)


# -- ModifyReplicationGroup ---------------------------------------------------------------

# ModifyReplicationGroup's parameters that the fix reads (moto's handler reads 6 of them).
_MODIFY_PARAMETERS = (
    "ReplicationGroupDescription",
    "PrimaryClusterId",
    "SnapshottingClusterId",
    "AutomaticFailoverEnabled",
    "MultiAZEnabled",
    "SecurityGroupIds",
    "PreferredMaintenanceWindow",
    "NotificationTopicArn",
    "NotificationTopicStatus",
    "CacheParameterGroupName",
    "ApplyImmediately",
    "Engine",
    "EngineVersion",
    "AutoMinorVersionUpgrade",
    "SnapshotRetentionLimit",
    "SnapshotWindow",
    "CacheNodeType",
    "AuthToken",
    "AuthTokenUpdateStrategy",
    "UserGroupIdsToAdd",
    "UserGroupIdsToRemove",
    "RemoveUserGroups",
    "LogDeliveryConfigurations",
    "TransitEncryptionEnabled",
    "TransitEncryptionMode",
)
_BOOLEAN_PARAMETERS = (
    "AutomaticFailoverEnabled",
    "MultiAZEnabled",
    "ApplyImmediately",
    "AutoMinorVersionUpgrade",
    "RemoveUserGroups",
    "TransitEncryptionEnabled",
)


def _rotate_keeping_the_two_newest(st: dict, token: str) -> None:
    """ROTATE as AWS documents it: the new token is added and the newest earlier credential
    stays valid beside it; a group that already had two (two tokens, or no AUTH and its first
    token) loses the oldest."""
    credentials = ([None] if st["passwordless"] else []) + st["tokens"]  # oldest first; None: without AUTH
    if len(credentials) > 1:
        credentials = credentials[1:]
    credentials = [*[c for c in credentials if c != token], token]
    st.update(tokens=[c for c in credentials if c is not None], passwordless=None in credentials)


def _new_auth(group, st: dict, token: str | None, strategy: str | None, user_groups: list) -> str | None:
    """Check an AUTH change and apply it to ``st``; returns the pending ``AuthTokenStatus``."""
    if token is None and strategy is None:
        return None
    strategy = (strategy or "ROTATE").upper()
    if strategy not in ("ROTATE", "SET", "DELETE"):
        raise _error(
            "InvalidParameterValue", f"Invalid AuthTokenUpdateStrategy: {strategy}. Valid: ROTATE, SET, DELETE"
        )
    if strategy == "DELETE":
        if not user_groups:
            raise _error(
                "InvalidParameterValue",
                "The DELETE AuthTokenUpdateStrategy is allowed only when migrating to RBAC (with UserGroupIdsToAdd).",
            )
        st.update(tokens=[], passwordless=True)
        group.auth_token_enabled = False
        return None
    if token is None:
        raise _error("InvalidParameterValue", f"AuthToken must be given with AuthTokenUpdateStrategy {strategy}.")
    if not group.transit_encryption_enabled:
        raise _error("InvalidParameterValue", "The AUTH token is only supported when encryption-in-transit is enabled")
    _check_auth_token(token)
    if strategy == "ROTATE":
        if _ROTATION["two_newest"]:
            _rotate_keeping_the_two_newest(st, token)
        else:  # the new token beside every earlier one
            st["tokens"] = [*[t for t in st["tokens"] if t != token], token]
        status = "ROTATING"
    else:
        rotating = st["passwordless"] or len(st["tokens"]) > 1
        if not rotating and st["tokens"] != [token]:
            raise _error(
                "InvalidParameterValue",
                "The SET AuthTokenUpdateStrategy is allowed only after ROTATE (or for a group without an AUTH token).",
            )
        if _ROTATION["two_newest"] and st["tokens"] and token != st["tokens"][-1]:
            raise _error(
                "InvalidParameterValue",
                "The AuthToken of the SET AuthTokenUpdateStrategy must be the last AUTH token rotated.",
            )
        st.update(tokens=[token], passwordless=False)
        status = "SETTING"
    group.auth_token_enabled = True
    return status


def _new_log_deliveries(group, st: dict, requested: list[dict]) -> tuple[list[dict], list[dict]]:
    """(configurations while modifying, configurations after) for LogDeliveryConfigurations."""
    current = {  # moto's own entries (from CreateReplicationGroup) have a lower-case "status"
        c["LogType"]: _log_delivery(c, "active")
        for c in group.log_delivery_configurations
        if (c.get("Status") or c.get("status")) != "disabling"
    }
    during, after = dict(current), dict(current)
    for config in requested:
        log_type = config["LogType"]
        if str(config.get("Enabled", True)).lower() == "false":
            if log_type in current:
                during[log_type] = dict(current[log_type], Status="disabling")
                after.pop(log_type)
            continue
        new = _log_delivery(config, "active")
        during[log_type] = dict(new, Status="modifying" if log_type in current else "enabling")
        after[log_type] = new
    return list(during.values()), list(after.values())


@fix
def elasticache_modify_replication_group_applies_its_parameters(pending):
    """AWS: ModifyReplicationGroup (of an ``available`` group, else
    InvalidReplicationGroupState) changes the AUTH token (``AuthTokenUpdateStrategy``: ROTATE,
    the default, keeps the current token valid beside the new one; SET, only after a ROTATE or
    on a group without a token, leaves the new one alone; DELETE only when migrating to RBAC;
    only with in-transit encryption; ``AuthTokenLastModifiedDate``), the parameter group
    (CacheParameterGroupNotFound), security groups, LogDeliveryConfigurations (add, change,
    ``Enabled: false`` removes), SnapshotRetentionLimit, automatic failover (not without a
    replica, nor off while Multi-AZ is on) and Multi-AZ (not without automatic failover),
    PrimaryClusterId and the rest of its parameters; the group is ``modifying`` for a while
    (``PendingModifiedValues``: ``AuthTokenStatus``, ``AutomaticFailoverStatus``,
    ``LogDeliveryConfigurations``; AutomaticFailover ``enabling``/``disabling``), then
    ``available``. moto: its handler reads 6 parameters (no AuthToken, no parameter group,
    no security groups, no log delivery), and the group stays ``available``. Held
    ``modifying`` for ``pending["elasticache"]`` seconds (default 0). Broke: the AUTH token
    rotation of the stack (the collection's elasticache_replication_group)."""
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
    from moto.elasticache.responses import ElastiCacheResponse

    def modify_replication_group(self):
        changes = {}
        for name in _MODIFY_PARAMETERS:
            value = self._get_bool_param(name) if name in _BOOLEAN_PARAMETERS else self._get_param(name)
            if value is not None:
                changes[name] = value
        if "SnapshotRetentionLimit" in changes:
            changes["SnapshotRetentionLimit"] = int(changes["SnapshotRetentionLimit"])
        group = self.elasticache_backend.modify_replication_group(self._get_param("ReplicationGroupId"), **changes)
        return ActionResult({"ReplicationGroup": group})

    def modify_group(self, replication_group_id, **changes):
        """The backend's ModifyReplicationGroup (``changes``: the request's parameters by their
        API names; moto's own handler passes snake_case names, mapped here)."""
        legacy = {
            "replication_group_description": "ReplicationGroupDescription",
            "engine": "Engine",
            "cache_node_type": "CacheNodeType",
            "automatic_failover_enabled": "AutomaticFailoverEnabled",
            "multi_az_enabled": "MultiAZEnabled",
            "snapshot_retention_limit": "SnapshotRetentionLimit",
        }
        changes = {legacy.get(k, k): v for k, v in changes.items() if v is not None}
        group = _group(self, replication_group_id)
        _require_available(group)
        st = state(group)
        if st is None:  # cluster mode enabled: moto's model, the same checks
            st = group.__dict__.setdefault("_fix_rg_other", {"tokens": [], "passwordless": True, "members": []})
        clusters = members(group)
        failover = changes.get("AutomaticFailoverEnabled")
        multi_az = changes.get("MultiAZEnabled")
        failover_after = failover if failover is not None else group.automatic_failover in ("enabled", "enabling")
        multi_az_after = multi_az if multi_az is not None else group.multi_az == "enabled"
        if failover and len(st["members"] or group.member_clusters) < 2:
            raise _error(
                "InvalidReplicationGroupState",
                "Replication group must have at least one read replica to enable autofailover.",
            )
        if multi_az_after and not failover_after:
            raise _error("InvalidParameterCombination", "Multi-AZ requires automatic failover to be enabled.")
        if "CacheParameterGroupName" in changes:
            _check_parameter_group(
                self,
                changes["CacheParameterGroupName"],
                changes.get("Engine", group.engine),
                changes.get("EngineVersion", group.engine_version),
            )
        if "LogDeliveryConfigurations" in changes:
            _check_log_deliveries(changes["LogDeliveryConfigurations"], modify=True)
        primary = changes.get("PrimaryClusterId")
        if primary is not None and primary not in st["members"]:
            raise _error("CacheClusterNotFound", f"Cache cluster {primary} not found.")
        if "TransitEncryptionMode" in changes and not (
            changes.get("TransitEncryptionEnabled") or group.transit_encryption_enabled
        ):
            raise _error(
                "InvalidParameterCombination", "TransitEncryptionMode requires TransitEncryptionEnabled to be true."
            )
        tokens_before = (list(st["tokens"]), st["passwordless"])
        try:
            auth_status = _new_auth(
                group,
                st,
                changes.get("AuthToken"),
                changes.get("AuthTokenUpdateStrategy"),
                changes.get("UserGroupIdsToAdd") or [],
            )
        except Exception:
            st["tokens"], st["passwordless"] = tokens_before
            raise
        pending_values = {}
        if auth_status:
            pending_values["AuthTokenStatus"] = auth_status
        if auth_status or "AuthTokenUpdateStrategy" in changes:
            group.auth_token_last_modified_date = utcnow()
        if failover is not None:
            if (group.automatic_failover == "enabled") != failover:
                pending_values["AutomaticFailoverStatus"] = "enabled" if failover else "disabled"
            group.automatic_failover = "enabled" if failover else "disabled"
        if multi_az is not None:
            group.multi_az = "enabled" if multi_az else "disabled"
        if "LogDeliveryConfigurations" in changes:
            during, after = _new_log_deliveries(group, st, changes["LogDeliveryConfigurations"])
            st.update(logs_during=during, logs_after=after)
            pending_values["LogDeliveryConfigurations"] = [
                {k: c[k] for k in ("LogType", "DestinationType", "DestinationDetails", "LogFormat") if k in c}
                for c in during
                if c["Status"] in ("enabling", "modifying")
            ]
        simple = {
            "ReplicationGroupDescription": "description",
            "PreferredMaintenanceWindow": "preferred_maintenance_window",
            "NotificationTopicArn": "notification_topic_arn",
            "CacheParameterGroupName": "cache_parameter_group_name",
            "Engine": "engine",
            "EngineVersion": "engine_version",
            "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
            "SnapshotWindow": "snapshot_window",
            "CacheNodeType": "cache_node_type",
            "SecurityGroupIds": "security_group_ids",
            "TransitEncryptionEnabled": "transit_encryption_enabled",
            "TransitEncryptionMode": "transit_encryption_mode",
        }
        for name, attribute in simple.items():
            if name in changes:
                setattr(group, attribute, changes[name])
                for cluster in clusters:
                    if attribute != "description":
                        setattr(cluster, attribute, changes[name])
        if "UserGroupIdsToAdd" in changes or "UserGroupIdsToRemove" in changes or changes.get("RemoveUserGroups"):
            kept = [] if changes.get("RemoveUserGroups") else list(group.user_group_ids or [])
            kept = [g for g in kept if g not in (changes.get("UserGroupIdsToRemove") or [])]
            group.user_group_ids = kept + [g for g in changes.get("UserGroupIdsToAdd") or [] if g not in kept]
        if "SnapshotRetentionLimit" in changes:
            group.snapshot_retention_limit = changes["SnapshotRetentionLimit"]
            replicas = [m for m in st["members"] if m != st.get("primary")]
            group.snapshotting_cluster_id = (
                (changes.get("SnapshottingClusterId") or (replicas or st["members"] or [None])[0])
                if group.snapshot_retention_limit
                else None
            )
            for cluster in clusters:
                cluster.snapshot_retention_limit = group.snapshot_retention_limit
        if primary is not None and "primary" in st:
            st["primary"] = primary
        for cluster in clusters:
            cluster.auth_token_enabled = group.auth_token_enabled
            cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
            cluster.log_delivery_configurations = copy.deepcopy(st.get("logs_after", group.log_delivery_configurations))
            cluster.replication_group_log_delivery_enabled = bool(cluster.log_delivery_configurations)
        st.update(modified=time.monotonic(), pending=pending_values)
        return group

    def status(self, stored):
        return "modifying" if stored == "available" and modifying(self) else stored

    def automatic_failover(self, stored):
        target = ((state(self) or {}).get("pending") or {}).get("AutomaticFailoverStatus")
        if target and modifying(self):
            return {"enabled": "enabling", "disabled": "disabling"}[target]
        return stored

    def pending_modified_values(self):
        return dict((state(self) or {}).get("pending") or {}) if modifying(self) else {}

    def log_delivery_configurations(self, stored):
        st = state(self) or {}
        key = "logs_during" if modifying(self) else "logs_after"
        return copy.deepcopy(st[key]) if key in st else stored

    ElastiCacheResponse.modify_replication_group = modify_replication_group
    ElastiCacheBackend.modify_replication_group = modify_group
    _layer(ReplicationGroup, "status", status)
    _layer(ReplicationGroup, "automatic_failover", automatic_failover)
    _layer(ReplicationGroup, "log_delivery_configurations", log_delivery_configurations)
    ReplicationGroup.pending_modified_values = property(pending_modified_values)


# -- TestFailover ---------------------------------------------------------------------------


@fix
def elasticache_auth_token_rotation_keeps_the_two_newest(pending):
    """AWS ("Authenticating with the Redis AUTH command", Rotating the AUTH token): a ROTATE on
    a group that already supports two AUTH tokens also removes the oldest, so that the group
    supports the two most recent tokens at a time (a group that got its first token by ROTATE
    still serves connections without AUTH: that counts as the older of its two); SET
    ("Setting the AUTH token") takes the last AUTH token rotated. Without this fix, the
    emulator's ModifyReplicationGroup keeps every earlier token valid beside the new one and
    SET takes any token after a ROTATE: a second ROTATE before the SET (a rotation that was
    interrupted, then started again) would cut no one off here and would on AWS."""
    _ROTATION["two_newest"] = True


@fix
def elasticache_test_failover_promotes_a_replica(pending):
    """AWS: TestFailover(ReplicationGroupId, NodeGroupId) of an ``available`` group with
    automatic failover enabled promotes a replica: the roles swap in NodeGroupMembers, and the
    PrimaryEndpoint (a DNS name that follows the primary) leads to the new primary. Without
    automatic failover or a replica: InvalidReplicationGroupState; an unknown node group:
    NodeGroupNotFoundFault. moto: not implemented (500). Broke: the failover check of the
    cache (Multi-AZ) could not be shown locally."""
    from moto.core.responses import ActionResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    def test_failover(self, replication_group_id, node_group_id):
        """Promote the first replica of the node group (AWS picks the one with the least lag)."""
        group = _group(self, replication_group_id)
        st = state(group)
        if st is None or node_group_id != "0001":
            raise _error("NodeGroupNotFoundFault", f"Node group {node_group_id} not found in {replication_group_id}.")
        _require_available(group)
        if group.automatic_failover != "enabled":
            raise _error(
                "InvalidReplicationGroupState",
                f"Automatic failover is not enabled for replication group {replication_group_id}.",
            )
        replicas = [m for m in st["members"] if m != st["primary"]]
        if not replicas:
            raise _error("InvalidReplicationGroupState", f"Replication group {replication_group_id} has no replica.")
        st["primary"] = replicas[0]
        return group

    def test_failover_action(self):
        group = self.elasticache_backend.test_failover(
            self._get_param("ReplicationGroupId"), self._get_param("NodeGroupId")
        )
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheBackend.test_failover = test_failover
    ElastiCacheResponse.test_failover = test_failover_action


# -- DeleteReplicationGroup ---------------------------------------------------------------


@fix
def elasticache_deleted_replication_group_goes_away(pending):
    """AWS: DeleteReplicationGroup (of an ``available`` group, else
    InvalidReplicationGroupState) makes the group and its member clusters ``deleting``, then
    they are gone (ReplicationGroupNotFoundFault, CacheClusterNotFound); FinalSnapshotIdentifier
    takes a snapshot first; RetainPrimaryCluster keeps the primary as a cluster of its own.
    moto: ``deleting`` forever, the primary dropped from MemberClusters, no final snapshot.
    Held ``deleting`` for ``pending["elasticache"]`` seconds (default 0). Broke: a teardown
    that waits for the group to be gone hangs."""
    from moto.elasticache.models import ElastiCacheBackend

    describe_groups = ElastiCacheBackend.describe_replication_groups
    describe_clusters = ElastiCacheBackend.describe_cache_clusters

    def purge(backend) -> None:
        now = time.monotonic()
        for group_id, group in list(backend.replication_groups.items()):
            deleted = group.__dict__.get("_fix_deleted")
            if deleted is None or now < deleted + float(_PENDING.get("elasticache", 0)):
                continue
            for cluster in members(group):
                backend.cache_clusters.pop(cluster.cache_cluster_id, None)
            del backend.replication_groups[group_id]
            backend.tagging_service.delete_all_tags_for_resource(group.arn)

    def delete_replication_group(self, replication_group_id, retain_primary_cluster=None, final_snapshot=None):
        group = _group(self, replication_group_id)
        if group.status not in ("available", "create-failed", "snapshotting"):
            raise _error(
                "InvalidReplicationGroupState",
                f"Replication group {replication_group_id} is not in available state ({group.status}).",
            )
        if final_snapshot:
            self.create_snapshot(final_snapshot, replication_group_id, None, None, None)
        st = state(group)
        if retain_primary_cluster and st is not None:
            primary = self.cache_clusters.get(st["primary"])
            if primary is not None:
                primary.__dict__.pop("_fix_group", None)
                primary.replication_group_id = None
                st["members"] = [m for m in st["members"] if m != st["primary"]]
        group.status = "deleting"
        group.__dict__["_fix_deleted"] = time.monotonic()
        return group

    @functools.wraps(describe_groups)
    def describe_replication_groups(self, replication_group_id=None):
        purge(self)
        return describe_groups(self, replication_group_id)

    @functools.wraps(describe_clusters)
    def describe_cache_clusters(self, cache_cluster_id=None):
        purge(self)
        return describe_clusters(self, cache_cluster_id)

    from moto.core.responses import ActionResult
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_replication_group_action(self):
        group = self.elasticache_backend.delete_replication_group(
            self._get_param("ReplicationGroupId"),
            self._get_bool_param("RetainPrimaryCluster"),
            self._get_param("FinalSnapshotIdentifier"),
        )
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheBackend.describe_replication_groups = describe_replication_groups
    ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters
    ElastiCacheResponse.delete_replication_group = delete_replication_group_action


# -- cache parameter groups -----------------------------------------------------------------


def _parameter_groups(backend) -> dict[str, dict]:
    """The backend's cache parameter groups (made by CreateCacheParameterGroup), by name."""
    return backend.__dict__.setdefault("_fix_cache_parameter_groups", {})


def _default_parameter_group(name: str) -> dict | None:
    family = name[len("default.") :] if name.startswith("default.") else None
    if family not in parameters.FAMILIES:
        return None
    return {"name": name, "family": family, "description": f"Default parameter group for {family}", "values": {}}


def _page(items: list, marker, max_records) -> tuple[list, str | None]:
    """AWS's Marker/MaxRecords paging (MaxRecords 20..100, default 100)."""
    size = 100 if max_records in (None, "") else int(max_records)
    if not 20 <= size <= 100:
        raise _error("InvalidParameterValue", f"Invalid value {size} for MaxRecords. Must be between 20 and 100")
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(str(marker).encode()).decode())
        except ValueError as exc:
            raise _error("InvalidParameterValue", f"Invalid marker: {marker}") from exc
    end = start + size
    return items[start:end], base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None


@fix
def elasticache_cache_parameter_groups(pending):
    """AWS: CreateCacheParameterGroup (families ``redis2.6``..``redis7``, ``valkey7``,
    ``valkey8``, ``memcached1.4``..``1.6``; the name stored in lower case;
    CacheParameterGroupAlreadyExists), DescribeCacheParameterGroups (the default groups
    ``default.<family>`` too; CacheParameterGroupNotFound), ModifyCacheParameterGroup (1 to
    20 ParameterNameValues; an unknown or non-modifiable parameter, a value outside
    AllowedValues or a default group: InvalidParameterValue), ResetCacheParameterGroup,
    DeleteCacheParameterGroup (not a default group, not one a cluster uses:
    InvalidCacheParameterGroupState), DescribeCacheParameters (every parameter of the
    family, the ones set with ``Source`` ``user``; ``Source`` filter; Marker/MaxRecords),
    DescribeEngineDefaultParameters, tags (ListTagsForResource of the group's ARN). moto:
    none of these actions (500). Broke: community.aws.elasticache_parameter_group, and the
    stack's parameter group. Data: ``elasticache_parameters`` (a subset of each family's
    parameters, cited from AWS's docs)."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    from .moto_fixes import _wrap_init

    def arn(response, name):
        return f"arn:aws:elasticache:{response.region}:{response.current_account}:parametergroup:{name}"

    def find(response, name):
        groups = _parameter_groups(response.elasticache_backend)
        group = groups.get((name or "").lower()) or _default_parameter_group((name or "").lower())
        if group is None:
            raise _error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
        return group

    def shape(response, group):
        return {
            "CacheParameterGroupName": group["name"],
            "CacheParameterGroupFamily": group["family"],
            "Description": group["description"],
            "IsGlobal": False,
            "ARN": arn(response, group["name"]),
        }

    def modifiable(group, name_values) -> list[tuple[str, str]]:
        if group["name"].startswith("default."):
            raise _error("InvalidParameterValue", f"Default parameter group {group['name']} cannot be modified.")
        known = {p["ParameterName"]: p for p in parameters.FAMILIES[group["family"]]}
        pairs = []
        for item in name_values:
            name, value = item.get("ParameterName"), str(item.get("ParameterValue", ""))
            param = known.get(name)
            if param is None:
                raise _error("InvalidParameterValue", f"Could not find parameter with name: {name}")
            if not param["IsModifiable"]:
                raise _error("InvalidParameterValue", f"The parameter {name} cannot be modified.")
            pairs.append((name, value))
        return pairs

    def create_cache_parameter_group(self):
        name = (self._get_param("CacheParameterGroupName") or "").lower()
        family = self._get_param("CacheParameterGroupFamily")
        groups = _parameter_groups(self.elasticache_backend)
        if not PARAMETER_GROUP_NAME.fullmatch(name) or len(name) > 255:
            raise _error(
                "InvalidParameterValue",
                "The parameter CacheParameterGroupName must begin with a letter, contain only ASCII letters, "
                "digits and hyphens, not end with a hyphen nor contain two consecutive hyphens.",
            )
        if family not in parameters.FAMILIES:
            raise _error(
                "InvalidParameterValue",
                f"The parameter CacheParameterGroupFamily {family} is not valid. Valid: "
                + ", ".join(parameters.FAMILIES),
            )
        if name in groups:
            raise _error("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        groups[name] = {"name": name, "family": family, "description": self._get_param("Description"), "values": {}}
        tags = self._get_param("Tags") or []
        if tags:
            self.elasticache_backend.tagging_service.tag_resource(arn(self, name), tags)
        return ActionResult({"CacheParameterGroup": shape(self, groups[name])})

    def describe_cache_parameter_groups(self):
        name = self._get_param("CacheParameterGroupName")
        if name:
            items = [find(self, name)]
        else:
            defaults = [_default_parameter_group(f"default.{family}") for family in parameters.FAMILIES]
            items = defaults + sorted(_parameter_groups(self.elasticache_backend).values(), key=lambda g: g["name"])
        page, marker = _page([shape(self, g) for g in items], self._get_param("Marker"), self._get_param("MaxRecords"))
        result = {"CacheParameterGroups": page}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)

    def modify_cache_parameter_group(self):
        group = find(self, self._get_param("CacheParameterGroupName"))
        name_values = self._get_param("ParameterNameValues") or []
        if not 1 <= len(name_values) <= 20:
            raise _error("InvalidParameterValue", "ParameterNameValues must have between 1 and 20 parameters.")
        known = {p["ParameterName"]: p for p in parameters.FAMILIES[group["family"]]}
        pairs = modifiable(group, name_values)
        for name, value in pairs:
            if not parameters.value_allowed(known[name], value):
                raise _error(
                    "InvalidParameterValue",
                    f"Value ({value}) for parameter {name} is incorrect. "
                    f"Allowed values: {known[name].get('AllowedValues', '')}",
                )
        group["values"].update(pairs)
        return ActionResult({"CacheParameterGroupName": group["name"]})

    def reset_cache_parameter_group(self):
        group = find(self, self._get_param("CacheParameterGroupName"))
        reset_all = self._get_bool_param("ResetAllParameters") is True
        name_values = self._get_param("ParameterNameValues") or []
        if reset_all and name_values:
            raise _error("InvalidParameterCombination", "Do not use ParameterNameValues with ResetAllParameters.")
        if not reset_all and not name_values:
            raise _error("InvalidParameterValue", "Give ParameterNameValues to reset, or ResetAllParameters.")
        if reset_all:
            modifiable(group, [])
            group["values"].clear()
        else:
            for name, _value in modifiable(group, name_values):
                group["values"].pop(name, None)
        return ActionResult({"CacheParameterGroupName": group["name"]})

    def delete_cache_parameter_group(self):
        group = find(self, self._get_param("CacheParameterGroupName"))
        backend = self.elasticache_backend
        if group["name"].startswith("default."):
            raise _error(
                "InvalidCacheParameterGroupState", f"Default parameter group {group['name']} cannot be deleted."
            )
        backend.describe_cache_clusters()  # let deleted clusters (and groups) go first
        users = [c for c in backend.cache_clusters.values() if c.cache_parameter_group_name == group["name"]]
        users += [g for g in backend.replication_groups.values() if g.cache_parameter_group_name == group["name"]]
        if users:
            raise _error(
                "InvalidCacheParameterGroupState",
                f"One or more cache clusters are still members of this parameter group {group['name']}, "
                "so the group cannot be deleted.",
            )
        del _parameter_groups(backend)[group["name"]]
        backend.tagging_service.delete_all_tags_for_resource(arn(self, group["name"]))
        return EmptyResult()

    def describe_cache_parameters(self):
        group = find(self, self._get_param("CacheParameterGroupName"))
        source = self._get_param("Source")
        if source and source not in ("user", "system", "engine-default"):
            raise _error(
                "InvalidParameterValue", f"Invalid source: {source}. Valid values: user, system, engine-default"
            )
        params = parameters.engine_defaults(group["family"])
        for param in params:
            if param["ParameterName"] in group["values"]:
                param.update(ParameterValue=group["values"][param["ParameterName"]], Source="user")
        params = [p for p in params if not source or p["Source"] == source]
        page, marker = _page(params, self._get_param("Marker"), self._get_param("MaxRecords"))
        result = {"Parameters": page, "CacheNodeTypeSpecificParameters": []}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)

    def describe_engine_default_parameters(self):
        family = self._get_param("CacheParameterGroupFamily")
        if family not in parameters.FAMILIES:
            raise _error("InvalidParameterValue", f"Invalid CacheParameterGroupFamily: {family}")
        page, marker = _page(
            parameters.engine_defaults(family), self._get_param("Marker"), self._get_param("MaxRecords")
        )
        defaults = {"CacheParameterGroupFamily": family, "Parameters": page, "CacheNodeTypeSpecificParameters": []}
        if marker:
            defaults["Marker"] = marker
        return ActionResult({"EngineDefaults": defaults})

    def arn_regex(self, *args, **kwargs):
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
        )

    for action in (
        create_cache_parameter_group,
        describe_cache_parameter_groups,
        modify_cache_parameter_group,
        reset_cache_parameter_group,
        delete_cache_parameter_group,
        describe_cache_parameters,
        describe_engine_default_parameters,
    ):
        setattr(ElastiCacheResponse, action.__name__, action)
    _wrap_init(ElastiCacheBackend, arn_regex)
    _GROUPS_OF_PARAMETERS[:] = [True]
