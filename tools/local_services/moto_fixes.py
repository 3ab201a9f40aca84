"""Fixes to moto that restore AWS behaviour the stack's modules depend on.

Each fix is one small function named after the AWS behaviour it restores, and is
covered by a test (``tests/functional/test_emulator_fixes.py``) against the module
that needed it. The fixes of ElastiCache replication groups and cache parameter groups
are in ``replication_groups`` (imported at the end of this module, registered with the
same ``@fix``; tests in ``tests/functional/test_replication_groups.py``). ``apply()``
installs them all; it is called by the launcher before the server starts. The fixes
patch moto's classes in the emulator process only.

Pending-state simulation: ``apply(pending={"rds": 20, "nat": 5, "elb": 8, "ecs": 10,
"elasticache": 6})`` holds newly created resources of that kind in their transitional
state for that many seconds (RDS ``creating``, NAT ``pending``, ELB ``provisioning``,
ECS deployment ``IN_PROGRESS``, ElastiCache ``creating``, a modified replication group
``modifying`` and, once deleted, ``deleting``), as AWS does; without an entry they are
ready at once.

The fixes are written for one moto version (``MOTO_VERSION``, the pin of
``requirements/dev.txt``): ``apply()`` refuses any other, since a fix patches moto's
internals and could silently stop applying, or break, on another version. After a
moto upgrade: bump ``MOTO_VERSION`` and run ``python -m tools.local_services.check_fixes``
(each fix's tests must fail with the fix off).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import time
import uuid

MOTO_VERSION = "5.2.5"
PENDING_KINDS = ("rds", "nat", "elb", "ecs", "elasticache")
PENDING_ALIASES = {"cache": "elasticache"}  # the kind's former name
FIXES = []
# Run-tasks mode (ecs_runner.install): real tasks move the services' deployments, so the
# steady-state fix leaves them alone.
ECS_TASKS_RUN = False
_PENDING: dict[str, float] = {}
_APPLIED: list[str] = []


def fix(func):
    """Register a fix."""
    FIXES.append(func)
    return func


def check_moto_version(version: str | None = None) -> None:
    """Fail unless moto is the version the fixes were written for (``MOTO_VERSION``)."""
    if version is None:
        import moto

        version = moto.__version__
    if version != MOTO_VERSION:
        raise RuntimeError(
            f"the emulator's fixes are written for moto {MOTO_VERSION}, but moto {version} is installed: "
            f"install moto=={MOTO_VERSION} (requirements/dev.txt), or port the fixes to moto {version} "
            "(bump MOTO_VERSION, then run python -m tools.local_services.check_fixes)"
        )


def apply(pending: dict[str, float] | None = None, time_scale: float = 1.0) -> list[str]:
    """Install every fix (once per process); return their names.

    ``OPENWEBUI_EMULATOR_DISABLE_FIXES`` (``all`` or comma-separated fix names) leaves
    fixes out: the way to see a test fail on stock moto behaviour. Fails (RuntimeError)
    on a moto version other than ``MOTO_VERSION``. ``time_scale`` multiplies the time of
    CloudWatch metric periods, ECS's metric samples and autoscaling cooldowns
    (``autoscaling.TIME_SCALE``; 1: AWS's timing).
    """
    check_moto_version()
    autoscaling.TIME_SCALE = float(time_scale)
    _PENDING.clear()
    for kind, seconds in (pending or {}).items():
        _PENDING[PENDING_ALIASES.get(kind, kind)] = seconds
    disabled = {name.strip() for name in os.environ.get("OPENWEBUI_EMULATOR_DISABLE_FIXES", "").split(",")}
    if not _APPLIED:
        for func in FIXES:
            if "all" not in disabled and func.__name__ not in disabled:
                func(_PENDING)
                _APPLIED.append(func.__name__)
    return list(_APPLIED)


# -- helpers ----------------------------------------------------------------------


def _stamp(obj) -> None:
    """Remember when a resource was born (monotonic), for the pending simulation."""
    obj._fix_born = time.monotonic()


def _still_pending(obj, kind: str) -> bool:
    born = getattr(obj, "_fix_born", None)
    return born is not None and time.monotonic() < born + float(_PENDING.get(kind, 0))


def _wrap_init(cls, after):
    """Run ``after(self, *args, **kwargs)`` once ``cls.__init__`` has finished."""
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        after(self, *args, **kwargs)

    cls.__init__ = __init__


def _json(response_self) -> dict:
    return json.loads(response_self.body or "{}")


# -- EC2 ----------------------------------------------------------------------------


@fix
def nat_gateway_tags_use_natgateway_resource_type(pending):
    """AWS: DescribeTags reports a NAT gateway's resource type as ``natgateway`` (and
    filters on it). moto: ``nat-gateway``, so a ``resource-type=natgateway`` filter finds
    no tags. Broke: amazon.aws.ec2_vpc_nat_gateway (sees no tags, re-tags every run)."""
    from moto.ec2 import utils

    # The same dict object is imported by moto.ec2.models.tags.
    utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"


@fix
def nat_gateway_pending_then_available(pending):
    """AWS: a new NAT gateway is ``pending`` for a minute or two, then ``available``.
    moto: ``available`` at once. Simulated for ``pending["nat"]`` seconds (default 0),
    so ec2_vpc_nat_gateway's ``wait`` path is exercised."""
    from moto.ec2.models.nat_gateways import NatGateway

    _wrap_init(NatGateway, lambda self, *a, **k: _stamp(self))

    def _get(self):
        state = self.__dict__.get("_fix_state")
        return "pending" if state == "available" and _still_pending(self, "nat") else state

    def _set(self, value):
        self.__dict__["_fix_state"] = value

    NatGateway.state = property(_get, _set)


@fix
def security_group_rules_match_without_description(pending):
    """AWS: a security group rule is its protocol, ports and source; its description is not
    part of it. UpdateSecurityGroupRuleDescriptions{Ingress,Egress} finds the rule whose
    description changes, and authorizing a rule that exists with another description is
    ``InvalidPermission.Duplicate``. moto: compares a source group's description too, so a new
    description of a rule from a group updates nothing. Broke: the collection's
    vpc_security_groups (a changed rule description never converged)."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def _source(group):
        return {k: v for k, v in (group or {}).items() if k != "Description"}

    def __eq__(self, other):
        if not isinstance(other, SecurityGroupRule):
            return NotImplemented
        if self.ip_protocol != other.ip_protocol:
            return False
        for key in ("CidrIp", "CidrIpv6"):
            if key in self.ip_range and self.ip_range.get(key) != other.ip_range.get(key):
                return False
        if _source(self.source_group) != _source(other.source_group):
            return False
        if self.prefix_list_id != other.prefix_list_id:
            return False
        return self.ip_protocol == "-1" or (self.from_port, self.to_port) == (other.from_port, other.to_port)

    hash_of_rule = SecurityGroupRule.__hash__
    SecurityGroupRule.__eq__ = __eq__
    SecurityGroupRule.__hash__ = hash_of_rule


# -- RDS ------------------------------------------------------------------------------


def _gp3_baseline(instance) -> tuple[int, int]:
    """(Iops, StorageThroughput) that AWS gives a gp3 volume without explicit values:
    3000/125 below the engine's threshold, 12000/500 from it (400 GiB for PostgreSQL,
    MySQL, MariaDB; 200 GiB for Oracle; SQL Server has no threshold)."""
    engine = (instance.engine or "").lower()
    threshold = None if engine.startswith("sqlserver") else 200 if engine.startswith("oracle") else 400
    large = threshold is not None and int(instance.allocated_storage or 0) >= threshold
    return (12000, 500) if large else (3000, 125)


@fix
def rds_gp3_reports_baseline_iops_and_throughput(pending):
    """AWS: a gp3 DB instance always reports ``Iops`` and ``StorageThroughput`` (3000/125
    baseline, 12000/500 from 400 GiB on PostgreSQL). moto: omits both unless given on
    create. Broke: amazon.aws.rds_instance re-runs (KeyError 'StorageThroughput')."""
    from moto.rds.models import DBInstance

    throughput = DBInstance.storage_throughput  # moto's property

    def _gp3(self) -> bool:  # read during __init__ too, before moto sets the storage type
        return self.__dict__.get("_storage_type") == "gp3"

    def _get_throughput(self):
        value = throughput.fget(self)
        return _gp3_baseline(self)[1] if value is None and _gp3(self) else value

    def _get_iops(self):
        value = self.__dict__.get("_fix_iops")
        return _gp3_baseline(self)[0] if value is None and _gp3(self) else value

    def _set_iops(self, value):
        self.__dict__["_fix_iops"] = value

    DBInstance.storage_throughput = property(_get_throughput, throughput.fset)
    DBInstance.iops = property(_get_iops, _set_iops)


@fix
def rds_describe_missing_parameter_group_is_not_found(pending):
    """AWS: DescribeDBParameterGroups for a name that does not exist fails with
    DBParameterGroupNotFound. moto: returns an empty list. Broke:
    amazon.aws.rds_instance_param_group (IndexError: list index out of range)."""
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.models import RDSBackend

    original = RDSBackend.describe_db_parameter_groups

    @functools.wraps(original)
    def describe_db_parameter_groups(self, db_parameter_group_kwargs):
        groups = original(self, db_parameter_group_kwargs)
        name = db_parameter_group_kwargs.get("db_parameter_group_name")
        if name and not groups:
            raise DBParameterGroupNotFoundError(name)
        return groups

    RDSBackend.describe_db_parameter_groups = describe_db_parameter_groups


@fix
def rds_instance_creating_then_available(pending):
    """AWS: a new DB instance is ``creating`` (no Endpoint yet) for minutes, then
    ``available``. moto: ``available`` at once. Simulated for ``pending["rds"]`` seconds
    (default 0), so rds_instance's ``wait`` path is exercised."""
    from moto.rds.models import DBInstance

    _wrap_init(DBInstance, lambda self, *a, **k: _stamp(self))
    endpoint = DBInstance.endpoint

    def _get_status(self):
        status = self.__dict__.get("_fix_status")
        return "creating" if status == "available" and _still_pending(self, "rds") else status

    def _set_status(self, value):
        self.__dict__["_fix_status"] = value

    def _get_endpoint(self):
        return None if _still_pending(self, "rds") else endpoint.fget(self)

    DBInstance.status = property(_get_status, _set_status)
    DBInstance.endpoint = property(_get_endpoint)


