#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_subnets
short_description: Manage the subnets of a VPC, their tags and public IP mapping, in one run
version_added: 0.2.0
description:
  - Creates, updates or deletes a set of subnets of one VPC in one module run. It makes one
    C(DescribeSubnets) call for the VPC, then only the calls that a difference needs.
  - A subnet is identified by its IPv4 CIDR block in the VPC (AWS refuses a second subnet with
    the same block). A subnet that an interrupted earlier run created, with or without its tags,
    is found again and completed, never created twice.
  - AWS cannot move a subnet to another availability zone. An existing subnet in another AZ
    than its entry's fails the run, naming it, before any change.
  - Unlike a loop of M(amazon.aws.ec2_vpc_subnet), it is one module run for all the subnets.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  vpc_id:
    description: ID of the VPC.
    type: str
    required: true
  subnets:
    description: The subnets, one entry each.
    type: list
    elements: dict
    required: true
    suboptions:
      cidr:
        description: The subnet's IPv4 CIDR block, which identifies it in the VPC.
        type: str
        required: true
      state:
        description:
          - Whether the subnet should exist.
          - V(absent) deletes it (AWS refuses while a network interface is still in it).
        type: str
        choices: [present, absent]
        default: present
      az:
        description:
          - The availability zone, for example V(eu-west-1a).
          - Required when O(subnets[].state=present).
        type: str
      name:
        description:
          - The subnet's C(Name) tag.
          - Required when O(subnets[].state=present).
        type: str
      map_public:
        description: Whether instances launched in the subnet get a public IPv4 address.
        type: bool
        default: false
      tags:
        description: Tags of this subnet only, added to O(tags) (and overriding a key of it).
        type: dict
        default: {}
  tags:
    description: Tags of every subnet of O(subnets) that should exist, besides its C(Name).
    type: dict
    default: {}
  purge_tags:
    description:
      - Whether to remove a subnet's tags that are neither in O(tags) nor in its entry's tags.
      - C(Name) is always set, and tags whose key starts with C(aws:) are never removed.
    type: bool
    default: true
  wait:
    description: Whether to wait until the subnets created are C(available).
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A public and a private subnet in each of two AZs
  ajudadigital.openwebui.vpc_subnets:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Stack: prod
    subnets:
      - {cidr: 10.0.0.0/24, az: eu-west-1a, name: prod-public-eu-west-1a, tags: {Tier: public}}
      - {cidr: 10.0.1.0/24, az: eu-west-1b, name: prod-public-eu-west-1b, tags: {Tier: public}}
      - {cidr: 10.0.10.0/24, az: eu-west-1a, name: prod-private-eu-west-1a, tags: {Tier: private}}
      - {cidr: 10.0.11.0/24, az: eu-west-1b, name: prod-private-eu-west-1b, tags: {Tier: private}}
  register: subnets

- name: Delete a subnet
  ajudadigital.openwebui.vpc_subnets:
    vpc_id: vpc-0123456789abcdef0
    subnets:
      - {cidr: 10.0.11.0/24, state: absent}
"""

RETURN = r"""
subnets:
  description:
    - The subnets that exist after the run, in the order of O(subnets).
    - Entries with O(subnets[].state=absent) are left out.
  returned: always
  type: list
  elements: dict
  contains:
    cidr:
      description: The subnet's IPv4 CIDR block.
      type: str
      sample: 10.0.0.0/24
    id:
      description: ID of the subnet (empty for a subnet created in check mode).
      type: str
      sample: subnet-0123456789abcdef0
    az:
      description: The subnet's availability zone.
      type: str
      sample: eu-west-1a
    name:
      description: The subnet's C(Name) tag.
      type: str
      sample: prod-public-eu-west-1a
    map_public:
      description: Whether instances launched in the subnet get a public IPv4 address.
      type: bool
      sample: false
    tags:
      description: The subnet's tags.
      type: dict
      sample: {Name: prod-public-eu-west-1a, Stack: prod, Tier: public}
created:
  description: CIDR blocks of the subnets created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [10.0.0.0/24]
updated:
  description: CIDR blocks of the existing subnets whose tags or public IP mapping changed.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: CIDR blocks of the subnets deleted.
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import ClientCalls
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client

