"""vpc_route_tables against the local emulator: a VPC's route tables in one run, with check
mode, diff, an unchanged re-run, a route that changes target, a subnet that moves between
tables, purged routes and tags, removal, and bad input named before any AWS call."""

from __future__ import annotations

import pytest

MODULE = "ajudadigital.openwebui.vpc_route_tables"


@pytest.fixture(scope="module")
def vpc(emulator):
    ec2 = emulator.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"][
            "SubnetId"
        ]
        for i in range(3)
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    return dict(ec2=ec2, connection=emulator.module_connection(), vpc_id=vpc_id, subnets=subnets, igw=igw, nat=nat)


def tables(vpc) -> dict:
    """Name -> (subnets, routes besides local, tags) of the VPC's named tables."""
    found = {}
    for table in vpc["ec2"].describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])[
        "RouteTables"
    ]:
        tags = {t["Key"]: t["Value"] for t in table.get("Tags", [])}
        if "Name" not in tags:
            continue
        subnets = sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId"))
        routes = sorted(
            (r["DestinationCidrBlock"], r.get("GatewayId") or r.get("NatGatewayId"))
            for r in table["Routes"]
            if r.get("GatewayId") != "local"
        )
        found[tags["Name"]] = (subnets, routes, tags)
    return found


def test_lifecycle(ansible, vpc):
    public, private, data = vpc["subnets"]
    entries = [
        dict(name="fn-rt-public", subnets=[public], routes=[dict(dest="0.0.0.0/0", gateway_id=vpc["igw"])]),
        dict(name="fn-rt-private", subnets=[private], routes=[dict(dest="0.0.0.0/0", nat_gateway_id=vpc["nat"])]),
        dict(name="fn-rt-database", subnets=[data]),
    ]
    args = dict(vpc["connection"], vpc_id=vpc["vpc_id"], route_tables=entries, tags={"Stack": "fn-rt"})

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["created"] == ["fn-rt-public", "fn-rt-private", "fn-rt-database"]
    assert run.result["diff"]["before"] == {}
    assert run.result["diff"]["after"]["fn-rt-private"]["routes"] == [
        {"dest": "0.0.0.0/0", "nat_gateway_id": vpc["nat"]}
    ]
    assert tables(vpc) == {}, "check mode created a route table"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["created"] == ["fn-rt-public", "fn-rt-private", "fn-rt-database"]
    assert tables(vpc) == {
        "fn-rt-public": ([public], [("0.0.0.0/0", vpc["igw"])], {"Name": "fn-rt-public", "Stack": "fn-rt"}),
        "fn-rt-private": ([private], [("0.0.0.0/0", vpc["nat"])], {"Name": "fn-rt-private", "Stack": "fn-rt"}),
        "fn-rt-database": ([data], [], {"Name": "fn-rt-database", "Stack": "fn-rt"}),
    }
    ids = [t["id"] for t in run.result["route_tables"]]
    assert all(i.startswith("rtb-") for i in ids) and len(set(ids)) == 3

    run = ansible.module(MODULE, args, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False, run.result
    assert [t["id"] for t in run.result["route_tables"]] == ids

    # The private subnet's route goes to the internet gateway instead, and the database
    # subnet moves to the private table; check mode first.
    moved = [
        entries[0],
        dict(name="fn-rt-private", subnets=[private, data], routes=[dict(dest="0.0.0.0/0", gateway_id=vpc["igw"])]),
        dict(name="fn-rt-database", subnets=[]),
    ]
    moved_args = dict(args, route_tables=moved)
    run = ansible.module(MODULE, moved_args, check=True, diff=True)
    assert run.result["updated"] == ["fn-rt-private", "fn-rt-database"]
    assert run.result["diff"]["before"]["fn-rt-database"]["subnets"] == [data]
    assert tables(vpc)["fn-rt-database"][0] == [data], "check mode moved a subnet"

    run = ansible.module(MODULE, moved_args)
    assert run.rc == 0, run.output
    found = tables(vpc)
    assert found["fn-rt-private"][:2] == (sorted([private, data]), [("0.0.0.0/0", vpc["igw"])])
    assert found["fn-rt-database"][0] == []
    assert ansible.module(MODULE, moved_args).result["changed"] is False

    # Routes and tags added by hand are purged; the subnet goes back to its table.
    vpc["ec2"].create_route(RouteTableId=ids[2], DestinationCidrBlock="192.168.0.0/16", GatewayId=vpc["igw"])
    vpc["ec2"].create_tags(Resources=[ids[2]], Tags=[{"Key": "Manual", "Value": "yes"}])
    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["updated"] == ["fn-rt-private", "fn-rt-database"]
    assert tables(vpc)["fn-rt-database"] == ([data], [], {"Name": "fn-rt-database", "Stack": "fn-rt"})
    assert tables(vpc)["fn-rt-private"][:2] == ([private], [("0.0.0.0/0", vpc["nat"])])

    # state=absent deletes one table while its subnet moves to another; then nothing to do.
    private_with_data = dict(entries[1], subnets=[private, data])
    absent = dict(args, route_tables=[entries[0], private_with_data, dict(name="fn-rt-database", state="absent")])
    run = ansible.module(MODULE, absent, check=True)
    assert run.result["deleted"] == ["fn-rt-database"]
    assert "fn-rt-database" in tables(vpc)
    run = ansible.module(MODULE, absent)
    assert run.rc == 0, run.output
    assert run.result["deleted"] == ["fn-rt-database"]
    assert sorted(tables(vpc)) == ["fn-rt-private", "fn-rt-public"]
    assert tables(vpc)["fn-rt-private"][0] == sorted([private, data])
    assert ansible.module(MODULE, absent).result["changed"] is False


def test_two_tables_of_one_name_fail_naming_both(ansible, vpc):
    ec2 = vpc["ec2"]
    spec = [{"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "fn-rt-twice"}]}]
    first = ec2.create_route_table(VpcId=vpc["vpc_id"], TagSpecifications=spec)["RouteTable"]["RouteTableId"]
    second = ec2.create_route_table(VpcId=vpc["vpc_id"], TagSpecifications=spec)["RouteTable"]["RouteTableId"]
    run = ansible.module(MODULE, dict(vpc["connection"], vpc_id=vpc["vpc_id"], route_tables=[dict(name="fn-rt-twice")]))
    assert run.rc != 0
    assert "fn-rt-twice" in run.output and first in run.output and second in run.output


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([dict(name="fn-bad"), dict(name="fn-bad")], "route_tables[1] (fn-bad): the name appears more than once"),
        ([dict(name="fn-bad", routes=[dict(dest="0.0.0.0/0")])], "routes[0] (0.0.0.0/0) needs exactly one of"),
        (
            [dict(name="fn-bad", routes=[dict(dest="0.0.0.0/0", gateway_id="igw-1", nat_gateway_id="nat-1")])],
            "needs exactly one of gateway_id, nat_gateway_id",
        ),
        ([dict(name="fn-a", subnets=["subnet-1"]), dict(name="fn-b", subnets=["subnet-1"])], "also listed for fn-a"),
    ],
)
def test_bad_input_fails_naming_the_option(ansible, vpc, entries, message):
    run = ansible.module(MODULE, dict(vpc["connection"], vpc_id=vpc["vpc_id"], route_tables=entries))
    assert run.rc != 0
    assert message in run.output
    assert not any(name.startswith(("fn-bad", "fn-a", "fn-b")) for name in tables(vpc))