@fix
def rds_snapshot_needs_an_available_instance(pending):
    """AWS: CreateDBSnapshot needs the source instance in the ``available`` (or
    ``storage-optimization``) state; otherwise InvalidDBInstanceState (400). moto: takes a
    snapshot of an instance in any state (``creating``, ``stopped``). Matters in run-tasks
    mode, where a snapshot copies the instance's data (rds_servers): an instance that is
    still ``creating`` has no data to copy."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.responses import RDSResponse

    original = RDSResponse.create_db_snapshot

    @functools.wraps(original)
    def create_db_snapshot(self):
        identifier = self.params.get("DBInstanceIdentifier")
        database = self.backend.databases.get(identifier) if identifier else None
        if database is not None and database.status not in ("available", "storage-optimization"):
            raise RDSClientError(
                "InvalidDBInstanceState",
                f"Cannot create a snapshot because the database instance {database.db_instance_identifier} "
                "is not currently in the available state.",
            )
        return original(self)

    RDSResponse.create_db_snapshot = create_db_snapshot


# Settings that RestoreDBInstanceFromDBSnapshot does not take from the source: each is off
# unless the request turns it on (the API reference's defaults).
RDS_RESTORE_DEFAULTS = {
    "multi_az": False,  # "By default, the new DB instance is created as a Single-AZ deployment"
    "deletion_protection": False,  # "By default, deletion protection isn't enabled."
    "enable_iam_database_authentication": False,  # "By default, mapping is disabled."
    "copy_tags_to_snapshot": False,  # "tags aren't copied by default"
}


@fix
def rds_restore_from_snapshot_applies_its_defaults(pending):
    """AWS: RestoreDBInstanceFromDBSnapshot makes a Single-AZ instance without deletion
    protection, IAM database authentication or CopyTagsToSnapshot unless the request asks
    for them (``RDS_RESTORE_DEFAULTS``); an explicit ``false`` is honoured. moto: copies
    them from the source instance, and drops every ``false`` of the request. Broke: a
    restore of a prod instance (deletion protection, Multi-AZ) came back protected and
    Multi-AZ even when the request said ``DeletionProtection=false``."""
    from moto.rds.models import RDSBackend

    original = RDSBackend.restore_db_instance_from_db_snapshot

    @functools.wraps(original)
    def restore_db_instance_from_db_snapshot(self, from_snapshot_id, overrides):
        instance = original(self, from_snapshot_id, overrides)
        for key, default in RDS_RESTORE_DEFAULTS.items():
            value = overrides.get(key)
            setattr(instance, key, default if value is None else str(value).lower() == "true")
        return instance

    RDSBackend.restore_db_instance_from_db_snapshot = restore_db_instance_from_db_snapshot


@fix
def rds_instances_have_their_own_resource_id(pending):
    """AWS: every DB instance gets its own ``DbiResourceId`` (``db-`` and 26 upper-case
    letters and digits), which stays with it through renames and is never reused: it is how
    a restored instance under an old name differs from the one it replaced. moto: every
    instance has ``db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U``."""
    import secrets
    import string

    from moto.rds.models import DBInstance

    original = DBInstance.__init__
    alphabet = string.ascii_uppercase + string.digits

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + "".join(secrets.choice(alphabet) for _unused in range(26))

    DBInstance.__init__ = __init__


@fix
def rds_automated_snapshots_follow_their_instance(pending):
    """AWS: an instance's automated backups belong to the instance (its ``DbiResourceId``),
    through renames: DeleteDBInstance (``DeleteAutomatedBackups``, default true) deletes them
    whatever name the instance had when they were taken. moto: matches them by the name the
    instance had then, so a renamed instance leaves its automated snapshot behind. Broke: the
    teardown after a restore (playbooks/restore.yml swaps names) left a snapshot of the stack."""
    from moto.rds.models import RDSBackend

    original = RDSBackend.delete_db_instance

    @functools.wraps(original)
    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        database = self.databases.get(db_instance_identifier)
        resource_id = getattr(database, "dbi_resource_id", None)
        instance = original(self, db_instance_identifier, *args, **kwargs)
        keep = kwargs.get("delete_automated_backups", args[2] if len(args) > 2 else True) is False
        if resource_id and not keep:
            for name, snapshot in list(self.database_snapshots.items()):
                if snapshot.snapshot_type == "automated" and snapshot.database.dbi_resource_id == resource_id:
                    self.delete_db_snapshot(name)
        return instance

    RDSBackend.delete_db_instance = delete_db_instance


def _rds_page(items: list, marker, max_records) -> tuple[list, str | None]:
    """AWS's Marker/MaxRecords paging (MaxRecords 20..100, default 100)."""
    from moto.rds.exceptions import InvalidParameterValue

    size = 100 if max_records in (None, "") else int(max_records)
    if not 20 <= size <= 100:
        raise InvalidParameterValue(f"Invalid value {size} for MaxRecords. Must be between 20 and 100")
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(str(marker).encode()).decode())
        except ValueError as exc:
            raise InvalidParameterValue(f"Invalid marker: {marker}") from exc
    end = start + size
    next_marker = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_marker


def _rds_value_allowed(param: dict, value: str) -> bool:
    """Whether ``value`` is within the parameter's AllowedValues (a list, or a range
    ``min-max`` for integer/float parameters). A formula (``{DBInstanceClassMemory/...}``)
    is accepted, as AWS evaluates it at boot."""
    allowed = param.get("AllowedValues")
    if not allowed or "{" in value:
        return True
    data_type = param["DataType"]
    bounds = re.fullmatch(r"(-?[0-9.]+)-(-?[0-9.]+)", allowed)
    if data_type in ("integer", "float") and bounds:
        try:
            number = int(value) if data_type == "integer" else float(value)
        except ValueError:
            return False
        return float(bounds.group(1)) <= number <= float(bounds.group(2))
    choices = set(allowed.split(","))
    if data_type == "list":
        return all(item.strip() in choices for item in value.split(","))
    return value in choices


@fix
def rds_parameter_groups_know_engine_defaults(pending):
    """AWS: a DB parameter group family has engine-default parameters:
    DescribeEngineDefaultParameters lists them, DescribeDBParameters lists every one of
    them for a group of the family (merged with the values set on the group, ``Source``
    ``user``; ``Source=`` filter; Marker/MaxRecords paging), and ModifyDBParameterGroup
    refuses a name the family does not know, a value outside AllowedValues and a
    parameter that is not modifiable (InvalidParameterValue). moto: no
    DescribeEngineDefaultParameters, DescribeDBParameters lists only the values set,
    ModifyDBParameterGroup takes anything. Broke: amazon.aws.rds_instance_param_group
    (``params: {rds.force_ssl: 1}`` ended in ``errors``: "not an available parameter").
    Data: ``rds_engine_defaults.FAMILIES`` (RDS for PostgreSQL 14..17); other families
    keep moto's behaviour."""
    import copy

    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError, InvalidParameterCombination, InvalidParameterValue
    from moto.rds.models import RDSBackend
    from moto.rds.responses import RDSResponse

    from .rds_engine_defaults import FAMILIES

    def describe_engine_default_parameters(self):
        family = self.params.get("DBParameterGroupFamily")
        params, marker = _rds_page(
            copy.deepcopy(FAMILIES.get(family, [])), self.params.get("Marker"), self.params.get("MaxRecords")
        )
        defaults = {"DBParameterGroupFamily": family, "Parameters": params}
        if marker:
            defaults["Marker"] = marker
        return ActionResult({"EngineDefaults": defaults})

    original_describe = RDSResponse.describe_db_parameters

    @functools.wraps(original_describe)
    def describe_db_parameters(self):
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        group = groups[0]
        if group.family not in FAMILIES:
            return original_describe(self)
        merged = {p["ParameterName"]: copy.deepcopy(p) for p in FAMILIES[group.family]}
        for param_name, values in group.parameters.items():
            merged.setdefault(param_name, {"ParameterName": param_name}).update(
                {k: v for k, v in values.items() if k in ("ParameterValue", "ApplyMethod")}, Source="user"
            )
        source = self.params.get("Source")
        if source and source not in ("user", "system", "engine-default"):
            raise InvalidParameterValue(f"Invalid source: {source}. Valid values are: user, system, engine-default")
        items = [p for name_, p in sorted(merged.items()) if not source or p.get("Source") == source]
        params, marker = _rds_page(items, self.params.get("Marker"), self.params.get("MaxRecords"))
        result = {"Parameters": params}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)

    original_modify = RDSBackend.modify_db_parameter_group

    @functools.wraps(original_modify)
    def modify_db_parameter_group(self, db_parameter_group_name, db_parameter_group_parameters):
        group = self.db_parameter_groups.get(db_parameter_group_name)
        parameters = list(db_parameter_group_parameters)
        if group is not None and group.family in FAMILIES:
            known = {p["ParameterName"]: p for p in FAMILIES[group.family]}
            for new in parameters:
                name = new.get("ParameterName")
                param = known.get(name)
                if param is None:
                    raise InvalidParameterValue(f"Could not find parameter with name: {name}")
                if not param["IsModifiable"]:
                    raise InvalidParameterValue(f"The parameter {name} cannot be modified.")
                value = str(new.get("ParameterValue", ""))
                if not _rds_value_allowed(param, value):
                    raise InvalidParameterValue(
                        f"Invalid parameter value: {value} for: {name} allowed values are: {param['AllowedValues']}"
                    )
                if param["ApplyType"] == "static" and new.get("ApplyMethod") == "immediate":
                    raise InvalidParameterCombination("cannot use immediate apply method for static parameter")
        return original_modify(self, db_parameter_group_name, parameters)

    RDSResponse.describe_engine_default_parameters = describe_engine_default_parameters
    RDSResponse.describe_db_parameters = describe_db_parameters
    RDSBackend.modify_db_parameter_group = modify_db_parameter_group


# -- EFS ------------------------------------------------------------------------------


@fix
def kms_key_deletion_accepts_key_arn(pending):
    """ScheduleKeyDeletion / CancelKeyDeletion take a key ID *or ARN*, and answer KeyState.

    moto looks the raw ``KeyId`` up (HTTP 500 for an ARN, which amazon.aws.kms_key
    ``state: absent`` always sends) and leaves ``KeyState`` out of the answer.
    """
    from moto.kms.models import KmsBackend
    from moto.kms.responses import KmsResponse

    schedule, cancel = KmsBackend.schedule_key_deletion, KmsBackend.cancel_key_deletion

    def schedule_key_deletion(self, key_id, pending_window_in_days):
        return schedule(self, self.any_id_to_key_id(key_id), pending_window_in_days)

    def cancel_key_deletion(self, key_id):
        return cancel(self, self.any_id_to_key_id(key_id))

    KmsBackend.schedule_key_deletion = schedule_key_deletion
    KmsBackend.cancel_key_deletion = cancel_key_deletion
    respond = KmsResponse.schedule_key_deletion

    def schedule_response(self):
        body = json.loads(respond(self))
        key = self.kms_backend.keys[self.kms_backend.any_id_to_key_id(body["KeyId"])]
        body.update(
            KeyId=key.arn, KeyState=key.key_state, PendingWindowInDays=self._get_param("PendingWindowInDays") or 30
        )
        return json.dumps(body)

    KmsResponse.schedule_key_deletion = schedule_response


@fix
def kms_key_usage_defaults_to_encrypt_decrypt(pending):
    """AWS: CreateKey without ``KeyUsage`` makes an ``ENCRYPT_DECRYPT`` key (the documented
    default), and DescribeKey reports it. moto: stores and reports no KeyUsage (null).
    Broke: the collection's sns_topic_encryption (takes a key without ENCRYPT_DECRYPT
    usage for one SNS cannot encrypt with)."""
    from moto.kms.models import Key

    def default_usage(self, *args, **kwargs):
        if self.key_usage is None:
            self.key_usage = "ENCRYPT_DECRYPT"

    _wrap_init(Key, default_usage)


# AWS's defaults of an application load balancer's attributes.
_ALB_ATTRIBUTE_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http2.enabled": "true",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "waf.fail_open.enabled": "false",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
}


@fix
def alb_describe_attributes_reports_defaults(pending):
    """DescribeLoadBalancerAttributes of an ALB lists every attribute, defaults included.

    moto leaves out ``access_logs.s3.enabled``, ``idle_timeout.timeout_seconds``,
    ``routing.http2.enabled``, ``routing.http.*`` ...: amazon.aws.elb_application_lb
    then fails with ``KeyError`` when it compares one of them.
    """
    from moto.elbv2.models import FakeLoadBalancer

    def defaults(self, *args, **kwargs):
        if self.type == "application":
            for key, value in _ALB_ATTRIBUTE_DEFAULTS.items():
                self.attrs.setdefault(key, value)

    _wrap_init(FakeLoadBalancer, defaults)


@fix
def efs_legacy_tag_api(pending):
    """AWS: EFS still serves the original tag API, DescribeTags / CreateTags /
    DeleteTags on ``/2015-02-01/{tags,create-tags,delete-tags}/{FileSystemId}``.
    moto: only ListTagsForResource / TagResource / UntagResource (404 otherwise).
    Broke: community.aws.efs (fails on DescribeTags)."""
    from moto.efs import urls
    from moto.efs.responses import EFSResponse

    # Routes are read when the server first builds the EFS app, after apply().
    for path in ("tags/<file_system_id>/", "create-tags/<file_system_id>", "delete-tags/<file_system_id>"):
        urls.url_paths[f"/2015-02-01/{path}"] = urls.response.dispatch
    json_type = {"Content-Type": "application/json"}

    def describe_tags(self):
        tags = self.efs_backend.list_tags_for_resource(self._get_param("FileSystemId"))
        return json.dumps({"Tags": tags}), json_type

    def create_tags(self):
        tags = {tag["Key"]: tag.get("Value", "") for tag in _json(self).get("Tags", [])}
        self.efs_backend.tag_resource(self._get_param("FileSystemId"), tags)
        return "", {**json_type, "status": 204}

    def delete_tags(self):
        self.efs_backend.untag_resource(self._get_param("FileSystemId"), _json(self).get("TagKeys", []))
        return "", {**json_type, "status": 204}

    EFSResponse.describe_tags = describe_tags
    EFSResponse.create_tags = create_tags
    EFSResponse.delete_tags = delete_tags