SUBNET_OPTIONS = dict(
    cidr=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    az=dict(type="str"),
    name=dict(type="str"),
    map_public=dict(type="bool", default=False),
    tags=dict(type="dict", default={}),
)


def check_subnets(entries):
    """An error message naming the option, or None."""
    cidrs = set()
    for index, entry in enumerate(entries):
        where = "subnets[{0}] ({1})".format(index, entry["cidr"])
        if entry["cidr"] in cidrs:
            return "{0}: the CIDR block appears more than once in subnets".format(where)
        cidrs.add(entry["cidr"])
        if entry["state"] != "present":
            continue
        missing = [key for key in ("az", "name") if not entry.get(key)]
        if missing:
            return "{0}: {1} needed when state is present".format(where, " and ".join(missing))
    return None


def subnet_tags(described):
    return dict((t["Key"], t["Value"]) for t in described.get("Tags", []))


def wanted_tags(entry, tags):
    """The tags an entry's subnet should have: O(tags), the entry's own, its Name."""
    found = dict(tags)
    found.update((str(k), str(v)) for k, v in entry["tags"].items())
    found["Name"] = entry["name"]
    return found


def by_cidr(subnets):
    return dict((s["CidrBlock"], s) for s in subnets)


def plan_subnet(entry, existing, tags, purge_tags):
    """What to change on an existing subnet: a dict of the steps (empty: none)."""
    want, have = wanted_tags(entry, tags), subnet_tags(existing)
    steps = {}
    set_tags = dict((k, v) for k, v in want.items() if have.get(k) != v)
    if set_tags:
        steps["set_tags"] = set_tags
    if purge_tags:
        drop_tags = sorted(k for k in have if k not in want and not k.startswith("aws:"))
        if drop_tags:
            steps["drop_tags"] = drop_tags
    if bool(existing.get("MapPublicIpOnLaunch")) != entry["map_public"]:
        steps["map_public"] = entry["map_public"]
    return steps


def as_tag_list(tags):
    return [dict(Key=k, Value=v) for k, v in sorted(tags.items())]


def summary(cidr, subnet_id, az, map_public, tags):
    return dict(cidr=cidr, id=subnet_id, az=az, name=tags.get("Name", ""), map_public=map_public, tags=tags)


def described_summary(subnet):
    return summary(
        subnet["CidrBlock"],
        subnet["SubnetId"],
        subnet["AvailabilityZone"],
        bool(subnet.get("MapPublicIpOnLaunch")),
        subnet_tags(subnet),
    )


def wanted_summary(entry, existing, tags, purge_tags=True):
    """The subnet as the run leaves it: with purge_tags=false, its other tags stay."""
    all_tags = {} if purge_tags or not existing else subnet_tags(existing)
    all_tags.update(wanted_tags(entry, tags))
    return summary(
        entry["cidr"],
        existing["SubnetId"] if existing else "",
        entry["az"],
        entry["map_public"],
        all_tags,
    )


