#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_security_groups
short_description: Manage a chain of VPC security groups and their rules in one run
version_added: 0.2.0
description:
  - Creates, updates or deletes a set of security groups of one VPC, and every rule of each, in one
    module run. Groups of the set may name each other in their rules (a load balancer group to the
    app group, the app group to the data groups); the module creates the missing groups first, then
    sets the rules, so one run builds the whole chain.
  - A group is identified by its name in the VPC. Its ingress and egress rules are exactly the
    listed ones; others are revoked (a new group's default allow-all egress too, unless listed).
    A rule whose description alone differs gets the new description in place, never revoked.
  - AWS cannot change a group's description. When an existing group's description differs, the
    run fails naming the group, before any change.
  - Unlike M(amazon.aws.ec2_security_group), it does not sleep after creating a group; it reads the
    groups back once after creating them and once at the end.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  vpc_id:
    description: ID of the VPC.
    type: str
    required: true
  security_groups:
    description: The security groups, one entry each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the group (its C(GroupName), also its C(Name) tag).
        type: str
        required: true
      state:
        description:
          - Whether the group should exist.
          - V(absent) revokes its rules and deletes it (groups that still reference it make AWS refuse).
        type: str
        choices: [present, absent]
        default: present
      description:
        description: Description of the group. Required when O(security_groups[].state=present).
        type: str
      ingress:
        description: The group's inbound rules.
        type: list
        elements: dict
        default: []
        suboptions: &rule
          proto:
            description: Protocol (V(all) or V(-1) for every protocol, then no ports).
            type: str
            default: tcp
          ports:
            description:
              - Ports (or C(from-to) ranges) the rule opens; one rule per port.
              - Required unless O(security_groups[].ingress[].proto) is V(all).
            type: list
            elements: raw
            default: []
          cidr_ip:
            description: IPv4 CIDR blocks (one rule each).
            type: list
            elements: str
            default: []
          cidr_ipv6:
            description: IPv6 CIDR blocks (one rule each).
            type: list
            elements: str
            default: []
          group:
            description: A security group, by its name (of this set or of the VPC) or its ID.
            type: str
          description:
            description: Description of the rule.
            type: str
            default: ""
      egress:
        description: The group's outbound rules (the same keys as O(security_groups[].ingress)).
        type: list
        elements: dict
        default: []
        suboptions: *rule
  tags:
    description: Tags of every group of O(security_groups) that should exist, besides its C(Name).
    type: dict
    default: {}
  purge_tags:
    description: Whether to remove a group's tags that are not in O(tags) (C(Name) is always kept).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Load balancer -> app -> database, in one run
  ajudadigital.openwebui.vpc_security_groups:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Stack: prod
    security_groups:
      - name: prod-alb
        description: Load balancer (HTTPS from the internet)
        ingress:
          - ports: [443]
            cidr_ip: [0.0.0.0/0]
            description: HTTPS from the internet
        egress:
          - ports: [8080]
            group: prod-app
      - name: prod-app
        description: Open WebUI tasks
        ingress:
          - ports: [8080]
            group: prod-alb
        egress:
          - ports: [443]
            cidr_ip: [0.0.0.0/0]
          - ports: [5432]
            group: prod-database
      - name: prod-database
        description: PostgreSQL (from the app only)
        ingress:
          - ports: [5432]
            group: prod-app
"""

RETURN = r"""
security_groups:
  description: The groups that exist after the run, in the order of O(security_groups).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: prod-app
    id:
      description: ID of the group (empty for a group created in check mode).
      type: str
      sample: sg-0123456789abcdef0
    ingress:
      description: The inbound rules, one per port and target (C(target) is a CIDR block or a group ID).
      type: list
      elements: dict
      sample: [{proto: tcp, from_port: 8080, to_port: 8080, target: sg-0123456789abcdef1, description: ""}]
    egress:
      description: The outbound rules, in the same shape.
      type: list
      elements: dict
      sample: []
created:
  description: Names of the groups created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [prod-app]
updated:
  description: Names of the existing groups whose rules or tags changed.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the groups deleted.
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import ClientCalls
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RULE_OPTIONS = dict(
    proto=dict(type="str", default="tcp"),
    ports=dict(type="list", elements="raw", default=[]),
    cidr_ip=dict(type="list", elements="str", default=[]),
    cidr_ipv6=dict(type="list", elements="str", default=[]),
    group=dict(type="str"),
    description=dict(type="str", default=""),
)
GROUP_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    description=dict(type="str"),
    ingress=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
    egress=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
)
DIRECTIONS = ("ingress", "egress")
PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}
# A reference to a group of this run that check mode has not created.
NEW = "(new) "


