# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ecs_service role's filters (documented in ecs_container_definition.yml,
ecs_efs_volume.yml and ecs_carried_settings.yml).

* ``ecs_container_definition``: the container definition that the role registers, with the
  ``ajudadigital.openwebui.config-hash`` Docker label;
* ``ecs_efs_volume``: the task's EFS volume (access point, TLS in transit, IAM authorization);
* ``ecs_carried_settings``: what a run of the role alone carries over from the task
  definition in use (``community.aws.ecs_taskdefinition_info``, snake_case keys).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible.errors import AnsibleFilterError

CONFIG_HASH_LABEL = "ajudadigital.openwebui.config-hash"
# The label is the first 16 hex digits of the SHA-256 of this JSON text. These are the
# arguments of Ansible's ``to_json(sort_keys=true)``, which the role used before the filter
# (json.dumps' defaults): a different text would give every running stack a new revision.
HASH_JSON = dict(sort_keys=True, separators=(", ", ": "), ensure_ascii=True)
HASH_LENGTH = 16

CONTAINER_KEYS = ("name", "image", "port", "environment", "secrets", "mounts", "log", "health_check", "stop_timeout")
LOG_KEYS = ("group", "region", "stream_prefix")
HEALTH_CHECK_KEYS = ("path", "interval", "timeout", "retries", "start_period")
TASK_KEYS = ("volumes", "cpu", "memory", "execution_role_arn", "task_role_arn", "cpu_architecture")
EFS_KEYS = ("file_system_id", "access_point_id")


def _error(filter_name, message):
    return AnsibleFilterError("%s: %s" % (filter_name, message))


def _type_name(value):
    return type(value).__name__


def _dict(filter_name, value, argument, keys=None, required=()):
    """``value`` as a plain dict; with ``keys``, only those keys, and every one of ``required``."""
    if not isinstance(value, dict):
        raise _error(filter_name, "%s must be a dictionary, got %s" % (argument, _type_name(value)))
    if keys is not None:
        unknown = sorted(str(key) for key in value if key not in keys)
        if unknown:
            raise _error(
                filter_name, "%s has unknown keys %s (known: %s)" % (argument, ", ".join(unknown), ", ".join(keys))
            )
        missing = [key for key in required if key not in value]
        if missing:
            raise _error(filter_name, "%s needs %s" % (argument, ", ".join(missing)))
    return dict(value.items())


def _str(filter_name, value, argument):
    if not isinstance(value, str):
        raise _error(filter_name, "%s must be a string, got %s" % (argument, _type_name(value)))
    return value