class Subnets(ClientCalls):
    def __init__(self, module):
        self.module = module
        self.client = aws_client(module, "ec2", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self, vpc_id):
        try:
            pages = paginate(self.client, "describe_subnets", Filters=[dict(Name="vpc-id", Values=[vpc_id])])
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to describe the subnets of {0}".format(vpc_id))
        return pages.get("Subnets", [])

    def create(self, vpc_id, entry, tags):
        spec = [dict(ResourceType="subnet", Tags=as_tag_list(wanted_tags(entry, tags)))]
        created = self.call(
            "create_subnet",
            "create the subnet {0} ({1})".format(entry["cidr"], entry["name"]),
            VpcId=vpc_id,
            CidrBlock=entry["cidr"],
            AvailabilityZone=entry["az"],
            TagSpecifications=spec,
        )["Subnet"]
        if entry["map_public"]:
            self.map_public(created["SubnetId"], True)
        return created

    def map_public(self, subnet_id, value):
        self.call(
            "modify_subnet_attribute",
            "set map_public of " + subnet_id,
            SubnetId=subnet_id,
            MapPublicIpOnLaunch=dict(Value=value),
        )

    def update(self, subnet_id, steps):
        if steps.get("set_tags"):
            self.call("create_tags", "tag " + subnet_id, Resources=[subnet_id], Tags=as_tag_list(steps["set_tags"]))
        if steps.get("drop_tags"):
            self.call(
                "delete_tags",
                "untag " + subnet_id,
                Resources=[subnet_id],
                Tags=[dict(Key=k) for k in steps["drop_tags"]],
            )
        if "map_public" in steps:
            self.map_public(subnet_id, steps["map_public"])

    def wait_available(self, subnet_ids, timeout):
        delay = 5
        try:
            self.client.get_waiter("subnet_available").wait(
                SubnetIds=subnet_ids, WaiterConfig=dict(Delay=delay, MaxAttempts=max(1, timeout // delay))
            )
        except (BotoCoreError, ClientError, WaiterError) as e:
            self.module.fail_json_aws(e, msg="Failed waiting for the subnets {0}".format(", ".join(subnet_ids)))


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        subnets=dict(type="list", elements="dict", required=True, options=SUBNET_OPTIONS),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    entries = params["subnets"]
    error = check_subnets(entries)
    if error:
        module.fail_json(msg=error)
    tags = dict((str(k), str(v)) for k, v in params["tags"].items() if k != "Name")
    vpc_id = params["vpc_id"]

    api = Subnets(module)
    found = original = by_cidr(api.describe(vpc_id))
    elsewhere = [
        "{0} ({1} is in {2}, not {3})".format(
            e["cidr"], found[e["cidr"]]["SubnetId"], found[e["cidr"]]["AvailabilityZone"], e["az"]
        )
        for e in entries
        if e["state"] == "present" and e["cidr"] in found and found[e["cidr"]]["AvailabilityZone"] != e["az"]
    ]
    if elsewhere:
        module.fail_json(
            msg="AWS cannot move a subnet to another AZ: {0}; delete the subnet or change its entry".format(
                "; ".join(elsewhere)
            )
        )

    created, updated, deleted, plans = [], [], [], {}
    for entry in entries:
        existing = found.get(entry["cidr"])
        if entry["state"] == "absent":
            if existing:
                deleted.append(entry["cidr"])
            continue
        if existing is None:
            created.append(entry["cidr"])
            continue
        steps = plan_subnet(entry, existing, tags, params["purge_tags"])
        if steps:
            plans[entry["cidr"]] = steps
            updated.append(entry["cidr"])

    if not module.check_mode and (created or updated or deleted):
        pending = []
        for entry in entries:
            if entry["cidr"] in created:
                subnet = api.create(vpc_id, entry, tags)
                if subnet.get("State") != "available":
                    pending.append(subnet["SubnetId"])
            elif entry["cidr"] in updated:
                api.update(found[entry["cidr"]]["SubnetId"], plans[entry["cidr"]])
            elif entry["cidr"] in deleted:
                subnet_id = found[entry["cidr"]]["SubnetId"]
                api.call(
                    "delete_subnet", "delete the subnet {0} ({1})".format(entry["cidr"], subnet_id), SubnetId=subnet_id
                )
        if pending and params["wait"]:
            api.wait_available(pending, params["wait_timeout"])
        found = by_cidr(api.describe(vpc_id))

    results = []
    for entry in entries:
        if entry["state"] != "present":
            continue
        existing = found.get(entry["cidr"])
        if existing and not (module.check_mode and entry["cidr"] in updated):
            results.append(described_summary(existing))
        else:
            results.append(wanted_summary(entry, existing, tags, params["purge_tags"]))
    result = dict(
        changed=bool(created or updated or deleted),
        subnets=results,
        created=created,
        updated=updated,
        deleted=deleted,
    )
    if module._diff:
        before, after = {}, {}
        for entry in entries:
            cidr = entry["cidr"]
            if cidr not in created + updated + deleted:
                continue
            existing = original.get(cidr)
            if existing:
                before[cidr] = described_summary(existing)
            if entry["state"] == "present":
                after[cidr] = wanted_summary(entry, existing, tags, params["purge_tags"])
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