class RuleError(ValueError):
    pass


def parse_ports(proto, ports):
    """[(from, to)] of a rule's ports; [(None, None)] for every protocol."""
    if proto == "-1":
        if ports:
            raise RuleError("proto all takes no ports")
        return [(None, None)]
    if not ports:
        raise RuleError("ports required for proto {0}".format(proto))
    ranges = []
    for port in ports:
        text = str(port).strip()
        low, high = text.split("-", 1) if "-" in text[1:] else (text, "")
        try:
            low_n, high_n = int(low), int(high or low)
        except ValueError:
            raise RuleError("port {0!r} is not a number or a from-to range".format(port)) from None
        if proto in ("tcp", "udp") and not (0 <= low_n <= high_n <= 65535):
            raise RuleError("port {0!r} is outside 0-65535 or its range is reversed".format(port))
        ranges.append((low_n, high_n))
    return ranges


def expand(rule):
    """The rule as tuples (proto, from, to, kind, target, description); kind: ipv4, ipv6, group."""
    proto = PROTOCOLS.get(str(rule["proto"]).lower())
    if proto is None:
        raise RuleError("proto must be one of {0}, got {1!r}".format(", ".join(sorted(PROTOCOLS)), rule["proto"]))
    targets = [("ipv4", c) for c in rule["cidr_ip"]] + [("ipv6", c) for c in rule["cidr_ipv6"]]
    if rule.get("group"):
        targets.append(("group", rule["group"]))
    if not targets:
        raise RuleError("needs a target: cidr_ip, cidr_ipv6 or group")
    return [
        (proto, low, high, kind, target, rule["description"] or "")
        for low, high in parse_ports(proto, rule["ports"])
        for kind, target in targets
    ]


def check_groups(groups):
    """An error message naming the option, or None."""
    seen = set()
    for index, group in enumerate(groups):
        where = "security_groups[{0}] ({1})".format(index, group["name"])
        if group["name"] in seen:
            return "{0}: the name appears more than once in security_groups".format(where)
        seen.add(group["name"])
        if group["state"] != "present":
            continue
        if not group.get("description"):
            return "{0}: description required when state=present".format(where)
        for direction in DIRECTIONS:
            for r_index, rule in enumerate(group[direction]):
                try:
                    expand(rule)
                except RuleError as e:
                    return "{0}: {1}[{2}]: {3}".format(where, direction, r_index, e)
    return None


