"""Cache parameter group families of ElastiCache and their engine-default parameters.

A faithful subset of what ``DescribeEngineDefaultParameters`` / ``DescribeCacheParameters``
answer in AWS for the Redis OSS and Valkey families: the parameters a platform team sets
(eviction, timeouts, keyspace notifications, slow log, lazy freeing, replication
backlog, defragmentation), with AWS's ``DataType`` (``string`` or ``integer``),
``AllowedValues``, ``ChangeType`` (``immediate`` or ``requires-reboot``),
``IsModifiable``, ``MinimumEngineVersion`` and default ``ParameterValue``. A family holds
the parameters whose minimum engine version it reaches. Memcached families get a few of
theirs. Used by ``replication_groups.elasticache_cache_parameter_groups`` (the API) and by
``cache_nodes`` (which applies a group's values to the nodes' ``redis-server``).

Sources (AWS documentation):

* https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html
  (the Redis OSS / Valkey parameters per engine version: names, defaults, types,
  permitted values, whether a change applies at once or needs a reboot;
  ``reserved-memory-percent`` 25, ``maxmemory-policy`` ``volatile-lru``,
  ``maxmemory-samples`` 3, ``tcp-keepalive`` 300, ``timeout`` 0);
* https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheParameterGroup.html
  (the families: ``valkey8``, ``valkey7``, ``memcached1.4``..``memcached1.6``,
  ``redis2.6``..``redis6.x``, ``redis7``).

Not modelled: cache-node-type-specific parameters (``maxmemory``:
``CacheNodeTypeSpecificParameters`` is empty) and the ``.cluster.on`` default groups.
"""

from __future__ import annotations

import copy
import re

DEFAULT_ENGINE_VERSIONS = {"redis": "7.1", "valkey": "8.0", "memcached": "1.6.22"}
REDIS_FAMILIES = ("redis2.6", "redis2.8", "redis3.2", "redis4.0", "redis5.0", "redis6.x", "redis7")
VALKEY_FAMILIES = ("valkey7", "valkey8")
MEMCACHED_FAMILIES = ("memcached1.4", "memcached1.5", "memcached1.6")
# The Redis OSS version each family stands for (Valkey 7.2 and 8 are Redis OSS 7.2 compatible).
_FAMILY_VERSION = {
    "redis2.6": (2, 6, 13),
    "redis2.8": (2, 8, 24),
    "redis3.2": (3, 2, 10),
    "redis4.0": (4, 0, 10),
    "redis5.0": (5, 0, 6),
    "redis6.x": (6, 2, 6),
    "redis7": (7, 1, 0),
    "valkey7": (7, 2, 4),
    "valkey8": (7, 2, 4),
}
_EVICTION = "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
_YES_NO = "yes,no"