def _int(filter_name, value, argument):
    """An integer, or a string of one (what ``| int`` accepted in the role's Jinja)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _error(filter_name, "%s must be an integer, got %s" % (argument, _type_name(value)))
    try:
        return int(value)
    except ValueError:
        raise _error(filter_name, "%s must be an integer, got a string that is not one" % argument) from None


def _text(filter_name, value, argument):
    """An integer or a string, as a string (what ``| string`` gave in the role's Jinja)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _error(filter_name, "%s must be an integer or a string, got %s" % (argument, _type_name(value)))
    return str(value)


def _list(filter_name, value, argument):
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        raise _error(filter_name, "%s must be a list, got %s" % (argument, _type_name(value)))
    return list(value)


def _plain(filter_name, value, argument):
    """``value`` with every dict and list rebuilt as a plain one (Ansible may pass lazy
    containers); strings, numbers, booleans and null as they are; anything else refused."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _error(filter_name, "%s has a key that is not a string (%s)" % (argument, _type_name(key)))
            result[key] = _plain(filter_name, item, "%s.%s" % (argument, key))
        return result
    if isinstance(value, (list, tuple)):
        return [_plain(filter_name, item, "%s[%d]" % (argument, index)) for index, item in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise _error(filter_name, "%s holds a %s, which is not JSON data" % (argument, _type_name(value)))


def _pairs(filter_name, mapping, argument, value_key):
    """A dict (name -> value) as the ECS list of ``{name, <value_key>}``, sorted by name
    ignoring case as Jinja's ``sort(attribute='name')`` did (stable: ties keep their order)."""
    mapping = _dict(filter_name, mapping, argument)
    pairs = []
    for name, value in mapping.items():
        if not isinstance(name, str) or not name:
            raise _error(filter_name, "%s has a name that is not a non-empty string (%r)" % (argument, name))
        # The name only: a value may be something that should not show in a log.
        _str(filter_name, value, "%s[%s]" % (argument, name))
        pairs.append({"name": name, value_key: value})
    return sorted(pairs, key=lambda pair: pair["name"].lower())


def config_hash(container, task):
    """The first 16 hex digits of the SHA-256 of the JSON of the container (without the
    label) and the task settings ``community.aws.ecs_taskdefinition`` does not compare."""
    payload = [container] + [task[key] for key in TASK_KEYS]
    text = json.dumps(payload, **HASH_JSON)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def ecs_container_definition(container, **task):
    """The ECS container definition of ``container`` (the settings), labelled with the hash
    of it and of ``task`` (volumes, cpu, memory, execution and task role ARN, CPU architecture)."""
    name = "ecs_container_definition"
    settings = _dict(name, container, "the input", CONTAINER_KEYS, ("name", "image", "port", "log", "health_check"))
    unknown = sorted(key for key in task if key not in TASK_KEYS)
    if unknown:
        raise _error(name, "unknown keyword arguments %s (known: %s)" % (", ".join(unknown), ", ".join(TASK_KEYS)))
    missing = [key for key in TASK_KEYS if key not in task]
    if missing:
        raise _error(
            name, "the keyword arguments %s are required (the configuration hash covers them)" % ", ".join(missing)
        )

    container_name = _str(name, settings["name"], "name")
    port = _int(name, settings["port"], "port")
    log = _dict(name, settings["log"], "log", LOG_KEYS, LOG_KEYS)
    health = _dict(name, settings["health_check"], "health_check", HEALTH_CHECK_KEYS, HEALTH_CHECK_KEYS)
    mounts = _dict(name, settings.get("mounts", {}), "mounts")
    mount_points = []
    for volume, path in mounts.items():
        _str(name, volume, "mounts (a volume name)")
        mount_points.append(
            {"sourceVolume": volume, "containerPath": _str(name, path, "mounts[%s]" % volume), "readOnly": False}
        )

    definition = {
        "name": container_name,
        "image": _str(name, settings["image"], "image"),
        "essential": True,
        "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
        "environment": _pairs(name, settings.get("environment", {}), "environment", "value"),
        "secrets": _pairs(name, settings.get("secrets", {}), "secrets", "valueFrom"),
        "mountPoints": mount_points,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": _str(name, log["group"], "log.group"),
                "awslogs-region": _str(name, log["region"], "log.region"),
                "awslogs-stream-prefix": _str(name, log["stream_prefix"], "log.stream_prefix"),
            },
        },
        "healthCheck": {
            "command": [
                "CMD-SHELL",
                "curl -f http://localhost:%d%s || exit 1" % (port, _str(name, health["path"], "health_check.path")),
            ],
            "interval": _int(name, health["interval"], "health_check.interval"),
            "timeout": _int(name, health["timeout"], "health_check.timeout"),
            "retries": _int(name, health["retries"], "health_check.retries"),
            "startPeriod": _int(name, health["start_period"], "health_check.start_period"),
        },
    }
    # Only when given: a container without it keeps the definition (and label) it had before.
    if "stop_timeout" in settings:
        definition["stopTimeout"] = _int(name, settings["stop_timeout"], "stop_timeout")
    hashed = {
        "volumes": _plain(name, _list(name, task["volumes"], "volumes"), "volumes"),
        # Strings, as the role passes them to community.aws.ecs_taskdefinition.
        "cpu": _text(name, task["cpu"], "cpu"),
        "memory": _text(name, task["memory"], "memory"),
        "execution_role_arn": _str(name, task["execution_role_arn"], "execution_role_arn"),
        "task_role_arn": _str(name, task["task_role_arn"], "task_role_arn"),
        "cpu_architecture": _str(name, task["cpu_architecture"], "cpu_architecture"),
    }
    definition["dockerLabels"] = {CONFIG_HASH_LABEL: config_hash(definition, hashed)}
    return definition


