#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_route_tables
short_description: Manage the route tables of a VPC, their routes and subnet associations, in one run
version_added: 0.2.0
description:
  - Creates, updates or deletes a set of route tables of one VPC in one module run. It makes one
    C(DescribeRouteTables) call for the VPC, then only the calls that a difference needs.
  - A route table is identified by its C(Name) tag in the VPC. Two tables of the VPC with the
    same name fail the run, naming both, before any change.
  - Routes are IPv4 destinations to an internet gateway or a NAT gateway. The table's C(local)
    route is never touched; with O(purge_routes=true), other routes that the table has and the
    entry does not list are removed.
  - A listed subnet associated with another route table is moved to this one
    (C(ReplaceRouteTableAssociation)); with O(purge_subnets=true), subnets associated with the
    table and not listed go back to the VPC's main route table.
  - Unlike M(amazon.aws.ec2_vpc_route_table), it does not sleep after a change; it reads the
    tables back once at the end.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  vpc_id:
    description: ID of the VPC.
    type: str
    required: true
  route_tables:
    description: The route tables, one entry each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The table's C(Name) tag.
        type: str
        required: true
      state:
        description:
          - Whether the table should exist.
          - V(absent) disassociates its subnets and deletes it.
        type: str
        choices: [present, absent]
        default: present
      subnets:
        description: IDs of the subnets associated with the table.
        type: list
        elements: str
        default: []
      routes:
        description: The table's routes, besides the C(local) one.
        type: list
        elements: dict
        default: []
        suboptions:
          dest:
            description: Destination IPv4 CIDR block.
            type: str
            required: true
          gateway_id:
            description:
              - ID of an internet gateway.
              - Exactly one of O(route_tables[].routes[].gateway_id) and O(route_tables[].routes[].nat_gateway_id).
            type: str
          nat_gateway_id:
            description: ID of a NAT gateway.
            type: str
  tags:
    description: Tags of every table of O(route_tables) that should exist, besides its C(Name).
    type: dict
    default: {}
  purge_tags:
    description: Whether to remove a table's tags that are not in O(tags) (C(Name) is always kept).
    type: bool
    default: true
  purge_routes:
    description: Whether to remove a table's routes that its entry does not list.
    type: bool
    default: true
  purge_subnets:
    description: Whether to disassociate a table's subnets that its entry does not list.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The public table to the internet gateway, one private table per AZ to its NAT gateway
  ajudadigital.openwebui.vpc_route_tables:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Stack: prod
    route_tables:
      - name: prod-public
        subnets: [subnet-0aaa, subnet-0bbb]
        routes:
          - dest: 0.0.0.0/0
            gateway_id: igw-0123456789abcdef0
      - name: prod-private-eu-west-1a
        subnets: [subnet-0ccc]
        routes:
          - dest: 0.0.0.0/0
            nat_gateway_id: nat-0123456789abcdef0
      - name: prod-database
        subnets: [subnet-0ddd, subnet-0eee]
"""

RETURN = r"""
route_tables:
  description: The tables that exist after the run, in the order of O(route_tables).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The table's C(Name) tag.
      type: str
      sample: prod-public
    id:
      description: ID of the table (empty for a table created in check mode).
      type: str
      sample: rtb-0123456789abcdef0
    subnets:
      description: IDs of the subnets associated with the table.
      type: list
      elements: str
      sample: [subnet-0aaa, subnet-0bbb]
    routes:
      description: The table's routes besides the C(local) one, as O(route_tables[].routes) gives them.
      type: list
      elements: dict
      sample: [{dest: 0.0.0.0/0, gateway_id: igw-0123456789abcdef0}]
    tags:
      description: The table's tags.
      type: dict
      sample: {Name: prod-public, Stack: prod}
created:
  description: Names of the tables created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [prod-public]
updated:
  description: Names of the existing tables whose routes, subnets or tags changed.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the tables deleted.
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

