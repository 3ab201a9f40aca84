"""vpc_security_groups against the local emulator: a chain of groups that name each other,
built in one run; check mode, diff, an unchanged re-run, a changed port, a description changed
in place, hand-made rules and tags revoked, a fixed description refused, removal, bad input."""

from __future__ import annotations

import pytest

MODULE = "ajudadigital.openwebui.vpc_security_groups"


@pytest.fixture(scope="module")
def vpc(emulator):
    ec2 = emulator.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    return dict(ec2=ec2, connection=emulator.module_connection(), vpc_id=vpc_id)


def groups(vpc) -> dict:
    """Name -> (ingress, egress, tags): rules as (proto, from, to, target, description)."""

    def rules(permissions):
        found = set()
        for p in permissions:
            low, high = p.get("FromPort"), p.get("ToPort")
            for r in p.get("IpRanges", []):
                found.add((p["IpProtocol"], low, high, r["CidrIp"], r.get("Description", "")))
            for r in p.get("Ipv6Ranges", []):
                found.add((p["IpProtocol"], low, high, r["CidrIpv6"], r.get("Description", "")))
            for r in p.get("UserIdGroupPairs", []):
                found.add((p["IpProtocol"], low, high, r["GroupId"], r.get("Description", "")))
        return found

    described = vpc["ec2"].describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])
    return {
        g["GroupName"]: (
            rules(g["IpPermissions"]),
            rules(g["IpPermissionsEgress"]),
            {t["Key"]: t["Value"] for t in g.get("Tags", [])},
        )
        for g in described["SecurityGroups"]
        if g["GroupName"] != "default"
    }


def chain(app_port=8080, database_description="PostgreSQL from the app"):
    return [
        dict(
            name="fn-sg-alb",
            description="load balancer",
            ingress=[dict(ports=[80, 443], cidr_ip=["0.0.0.0/0"], cidr_ipv6=["::/0"], description="web")],
            egress=[dict(ports=[app_port], group="fn-sg-app", description="to the app")],
        ),
        dict(
            name="fn-sg-app",
            description="app",
            ingress=[dict(ports=[app_port], group="fn-sg-alb", description="from the load balancer")],
            egress=[
                dict(ports=[443], cidr_ip=["0.0.0.0/0"], description="HTTPS"),
                dict(ports=[5432], group="fn-sg-database", description="PostgreSQL"),
            ],
        ),
        dict(
            name="fn-sg-database",
            description="database",
            ingress=[dict(ports=["5432"], group="fn-sg-app", description=database_description)],
        ),
    ]