def ecs_efs_volume(efs, name="data"):
    """The task volume ``name`` on the EFS access point of ``efs`` (file_system_id, access_point_id)."""
    filter_name = "ecs_efs_volume"
    efs = _dict(filter_name, efs, "the input", EFS_KEYS, EFS_KEYS)
    return {
        "name": _str(filter_name, name, "name"),
        "efsVolumeConfiguration": {
            "fileSystemId": _str(filter_name, efs["file_system_id"], "file_system_id"),
            "rootDirectory": "/",
            "transitEncryption": "ENABLED",
            "authorizationConfig": {
                "accessPointId": _str(filter_name, efs["access_point_id"], "access_point_id"),
                "iam": "ENABLED",
            },
        },
    }


def _first_named(filter_name, items, argument, wanted):
    """The first dict of the list ``items`` whose ``name`` is ``wanted``, else {}."""
    for index, item in enumerate(_list(filter_name, items, argument)):
        item = _dict(filter_name, item, "%s[%d]" % (argument, index))
        if item.get("name") == wanted:
            return item
    return {}


def _carried_pairs(filter_name, items, argument, value_key, owned):
    """``{name: value}`` of the list of ``{name, <value_key>}`` ``items``, minus the ``owned`` names."""
    result = {}
    for index, item in enumerate(_list(filter_name, items, argument)):
        where = "%s[%d]" % (argument, index)
        item = _dict(filter_name, item, where)
        if "name" not in item:
            raise _error(filter_name, "%s has no name" % where)
        name = _str(filter_name, item["name"], where + ".name")
        if name in owned:
            continue
        if value_key == "value":
            # ECS leaves out the value of a variable set to nothing.
            result[name] = item.get("value", "")
        elif value_key in item:
            result[name] = item[value_key]
        else:
            raise _error(filter_name, "%s has no %s" % (where, value_key))
    return result


def ecs_carried_settings(task_definition, container="open-webui", volume="data", owned=()):
    """What the task definition in use (``task_definition``, the registered result of
    ``community.aws.ecs_taskdefinition_info``) holds that the role carries over."""
    name = "ecs_carried_settings"
    result = _dict(name, task_definition, "the input (the result of community.aws.ecs_taskdefinition_info)")
    container = _str(name, container, "container")
    volume = _str(name, volume, "volume")
    owned = set(_str(name, item, "owned[%d]" % i) for i, item in enumerate(_list(name, owned, "owned")))
    # A skipped task, or a family that does not exist (the module then returns no keys of it).
    found = not result.get("skipped", False) and "family" in result
    td = result if found else {}
    chosen = _first_named(name, td.get("container_definitions", []), "container_definitions", container)
    efs = _first_named(name, td.get("volumes", []), "volumes", volume).get("efs_volume_configuration") or {}
    efs = _dict(name, efs, "volumes[%s].efs_volume_configuration" % volume)
    authorization = _dict(name, efs.get("authorization_config") or {}, "authorization_config")
    return {
        "found": found,
        "environment": _carried_pairs(name, chosen.get("environment", []), "environment", "value", owned),
        "secrets": _carried_pairs(name, chosen.get("secrets", []), "secrets", "value_from", owned),
        "file_system_id": efs.get("file_system_id", ""),
        "access_point_id": authorization.get("access_point_id", ""),
    }


class FilterModule(object):
    def filters(self):
        return {
            "ecs_container_definition": ecs_container_definition,
            "ecs_efs_volume": ecs_efs_volume,
            "ecs_carried_settings": ecs_carried_settings,
        }
