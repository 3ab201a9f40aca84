"""vpc_subnets against the local emulator: a VPC's subnets in one run, with check mode, diff,
an unchanged re-run, a hand-made tag and public IP mapping undone, an interrupted run's
untagged subnet adopted (not created twice), a subnet in another AZ refused, removal, and bad
input named before any AWS call."""

from __future__ import annotations

import pytest

MODULE = "ajudadigital.openwebui.vpc_subnets"


@pytest.fixture(scope="module")
def vpc(emulator):
    ec2 = emulator.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    return dict(ec2=ec2, connection=emulator.module_connection(), vpc_id=vpc_id)


def subnets(vpc) -> dict:
    """CIDR -> (ID, AZ, map_public, tags) of the VPC's subnets."""
    return {
        s["CidrBlock"]: (
            s["SubnetId"],
            s["AvailabilityZone"],
            s["MapPublicIpOnLaunch"],
            {t["Key"]: t["Value"] for t in s.get("Tags", [])},
        )
        for s in vpc["ec2"].describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["Subnets"]
    }


ENTRIES = [
    dict(cidr="10.43.0.0/24", az="us-east-1a", name="fn-sn-public-a", map_public=True, tags={"Tier": "public"}),
    dict(cidr="10.43.1.0/24", az="us-east-1b", name="fn-sn-public-b", tags={"Tier": "public"}),
    dict(cidr="10.43.10.0/24", az="us-east-1a", name="fn-sn-private-a", tags={"Tier": "private"}),
]