# -- ACM ------------------------------------------------------------------------------


@fix
def acm_imported_chain_is_returned_as_imported(pending):
    """AWS: GetCertificate of an imported certificate returns the chain that was
    imported. moto: appends its own root CA to it. Broke: community.aws.acm_certificate
    (chains differ, so it re-imports every run)."""
    from moto.acm.models import CertBundle

    def _keep_chain(self, *args, **kwargs):
        chain = kwargs.get("chain", args[3] if len(args) > 3 else None)
        if self.type == "IMPORTED" and chain:
            self.chain = chain

    _wrap_init(CertBundle, _keep_chain)


# -- Application Auto Scaling ------------------------------------------------------


@fix
def application_autoscaling_describe_policies_filters_names(pending):
    """AWS: DescribeScalingPolicies honours ``PolicyNames`` and matches ``ResourceId``
    exactly. moto: ignores ``PolicyNames`` (and matches the resource id as a substring),
    so with ``MaxResults=1`` the first policy of the service comes back. Broke:
    community.aws.application_autoscaling_policy with two policies on one service
    (compares against the wrong one and updates every run)."""
    from moto.applicationautoscaling import responses

    original = responses.ApplicationAutoScalingResponse.describe_scaling_policies

    @functools.wraps(original)
    def describe_scaling_policies(self):
        names = self._get_param("PolicyNames")
        if not names:
            return original(self)
        resource_id = self._get_param("ResourceId")
        policies = self.applicationautoscaling_backend.describe_scaling_policies(
            service_namespace=self._get_param("ServiceNamespace"),
            resource_id=resource_id,
            scalable_dimension=self._get_param("ScalableDimension"),
            max_results=10**6,
            next_token=None,
        )[1]
        # PolicyNames holds at most 50 names: one page is enough.
        chosen = [p for p in policies if p.policy_name in names and (not resource_id or p.resource_id == resource_id)]
        return json.dumps({"ScalingPolicies": [responses._build_policy(p) for p in chosen]})

    responses.ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies


@fix
def application_autoscaling_keeps_an_ecs_service_in_its_range(pending):
    """AWS: RegisterScalableTarget of an active resource "changes the resource's current
    capacity to a value that is inside of this range" (API reference): an ECS service whose
    desired count is below the new minimum scales out to it, one above the new maximum scales
    in to it. moto: records the range only. Broke: with the emulator's ECS running tasks, a
    new range outside the running count (``scale.yml -e min=...``) started or stopped no task."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.register_scalable_target

    @functools.wraps(original)
    def register_scalable_target(self, namespace, r_id, dimension, *args, **kwargs):
        target = original(self, namespace, r_id, dimension, *args, **kwargs)
        if namespace != "ecs" or dimension != "ecs:service:DesiredCount":
            return target
        cluster, name = r_id.split("/")[1:]
        (service,), _missing = self.ecs_backend.describe_services(cluster, [name])
        low, high = target.min_capacity, target.max_capacity
        wanted = min(max(int(service.desired_count), int(low)), int(high))
        if service.status == "ACTIVE" and wanted != int(service.desired_count):
            service.desired_count = wanted
            if service.deployments:
                service.deployments[0]["desiredCount"] = wanted
        return target

    ApplicationAutoscalingBackend.register_scalable_target = register_scalable_target


# -- ECS ------------------------------------------------------------------------------

# CreateService parameters that moto accepts but drops; AWS returns them in the service.
_ECS_CREATE_EXTRAS = {
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "deploymentConfiguration": "deployment_configuration",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "capacityProviderStrategy": "capacity_provider_strategy",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
}


@fix
def ecs_create_service_keeps_health_check_grace_period(pending):
    """AWS: CreateService stores ``healthCheckGracePeriodSeconds`` (and the deployment
    configuration, capacity provider strategy, ...) and DescribeServices returns them.
    moto: drops them on create (UpdateService keeps them). Broke: community.aws.ecs_service
    (grace period differs, so it updates the service every run)."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    @functools.wraps(original)
    def create_service(self):
        result = original(self)
        service = result.result["service"]
        for param, attr in _ECS_CREATE_EXTRAS.items():
            value = self._get_param(param)
            if value is not None:
                setattr(service, attr, value)
        return result

    EC2ContainerServiceResponse.create_service = create_service


@fix
def network_interface_always_has_a_private_dns_name(pending):
    """AWS: every network interface has a private DNS name (``ip-10-0-1-5.ec2.internal``),
    whether or not its VPC has DNS host names on. moto: only with ``enableDnsHostnames``;
    code that reads it fails (AttributeError, 500). Broke: RunTask/CreateService tasks in
    ``awsvpc`` mode in such a VPC (moto's Task reads the ENI's private DNS name)."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ec2.utils import generate_dns_from_ip

    def named(self, *args, **kwargs):
        if not getattr(self, "private_dns_name", None) and self.private_ip_address:
            self.private_dns_name = generate_dns_from_ip(self.private_ip_address)

    _wrap_init(NetworkInterface, named)


@fix
def ecs_fargate_task_memory_is_the_task_level_memory(pending):
    """AWS: a Fargate task definition may give its memory at the task level only (the
    containers then need none); RunTask places the task with the task's cpu/memory.
    moto: adds each container's ``memory`` and fails (500, ``TypeError``) on a container
    without one. Broke: RunTask of the collection's task definitions (their containers
    carry no memory, as Fargate allows)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition):
        containers = task_definition.container_definitions
        missing = [c for c in containers if not any(c.get(k) for k in ("memory", "memoryReservation", "Memory"))]
        if not missing:
            return original(task_definition)
        task_definition.container_definitions = [{**c, "memory": 0} if c in missing else c for c in containers]
        try:
            result = original(task_definition)
        finally:
            task_definition.container_definitions = containers
        result["CPU"] = max(result["CPU"], int(task_definition.cpu or 0))
        result["MEMORY"] = max(result["MEMORY"], int(task_definition.memory or 0))
        return result

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)


def _ecs_new_deployment(service, status="PRIMARY") -> dict:
    from moto.core.utils import utcnow

    now = utcnow()
    deployment = {
        "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
        "status": status,
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment in progress.",
    }
    return deployment


def _ecs_settle(service) -> None:
    """Advance the service's rollout: the PRIMARY deployment completes once its pending
    time has passed; older deployments are then drained (removed)."""
    if ECS_TASKS_RUN or not service.deployments or service.deployment_controller.get("type", "ECS") != "ECS":
        return
    primary = service.deployments[0]
    started = getattr(service, "_fix_rollouts", {}).get(primary["id"], getattr(service, "_fix_born", 0))
    desired = service.desired_count
    if time.monotonic() < started + float(_PENDING.get("ecs", 0)):
        primary.update(runningCount=0, pendingCount=desired, desiredCount=desired, rolloutState="IN_PROGRESS")
        if len(service.deployments) == 1:  # first deployment: nothing runs yet
            service.running_count, service.pending_count = 0, desired
        return
    if primary.get("rolloutState") != "COMPLETED" or primary.get("runningCount") != desired:
        from moto.core.utils import utcnow

        primary.update(
            runningCount=desired,
            pendingCount=0,
            desiredCount=desired,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {primary['id']} completed.",
            updatedAt=utcnow(),
        )
    service.deployments = [primary]
    service.running_count, service.pending_count = desired, 0