ROUTE_OPTIONS = dict(
    dest=dict(type="str", required=True),
    gateway_id=dict(type="str"),
    nat_gateway_id=dict(type="str"),
)
TABLE_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    subnets=dict(type="list", elements="str", default=[]),
    routes=dict(type="list", elements="dict", default=[], options=ROUTE_OPTIONS),
)
TARGETS = ("gateway_id", "nat_gateway_id")
# Routes a table gets without CreateRoute: never compared, never purged.
PASSIVE_ORIGINS = ("CreateRouteTable", "EnableVgwRoutePropagation")


def check_tables(tables):
    """An error message naming the option, or None."""
    names, subnets = set(), {}
    for index, table in enumerate(tables):
        where = "route_tables[{0}] ({1})".format(index, table["name"])
        if table["name"] in names:
            return "{0}: the name appears more than once in route_tables".format(where)
        names.add(table["name"])
        if table["state"] != "present":
            continue
        dests = set()
        for r_index, route in enumerate(table["routes"]):
            targets = [key for key in TARGETS if route.get(key)]
            if len(targets) != 1:
                return "{0}: routes[{1}] ({2}) needs exactly one of gateway_id, nat_gateway_id".format(
                    where, r_index, route["dest"]
                )
            if route["dest"] in dests:
                return "{0}: routes[{1}]: the destination {2} appears more than once".format(
                    where, r_index, route["dest"]
                )
            dests.add(route["dest"])
        for subnet in table["subnets"]:
            if subnet in subnets:
                return "{0}: the subnet {1} is also listed for {2} (a subnet has one route table)".format(
                    where, subnet, subnets[subnet]
                )
            subnets[subnet] = table["name"]
    return None


def desired_routes(table):
    """Destination -> (target key, target ID) of an entry's routes."""
    found = {}
    for route in table["routes"]:
        key = "gateway_id" if route.get("gateway_id") else "nat_gateway_id"
        found[route["dest"]] = (key, route[key])
    return found


def current_routes(described):
    """Destination -> (target key, target ID) of a table's IPv4 routes besides local ones."""
    found = {}
    for route in described.get("Routes", []):
        dest = route.get("DestinationCidrBlock")
        # Skipped: the local route, propagated routes, prefix-list routes of gateway endpoints.
        if not dest or route.get("GatewayId") == "local" or route.get("Origin") in PASSIVE_ORIGINS:
            continue
        if route.get("NatGatewayId"):
            found[dest] = ("nat_gateway_id", route["NatGatewayId"])
        elif route.get("GatewayId"):
            found[dest] = ("gateway_id", route["GatewayId"])
        else:
            # Another kind of target (VPC endpoint, peering, ...): listed so that purge removes it.
            found[dest] = ("other", "")
    return found


def table_tags(described):
    return dict((t["Key"], t["Value"]) for t in described.get("Tags", []))


def associations(described):
    """Subnet ID -> association ID of a table's subnet associations."""
    return dict(
        (a["SubnetId"], a["RouteTableAssociationId"])
        for a in described.get("Associations", [])
        if a.get("SubnetId") and not a.get("Main")
    )


def as_routes(routes):
    return [dict([("dest", dest), (key, target)]) for dest, (key, target) in sorted(routes.items())]


class RouteTables(ClientCalls):
    def __init__(self, module):
        self.module = module
        self.client = aws_client(module, "ec2", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self, vpc_id):
        try:
            pages = paginate(self.client, "describe_route_tables", Filters=[dict(Name="vpc-id", Values=[vpc_id])])
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to describe the route tables of {0}".format(vpc_id))
        return pages.get("RouteTables", [])


def by_name(tables):
    """Name tag -> the tables of that name."""
    found = {}
    for table in tables:
        name = table_tags(table).get("Name")
        if name:
            found.setdefault(name, []).append(table)
    return found