def test_lifecycle(ansible, vpc):
    args = dict(vpc["connection"], vpc_id=vpc["vpc_id"], subnets=ENTRIES, tags={"Stack": "fn-sn"})

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["created"] == ["10.43.0.0/24", "10.43.1.0/24", "10.43.10.0/24"]
    assert run.result["diff"]["before"] == {}
    assert run.result["diff"]["after"]["10.43.0.0/24"]["tags"] == {
        "Name": "fn-sn-public-a",
        "Stack": "fn-sn",
        "Tier": "public",
    }
    assert [s["id"] for s in run.result["subnets"]] == ["", "", ""]
    assert subnets(vpc) == {}, "check mode created a subnet"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["created"] == ["10.43.0.0/24", "10.43.1.0/24", "10.43.10.0/24"]
    found = subnets(vpc)
    ids = [s["id"] for s in run.result["subnets"]]
    assert ids == [found[e["cidr"]][0] for e in ENTRIES]
    assert found["10.43.0.0/24"][1:] == (
        "us-east-1a",
        True,
        {"Name": "fn-sn-public-a", "Stack": "fn-sn", "Tier": "public"},
    )
    assert found["10.43.1.0/24"][1:] == (
        "us-east-1b",
        False,
        {"Name": "fn-sn-public-b", "Stack": "fn-sn", "Tier": "public"},
    )
    assert found["10.43.10.0/24"][3]["Name"] == "fn-sn-private-a"
    assert run.result["subnets"][0]["map_public"] is True
    assert run.result["subnets"][2]["name"] == "fn-sn-private-a"

    run = ansible.module(MODULE, args, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False, run.result
    assert [s["id"] for s in run.result["subnets"]] == ids

    # A tag and the public IP mapping changed by hand are undone; check mode first.
    ec2 = vpc["ec2"]
    ec2.create_tags(Resources=[ids[1]], Tags=[{"Key": "Manual", "Value": "yes"}, {"Key": "Tier", "Value": "x"}])
    ec2.modify_subnet_attribute(SubnetId=ids[1], MapPublicIpOnLaunch={"Value": True})
    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.result["updated"] == ["10.43.1.0/24"]
    assert run.result["diff"]["before"]["10.43.1.0/24"]["tags"]["Manual"] == "yes"
    assert run.result["diff"]["after"]["10.43.1.0/24"]["map_public"] is False
    assert subnets(vpc)["10.43.1.0/24"][2] is True, "check mode changed a subnet"
    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["updated"] == ["10.43.1.0/24"]
    assert subnets(vpc)["10.43.1.0/24"][1:] == (
        "us-east-1b",
        False,
        {"Name": "fn-sn-public-b", "Stack": "fn-sn", "Tier": "public"},
    )
    assert ansible.module(MODULE, args).result["changed"] is False

    # state=absent deletes one subnet (check mode first); then nothing to do.
    absent = dict(args, subnets=[ENTRIES[0], ENTRIES[1], dict(cidr="10.43.10.0/24", state="absent")])
    run = ansible.module(MODULE, absent, check=True)
    assert run.result["deleted"] == ["10.43.10.0/24"]
    assert "10.43.10.0/24" in subnets(vpc)
    run = ansible.module(MODULE, absent)
    assert run.rc == 0, run.output
    assert run.result["deleted"] == ["10.43.10.0/24"]
    assert [s["cidr"] for s in run.result["subnets"]] == ["10.43.0.0/24", "10.43.1.0/24"]
    assert sorted(subnets(vpc)) == ["10.43.0.0/24", "10.43.1.0/24"]
    assert ansible.module(MODULE, absent).result["changed"] is False


def test_an_interrupted_runs_subnet_is_adopted(ansible, vpc):
    """A subnet created without its tags (the run stopped before tagging) is completed, not created twice."""
    subnet_id = vpc["ec2"].create_subnet(VpcId=vpc["vpc_id"], CidrBlock="10.43.20.0/24", AvailabilityZone="us-east-1b")[
        "Subnet"
    ]["SubnetId"]
    entry = dict(cidr="10.43.20.0/24", az="us-east-1b", name="fn-sn-adopted", tags={"Tier": "database"})
    args = dict(vpc["connection"], vpc_id=vpc["vpc_id"], subnets=[entry], tags={"Stack": "fn-sn"})
    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["created"] == [] and run.result["updated"] == ["10.43.20.0/24"]
    assert run.result["subnets"][0]["id"] == subnet_id
    assert subnets(vpc)["10.43.20.0/24"] == (
        subnet_id,
        "us-east-1b",
        False,
        {"Name": "fn-sn-adopted", "Stack": "fn-sn", "Tier": "database"},
    )
    assert ansible.module(MODULE, args).result["changed"] is False


def test_a_subnet_in_another_az_fails_naming_it(ansible, vpc):
    subnet_id = vpc["ec2"].create_subnet(VpcId=vpc["vpc_id"], CidrBlock="10.43.30.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    entries = [
        dict(cidr="10.43.31.0/24", az="us-east-1a", name="fn-sn-new"),
        dict(cidr="10.43.30.0/24", az="us-east-1b", name="fn-sn-moved"),
    ]
    run = ansible.module(MODULE, dict(vpc["connection"], vpc_id=vpc["vpc_id"], subnets=entries))
    assert run.rc != 0
    assert "10.43.30.0/24" in run.output and subnet_id in run.output and "us-east-1a" in run.output
    assert "10.43.31.0/24" not in subnets(vpc), "a subnet was created before the failure"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [dict(cidr="10.43.40.0/24", az="us-east-1a", name="fn-bad"), dict(cidr="10.43.40.0/24", state="absent")],
            "subnets[1] (10.43.40.0/24): the CIDR block appears more than once",
        ),
        ([dict(cidr="10.43.40.0/24", name="fn-bad")], "subnets[0] (10.43.40.0/24): az needed when state is present"),
        ([dict(cidr="10.43.40.0/24")], "az and name needed when state is present"),
    ],
)
def test_bad_input_fails_naming_the_option(ansible, vpc, entries, message):
    run = ansible.module(MODULE, dict(vpc["connection"], vpc_id=vpc["vpc_id"], subnets=entries))
    assert run.rc != 0
    assert message in run.output
    assert "10.43.40.0/24" not in subnets(vpc)