@fix
def ecs_force_new_deployment_keeps_the_old_deployment(pending):
    """AWS: UpdateService with ``forceNewDeployment`` starts a new deployment (a new id) of the
    service's task definition beside the current one, which keeps its id (and its tasks)
    until the new deployment has replaced them. moto: gives the current deployment a new id
    and new dates in place, so the deployment that started the running tasks disappears.
    Broke: in run-tasks mode the old tasks belonged to no deployment, so nothing stopped
    them and they served beside the new ones for ever (a pgvector upgrade's restart)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    update = EC2ContainerServiceBackend.update_service

    @functools.wraps(update)
    def update_service(self, service_properties):
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties.get("service", "")).rsplit("/", maxsplit=1)[-1]
        current = None
        if service_properties.get("force_new_deployment"):
            with contextlib.suppress(Exception):
                deployments = self._get_service(cluster, name).deployments
                current = dict(deployments[0]) if deployments else None
        service = update(self, service_properties)
        if current is not None and service.deployments:
            renamed = service.deployments[0]
            forced = _ecs_new_deployment(service)
            forced["taskDefinition"] = self.describe_task_definition(service.task_definition).arn  # AWS: an ARN
            renamed.update(id=current["id"], createdAt=current["createdAt"], updatedAt=current["updatedAt"])
            service.deployments.insert(0, forced)
            service.deployments[1]["status"] = "ACTIVE"
            service.__dict__.setdefault("_fix_rollouts", {})[forced["id"]] = time.monotonic()
        return service

    EC2ContainerServiceBackend.update_service = update_service


@fix
def ecs_service_deployments_reach_steady_state(pending):
    """AWS: a service's deployment starts ``IN_PROGRESS`` (runningCount 0) and reaches
    ``COMPLETED`` with runningCount == desiredCount and one PRIMARY deployment; a new
    task definition starts a new PRIMARY deployment and drains the old one (forceNewDeployment:
    ``ecs_force_new_deployment_keeps_the_old_deployment``). moto: runningCount stays 0 and
    the rollout never completes, and UpdateService keeps the old deployment. Broke: the ``services_stable`` waiter and
    community.aws.ecs_service_info-based waits hang. Completion is held back for
    ``pending["ecs"]`` seconds (default 0)."""
    from moto.ecs.models import EC2ContainerServiceBackend, Service

    _wrap_init(Service, lambda self, *a, **k: _stamp(self))

    describe = EC2ContainerServiceBackend.describe_services
    update = EC2ContainerServiceBackend.update_service

    @functools.wraps(describe)
    def describe_services(self, cluster_str, service_names_or_arns):
        services, failures = describe(self, cluster_str, service_names_or_arns)
        for service in services:
            _ecs_settle(service)
        return services, failures

    @functools.wraps(update)
    def update_service(self, service_properties):
        new_task = service_properties.get("task_definition")
        service = update(self, service_properties)
        if new_task:  # AWS reports the task definition as an ARN
            service.task_definition = self.describe_task_definition(new_task).arn
        primary = service.deployments[0] if service.deployments else None
        if primary is not None and primary.get("taskDefinition") != service.task_definition:
            for older in service.deployments:  # they stay until their tasks are replaced
                older["status"] = "ACTIVE"
            deployment = _ecs_new_deployment(service)
            service.deployments = [deployment, *service.deployments]
            service.__dict__.setdefault("_fix_rollouts", {})[deployment["id"]] = time.monotonic()
        _ecs_settle(service)
        return service

    EC2ContainerServiceBackend.describe_services = describe_services
    EC2ContainerServiceBackend.update_service = update_service


# The cluster settings ECS knows (ClusterSetting), with the values it accepts.
_ECS_CLUSTER_SETTINGS = {"containerInsights": ("enabled", "enhanced", "disabled")}


@fix
def ecs_update_cluster_settings(pending):
    """AWS: UpdateClusterSettings sets the named settings of a cluster (``containerInsights``:
    ``enabled``, ``enhanced`` or ``disabled``; another name or value is an
    InvalidParameterException), keeps the others, and answers with the cluster; a cluster
    that does not exist, or is INACTIVE (deleted), is a ClusterNotFoundException. moto: has
    no UpdateClusterSettings (HTTP 500). Broke: the collection's ecs_cluster_settings
    (Container Insights on the stack's cluster)."""
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import ClusterNotFoundException, ECSException, InvalidParameterException
    from moto.ecs.responses import EC2ContainerServiceResponse

    def update_cluster_settings(self):
        settings = self._get_param("settings") or []
        if not settings:
            raise InvalidParameterException("settings can not be empty.")
        for setting in settings:
            name, value = setting.get("name"), setting.get("value")
            if name not in _ECS_CLUSTER_SETTINGS:
                raise InvalidParameterException(f"Unknown cluster setting name: {name}.")
            if value not in _ECS_CLUSTER_SETTINGS[name]:
                allowed = ", ".join(_ECS_CLUSTER_SETTINGS[name])
                raise InvalidParameterException(f"Invalid value {value} for {name}; valid values: {allowed}.")
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster") or "default")
        if cluster.status == "INACTIVE":
            raise ECSException(ClusterNotFoundException().code, "The referenced cluster was inactive.")
        names = {s["name"] for s in settings}
        kept = [s for s in cluster.settings or [] if s.get("name") not in names]
        cluster.settings = kept + [{"name": s["name"], "value": s["value"]} for s in settings]
        return ActionResult({"cluster": cluster})

    EC2ContainerServiceResponse.update_cluster_settings = update_cluster_settings


@fix
def ecs_describe_clusters_settings_only_when_included(pending):
    """AWS: DescribeClusters returns a cluster's ``settings`` only with ``include=[SETTINGS]``
    (as its tags only with ``TAGS``). moto: always, so a module that forgets to ask sees
    settings that AWS would not give it (ecs_cluster_settings asks)."""
    from moto.ecs import responses

    path = "DescribeClustersResponse.clusters.Cluster.settings"
    original = responses.EC2ContainerServiceResponse.describe_clusters

    @functools.wraps(original)
    def describe_clusters(self):
        if "SETTINGS" in (self._get_param("include") or []):
            self._include_in_response(path)
        else:
            self._exclude_from_response(path)
        return original(self)

    responses.EC2ContainerServiceResponse.describe_clusters = describe_clusters


@fix
def ecs_task_definition_family_means_its_latest_active_revision(pending):
    """AWS: a task definition named by its family alone (DescribeTaskDefinition, RunTask,
    CreateService, UpdateService) is "the latest ACTIVE revision" (ECS API reference); a family
    with no ACTIVE revision cannot be described. moto: the latest revision, even a deregistered
    (INACTIVE) one. Broke: the teardown, which reads the family's latest revision to deregister
    every revision up to it, did nothing once the newest revision was deregistered (a rollback
    deregisters the revision it left), and left the family ACTIVE."""
    from moto.ecs.exceptions import TaskDefinitionNotFoundException
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.describe_task_definition

    @functools.wraps(original)
    def describe_task_definition(self, task_definition_str: str):
        name = task_definition_str.split("/")[-1]
        if ":" in name:
            return original(self, task_definition_str)
        revisions = self.task_definitions.get(name, {})
        active = [number for number, td in revisions.items() if getattr(td, "status", "ACTIVE") == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return revisions[max(active)]

    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition


@fix
def ecs_task_definition_families_by_status(pending):
    """AWS: ListTaskDefinitionFamilies with ``status=ACTIVE`` lists only the families that have an
    ACTIVE revision; with ``INACTIVE``, only those that have none; without it (``ALL``), both
    (ECS API reference). moto: ignores ``status``, so a family whose every revision is
    deregistered still looks ACTIVE. Broke: the teardown test's check that destroy.yml with
    openwebui_destroy_data leaves no task definition of the stack (the restore task's family too)."""
    from moto.ecs import responses

    def list_task_definition_families(self):
        prefix = self._get_param("familyPrefix")
        wanted = self._get_param("status") or "ALL"
        families = []
        for family, revisions in self.ecs_backend.task_definitions.items():
            if prefix and not family.startswith(prefix):
                continue
            active = any(getattr(td, "status", "ACTIVE") == "ACTIVE" for td in revisions.values())
            if wanted == "ALL" or active == (wanted == "ACTIVE"):
                families.append(family)
        return json.dumps({"families": families})

    responses.EC2ContainerServiceResponse.list_task_definition_families = list_task_definition_families


# -- ELBv2 ----------------------------------------------------------------------------


@fix
def load_balancer_provisioning_then_active(pending):
    """AWS: a new load balancer is ``provisioning`` for a few minutes, then ``active``.
    moto: ``active`` on the first describe. Simulated for ``pending["elb"]`` seconds
    (default 0), so elb_application_lb's ``wait`` path is exercised."""
    from moto.elbv2.models import FakeLoadBalancer

    _wrap_init(FakeLoadBalancer, lambda self, *a, **k: _stamp(self))
    activate = FakeLoadBalancer.activate

    @functools.wraps(activate)
    def _activate(self):
        if not _still_pending(self, "elb"):
            activate(self)

    FakeLoadBalancer.activate = _activate


# -- Backup ---------------------------------------------------------------------------


@fix
def backup_describe_missing_vault_is_access_denied(pending):
    """AWS: DescribeBackupVault of a vault that does not exist fails with
    AccessDeniedException (403), which amazon.aws.backup_vault treats as "absent".
    moto: ResourceNotFoundException. Broke: amazon.aws.backup_vault (cannot create)."""
    from moto.backup.models import BackupBackend
    from moto.core.exceptions import JsonRESTError

    original = BackupBackend.describe_backup_vault

    @functools.wraps(original)
    def describe_backup_vault(self, backup_vault_name):
        if backup_vault_name not in self.vaults:
            error = JsonRESTError("AccessDeniedException", "Insufficient privileges to perform this action.")
            error.code = 403
            raise error
        return original(self, backup_vault_name)

    BackupBackend.describe_backup_vault = describe_backup_vault


# What AWS returns for a selection created without Conditions.
_EMPTY_CONDITIONS = {"StringEquals": [], "StringLike": [], "StringNotEquals": [], "StringNotLike": []}


@fix
def backup_selections(pending):
    """AWS: backup plans have selections (CreateBackupSelection, GetBackupSelection,
    ListBackupSelections, DeleteBackupSelection). moto: not implemented (500).
    Broke: amazon.aws.backup_selection."""
    from moto.backup.responses import BackupResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import unix_time

    def _plan_and_selection(self) -> tuple[str, str, dict]:
        parts = self.path.split("?")[0].rstrip("/").split("/")  # /backup/plans/P/selections[/S]
        plan_id = parts[parts.index("plans") + 1]
        self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)  # 404 if unknown
        selections = self.backup_backend.__dict__.setdefault("_fix_selections", {}).setdefault(plan_id, {})
        return plan_id, (parts[-1] if parts[-1] != "selections" else ""), selections

    def _get(selections, selection_id) -> dict:
        if selection_id not in selections:
            raise JsonRESTError("ResourceNotFoundException", f"Selection {selection_id} not found")
        return selections[selection_id]

    def create_backup_selection(self):
        plan_id, selections = _plan_and_selection(self)[::2]
        body = _json(self)
        selection = {"Conditions": _EMPTY_CONDITIONS, "ListOfTags": [], "NotResources": [], "Resources": []}
        selection.update(body["BackupSelection"])
        entry = {
            "SelectionId": str(uuid.uuid4()),
            "BackupPlanId": plan_id,
            "CreationDate": unix_time(),
            "CreatorRequestId": body.get("CreatorRequestId"),
            "BackupSelection": selection,
        }
        selections[entry["SelectionId"]] = entry
        return json.dumps({k: entry[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    def get_backup_selection(self):
        selection_id, selections = _plan_and_selection(self)[1:]
        return json.dumps(_get(selections, selection_id))

    def list_backup_selections(self):
        selections = _plan_and_selection(self)[2]
        listed = [
            {
                "SelectionId": e["SelectionId"],
                "SelectionName": e["BackupSelection"]["SelectionName"],
                "BackupPlanId": e["BackupPlanId"],
                "CreationDate": e["CreationDate"],
                "CreatorRequestId": e["CreatorRequestId"],
                "IamRoleArn": e["BackupSelection"]["IamRoleArn"],
            }
            for e in selections.values()
        ]
        return json.dumps({"BackupSelectionsList": listed})

    def delete_backup_selection(self):
        selection_id, selections = _plan_and_selection(self)[1:]
        _get(selections, selection_id)
        del selections[selection_id]
        return "{}"

    BackupResponse.create_backup_selection = create_backup_selection
    BackupResponse.get_backup_selection = get_backup_selection
    BackupResponse.list_backup_selections = list_backup_selections
    BackupResponse.delete_backup_selection = delete_backup_selection


# -- ElastiCache ------------------------------------------------------------------------


@fix
def elasticache_cluster_lists_cache_nodes(pending):
    """AWS: DescribeCacheClusters with ShowCacheNodeInfo lists each node (id, status,
    Endpoint address/port) and reports the VPC security groups as ``SecurityGroups``.
    moto: no ``CacheNodes``, no ``SecurityGroups``, no ``CacheSecurityGroups``. Broke:
    community.aws.elasticache (KeyError 'CacheNodes' on a re-run; would then see the
    security groups differ and modify every run)."""
    from moto.elasticache.models import CacheCluster
    from moto.elasticache.responses import ElastiCacheResponse

    def cache_nodes(self):
        if not getattr(self, "_fix_show_nodes", False):
            return None
        creating = _still_pending(self, "elasticache")  # no endpoint until the node is up
        nodes = []
        for n in range(1, int(self.num_cache_nodes or 1) + 1):
            node = {
                "CacheNodeId": f"{n:04d}",
                "CacheNodeStatus": "creating" if creating else "available",
                "CacheNodeCreateTime": self.cache_cluster_create_time,
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": self.preferred_availability_zone or "us-east-1a",
            }
            if not creating:
                node["Endpoint"] = {
                    "Address": f"{self.cache_cluster_id}.abc123.{n:04d}.use1.cache.amazonaws.com",
                    "Port": self.port,
                }
            nodes.append(node)
        return nodes

    CacheCluster.cache_nodes = property(cache_nodes)
    CacheCluster.security_groups = property(
        lambda self: [{"SecurityGroupId": sg, "Status": "active"} for sg in self.security_group_ids]
    )
    CacheCluster.cache_security_groups = property(
        lambda self: [{"CacheSecurityGroupName": n, "Status": "active"} for n in self.cache_security_group_names]
    )

    original = ElastiCacheResponse.describe_cache_clusters

    @functools.wraps(original)
    def describe_cache_clusters(self):
        show = str(self._get_param("ShowCacheNodeInfo", False)).lower() == "true"
        for cluster in self.elasticache_backend.cache_clusters.values():
            cluster._fix_show_nodes = show
        return original(self)

    ElastiCacheResponse.describe_cache_clusters = describe_cache_clusters


@fix
def elasticache_creating_then_available(pending):
    """AWS: a new cache cluster (and a new replication group) is ``creating`` for
    minutes, its nodes without an endpoint, then ``available``. moto: ``available`` at
    once. Simulated for ``pending["elasticache"]`` seconds (default 0), so
    community.aws.elasticache's ``wait`` path is exercised."""
    from moto.elasticache.models import CacheCluster, ReplicationGroup

    for cls, attribute in ((CacheCluster, "cache_cluster_status"), (ReplicationGroup, "status")):
        _wrap_init(cls, lambda self, *a, **k: _stamp(self))

        def _get(self, _attribute=attribute):
            value = self.__dict__.get(f"_fix_{_attribute}")
            return "creating" if value == "available" and _still_pending(self, "elasticache") else value

        def _set(self, value, _attribute=attribute):
            self.__dict__[f"_fix_{_attribute}"] = value

        setattr(cls, attribute, property(_get, _set))


@fix
def elasticache_deleted_cluster_goes_away(pending):
    """AWS: a deleted cache cluster is ``deleting`` for a while and then gone
    (CacheClusterNotFound). moto: ``deleting`` forever. Broke: community.aws.elasticache
    ``state: absent`` with ``wait`` (its waiter has no timeout: the run hangs). Held for
    ``pending["elasticache"]`` seconds (default 0)."""
    from moto.elasticache.models import ElastiCacheBackend

    delete = ElastiCacheBackend.delete_cache_cluster
    describe = ElastiCacheBackend.describe_cache_clusters

    @functools.wraps(delete)
    def delete_cache_cluster(self, cache_cluster_id):
        cluster = delete(self, cache_cluster_id)
        cluster._fix_deleted = time.monotonic()
        return cluster

    @functools.wraps(describe)
    def describe_cache_clusters(self, cache_cluster_id=None):
        now = time.monotonic()
        for name, cluster in list(self.cache_clusters.items()):
            deleted = getattr(cluster, "_fix_deleted", None)
            if deleted is not None and now >= deleted + float(_PENDING.get("elasticache", 0)):
                del self.cache_clusters[name]
        return describe(self, cache_cluster_id)

    ElastiCacheBackend.delete_cache_cluster = delete_cache_cluster
    ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters


@fix
def elasticache_delete_cache_subnet_group(pending):
    """AWS: DeleteCacheSubnetGroup removes an unused subnet group (CacheSubnetGroupInUse
    while a cluster uses it). moto: not implemented (500). Broke:
    community.aws.elasticache_subnet_group ``state: absent``."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    def delete_cache_subnet_group(self):
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        backend.describe_cache_clusters()  # let deleted clusters go first
        if any(c.cache_subnet_group_name == name for c in backend.cache_clusters.values()):
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use.")
        group = backend.cache_subnet_groups.pop(name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


@fix
def elasticache_modify_cache_subnet_group(pending):
    """AWS: ModifyCacheSubnetGroup sets a subnet group's description and/or subnets (of one VPC,
    InvalidSubnet otherwise; CacheSubnetGroupNotFoundFault for an unknown group) and answers
    the group. moto: not implemented (500). Broke: community.aws.elasticache_subnet_group on an
    existing group whose description or subnets differ (the cache layer's, after a change of
    the private subnets or of its description)."""
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import CacheSubnetGroup
    from moto.elasticache.responses import ElastiCacheResponse

    def modify_cache_subnet_group(self):
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        group = backend.cache_subnet_groups.get(name)
        if group is None:
            raise CacheSubnetGroupNotFound(name)
        description = self._get_param("CacheSubnetGroupDescription")
        subnet_ids = self._get_param("SubnetIds") or group.subnet_ids
        # The constructor checks the subnets (one VPC) and describes them, as CreateCacheSubnetGroup does.
        changed = CacheSubnetGroup(
            backend.account_id,
            backend.region_name,
            name,
            group.cache_subnet_group_description if description is None else description,
            subnet_ids,
            group.tags,
        )
        backend.cache_subnet_groups[name] = changed
        return ActionResult({"CacheSubnetGroup": changed})

    ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group


# -- CloudWatch -------------------------------------------------------------------------


@fix
def alarm_state_change_notifies_its_topics(pending):
    """AWS: when an alarm's state changes (also through SetAlarmState, "for testing"), CloudWatch
    runs the actions of the new state (AlarmActions, OKActions, InsufficientDataActions) when
    ActionsEnabled; an SNS topic gets a JSON notification (AlarmName, NewStateValue,
    OldStateValue, NewStateReason, ...) with the subject ``ALARM: "<name>" in <region>``.
    moto: changes the state and notifies no one. Broke: the alarm-to-e-mail path could not be
    shown locally (the topic and its subscriptions never saw an alarm)."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.sns.models import sns_backends

    original = CloudWatchBackend.set_alarm_state

    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        alarm = self.alarms.get(alarm_name)
        old = alarm.state_value if alarm is not None else None
        original(self, alarm_name, reason, reason_data, state_value)
        if alarm is None or old == state_value or not alarm.actions_enabled:
            return
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[state_value]
        message = json.dumps(
            {
                "AlarmName": alarm.name,
                "AlarmDescription": alarm.description,
                "AWSAccountId": self.account_id,
                "NewStateValue": state_value,
                "NewStateReason": reason,
                "OldStateValue": old,
                "Region": self.region_name,
                "AlarmArn": alarm.alarm_arn,
                "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace},
            }
        )
        for arn in actions or []:
            parts = arn.split(":")
            if len(parts) == 6 and parts[2] == "sns":
                subject = f'{state_value}: "{alarm.name}" in {self.region_name}'[:100]
                sns_backends[parts[4]][parts[3]].publish(message, arn=arn, subject=subject)

    CloudWatchBackend.set_alarm_state = set_alarm_state


# -- CloudWatch Logs --------------------------------------------------------------------


@fix
def logs_filter_log_events_by_stream_name_prefix(pending):
    """AWS: FilterLogEvents with ``logStreamNamePrefix`` reads only the log streams whose names
    start with it (no events when none does); with ``logStreamNames`` as well it is an
    ``InvalidParameterException``. moto: ignores the prefix and reads every stream of the group.
    Broke: the collection's log_events ``log_stream_name_prefix`` (``playbooks/logs.yml -e
    stream_prefix=...`` showed the lines of every stream)."""
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.responses import LogsResponse

    original = LogsResponse.filter_log_events

    @functools.wraps(original)
    def filter_log_events(self):
        prefix = self._get_param("logStreamNamePrefix")
        if not prefix:
            return original(self)
        if self._get_param("logStreamNames"):
            raise InvalidParameterException(msg="Cannot specify both logStreamNames and logStreamNamePrefix.")
        name = self._get_param("logGroupName")
        group = self.logs_backend.groups.get(name)
        if group is None:
            return original(self)  # moto's ResourceNotFoundException
        streams = [stream for stream in group.streams if stream.startswith(prefix)]
        if not streams:
            return json.dumps({"events": [], "searchedLogStreams": []})
        events, next_token, searched = self.logs_backend.filter_log_events(
            name,
            streams,
            self._get_param("startTime"),
            self._get_param("endTime"),
            self._get_param("limit"),
            self._get_param("nextToken"),
            self._get_param("filterPattern"),
            self._get_param("interleaved", False),
        )
        return json.dumps({"events": events, "nextToken": next_token, "searchedLogStreams": searched})

    LogsResponse.filter_log_events = filter_log_events


@fix
def logs_filter_log_events_interleaves_streams(pending):
    """AWS: FilterLogEvents returns the events of all the streams it reads interleaved, sorted by
    timestamp, page after page; its ``interleaved`` parameter is ignored (deprecated since
    2019, "assumed to be true"). moto: interleaves only with ``interleaved=true``, otherwise
    returns one stream's events after the other's, so a page (``limit``) holds the first
    stream's events and the last events are the last stream's, not the newest. Broke: the
    collection's log_events ``keep: newest`` (``playbooks/logs.yml`` showed one task's lines as
    the newest). Ties keep moto's order (AWS breaks them by ingestion time)."""
    from moto.logs.models import LogGroup

    original = LogGroup.filter_log_events

    @functools.wraps(original)
    def filter_log_events(self, name, streams, start_time, end_time, limit, next_token, pattern, interleaved):
        return original(self, name, streams, start_time, end_time, limit, next_token, pattern, True)

    LogGroup.filter_log_events = filter_log_events


# A term of a text filter pattern: an optional ? (any of) or - (none of), then a "quoted phrase"
# (\" inside) or a run of non-blank characters.
_LOG_TERM = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|\S+)')


@functools.lru_cache(maxsize=256)
def _log_text_pattern(pattern: str):
    """``(regex or None, required, any_of, excluded)`` of a text filter pattern."""
    text = pattern.strip()
    if len(text) >= 2 and text.startswith("%") and text.endswith("%"):
        from moto.logs.exceptions import InvalidParameterException

        if "(" in text or ")" in text:  # AWS: "The () operator is not supported"
            raise InvalidParameterException(msg=f"Invalid regex in filter pattern {pattern}: () is not supported")
        try:
            return re.compile(text[1:-1]), (), (), ()
        except re.error as e:
            raise InvalidParameterException(msg=f"Invalid regex in filter pattern {pattern}: {e}") from None
    terms: dict[str, list[str]] = {"": [], "?": [], "-": []}
    for sign, term in _LOG_TERM.findall(text):
        if term.startswith('"') and term.endswith('"') and len(term) >= 2:
            term = re.sub(r"\\(.)", r"\1", term[1:-1])
        terms[sign].append(term)
    return None, tuple(terms[""]), tuple(terms["?"]), tuple(terms["-"])


@fix
def logs_filter_patterns_match_text_terms(pending):
    """AWS: a text filter pattern (FilterLogEvents, Live Tail) matches case-sensitively: every
    plain term or ``"exact phrase"`` must appear (``ERROR Exception``), ``?term`` terms match
    when any of them appears (``?ERROR ?WARNING``), ``-term`` excludes (``ERROR -health``), a
    number is a term like any other (``404``), ``%regex%`` is a regular expression searched in
    the message, and an empty pattern or ``" "`` matches every event. moto: a pattern whose
    first character is neither a letter nor a quote (``?ERROR ?WARNING``, ``-health``, ``404``,
    ``%...%``) matches every event, a ``-term`` after a term must appear, and a phrase among
    other terms is not parsed. Broke: the collection's log_events ``filter_pattern``
    (``playbooks/logs.yml -e pattern='?ERROR ?WARNING'`` showed every line). JSON (``{ $.x = 1
    }``) and space-delimited (``[ip, ...]``) patterns keep moto's behaviour: every event."""
    from moto.logs import models

    stock = models.EventMessageFilter

    class EventMessageFilter:
        def __init__(self, pattern: str):
            text = (pattern or "").strip()
            self.stock = stock(pattern) if text.startswith(("{", "[")) else None
            self.pattern = None if self.stock else _log_text_pattern(text)

        def matches(self, message: str) -> bool:
            if self.stock is not None:
                return self.stock.matches(message)
            regex, required, any_of, excluded = self.pattern
            if regex is not None:
                return regex.search(message) is not None

            def has(term: str) -> bool:
                return not term.strip() or term in message  # " " matches every event

            return (
                all(has(t) for t in required)
                and not any(t.strip() and t in message for t in excluded)
                and (not any_of or any(has(t) for t in any_of))
            )

    models.EventMessageFilter = EventMessageFilter


# -- Backup (plans) ---------------------------------------------------------------------


@fix
def backup_update_plan(pending):
    """AWS: UpdateBackupPlan replaces the rules of a plan and gives it a new VersionId.
    moto: not implemented (500). Broke: amazon.aws.backup_plan (any change to an existing
    plan, such as a new retention or a cross-region copy)."""
    from moto.backup.models import Plan
    from moto.backup.responses import BackupResponse

    def update_backup_plan(self):
        plan_id = self.path.split("?")[0].rstrip("/").split("/plans/")[-1]
        plan = self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)  # 404 if unknown
        # A new Plan fills the rules' defaults and IDs as CreateBackupPlan does.
        updated = Plan(_json(self)["BackupPlan"], plan.creator_request_id, self.backup_backend)
        plan.backup_plan = updated.backup_plan
        plan.advanced_backup_settings = updated.advanced_backup_settings
        plan.version_id = updated.version_id
        return json.dumps(dict(plan.to_dict()))

    BackupResponse.update_backup_plan = update_backup_plan


@fix
def rds_describe_pending_maintenance_actions(pending):
    """AWS: DescribePendingMaintenanceActions lists the pending maintenance actions of the
    account's DB instances and clusters (none for a new instance), narrowed by
    ``ResourceIdentifier`` (an ARN; an unknown one: ResourceNotFoundFault) and the
    ``db-instance-id`` / ``db-cluster-id`` filters. moto: not implemented (500).
    Broke: ajudadigital.openwebui.stack_status (playbooks/status.yml). The emulator never
    schedules maintenance, so the list is always empty."""
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import RDSClientError
    from moto.rds.responses import RDSResponse

    def describe_pending_maintenance_actions(self):
        identifier = self.params.get("ResourceIdentifier")
        if identifier:
            known = {i.arn for i in self.backend.databases.values()} | {c.arn for c in self.backend.clusters.values()}
            if identifier not in known:
                raise RDSClientError("ResourceNotFoundFault", f"Resource {identifier} not found.")
        return ActionResult({"PendingMaintenanceActions": []})

    RDSResponse.describe_pending_maintenance_actions = describe_pending_maintenance_actions


# -- AWS Backup ---------------------------------------------------------------------------


def _backup_error(code: str, message: str, status: int):
    from moto.core.exceptions import JsonRESTError

    exc = JsonRESTError(code, message)
    exc.code = status
    return exc


def _backup_vault(response, name: str):
    """The vault ``name``; one that does not exist is AccessDeniedException, as in AWS."""
    if name not in response.backup_backend.vaults:
        raise _backup_error("AccessDeniedException", "Insufficient privileges to perform this action.", 403)
    return response.backup_backend.vaults[name]


def _backup_state(response) -> dict:
    """The fixes' jobs and recovery points of the response's backend."""
    store = response.backup_backend.__dict__.setdefault("_fix_jobs", {})
    for key in ("jobs", "points", "restores", "restore_tokens"):
        store.setdefault(key, {})
    return store


def _backup_path_part(response, after: str) -> str:
    from urllib.parse import unquote

    return unquote(response.path.split("?")[0].split(after, 1)[1].split("/", 1)[0])


def _backup_point_arn(response) -> str:
    """The recovery point ARN of /backup-vaults/<name>/recovery-points/<arn>."""
    from urllib.parse import unquote

    return unquote(response.path.split("?")[0].split("/recovery-points/", 1)[1])


def _backup_point_in_path(response):
    """(vault, ARN) of /backup-vaults/<name>/recovery-points/<arn>; the point must be in the vault."""
    vault = _backup_vault(response, _backup_path_part(response, "/backup-vaults/"))
    arn = _backup_point_arn(response)
    point = _backup_state(response)["points"].get(arn)
    if point is None or point["BackupVaultName"] != vault.backup_vault_name:
        raise _backup_error("ResourceNotFoundException", f"Recovery point {arn} not found", 404)
    return vault, arn


@fix
def backup_recovery_points(pending):
    """AWS: an on-demand backup job (StartBackupJob) of a resource makes a recovery point in
    the vault; DescribeBackupJob tells its state; ListRecoveryPointsByBackupVault and
    ListRecoveryPointsByResource list the points (none until the first job);
    DescribeRecoveryPoint describes one; DeleteRecoveryPoint deletes it (an RDS point: its
    snapshot); the vault counts them (``NumberOfRecoveryPoints``), and DeleteBackupVault of a
    vault that holds any is InvalidRequestException. The recovery point of an RDS instance is a DB
    snapshot named ``awsbackup:job-<job id>`` (snapshot type ``awsbackup``) whose ARN is the
    recovery point's ARN: RDS restores it as any snapshot (RestoreDBInstanceFromDBSnapshot;
    DescribeDBSnapshots lists it with SnapshotType ``awsbackup`` only). A vault that does not exist is
    AccessDeniedException (403), as for DescribeBackupVault; an unknown job or recovery point
    is ResourceNotFoundException. moto: none of these (404). Broke:
    ajudadigital.openwebui.stack_status (playbooks/status.yml), and a restore from an AWS
    Backup recovery point (playbooks/restore.yml) could not be tested.

    The emulator's jobs: an RDS instance's job completes in the request (its snapshot is
    taken then: with rds_servers it holds the instance's data); an EFS file system's is the
    next fix's; any other resource type is refused with InvalidParameterValueException
    naming the emulator. The plans' scheduled jobs do not run."""
    import uuid as uuidlib
    from datetime import UTC, datetime
    from urllib.parse import unquote

    from moto.backup import urls
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse
    from moto.rds.models import RDSBackend, rds_backends

    error, vault_of, state, path_part = _backup_error, _backup_vault, _backup_state, _backup_path_part
    point_in_path = _backup_point_in_path
    # Routes are read when the server first builds the Backup app, after apply().
    urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$"] = urls.response.dispatch
    urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>[^/]+)$"] = urls.response.dispatch
    urls.url_paths["{0}/backup-jobs$"] = urls.response.dispatch
    urls.url_paths["{0}/backup-jobs/(?P<job>[^/]+)$"] = urls.response.dispatch
    urls.url_paths["{0}/resources/(?P<arn>.+)/recovery-points/$"] = urls.response.dispatch

    def start_backup_job(self):
        body = json.loads(self.body or "{}")
        vault = vault_of(self, body.get("BackupVaultName", ""))
        arn, role = body.get("ResourceArn", ""), body.get("IamRoleArn", "")
        if not arn or not role:
            raise error("MissingParameterValueException", "ResourceArn and IamRoleArn are required", 400)
        parts = arn.split(":", 6)
        if len(parts) < 7 or parts[2] != "rds" or parts[5] != "db":
            raise error(
                "InvalidParameterValueException",
                f"the local emulator runs backup jobs of RDS DB instances and EFS file systems only, not of {arn}",
                400,
            )
        rds = rds_backends[self.current_account][self.region]
        instance_id = parts[6]
        if instance_id not in rds.databases:
            raise error("InvalidParameterValueException", f"Resource {arn} does not exist", 400)
        job_id = str(uuidlib.uuid4()).upper()
        snapshot_id = f"awsbackup:job-{job_id.lower()}"
        snapshot = rds.create_db_snapshot(instance_id, snapshot_id, snapshot_type="awsbackup")
        now = datetime.now(UTC).timestamp()
        point = {
            "RecoveryPointArn": snapshot.db_snapshot_arn,
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "ResourceArn": arn,
            "ResourceType": "RDS",
            "ResourceName": instance_id,
            "IamRoleArn": role,
            "Status": "COMPLETED",
            "CreationDate": now,
            "CompletionDate": now,
            "EncryptionKeyArn": vault.encryption_key_arn,
            "IsEncrypted": True,
            "BackupSizeInBytes": 0,
            "Lifecycle": body.get("Lifecycle") or {},
        }
        job = {
            "BackupJobId": job_id,
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "RecoveryPointArn": snapshot.db_snapshot_arn,
            "ResourceArn": arn,
            "ResourceType": "RDS",
            "ResourceName": instance_id,
            "IamRoleArn": role,
            "State": "COMPLETED",
            "PercentDone": "100.0",
            "CreationDate": now,
            "CompletionDate": now,
            "BackupSizeInBytes": 0,
        }
        state(self)["jobs"][job_id] = job
        state(self)["points"][snapshot.db_snapshot_arn] = point
        vault.num_of_recovery_points += 1
        return json.dumps(
            {
                "BackupJobId": job_id,
                "RecoveryPointArn": snapshot.db_snapshot_arn,
                "CreationDate": now,
                "IsParent": False,
            }
        )

    def describe_backup_job(self):
        job = state(self)["jobs"].get(path_part(self, "/backup-jobs/"))
        if job is None:
            raise error("ResourceNotFoundException", "Backup job not found", 404)
        return json.dumps(job)

    def list_recovery_points_by_backup_vault(self):
        vault = vault_of(self, path_part(self, "/backup-vaults/"))
        points = [p for p in state(self)["points"].values() if p["BackupVaultName"] == vault.backup_vault_name]
        return json.dumps({"RecoveryPoints": points})

    def list_recovery_points_by_resource(self):
        arn = unquote(self.path.split("?")[0].split("/resources/", 1)[1].rsplit("/recovery-points", 1)[0])
        fields = ("RecoveryPointArn", "CreationDate", "Status", "EncryptionKeyArn", "BackupVaultName", "ResourceName")
        points = [
            {key: p[key] for key in fields} | {"BackupSizeBytes": p["BackupSizeInBytes"], "IsParent": False}
            for p in state(self)["points"].values()
            if p["ResourceArn"] == arn
        ]
        return json.dumps({"RecoveryPoints": points})

    def describe_recovery_point(self):
        _vault, arn = point_in_path(self)
        return json.dumps(state(self)["points"][arn])

    def delete_recovery_point(self):
        vault, arn = point_in_path(self)
        rds = rds_backends[self.current_account][self.region]
        rds.delete_db_snapshot(arn.split(":snapshot:", 1)[1])
        del state(self)["points"][arn]
        vault.num_of_recovery_points -= 1
        return "{}"

    original_delete_vault = BackupBackend.delete_backup_vault

    @functools.wraps(original_delete_vault)
    def delete_backup_vault(self, backup_vault_name):
        vault = self.vaults.get(backup_vault_name)
        if vault is not None and vault.num_of_recovery_points > 0:
            raise error(
                "InvalidRequestException", "Backup vault cannot be deleted because it contains recovery points", 400
            )
        return original_delete_vault(self, backup_vault_name)

    original_restore = RDSBackend.restore_db_instance_from_db_snapshot

    @functools.wraps(original_restore)
    def restore_db_instance_from_db_snapshot(self, from_snapshot_id, overrides):
        # moto finds manual and automated snapshots only; RDS restores AWS Backup's too.
        name = from_snapshot_id.split(":snapshot:", 1)[-1] if from_snapshot_id.startswith("arn:") else from_snapshot_id
        snapshot = self.database_snapshots.get(name)
        if snapshot is None or snapshot.snapshot_type != "awsbackup":
            return original_restore(self, from_snapshot_id, overrides)
        snapshot.snapshot_type = "manual"
        try:
            return original_restore(self, from_snapshot_id, overrides)
        finally:
            snapshot.snapshot_type = "awsbackup"

    RDSBackend.restore_db_instance_from_db_snapshot = restore_db_instance_from_db_snapshot
    BackupBackend.delete_backup_vault = delete_backup_vault
    BackupResponse.delete_recovery_point = delete_recovery_point
    BackupResponse.start_backup_job = start_backup_job
    BackupResponse.describe_backup_job = describe_backup_job
    BackupResponse.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault
    BackupResponse.list_recovery_points_by_resource = list_recovery_points_by_resource
    BackupResponse.describe_recovery_point = describe_recovery_point