def test_lifecycle(ansible, vpc):
    args = dict(vpc["connection"], vpc_id=vpc["vpc_id"], security_groups=chain(), tags={"Stack": "fn-sg"})

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["created"] == ["fn-sg-alb", "fn-sg-app", "fn-sg-database"]
    assert run.result["diff"]["before"] == {}
    assert groups(vpc) == {}, "check mode created a group"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert "was converted to" not in run.output  # ports given as numbers: no type warning
    ids = {g["name"]: g["id"] for g in run.result["security_groups"]}
    alb, app, database = ids["fn-sg-alb"], ids["fn-sg-app"], ids["fn-sg-database"]
    found = groups(vpc)
    assert found["fn-sg-alb"][0] == {
        ("tcp", 80, 80, "0.0.0.0/0", "web"),
        ("tcp", 443, 443, "0.0.0.0/0", "web"),
        ("tcp", 80, 80, "::/0", "web"),
        ("tcp", 443, 443, "::/0", "web"),
    }
    # The default allow-all egress of a new group is gone: only the listed rules.
    assert found["fn-sg-alb"][1] == {("tcp", 8080, 8080, app, "to the app")}
    assert found["fn-sg-app"] == (
        {("tcp", 8080, 8080, alb, "from the load balancer")},
        {("tcp", 443, 443, "0.0.0.0/0", "HTTPS"), ("tcp", 5432, 5432, database, "PostgreSQL")},
        {"Name": "fn-sg-app", "Stack": "fn-sg"},
    )
    assert found["fn-sg-database"][:2] == ({("tcp", 5432, 5432, app, "PostgreSQL from the app")}, set())

    run = ansible.module(MODULE, args, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False, run.result

    # A new app port (two groups change) and a new rule description (changed in place); check mode first.
    changed = dict(args, security_groups=chain(app_port=3000, database_description="PostgreSQL (app only)"))
    run = ansible.module(MODULE, changed, check=True, diff=True)
    assert run.result["updated"] == ["fn-sg-alb", "fn-sg-app", "fn-sg-database"]
    assert groups(vpc) == found, "check mode changed a group"
    run = ansible.module(MODULE, changed)
    assert run.rc == 0, run.output
    now = groups(vpc)
    assert now["fn-sg-alb"][1] == {("tcp", 3000, 3000, app, "to the app")}
    assert now["fn-sg-app"][0] == {("tcp", 3000, 3000, alb, "from the load balancer")}
    assert now["fn-sg-database"][0] == {("tcp", 5432, 5432, app, "PostgreSQL (app only)")}
    assert ansible.module(MODULE, changed).result["changed"] is False

    # A rule and a tag added by hand are removed.
    vpc["ec2"].authorize_security_group_ingress(
        GroupId=database,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    vpc["ec2"].create_tags(Resources=[database], Tags=[{"Key": "Manual", "Value": "yes"}])
    run = ansible.module(MODULE, changed)
    assert run.result["updated"] == ["fn-sg-database"]
    assert groups(vpc)["fn-sg-database"] == (
        {("tcp", 5432, 5432, app, "PostgreSQL (app only)")},
        set(),
        {"Name": "fn-sg-database", "Stack": "fn-sg"},
    )

    # AWS cannot change a group's description: refused, naming the group, nothing changed.
    refused = chain(app_port=3000, database_description="PostgreSQL (app only)")
    refused[2]["description"] = "another description"
    refused[0]["ingress"] = []
    run = ansible.module(MODULE, dict(args, security_groups=refused))
    assert run.rc != 0
    assert "fn-sg-database" in run.output and "cannot change a security group's description" in run.output
    assert groups(vpc)["fn-sg-alb"][0], "a refused run changed a group"

    # state=absent: the load balancer group goes (nothing else references it once the app stops).
    remaining = chain(app_port=3000, database_description="PostgreSQL (app only)")
    remaining[1]["ingress"] = []
    remaining[0] = dict(name="fn-sg-alb", state="absent")
    run = ansible.module(MODULE, dict(args, security_groups=remaining))
    assert run.rc == 0, run.output
    assert run.result["deleted"] == ["fn-sg-alb"]
    assert sorted(groups(vpc)) == ["fn-sg-app", "fn-sg-database"]
    assert ansible.module(MODULE, dict(args, security_groups=remaining)).result["changed"] is False


@pytest.mark.parametrize(
    ("security_groups", "message"),
    [
        (
            [dict(name="fn-bad", description="x"), dict(name="fn-bad", description="x")],
            "security_groups[1] (fn-bad): the name",
        ),
        ([dict(name="fn-bad")], "security_groups[0] (fn-bad): description required"),
        ([dict(name="fn-bad", description="x", ingress=[dict(cidr_ip=["0.0.0.0/0"])])], "ingress[0]: ports required"),
        ([dict(name="fn-bad", description="x", egress=[dict(ports=[443])])], "egress[0]: needs a target"),
        (
            [dict(name="fn-bad", description="x", ingress=[dict(ports=["70000"], cidr_ip=["0.0.0.0/0"])])],
            "outside 0-65535",
        ),
        ([dict(name="fn-bad", description="x", ingress=[dict(ports=[1], group="fn-nowhere")])], "fn-nowhere"),
    ],
)
def test_bad_input_fails_naming_the_option(ansible, vpc, security_groups, message):
    run = ansible.module(MODULE, dict(vpc["connection"], vpc_id=vpc["vpc_id"], security_groups=security_groups))
    assert run.rc != 0
    assert message in run.output
    assert "fn-bad" not in groups(vpc)