def current_rules(permissions):
    """Tuples (proto, from, to, kind, target, description) of a group's IpPermissions."""
    rules = set()
    for p in permissions or []:
        proto = PROTOCOLS.get(str(p.get("IpProtocol")), str(p.get("IpProtocol")))
        low, high = (None, None) if proto == "-1" else (p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            rules.add((proto, low, high, "ipv4", r["CidrIp"], r.get("Description") or ""))
        for r in p.get("Ipv6Ranges", []):
            rules.add((proto, low, high, "ipv6", r["CidrIpv6"], r.get("Description") or ""))
        for r in p.get("UserIdGroupPairs", []):
            rules.add((proto, low, high, "group", r["GroupId"], r.get("Description") or ""))
        for r in p.get("PrefixListIds", []):
            rules.add((proto, low, high, "prefix", r["PrefixListId"], r.get("Description") or ""))
    return rules


def permission(rule):
    """One IpPermissions entry for a rule tuple."""
    proto, low, high, kind, target, description = rule
    entry = dict(IpProtocol=proto)
    if proto != "-1":
        entry.update(FromPort=low, ToPort=high)
    item = dict(Description=description) if description else {}
    if kind == "ipv4":
        entry["IpRanges"] = [dict(item, CidrIp=target)]
    elif kind == "ipv6":
        entry["Ipv6Ranges"] = [dict(item, CidrIpv6=target)]
    elif kind == "group":
        entry["UserIdGroupPairs"] = [dict(item, GroupId=target)]
    else:
        entry["PrefixListIds"] = [dict(item, PrefixListId=target)]
    return entry


def rule_diff(current, desired):
    """(to add, to revoke, to re-describe) between two sets of rule tuples."""
    current_keys = dict((r[:5], r) for r in current)
    desired_keys = dict((r[:5], r) for r in desired)
    add = sorted((r for k, r in desired_keys.items() if k not in current_keys), key=str)
    revoke = sorted((r for k, r in current_keys.items() if k not in desired_keys), key=str)
    describe = sorted((r for k, r in desired_keys.items() if k in current_keys and current_keys[k] != r), key=str)
    return add, revoke, describe


def as_dicts(rules):
    return [
        dict(proto=r[0], from_port=r[1], to_port=r[2], target=r[4], description=r[5]) for r in sorted(rules, key=str)
    ]


def group_tags(group):
    return dict((t["Key"], t["Value"]) for t in group.get("Tags", []))


class SecurityGroups(ClientCalls):
    def __init__(self, module):
        self.module = module
        self.client = aws_client(module, "ec2", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self, vpc_id, names):
        """Name -> group, for the groups of the VPC with one of the names."""
        if not names:
            return {}
        try:
            filters = [dict(Name="vpc-id", Values=[vpc_id]), dict(Name="group-name", Values=sorted(names))]
            pages = paginate(self.client, "describe_security_groups", Filters=filters)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to describe the security groups of {0}".format(vpc_id))
        return dict((g["GroupName"], g) for g in pages.get("SecurityGroups", []))


def referenced_names(groups):
    return set(
        rule["group"]
        for g in groups
        if g["state"] == "present"
        for direction in DIRECTIONS
        for rule in g[direction]
        if rule.get("group") and not rule["group"].startswith("sg-")
    )


def desired_rules(group, ids, direction):
    """The group's rules of one direction, with group names resolved to IDs (NEW + name if unknown)."""
    rules = set()
    for rule in group[direction]:
        for proto, low, high, kind, target, description in expand(rule):
            if kind == "group" and not target.startswith("sg-"):
                target = ids.get(target) or NEW + target
            rules.add((proto, low, high, kind, target, description))
    return rules


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        security_groups=dict(type="list", elements="dict", required=True, options=GROUP_OPTIONS),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    groups = params["security_groups"]
    error = check_groups(groups)
    if error:
        module.fail_json(msg=error)
    vpc_id = params["vpc_id"]
    tags = dict((str(k), str(v)) for k, v in params["tags"].items() if k != "Name")

    api = SecurityGroups(module)
    names = set(g["name"] for g in groups) | referenced_names(groups)
    existing = api.describe(vpc_id, names)
    set_names = set(g["name"] for g in groups if g["state"] == "present")
    unknown = sorted(n for n in referenced_names(groups) if n not in existing and n not in set_names)
    if unknown:
        module.fail_json(
            msg="rules name security groups that are neither in security_groups nor in {0}: {1}".format(
                vpc_id, ", ".join(unknown)
            )
        )
    fixed = [
        "{0} (has {1!r}, wants {2!r})".format(g["name"], existing[g["name"]].get("Description"), g["description"])
        for g in groups
        if g["state"] == "present"
        and g["name"] in existing
        and existing[g["name"]].get("Description") != g["description"]
    ]
    if fixed:
        module.fail_json(
            msg="AWS cannot change a security group's description: {0}; keep the description, or delete the group "
            "and run again".format("; ".join(fixed))
        )

    created = [g["name"] for g in groups if g["state"] == "present" and g["name"] not in existing]
    deleted = [g["name"] for g in groups if g["state"] == "absent" and g["name"] in existing]
    original = existing
    if created and not module.check_mode:
        for group in groups:
            if group["name"] not in created:
                continue
            all_tags = dict(tags, Name=group["name"])
            spec = [
                dict(ResourceType="security-group", Tags=[dict(Key=k, Value=v) for k, v in sorted(all_tags.items())])
            ]
            api.call(
                "create_security_group",
                "create the security group " + group["name"],
                GroupName=group["name"],
                Description=group["description"],
                VpcId=vpc_id,
                TagSpecifications=spec,
            )
        existing = api.describe(vpc_id, names)
    ids = dict((n, g["GroupId"]) for n, g in existing.items())

    updated, plans = [], {}
    for group in groups:
        if group["state"] != "present":
            continue
        found = existing.get(group["name"])
        steps = {}
        for direction in DIRECTIONS:
            key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
            # A group check mode would create has AWS's default egress rule (all to 0.0.0.0/0).
            have = (
                current_rules(found.get(key))
                if found
                else (set([("-1", None, None, "ipv4", "0.0.0.0/0", "")]) if direction == "egress" else set())
            )
            add, revoke, describe = rule_diff(have, desired_rules(group, ids, direction))
            if add or revoke or describe:
                steps[direction] = (add, revoke, describe)
        have_tags = group_tags(found) if found else dict(tags, Name=group["name"])
        want_tags = dict(tags, Name=group["name"])
        set_tags = dict((k, v) for k, v in want_tags.items() if have_tags.get(k) != v)
        drop_tags = sorted(k for k in have_tags if k not in want_tags) if params["purge_tags"] else []
        if set_tags or drop_tags:
            steps["tags"] = (set_tags, drop_tags)
        plans[group["name"]] = steps
        if steps and group["name"] not in created:
            updated.append(group["name"])

    if not module.check_mode:
        for group in groups:
            steps = plans.get(group["name"], {})
            group_id = ids.get(group["name"])
            for direction in DIRECTIONS:
                if direction not in steps:
                    continue
                add, revoke, describe = steps[direction]
                suffix = "ingress" if direction == "ingress" else "egress"
                what = "{0} rules of {1}".format(direction, group["name"])
                if revoke:
                    api.call(
                        "revoke_security_group_" + suffix,
                        "revoke " + what,
                        GroupId=group_id,
                        IpPermissions=[permission(r) for r in revoke],
                    )
                if add:
                    api.call(
                        "authorize_security_group_" + suffix,
                        "authorize " + what,
                        GroupId=group_id,
                        IpPermissions=[permission(r) for r in add],
                    )
                if describe:
                    api.call(
                        "update_security_group_rule_descriptions_" + suffix,
                        "describe " + what,
                        GroupId=group_id,
                        IpPermissions=[permission(r) for r in describe],
                    )
            if "tags" in steps:
                set_tags, drop_tags = steps["tags"]
                if set_tags:
                    api.call(
                        "create_tags",
                        "tag " + group_id,
                        Resources=[group_id],
                        Tags=[dict(Key=k, Value=v) for k, v in sorted(set_tags.items())],
                    )
                if drop_tags:
                    api.call(
                        "delete_tags", "untag " + group_id, Resources=[group_id], Tags=[dict(Key=k) for k in drop_tags]
                    )
        for name in deleted:
            group = existing[name]
            for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
                rules = current_rules(group.get(key))
                if rules:
                    api.call(
                        "revoke_security_group_" + direction,
                        "revoke the {0} rules of {1}".format(direction, name),
                        GroupId=group["GroupId"],
                        IpPermissions=[permission(r) for r in rules],
                    )
            api.call("delete_security_group", "delete the security group " + name, GroupId=group["GroupId"])
        if created or updated or deleted:
            existing = api.describe(vpc_id, names)

    results = []
    for group in groups:
        if group["state"] != "present":
            continue
        found = existing.get(group["name"])
        if found and not module.check_mode:
            ingress, egress = current_rules(found.get("IpPermissions")), current_rules(found.get("IpPermissionsEgress"))
        else:
            ingress, egress = desired_rules(group, ids, "ingress"), desired_rules(group, ids, "egress")
        results.append(
            dict(
                name=group["name"],
                id=found["GroupId"] if found else "",
                description=group["description"],
                ingress=as_dicts(ingress),
                egress=as_dicts(egress),
            )
        )
    result = dict(
        changed=bool(created or updated or deleted),
        security_groups=results,
        created=created,
        updated=updated,
        deleted=deleted,
    )
    if module._diff:
        before, after = {}, {}
        for group in groups:
            name = group["name"]
            if name not in created + updated + deleted:
                continue
            old = original.get(name)
            if old:
                before[name] = dict(
                    ingress=as_dicts(current_rules(old.get("IpPermissions"))),
                    egress=as_dicts(current_rules(old.get("IpPermissionsEgress"))),
                    tags=group_tags(old),
                )
            if group["state"] == "present":
                after[name] = dict(
                    ingress=as_dicts(desired_rules(group, ids, "ingress")),
                    egress=as_dicts(desired_rules(group, ids, "egress")),
                    tags=dict(tags, Name=name),
                )
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