# Where the EFS file systems keep their files in run-tasks mode (ecs_runner.install sets it):
# a folder per file system; a recovery point of one is a copy beside them. None: no task can
# write to a file system, so a backup or restore job of one copies no file.
EFS_DATA_ROOT = None


def _efs_folder(fs_id: str):
    return None if EFS_DATA_ROOT is None else EFS_DATA_ROOT / fs_id


def _efs_point_folder(point_arn: str):
    return None if EFS_DATA_ROOT is None else EFS_DATA_ROOT.parent / "backup" / point_arn.rsplit(":", 1)[1]


@fix
def backup_efs_recovery_points_and_restore_jobs(pending):
    """AWS: StartBackupJob of an EFS file system (``arn:aws:elasticfilesystem:<region>:<account>:
    file-system/<id>``) makes a recovery point ``arn:aws:backup:<region>:<account>:recovery-point:<id>``
    (ResourceType ``EFS``) that holds the file system's files as they were. StartRestoreJob of
    it (Metadata ``file-system-id``, ``newFileSystem`` ``false``: into that file system;
    ``true``: into a new one, with ``CreationToken``, ``Encrypted``, ``KmsKeyId`` and
    ``PerformanceMode``) never overwrites: the files go into a new directory
    ``aws-backup-restore_<UTC time>`` off the root of the target file system (AWS Backup
    developer guide, "Restore an Amazon EFS file system"). DescribeRestoreJob tells its state
    and ``CreatedResourceArn``; a repeated StartRestoreJob with the same ``IdempotencyToken``
    answers the same job and restores nothing again. A missing recovery point or job is
    ResourceNotFoundException, missing metadata InvalidParameterValueException.
    DeleteRecoveryPoint of an EFS point deletes its copy. moto: no EFS backup job (the
    recovery-points fix refused it) and no restore job (404). Broke: playbooks/restore.yml
    could not restore the stack's EFS data.

    The emulator's jobs complete in the request. In run-tasks mode a file system's files are
    the folder its tasks mount (ecs_runner); otherwise no task writes to it, and the jobs copy
    no file. A restore job of any other resource type is refused naming the emulator (an RDS
    recovery point is a DB snapshot: RestoreDBInstanceFromDBSnapshot restores it)."""
    import shutil
    import uuid as uuidlib
    from datetime import UTC, datetime

    from moto.backup import urls
    from moto.backup.responses import BackupResponse
    from moto.efs.models import efs_backends

    urls.url_paths["{0}/restore-jobs$"] = urls.response.dispatch
    urls.url_paths["{0}/restore-jobs/(?P<job>[^/]+)$"] = urls.response.dispatch
    error = _backup_error

    def file_system(response, fs_id: str):
        return efs_backends[response.current_account][response.region].file_systems_by_id.get(fs_id)

    original_start_backup_job = BackupResponse.start_backup_job

    @functools.wraps(original_start_backup_job)
    def start_backup_job(self):
        body = json.loads(self.body or "{}")
        arn = body.get("ResourceArn", "")
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[2] != "elasticfilesystem" or not parts[5].startswith("file-system/"):
            return original_start_backup_job(self)
        vault = _backup_vault(self, body.get("BackupVaultName", ""))
        if not body.get("IamRoleArn"):
            raise error("MissingParameterValueException", "ResourceArn and IamRoleArn are required", 400)
        fs_id = parts[5].split("/", 1)[1]
        if file_system(self, fs_id) is None:
            raise error("InvalidParameterValueException", f"Resource {arn} does not exist", 400)
        job_id, point_id = str(uuidlib.uuid4()).upper(), str(uuidlib.uuid4()).upper()
        point_arn = f"arn:aws:backup:{self.region}:{self.current_account}:recovery-point:{point_id}"
        source, copy = _efs_folder(fs_id), _efs_point_folder(point_arn)
        size = 0
        if copy is not None:
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, copy, symlinks=True)
            else:
                copy.mkdir()
            size = sum(f.stat().st_size for f in copy.rglob("*") if f.is_file())
        now = datetime.now(UTC).timestamp()
        common = {
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "RecoveryPointArn": point_arn,
            "ResourceArn": arn,
            "ResourceType": "EFS",
            "ResourceName": fs_id,
            "IamRoleArn": body["IamRoleArn"],
            "CreationDate": now,
            "CompletionDate": now,
            "BackupSizeInBytes": size,
        }
        _backup_state(self)["points"][point_arn] = common | {
            "Status": "COMPLETED",
            "EncryptionKeyArn": vault.encryption_key_arn,
            "IsEncrypted": True,
            "Lifecycle": body.get("Lifecycle") or {},
        }
        job = {"BackupJobId": job_id, "State": "COMPLETED", "PercentDone": "100.0"}
        _backup_state(self)["jobs"][job_id] = common | job
        vault.num_of_recovery_points += 1
        answer = {"BackupJobId": job_id, "RecoveryPointArn": point_arn, "CreationDate": now, "IsParent": False}
        return json.dumps(answer)

    def start_restore_job(self):
        body = json.loads(self.body or "{}")
        point_arn, role = body.get("RecoveryPointArn", ""), body.get("IamRoleArn", "")
        restores, tokens = _backup_state(self)["restores"], _backup_state(self)["restore_tokens"]
        token = body.get("IdempotencyToken")
        if token and token in tokens:
            return json.dumps({"RestoreJobId": tokens[token]})
        if not point_arn or not role:
            raise error("MissingParameterValueException", "RecoveryPointArn and IamRoleArn are required", 400)
        point = _backup_state(self)["points"].get(point_arn)
        if point is None:
            raise error("ResourceNotFoundException", f"Recovery point {point_arn} not found", 404)
        if point["ResourceType"] != "EFS":
            raise error(
                "InvalidParameterValueException",
                f"the local emulator runs restore jobs of EFS recovery points only, not of {point_arn} "
                "(an RDS recovery point is a DB snapshot: RestoreDBInstanceFromDBSnapshot restores it)",
                400,
            )
        metadata = body.get("Metadata") or {}
        new = str(metadata.get("newFileSystem", "")).lower()
        if new not in ("true", "false") or not metadata.get("file-system-id"):
            raise error(
                "InvalidParameterValueException",
                "Metadata must give file-system-id and newFileSystem (true or false) to restore an EFS recovery point",
                400,
            )
        efs = efs_backends[self.current_account][self.region]
        if new == "true":
            target = efs.create_file_system(
                creation_token=metadata.get("CreationToken") or str(uuidlib.uuid4()),
                performance_mode=metadata.get("PerformanceMode") or "generalPurpose",
                encrypted=str(metadata.get("Encrypted", "false")).lower() == "true",
                kms_key_id=metadata.get("KmsKeyId"),
                throughput_mode="bursting",
                provisioned_throughput_in_mibps=None,
                availability_zone_name=None,
                backup=False,
                tags=[],
            )
        else:
            target = file_system(self, metadata["file-system-id"])
            if target is None:
                missing = metadata["file-system-id"]
                raise error("InvalidParameterValueException", f"File system {missing} not found", 400)
        now = datetime.now(UTC)
        copy, folder = _efs_point_folder(point_arn), _efs_folder(target.file_system_id)
        if copy is not None:
            stamp = now.strftime("%Y-%m-%dT%H-%M-%S-") + f"{now.microsecond * 1000:09d}Z"
            shutil.copytree(copy, folder / f"aws-backup-restore_{stamp}", symlinks=True)
        job_id = str(uuidlib.uuid4()).upper()
        vault = self.backup_backend.vaults.get(point["BackupVaultName"])
        restores[job_id] = {
            "AccountId": self.current_account,
            "RestoreJobId": job_id,
            "RecoveryPointArn": point_arn,
            "SourceResourceArn": point["ResourceArn"],
            "BackupVaultArn": vault.backup_vault_arn if vault else point["BackupVaultArn"],
            "CreationDate": now.timestamp(),
            "CompletionDate": now.timestamp(),
            "Status": "COMPLETED",
            "PercentDone": "100.00%",
            "BackupSizeInBytes": point["BackupSizeInBytes"],
            "IamRoleArn": role,
            "CreatedResourceArn": target.file_system_arn,
            "ResourceType": "EFS",
            "RecoveryPointCreationDate": point["CreationDate"],
        }
        if token:
            tokens[token] = job_id
        return json.dumps({"RestoreJobId": job_id})

    def describe_restore_job(self):
        job = _backup_state(self)["restores"].get(_backup_path_part(self, "/restore-jobs/"))
        if job is None:
            raise error("ResourceNotFoundException", "Restore job not found", 404)
        return json.dumps(job)

    original_delete_recovery_point = BackupResponse.delete_recovery_point

    @functools.wraps(original_delete_recovery_point)
    def delete_recovery_point(self):
        point = _backup_state(self)["points"].get(_backup_point_arn(self))
        if point is None or point["ResourceType"] != "EFS":
            return original_delete_recovery_point(self)
        vault, arn = _backup_point_in_path(self)
        copy = _efs_point_folder(arn)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)
        del _backup_state(self)["points"][arn]
        vault.num_of_recovery_points -= 1
        return "{}"

    BackupResponse.start_backup_job = start_backup_job
    BackupResponse.start_restore_job = start_restore_job
    BackupResponse.describe_restore_job = describe_restore_job
    BackupResponse.delete_recovery_point = delete_recovery_point