# name, default, data type, allowed values, change type, minimum engine version, description (modifiable unless said)
_REDIS = (
    ("activedefrag", "no", "string", _YES_NO, "immediate", "4.0.10", "Enabled active memory defragmentation."),
    (
        "active-defrag-cycle-max",
        "75",
        "integer",
        "1-75",
        "immediate",
        "4.0.10",
        "Maximal effort for defrag in CPU percentage.",
    ),
    (
        "active-defrag-cycle-min",
        "5",
        "integer",
        "1-75",
        "immediate",
        "4.0.10",
        "Minimal effort for defrag in CPU percentage.",
    ),
    (
        "active-defrag-ignore-bytes",
        "104857600",
        "integer",
        "1048576-",
        "immediate",
        "4.0.10",
        "Minimum amount of fragmentation waste to start active defrag.",
    ),
    (
        "active-defrag-threshold-lower",
        "10",
        "integer",
        "1-100",
        "immediate",
        "4.0.10",
        "Minimum percentage of fragmentation to start active defrag.",
    ),
    (
        "active-defrag-threshold-upper",
        "100",
        "integer",
        "1-100",
        "immediate",
        "4.0.10",
        "Maximum percentage of fragmentation at which we use maximum effort.",
    ),
    (
        "acllog-max-len",
        "128",
        "integer",
        "1-10000",
        "immediate",
        "6.0.0",
        "The maximum number of entries in the ACL log.",
    ),
    (
        "close-on-replica-write",
        "yes",
        "string",
        _YES_NO,
        "immediate",
        "5.0.0",
        "If enabled, clients who attempt to write to a read-only replica will be disconnected.",
    ),
    ("cluster-enabled", "no", "string", _YES_NO, "requires-reboot", "3.2.4", "Enable cluster mode."),
    ("databases", "16", "integer", "1-1200000", "requires-reboot", "2.6.13", "Set the number of databases."),
    (
        "lazyfree-lazy-eviction",
        "no",
        "string",
        _YES_NO,
        "immediate",
        "4.0.10",
        "Perform an asynchronous delete on evictions.",
    ),
    (
        "lazyfree-lazy-expire",
        "no",
        "string",
        _YES_NO,
        "immediate",
        "4.0.10",
        "Perform an asynchronous delete on expired keys.",
    ),
    (
        "lazyfree-lazy-server-del",
        "no",
        "string",
        _YES_NO,
        "immediate",
        "4.0.10",
        "Perform an asynchronous delete on key updates.",
    ),
    ("lazyfree-lazy-user-del", "no", "string", _YES_NO, "immediate", "6.0.0", "Make DEL behave like UNLINK."),
    (
        "lfu-decay-time",
        "1",
        "integer",
        "0-",
        "immediate",
        "4.0.10",
        "The amount of time in minutes to decrement the key counter for LFU eviction policy.",
    ),
    (
        "lfu-log-factor",
        "10",
        "integer",
        "1-",
        "immediate",
        "4.0.10",
        "The log factor for incrementing key counter for LFU eviction policy.",
    ),
    (
        "list-compress-depth",
        "0",
        "integer",
        "0-",
        "immediate",
        "3.2.4",
        "Number of quicklist ziplist nodes from each side of the list to exclude from compression.",
    ),
    (
        "maxclients",
        "65000",
        "integer",
        "1-65000",
        "requires-reboot",
        "2.6.13",
        "The maximum number of Redis clients.",
        False,
    ),
    ("maxmemory-policy", "volatile-lru", "string", _EVICTION, "immediate", "2.6.13", "Max memory policy."),
    ("maxmemory-samples", "3", "integer", "1-", "immediate", "2.6.13", "Max memory samples."),
    (
        "min-replicas-max-lag",
        "10",
        "integer",
        "0-",
        "immediate",
        "5.0.0",
        "The maximum amount of replica lag in seconds beyond which the master would stop taking writes.",
    ),
    (
        "min-replicas-to-write",
        "0",
        "integer",
        "0-",
        "immediate",
        "5.0.0",
        "The minimum number of replicas (lag within min-replicas-max-lag) for the master to take writes.",
    ),
    (
        "notify-keyspace-events",
        "",
        "string",
        None,
        "immediate",
        "2.8.6",
        "The keyspace events for Redis to notify Pub/Sub clients about.",
    ),
    (
        "repl-backlog-size",
        "1048576",
        "integer",
        "16384-",
        "immediate",
        "2.8.22",
        "The replication backlog size in bytes for PSYNC.",
    ),
    (
        "repl-backlog-ttl",
        "3600",
        "integer",
        "0-",
        "immediate",
        "2.8.22",
        "Seconds without a connected replica after which the master frees the replication backlog.",
    ),
    (
        "reserved-memory-percent",
        "25",
        "integer",
        "0-100",
        "immediate",
        "3.2.4",
        "The percent of memory reserved for non-cache memory usage.",
    ),
    (
        "slowlog-log-slower-than",
        "10000",
        "integer",
        "0-",
        "immediate",
        "2.6.13",
        "The execution time, in microseconds, to exceed in order for the command to get logged.",
    ),
    ("slowlog-max-len", "128", "integer", "0-", "immediate", "2.6.13", "The length of the slow log."),
    (
        "tcp-keepalive",
        "300",
        "integer",
        "0-",
        "immediate",
        "2.6.13",
        "If non-zero, send ACKs every given number of seconds.",
    ),
    (
        "timeout",
        "0",
        "integer",
        "0,20-",
        "immediate",
        "2.6.13",
        "Close connection if client is idle for a given number of seconds, or never if 0.",
    ),
    (
        "tracking-table-max-keys",
        "1000000",
        "integer",
        "1-100000000",
        "immediate",
        "6.0.0",
        "The maximum number of keys of the client-side caching tracking table.",
    ),
    ("latency-tracking", "yes", "string", _YES_NO, "immediate", "7.0.0", "Enable extended latency monitoring."),
)
_MEMCACHED = (
    (
        "chunk_size",
        "48",
        "integer",
        "1-",
        "requires-reboot",
        "1.4.5",
        "The minimum amount, in bytes, of space to allocate for the smallest item's key, value, and flags.",
    ),
    (
        "max_item_size",
        "1048576",
        "integer",
        "1048576-134217728",
        "requires-reboot",
        "1.4.5",
        "The size of the largest item storable in the cache, in bytes.",
    ),
    ("backlog_queue_limit", "1024", "integer", "1-10000", "requires-reboot", "1.4.5", "The backlog queue limit."),
)
# ElastiCache's own parameters, which have no redis-server setting of that name.
NOT_REDIS_SETTINGS = frozenset({"close-on-replica-write", "cluster-enabled", "reserved-memory-percent"})