def plan_table(entry, existing, tags, params, claimed):
    """What to change on one table that should exist: a dict of the steps (empty: none)."""
    want_tags = dict(tags, Name=entry["name"])
    have_tags = table_tags(existing) if existing else {}
    steps = {}
    set_tags = dict((k, v) for k, v in want_tags.items() if have_tags.get(k) != v)
    drop_tags = sorted(k for k in have_tags if k not in want_tags) if params["purge_tags"] else []
    if set_tags and existing:
        steps["set_tags"] = set_tags
    if drop_tags:
        steps["drop_tags"] = drop_tags
    want, have = desired_routes(entry), current_routes(existing) if existing else {}
    add = dict((d, t) for d, t in want.items() if d not in have)
    replace = dict((d, t) for d, t in want.items() if d in have and have[d] != t)
    remove = sorted(d for d in have if d not in want) if params["purge_routes"] else []
    if add:
        steps["add_routes"] = add
    if replace:
        steps["replace_routes"] = replace
    if remove:
        steps["remove_routes"] = remove
    have_subnets = associations(existing) if existing else {}
    associate = [s for s in entry["subnets"] if s not in have_subnets]
    if associate:
        steps["associate"] = associate
    if params["purge_subnets"]:
        leaving = sorted(s for s in have_subnets if s not in entry["subnets"])
        # A subnet another entry lists moves there (ReplaceRouteTableAssociation): no call here.
        moved = [s for s in leaving if s in claimed]
        disassociate = [have_subnets[s] for s in leaving if s not in claimed]
        if moved:
            steps["moved_out"] = moved
        if disassociate:
            steps["disassociate"] = disassociate
    return steps


def subnet_owners(tables):
    """Subnet ID -> association ID, for every explicit subnet association in the VPC."""
    owners = {}
    for table in tables:
        owners.update(associations(table))
    return owners


def apply_table(api, vpc_id, entry, table_id, steps, owners, tags):
    name = entry["name"]
    if table_id is None:
        all_tags = dict(tags, Name=name)
        spec = [dict(ResourceType="route-table", Tags=[dict(Key=k, Value=v) for k, v in sorted(all_tags.items())])]
        created = api.call("create_route_table", "create the route table " + name, VpcId=vpc_id, TagSpecifications=spec)
        table_id = created["RouteTable"]["RouteTableId"]
    if steps.get("set_tags"):
        api.call(
            "create_tags",
            "tag " + table_id,
            Resources=[table_id],
            Tags=[dict(Key=k, Value=v) for k, v in sorted(steps["set_tags"].items())],
        )
    if steps.get("drop_tags"):
        api.call(
            "delete_tags", "untag " + table_id, Resources=[table_id], Tags=[dict(Key=k) for k in steps["drop_tags"]]
        )
    target_param = dict(gateway_id="GatewayId", nat_gateway_id="NatGatewayId")
    for dest in steps.get("remove_routes", []):
        api.call(
            "delete_route",
            "remove the route {0} of {1}".format(dest, name),
            RouteTableId=table_id,
            DestinationCidrBlock=dest,
        )
    for dest, (key, target) in sorted(steps.get("replace_routes", {}).items()):
        api.call(
            "replace_route",
            "replace the route {0} of {1}".format(dest, name),
            RouteTableId=table_id,
            DestinationCidrBlock=dest,
            **{target_param[key]: target},
        )
    for dest, (key, target) in sorted(steps.get("add_routes", {}).items()):
        api.call(
            "create_route",
            "add the route {0} of {1}".format(dest, name),
            RouteTableId=table_id,
            DestinationCidrBlock=dest,
            **{target_param[key]: target},
        )
    for association_id in steps.get("disassociate", []):
        api.call("disassociate_route_table", "disassociate a subnet from " + name, AssociationId=association_id)
    for subnet in steps.get("associate", []):
        if subnet in owners:
            api.call(
                "replace_route_table_association",
                "move the subnet {0} to {1}".format(subnet, name),
                AssociationId=owners[subnet],
                RouteTableId=table_id,
            )
        else:
            api.call(
                "associate_route_table",
                "associate the subnet {0} with {1}".format(subnet, name),
                RouteTableId=table_id,
                SubnetId=subnet,
            )
    return table_id