# -- Cognito ----------------------------------------------------------------------------

# AddUserPoolClientSecret: "Supports up to 2 active secrets per app client".
_COGNITO_CLIENT_SECRET_LIMIT = 2
# AddUserPoolClientSecret's ClientSecret: 24 to 64 characters, pattern [\w+]+ (Java's \w: ASCII).
_COGNITO_CLIENT_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_+]+")


@fix
def cognito_app_client_secret_rotation(pending):
    r"""AWS: an app client with a secret (a confidential client) holds up to 2 active client secrets,
    for rotation without downtime (Cognito API reference: AddUserPoolClientSecret,
    ListUserPoolClientSecrets, DeleteUserPoolClientSecret, ClientSecretDescriptorType).
    AddUserPoolClientSecret adds the ``ClientSecret`` given (24 to 64 characters of ``[\w+]``,
    else InvalidParameterException) or one Cognito generates, and answers its
    ``ClientSecretDescriptor``, with ``ClientSecretValue`` only when Cognito generated it; a third
    secret is LimitExceededException. ListUserPoolClientSecrets lists every secret's
    ``ClientSecretId`` (``<client-id>--<epoch-create-time>``) and ``ClientSecretCreateDate``,
    never a value; the secret the client was created with (``GenerateSecret``) is the first.
    DeleteUserPoolClientSecret deletes one, never the last. An unknown pool, client or secret
    id is ResourceNotFoundException. Every active secret signs a ``SECRET_HASH``; a deleted one
    no longer does. moto: none of the three actions (HTTP 500), one secret per client. Broke: the
    collection's cognito_user_pool_client_secret (day-2 rotation of the OAuth client secret).

    AWS does not document, so chosen here: deleting the last secret, and adding one to a client
    created without a secret (AWS: "an existing confidential user pool app client"), are
    InvalidParameterException; the epoch of an id is in milliseconds (unique per client).
    DescribeUserPoolClient keeps moto's behaviour: its ``ClientSecret`` is the secret the client was
    created with, even after that secret is deleted (AWS documents the field as "The app client
    secret" and says nothing of what it shows after a rotation)."""
    import string
    import weakref
    from datetime import UTC, datetime

    from moto.cognitoidp import models
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult
    from moto.moto_api._internal import mock_random

    # (client id, the secret moto gave it) -> the client: whose secrets sign a SECRET_HASH.
    confidential = weakref.WeakValueDictionary()

    def add_secret(client, value: str) -> dict:
        millis = int(time.time() * 1000)
        taken = {secret["ClientSecretId"] for secret in client._fix_secrets}
        while f"{client.id}--{millis}" in taken:
            millis += 1
        secret = {
            "ClientSecretId": f"{client.id}--{millis}",
            "ClientSecretValue": value,
            "ClientSecretCreateDate": datetime.fromtimestamp(millis / 1000, tz=UTC),
        }
        client._fix_secrets.append(secret)
        return secret

    def first_secret(client, *args, **kwargs):
        client._fix_secrets = []
        if client.generate_secret:
            add_secret(client, client.secret)
            confidential[(client.id, client.secret)] = client

    _wrap_init(models.CognitoIdpUserPoolClient, first_secret)

    def add_user_pool_client_secret(self, user_pool_id: str, client_id: str, client_secret: str | None):
        """(the new secret, whether Cognito generated it)."""
        if client_secret is not None:
            problem = None
            if len(client_secret) < 24:
                problem = "Member must have length greater than or equal to 24"
            elif len(client_secret) > 64:
                problem = "Member must have length less than or equal to 64"
            elif not _COGNITO_CLIENT_SECRET_PATTERN.fullmatch(client_secret):
                problem = r"Member must satisfy regular expression pattern: [\w+]+"
            if problem:
                raise InvalidParameterException(
                    f"1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: {problem}"
                )
        client = self.describe_user_pool_client(user_pool_id, client_id)  # ResourceNotFoundException
        if not client.generate_secret:
            raise InvalidParameterException(f"App client {client_id} has no client secret: it is a public client.")
        if len(client._fix_secrets) >= _COGNITO_CLIENT_SECRET_LIMIT:
            raise JsonRESTError(
                "LimitExceededException",
                f"App client {client_id} has {_COGNITO_CLIENT_SECRET_LIMIT} client secrets, the most it can have.",
            )
        if client_secret is not None:
            return add_secret(client, client_secret), False
        generated = "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _position in range(52))
        return add_secret(client, generated), True

    def list_user_pool_client_secrets(self, user_pool_id: str, client_id: str) -> list:
        return list(self.describe_user_pool_client(user_pool_id, client_id)._fix_secrets)

    def delete_user_pool_client_secret(self, user_pool_id: str, client_id: str, client_secret_id: str) -> None:
        client = self.describe_user_pool_client(user_pool_id, client_id)
        found = [secret for secret in client._fix_secrets if secret["ClientSecretId"] == client_secret_id]
        if not found:
            raise ResourceNotFoundError(f"Client secret {client_secret_id} does not exist.")
        if len(client._fix_secrets) == 1:
            raise InvalidParameterException(
                f"Client secret {client_secret_id} is the last secret of app client {client_id}: it cannot be deleted."
            )
        client._fix_secrets.remove(found[0])

    models.CognitoIdpBackend.add_user_pool_client_secret = add_user_pool_client_secret
    models.CognitoIdpBackend.list_user_pool_client_secrets = list_user_pool_client_secrets
    models.CognitoIdpBackend.delete_user_pool_client_secret = delete_user_pool_client_secret

    def add_user_pool_client_secret_action(self):
        secret, generated = self.backend.add_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecret")
        )
        shown = {k: v for k, v in secret.items() if generated or k != "ClientSecretValue"}
        return ActionResult({"ClientSecretDescriptor": shown})

    def list_user_pool_client_secrets_action(self):
        secrets = self.backend.list_user_pool_client_secrets(self._get_param("UserPoolId"), self._get_param("ClientId"))
        listed = [{k: secret[k] for k in ("ClientSecretId", "ClientSecretCreateDate")} for secret in secrets]
        return ActionResult({"ClientSecrets": listed})  # never a value; both secrets, no NextToken

    def delete_user_pool_client_secret_action(self):
        self.backend.delete_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecretId")
        )
        return EmptyResult()

    CognitoIdpResponse.add_user_pool_client_secret = add_user_pool_client_secret_action
    CognitoIdpResponse.list_user_pool_client_secrets = list_user_pool_client_secrets_action
    CognitoIdpResponse.delete_user_pool_client_secret = delete_user_pool_client_secret_action

    # moto checks a SECRET_HASH (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge) against
    # client.secret alone; models.py calls check_secret_hash through its module globals.
    check = models.check_secret_hash

    @functools.wraps(check)
    def check_secret_hash(app_client_secret, app_client_id, username, secret_hash):
        client = confidential.get((app_client_id, app_client_secret))
        if client is None:
            return check(app_client_secret, app_client_id, username, secret_hash)
        values = [secret["ClientSecretValue"] for secret in client._fix_secrets]
        return any(check(value, app_client_id, username, secret_hash) for value in values)

    models.check_secret_hash = check_secret_hash