def version_of(text: str) -> tuple[int, ...]:
    """``7.1.0`` -> ``(7, 1, 0)`` (at most three numbers)."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _parameter(row) -> dict:
    name, value, data_type, allowed, change, minimum, description, *modifiable = row
    param = {
        "ParameterName": name,
        "ParameterValue": value,
        "Description": description,
        "Source": "system",
        "DataType": data_type,
        "IsModifiable": modifiable[0] if modifiable else True,
        "MinimumEngineVersion": minimum,
        "ChangeType": change,
    }
    if allowed:
        param["AllowedValues"] = allowed
    return param


def _family_parameters(family: str) -> list[dict]:
    if family in MEMCACHED_FAMILIES:
        return [_parameter(row) for row in _MEMCACHED]
    top = _FAMILY_VERSION[family]
    return sorted(
        (_parameter(row) for row in _REDIS if version_of(row[5]) <= top), key=lambda param: param["ParameterName"]
    )


FAMILIES: dict[str, list[dict]] = {
    family: _family_parameters(family) for family in (*MEMCACHED_FAMILIES, *REDIS_FAMILIES, *VALKEY_FAMILIES)
}


def engine_defaults(family: str) -> list[dict]:
    """A copy of the family's engine-default parameters (empty for an unknown family)."""
    return copy.deepcopy(FAMILIES.get(family, []))


def family_of(engine: str | None, engine_version: str | None) -> str | None:
    """The parameter group family of an engine and version (``redis`` ``7.1`` -> ``redis7``),
    None when the version has none."""
    engine = (engine or "redis").lower()
    numbers = version_of(engine_version or DEFAULT_ENGINE_VERSIONS.get(engine, ""))
    if not numbers:
        return None
    major, minor = numbers[0], numbers[1] if len(numbers) > 1 else 0
    if engine == "valkey":
        return {7: "valkey7", 8: "valkey8"}.get(major)
    if engine == "memcached":
        return f"memcached1.{minor}" if major == 1 and f"memcached1.{minor}" in FAMILIES else None
    if major >= 7:
        return "redis7"
    if major == 6:
        return "redis6.x"
    family = f"redis{major}.{minor}"
    return family if family in FAMILIES else None


def default_group_name(family: str) -> str:
    """The name of a family's default parameter group (``default.redis7``)."""
    return f"default.{family}"


def value_allowed(param: dict, value: str) -> bool:
    """Whether ``value`` is within the parameter's AllowedValues: a list (``yes,no``) for
    strings; ranges (``0-``, ``1-75``, ``0,20-``) for integers."""
    allowed = param.get("AllowedValues")
    if param["DataType"] == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return False
        if not allowed:
            return True
        number = int(value)
        for part in allowed.split(","):
            low, dash, high = part.partition("-")
            if not dash and number == int(low):
                return True
            if dash and int(low) <= number and (not high or number <= int(high)):
                return True
        return False
    return not allowed or value in allowed.split(",")