def delete_table(api, table):
    for association_id in associations(table).values():
        api.call(
            "disassociate_route_table",
            "disassociate a subnet from " + table["RouteTableId"],
            AssociationId=association_id,
        )
    api.call(
        "delete_route_table", "delete the route table " + table["RouteTableId"], RouteTableId=table["RouteTableId"]
    )


def summary(name, table_id, subnets, routes, tags):
    return dict(name=name, id=table_id, subnets=sorted(subnets), routes=as_routes(routes), tags=tags)


def described_summary(table):
    tags = table_tags(table)
    return summary(tags.get("Name", ""), table["RouteTableId"], associations(table), current_routes(table), tags)


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        route_tables=dict(type="list", elements="dict", required=True, options=TABLE_OPTIONS),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
        purge_routes=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    entries = params["route_tables"]
    error = check_tables(entries)
    if error:
        module.fail_json(msg=error)
    tags = dict((str(k), str(v)) for k, v in params["tags"].items() if k != "Name")
    vpc_id = params["vpc_id"]

    api = RouteTables(module)
    tables = api.describe(vpc_id)
    named = original = by_name(tables)
    duplicates = [
        "{0} ({1})".format(e["name"], ", ".join(t["RouteTableId"] for t in named[e["name"]]))
        for e in entries
        if len(named.get(e["name"], [])) > 1
    ]
    if duplicates:
        module.fail_json(
            msg="more than one route table of {0} has the name {1}: delete the extra one(s)".format(
                vpc_id, "; ".join(duplicates)
            )
        )

    created, updated, deleted, plans = [], [], [], {}
    claimed = set(s for e in entries if e["state"] == "present" for s in e["subnets"])
    for entry in entries:
        existing = (named.get(entry["name"]) or [None])[0]
        if entry["state"] == "absent":
            if existing:
                deleted.append(entry["name"])
            continue
        steps = plan_table(entry, existing, tags, params, claimed)
        plans[entry["name"]] = (existing, steps)
        if existing is None:
            created.append(entry["name"])
        elif steps:
            updated.append(entry["name"])

    if not module.check_mode:
        owners = subnet_owners(tables)
        for entry in entries:
            if entry["name"] in created or entry["name"] in updated:
                existing, steps = plans[entry["name"]]
                apply_table(api, vpc_id, entry, existing["RouteTableId"] if existing else None, steps, owners, tags)
        # Deleted last, as they are now (a subnet may have moved from them to a listed table).
        if deleted:
            now = by_name(api.describe(vpc_id)) if created or updated else named
            for name in deleted:
                delete_table(api, now[name][0])
        if created or updated:
            tables = api.describe(vpc_id)
            named = by_name(tables)

    results = []
    for entry in entries:
        if entry["state"] != "present":
            continue
        found = (named.get(entry["name"]) or [None])[0]
        if found and not (module.check_mode and entry["name"] in updated):
            results.append(described_summary(found))
        else:
            results.append(
                summary(
                    entry["name"],
                    found["RouteTableId"] if found else "",
                    entry["subnets"],
                    desired_routes(entry),
                    dict(tags, Name=entry["name"]),
                )
            )
    result = dict(
        changed=bool(created or updated or deleted),
        route_tables=results,
        created=created,
        updated=updated,
        deleted=deleted,
    )
    if module._diff:
        before, after = {}, {}
        for entry in entries:
            name = entry["name"]
            if name not in created + updated + deleted:
                continue
            existing = (original.get(name) or [None])[0]
            if existing:
                before[name] = described_summary(existing)
            if entry["state"] == "present":
                after[name] = summary(
                    name,
                    existing["RouteTableId"] if existing else "",
                    entry["subnets"],
                    desired_routes(entry),
                    dict(tags, Name=name),
                )
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