# -- IAM enforcement (LocalServices(enforce_iam=N), tests/functional/test_deployer_policy.py) --


@fix
def iam_policy_resource_matches_requests_moto_cannot_name(pending):
    """AWS: a statement's Resource is matched against the ARN of the resource that the
    request acts on (``vpc/...``, ``cluster/...``, ``key/...``). moto, when it enforces IAM
    (``INITIAL_NO_AUTH_ACTION_COUNT``), names that ARN for S3, IAM, SQS and STS requests
    only and checks every other request against the resource ``*``, which only a
    statement with ``"Resource": "*"`` matches: a policy scoped to ARNs denies everything.
    Broke: proving docs/iam/deployer-policy.json (scoped to the stack) on the emulator.
    With the fix such a request matches any Resource: its action is still checked, its
    resource is not (nor are conditions, which moto never checks). IAM requests on a role
    that does not exist yet (CreateRole) name the role's ARN, as AWS does (moto: ``*``)."""
    from moto.iam.access_control import IAMPolicyStatement
    from moto.iam.exceptions import NotFoundException
    from moto.iam.responses import IamResponse

    def _resolve_resource_arn(self, role_name):
        try:
            return self.backend.get_role(role_name).arn
        except NotFoundException:
            return f"arn:{self.partition}:iam::{self.current_account}:role/{role_name}"

    IamResponse._resolve_resource_arn = _resolve_resource_arn
    original = IAMPolicyStatement._check_element_matches

    @functools.wraps(original)
    def _check_element_matches(self, statement_element, value):
        if statement_element == "Resource" and value == "*":
            return True
        return original(self, statement_element, value)

    IAMPolicyStatement._check_element_matches = _check_element_matches


# IAM action of an S3 bucket request, by method and query parameter (AWS's names; see
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
_S3_BUCKET_IAM_ACTIONS = {
    "HEAD": {"DEFAULT": "ListBucket"},
    "GET": {
        "publicAccessBlock": "GetBucketPublicAccessBlock",
        "encryption": "GetEncryptionConfiguration",
        "ownershipControls": "GetBucketOwnershipControls",
        "requestPayment": "GetBucketRequestPayment",
        "object-lock": "GetBucketObjectLockConfiguration",
        "replication": "GetReplicationConfiguration",
        "intelligent-tiering": "GetIntelligentTieringConfiguration",
        "inventory": "GetInventoryConfiguration",
        "metrics": "GetMetricsConfiguration",
        "analytics": "GetAnalyticsConfiguration",
    },
    "PUT": {
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "encryption": "PutEncryptionConfiguration",
        "ownershipControls": "PutBucketOwnershipControls",
        "requestPayment": "PutBucketRequestPayment",
        "object-lock": "PutBucketObjectLockConfiguration",
        "replication": "PutReplicationConfiguration",
    },
    "DELETE": {
        "publicAccessBlock": "PutBucketPublicAccessBlock",
        "encryption": "PutEncryptionConfiguration",
        "ownershipControls": "PutBucketOwnershipControls",
        "replication": "PutReplicationConfiguration",
    },
}


@fix
def s3_bucket_requests_are_authorized_as_their_iam_actions(pending):
    """AWS: an S3 bucket request is authorized as its IAM action: HeadBucket as
    ``s3:ListBucket``, Get/PutBucketEncryption as ``s3:Get/PutEncryptionConfiguration``,
    Get/PutPublicAccessBlock as ``s3:Get/PutBucketPublicAccessBlock``, ownership
    controls as ``s3:Get/PutBucketOwnershipControls``, ... moto (IAM enforcement): checks
    ``s3:HeadBucket`` (no such IAM action), and requests it has no entry for as the
    method's default: PutBucketEncryption or PutBucketOwnershipControls as
    ``s3:CreateBucket``, GetBucketEncryption as ``s3:ListBucket``. Broke: amazon.aws.s3_bucket
    under the deployer policy (denied at its first HeadBucket)."""
    from moto.s3 import responses

    for method, actions in _S3_BUCKET_IAM_ACTIONS.items():
        responses.ACTION_MAP["BUCKET"][method].update(actions)


@fix
def iam_signature_of_a_request_without_body(pending):
    """AWS: a request is signed over its method, path, query and body; a GET, HEAD or
    DELETE of a REST API (EFS DescribeFileSystems ``?CreationToken=...``, Backup
    ListBackupPlans, ...) has an empty body. moto (IAM enforcement): recomputes the
    signature with the parsed query parameters as the body, so every such request with
    a query string fails with SignatureDoesNotMatch, whatever the caller's policy. Broke:
    community.aws.efs / efs_info and the amazon.aws.backup_* modules under the deployer
    policy."""
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase._create_aws_request

    @functools.wraps(original)
    def _create_aws_request(self):
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)
        data, self._data = self._data, b""
        try:
            return original(self)
        finally:
            self._data = data

    IAMRequestBase._create_aws_request = _create_aws_request


# Signing name of a service -> its IAM service prefix, where the two differ.
_IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "tagging": "tag", "email": "ses"}


@fix
def iam_actions_use_the_iam_service_prefix(pending):
    """AWS: a request is authorized as ``<IAM service prefix>:<action>``: CloudWatch's
    PutMetricAlarm as ``cloudwatch:PutMetricAlarm``, the tagging API's GetResources as
    ``tag:GetResources``. moto (IAM enforcement): uses the request's signing name as the
    prefix (``monitoring:PutMetricAlarm``, ``tagging:GetResources``), which no valid
    policy names. Broke: amazon.aws.cloudwatch_metric_alarm and the collection's
    cloudwatch_dashboard under the deployer policy."""
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        prefix, _unused, action = self._action.partition(":")
        if prefix in _IAM_PREFIX_OF_SIGNING_NAME:
            self._action = f"{_IAM_PREFIX_OF_SIGNING_NAME[prefix]}:{action}"

    IAMRequestBase.__init__ = __init__


# -- S3 bucket policies ------------------------------------------------------------------


# The request context the emulator can vouch for: AWS's endpoints are HTTPS (the
# emulator's clients reach it through the project's TLS proxy or as if they did).
_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _like(pattern: str, value: str) -> bool:
    """IAM's ``StringLike``: ``*`` any run of characters, ``?`` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


_STRING_TESTS = {
    "StringEquals": lambda want, got: want == got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringLike": _like,
    "ArnEquals": lambda want, got: want == got,
    "ArnLike": _like,
    "Bool": lambda want, got: want.lower() == got.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(conditions: dict, context: dict) -> bool:
    """Whether a statement's ``Condition`` holds for a request with this context (AWS's
    rules: every operator block and every key in it must hold; a key holds when the
    request's value matches any of the listed values, or, for a negated operator, none
    of them). A key missing from the context makes its condition fail, except with
    ``...IfExists`` (holds) and ``Null`` (tests exactly that); an operator this
    evaluator does not know (``Numeric*``, ``Date*``, ``IpAddress``, ``ForAnyValue:``...)
    makes the condition fail, as does an unknown key."""
    for raw_operator, keys in conditions.items():
        operator = raw_operator[: -len("IfExists")] if raw_operator.endswith("IfExists") else raw_operator
        if_exists = operator != raw_operator
        if not isinstance(keys, dict):
            return False
        for key, wanted in keys.items():
            wanted = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
            present = key in context
            if operator == "Null" and not if_exists:
                if not any((w.lower() == "true") != present for w in wanted):
                    return False
                continue
            if not present:
                if if_exists:
                    continue
                return False
            got = str(context[key])
            if operator in _STRING_TESTS:
                holds = any(_STRING_TESTS[operator](w, got) for w in wanted)
            elif operator in _NEGATED:
                holds = not any(_STRING_TESTS[_NEGATED[operator]](w, got) for w in wanted)
            else:
                return False
            if not holds:
                return False
    return True


@fix
def bucket_policy_statement_with_unmet_condition_does_not_apply(pending):
    """AWS: a bucket policy statement applies to a request only when its ``Condition``
    holds in the request's context. moto: evaluates bucket policies without any
    condition context and ignores operators it does not know (``Bool``), so the
    statement applies anyway. Broke: the storage layer's TLS-only policy (``Deny`` when
    ``aws:SecureTransport`` is false) made moto refuse every object request: Open WebUI
    could not upload a file. With the fix, conditions are evaluated (``_condition_holds``)
    in the context of an HTTPS request (``_REQUEST_CONTEXT``), as every request to AWS's
    S3 endpoints the stack uses is: a ``Deny`` on ``aws:SecureTransport`` ``false`` does
    not apply, one on ``true`` does; a condition on a key the emulator cannot know
    does not hold. Statements that apply are handed to moto without their condition."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        applying = [
            {k: v for k, v in s.items() if k != "Condition"}
            for s in statements
            if _condition_holds(s.get("Condition") or {}, _REQUEST_CONTEXT)
        ]
        if not applying:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": applying})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


# -- ElastiCache replication groups and cache parameter groups, Application Auto Scaling's -------
# -- target tracking and the ECS service metrics (their own modules) ---------------------------
# Imported last: their fixes register after the ones above (the cache cluster fixes the
# replication groups build on); ``apply`` sets ``autoscaling.TIME_SCALE``.

from . import autoscaling, replication_groups  # noqa: E402, F401  # pylint: disable=unused-import,wrong-import-position
