"""stack_info against the local emulator: every ID of a stack in one run, another stack's left
out, absent names absent, empty shapes for an empty stack, bad options before any AWS call."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.stack_info"
FIELDS = (
    "account_id",
    "partition",
    "vpc",
    "subnets",
    "security_groups",
    "kms_keys",
    "load_balancers",
    "target_groups",
    "secrets",
)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tag_spec(kind: str, **tags) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def build_network(ec2, stack: str, name: str, second_octet: int, azs: list[str]) -> dict:
    """A VPC tagged Stack/Name with a subnet of each tier in each AZ (the later AZ made first,
    so that the module's order is its own)."""
    vpc = ec2.create_vpc(
        CidrBlock=f"10.{second_octet}.0.0/16", TagSpecifications=tag_spec("vpc", Stack=stack, Name=name)
    )["Vpc"]
    subnets = {}
    index = 0
    for tier in ("public", "private", "database"):
        made = []
        for az in reversed(azs):
            subnet = ec2.create_subnet(
                VpcId=vpc["VpcId"],
                CidrBlock=f"10.{second_octet}.{index}.0/24",
                AvailabilityZone=az,
                TagSpecifications=tag_spec("subnet", Stack=stack, Name=f"{name}-{tier}-{az}", Tier=tier),
            )["Subnet"]
            made.append(subnet)
            index += 1
        subnets[tier] = [s["SubnetId"] for s in sorted(made, key=lambda s: (s["AvailabilityZone"], s["SubnetId"]))]
    return dict(vpc=vpc, subnets=subnets, index=index)


def make_group(ec2, vpc_id: str, group_name: str, **tags) -> str:
    params = dict(GroupName=group_name, Description=group_name, VpcId=vpc_id)
    if tags:
        params["TagSpecifications"] = tag_spec("security-group", **tags)
    return ec2.create_security_group(**params)["GroupId"]


@pytest.fixture(scope="module")
def aws(emulator):
    """Two stacks of the same prefix: every resource of the first, and look-alikes of the second."""
    client = emulator.client
    ec2, kms, elbv2, sm = client("ec2"), client("kms"), client("elbv2"), client("secretsmanager")
    azs = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:2]
    stack, other = unique_name("si"), unique_name("si-other")
    prefix = stack  # common_name_prefix: the VPC's Name tag and the prefix of every name

    net = build_network(ec2, stack, prefix, 61, azs)
    vpc_id = net["vpc"]["VpcId"]
    # Left out: a subnet of the VPC without a Tier, one of another stack, one of an unknown tier.
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.61.100.0/24", TagSpecifications=tag_spec("subnet", Stack=stack))
    ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.61.101.0/24", TagSpecifications=tag_spec("subnet", Stack=other, Tier="public")
    )
    ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.61.102.0/24", TagSpecifications=tag_spec("subnet", Stack=stack, Tier="edge")
    )
    groups = {f"{prefix}-{role}": make_group(ec2, vpc_id, f"{prefix}-{role}", Stack=stack) for role in ("alb", "app")}
    untagged_group = make_group(ec2, vpc_id, f"{prefix}-untagged")

    # The second stack: a VPC of the same Name tag, a group of the same name as the first's app group.
    other_net = build_network(ec2, other, prefix, 62, azs)
    other_app = make_group(ec2, other_net["vpc"]["VpcId"], f"{prefix}-app", Stack=other)

    kms_tags = [{"TagKey": "Stack", "TagValue": stack}]
    key = kms.create_key(Description=stack, Tags=kms_tags)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{stack}", TargetKeyId=key["KeyId"])
    pending = kms.create_key(Description="pending", Tags=kms_tags)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{stack}-pending", TargetKeyId=pending["KeyId"])
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    disabled = kms.create_key(Description="disabled", Tags=kms_tags)["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{stack}-disabled", TargetKeyId=disabled["KeyId"])
    kms.disable_key(KeyId=disabled["KeyId"])

    lb = elbv2.create_load_balancer(
        Name=prefix,
        Subnets=net["subnets"]["public"],
        SecurityGroups=[groups[f"{prefix}-alb"]],
        Scheme="internet-facing",
        Type="application",
        Tags=[{"Key": "Stack", "Value": stack}],
    )["LoadBalancers"][0]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "600"}]
    )
    tg = elbv2.create_target_group(
        Name=prefix, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip", HealthCheckPath="/health"
    )["TargetGroups"][0]
    other_lb = elbv2.create_load_balancer(
        Name=other, Subnets=other_net["subnets"]["public"], Type="application", Scheme="internal"
    )["LoadBalancers"][0]
    other_tg = elbv2.create_target_group(
        Name=other, Protocol="HTTP", Port=8080, VpcId=other_net["vpc"]["VpcId"], TargetType="ip"
    )["TargetGroups"][0]

    secret = sm.create_secret(Name=f"{stack}/webui-secret-key", SecretString=token())["ARN"]
    sm.create_secret(Name=f"{stack}/deleted", SecretString=token())
    sm.delete_secret(SecretId=f"{stack}/deleted", RecoveryWindowInDays=7)

    return dict(
        emulator=emulator,
        connection=emulator.module_connection(),
        stack=stack,
        other=other,
        prefix=prefix,
        account=client("sts").get_caller_identity()["Account"],
        vpc=dict(id=vpc_id, cidr_block="10.61.0.0/16"),
        subnets=net["subnets"],
        groups=groups,
        untagged_group=untagged_group,
        other_vpc=other_net["vpc"]["VpcId"],
        other_subnets=other_net["subnets"],
        other_app=other_app,
        key_arn=key["Arn"],
        lb=lb,
        tg=tg,
        other_lb=other_lb,
        other_tg=other_tg,
        secret=secret,
    )


def token() -> str:
    return uuid.uuid4().hex


def full_args(aws, **extra) -> dict:
    stack, prefix = aws["stack"], aws["prefix"]
    args = dict(
        aws["connection"],
        stack=stack,
        vpc_name=prefix,
        kms_aliases=[f"alias/{stack}", f"alias/{stack}-pending", f"alias/{stack}-disabled", f"alias/{stack}-nope"],
        security_group_names=[f"{prefix}-alb", f"{prefix}-app", f"{prefix}-untagged", f"{prefix}-nope"],
        load_balancer_names=[prefix, f"{prefix}-nope"],
        target_group_names=[prefix, f"{prefix}-nope"],
        secret_names=[f"{stack}/webui-secret-key", f"{stack}/deleted", f"{stack}/nope"],
    )
    args.update(extra)
    return args


def ok(run) -> dict:
    assert run.rc == 0, run.output[-3000:]
    assert run.result["changed"] is False
    assert_documented("stack_info", run.result)
    return {k: run.result[k] for k in FIELDS}


def calls_since(emulator, count: int) -> list[tuple[str, str]]:
    return [(r["service"], r["action"]) for r in emulator.requests()[count:]]


def test_finds_every_id_of_the_stack_and_nothing_else(ansible, aws):
    found = ok(ansible.module(MODULE, full_args(aws)))
    lb, tg = aws["lb"], aws["tg"]
    assert found == dict(
        account_id=aws["account"],
        partition="aws",
        vpc=aws["vpc"],
        subnets=aws["subnets"],
        security_groups=aws["groups"],
        kms_keys={f"alias/{aws['stack']}": aws["key_arn"]},
        load_balancers={
            aws["prefix"]: dict(
                arn=lb["LoadBalancerArn"],
                dns_name=lb["DNSName"],
                canonical_hosted_zone_id=lb["CanonicalHostedZoneId"],
                arn_suffix=lb["LoadBalancerArn"].split(":loadbalancer/")[1],
                idle_timeout=600,
            )
        },
        target_groups={aws["prefix"]: dict(arn=tg["TargetGroupArn"], arn_suffix=tg["TargetGroupArn"].split(":")[-1])},
        secrets={f"{aws['stack']}/webui-secret-key": aws["secret"]},
    )
    # The shapes CloudWatch uses, spelled out (not only derived the way the module derives them).
    assert found["load_balancers"][aws["prefix"]]["arn_suffix"].startswith(f"app/{aws['prefix']}/")
    assert found["target_groups"][aws["prefix"]]["arn_suffix"].startswith(f"targetgroup/{aws['prefix']}/")
    assert len(aws["subnets"]["public"]) == 2 and found["subnets"]["public"] == aws["subnets"]["public"]


def test_check_mode_gives_the_same_result(ansible, aws):
    assert ok(ansible.module(MODULE, full_args(aws), check=True)) == ok(ansible.module(MODULE, full_args(aws)))


def test_the_other_stack_sees_only_its_own(ansible, aws):
    other = aws["other"]
    found = ok(
        ansible.module(
            MODULE,
            full_args(aws, stack=other, load_balancer_names=[other], target_group_names=[other], secret_names=[]),
        )
    )
    assert found["vpc"] == dict(id=aws["other_vpc"], cidr_block="10.62.0.0/16")
    assert found["subnets"] == aws["other_subnets"]
    assert found["security_groups"] == {f"{aws['prefix']}-app": aws["other_app"]}
    assert found["load_balancers"][other]["arn"] == aws["other_lb"]["LoadBalancerArn"]
    assert found["load_balancers"][other]["idle_timeout"] == 60  # the default, never changed
    assert list(found["target_groups"]) == [other]
    assert found["target_groups"][other]["arn"] == aws["other_tg"]["TargetGroupArn"]
    assert found["secrets"] == {}


def test_a_missing_load_balancer_or_target_group_alone_is_absent(ansible, aws):
    nope = f"{aws['prefix']}-nope"
    found = ok(ansible.module(MODULE, full_args(aws, load_balancer_names=[nope], target_group_names=[nope])))
    assert found["load_balancers"] == {}
    assert found["target_groups"] == {}


def test_names_past_one_call_are_all_found(ansible, aws):
    """Many names (more than the module puts in one call), most of them missing: a missing name fails
    a call of several names in AWS, and the ones that exist are still all found."""
    names = [f"{aws['prefix']}-n{i}" for i in range(24)] + [aws["prefix"], aws["other"]]
    found = ok(ansible.module(MODULE, full_args(aws, load_balancer_names=names, target_group_names=names)))
    assert sorted(found["load_balancers"]) == sorted([aws["prefix"], aws["other"]])
    assert sorted(found["target_groups"]) == sorted([aws["prefix"], aws["other"]])


def test_subnets_are_sorted_by_zone_then_id(ansible, aws, emulator):
    """Subnets of one zone made in an order that is not their IDs' (the emulator lists a zone's
    subnets in the order they were made)."""
    ec2 = emulator.client("ec2")
    azs = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:2]
    stack = unique_name("si-sort")
    vpc_id = ec2.create_vpc(CidrBlock="10.65.0.0/16", TagSpecifications=tag_spec("vpc", Stack=stack, Name=stack))[
        "Vpc"
    ]["VpcId"]

    def subnet(az: str, index: int) -> dict:
        spec = tag_spec("subnet", Stack=stack, Tier="private")
        return ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.65.{index}.0/24", AvailabilityZone=az, TagSpecifications=spec
        )["Subnet"]

    made = [subnet(azs[1], 0), subnet(azs[0], 1)]
    while [s["SubnetId"] for s in made[1:]] == sorted(s["SubnetId"] for s in made[1:]):
        assert len(made) < 20
        made.append(subnet(azs[0], len(made)))
    expected = [s["SubnetId"] for s in sorted(made, key=lambda s: (s["AvailabilityZone"], s["SubnetId"]))]
    assert expected != [s["SubnetId"] for s in made]
    found = ok(ansible.module(MODULE, dict(aws["connection"], stack=stack, vpc_name=stack)))
    assert found["subnets"] == {"public": [], "private": expected, "database": []}


def test_an_empty_stack_gives_the_empty_shapes_without_looking_further(ansible, aws):
    emulator = aws["emulator"]
    nobody = unique_name("si-empty")
    before = len(emulator.requests())
    found = ok(ansible.module(MODULE, full_args(aws, stack=nobody, vpc_name=nobody)))
    calls = calls_since(emulator, before)
    assert found["vpc"] == {}
    assert found["subnets"] == {"public": [], "private": [], "database": []}
    assert found["security_groups"] == {}
    assert ("ec2", "DescribeVpcs") in calls
    assert ("ec2", "DescribeSubnets") not in calls
    assert ("ec2", "DescribeSecurityGroups") not in calls


def test_services_without_names_are_not_called(ansible, aws):
    emulator = aws["emulator"]
    before = len(emulator.requests())
    found = ok(ansible.module(MODULE, dict(aws["connection"], stack=aws["stack"], vpc_name=aws["prefix"])))
    calls = calls_since(emulator, before)
    assert found["vpc"] == aws["vpc"]
    assert found["subnets"] == aws["subnets"]
    assert {k: found[k] for k in FIELDS[4:]} == {k: {} for k in FIELDS[4:]}
    assert sorted(set(calls)) == [("ec2", "DescribeSubnets"), ("ec2", "DescribeVpcs"), ("sts", "GetCallerIdentity")]


def test_two_vpcs_of_the_stack_fail_listing_both(ansible, aws, emulator):
    ec2 = emulator.client("ec2")
    stack = unique_name("si-twice")
    ids = sorted(
        ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16", TagSpecifications=tag_spec("vpc", Stack=stack, Name=stack))[
            "Vpc"
        ]["VpcId"]
        for octet in (63, 64)
    )
    run = ansible.module(MODULE, dict(aws["connection"], stack=stack, vpc_name=stack))
    assert run.rc != 0
    assert "vpc_name: more than one VPC" in run.result["msg"]
    assert all(vpc_id in run.result["msg"] for vpc_id in ids)


@pytest.mark.parametrize(
    "extra, message",
    [
        (dict(stack=""), "stack must be a non-empty string"),
        (dict(stack="  "), "stack must be a non-empty string"),
        (dict(vpc_name=""), "vpc_name must be a non-empty string"),
        (dict(kms_aliases=["openwebui-local"]), "kms_aliases[0] must be alias/<name>"),
        (dict(kms_aliases=["alias/"]), "kms_aliases[0] must be alias/<name>"),
        (dict(kms_aliases=["alias/a", ""]), "kms_aliases[1] must be a non-empty string"),
        (dict(security_group_names=[""]), "security_group_names[0] must be a non-empty string"),
        (dict(security_group_names=["x" * 256]), "security_group_names[0] must be at most 255 characters"),
        (dict(load_balancer_names=["-bad"]), "load_balancer_names[0] must be 1 to 32 letters"),
        (dict(load_balancer_names=["a" * 33]), "load_balancer_names[0] must be 1 to 32 letters"),
        (dict(target_group_names=["ok", "bad_name"]), "target_group_names[1] must be 1 to 32 letters"),
        (dict(target_group_names=[""]), "target_group_names[0] must be a non-empty string"),
        (dict(secret_names=["a b"]), "secret_names[0] must be 1 to 512 letters"),
        (dict(secret_names=[""]), "secret_names[0] must be a non-empty string"),
        (dict(ecs_service_names=["open-webui"]), "ecs_cluster must be a non-empty string when ecs_service_names"),
        (dict(log_group_names=[""]), "log_group_names[0] must be a non-empty string"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_options_fail_naming_the_option_before_any_aws_call(ansible, aws, extra, message):
    emulator = aws["emulator"]
    before = len(emulator.requests())
    run = ansible.module(MODULE, full_args(aws, **extra))
    time.sleep(0.2)
    assert run.rc != 0
    assert message in run.result["msg"], run.result.get("msg")
    assert emulator.requests()[before:] == []


def test_the_aws_action_group_sets_its_connection(ansible, aws, tmp_path):
    """``module_defaults: group/ajudadigital.openwebui.aws`` (how site.yml reaches the emulator)."""
    playbook = tmp_path / "discover.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "module_defaults": {"group/ajudadigital.openwebui.aws": aws["connection"]},
                    "tasks": [
                        {
                            "ajudadigital.openwebui.stack_info": {"stack": aws["stack"], "vpc_name": aws["prefix"]},
                            "register": "found",
                        },
                        {"ansible.builtin.debug": {"msg": "VPC={{ found.vpc.id }}"}},
                    ],
                }
            ]
        )
    )
    run = ansible.playbook(str(playbook), "-i", "localhost,", "-c", "local", env={"AWS_ENDPOINT_URL": ""})
    assert run.rc == 0, run.output[-3000:]
    assert f"VPC={aws['vpc']['id']}" in run.stdout


def test_what_the_layers_would_each_look_up_is_read_on_request(ansible, aws, emulator):
    """The region's zones, the stack's Elastic IPs by Name, cache clusters, the image an ECS service
    runs and log groups: read only when asked for, the missing ones absent."""
    client = emulator.client
    ec2, ecs, logs, elasticache = client("ec2"), client("ecs"), client("logs"), client("elasticache")
    stack, prefix, other = aws["stack"], aws["prefix"], aws["other"]
    zones = sorted(
        z["ZoneName"]
        for z in ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
        )["AvailabilityZones"]
    )
    eips = {}
    for name, tags in ((f"{prefix}-nat-a", dict(Stack=stack)), (f"{prefix}-nat-b", dict(Stack=stack))):
        eips[name] = ec2.allocate_address(Domain="vpc", TagSpecifications=tag_spec("elastic-ip", Name=name, **tags))[
            "AllocationId"
        ]
    ec2.allocate_address(Domain="vpc", TagSpecifications=tag_spec("elastic-ip", Name=f"{prefix}-nat-a", Stack=other))
    ec2.allocate_address(Domain="vpc", TagSpecifications=tag_spec("elastic-ip", Stack=stack))  # no Name: left out
    elasticache.create_cache_cluster(
        CacheClusterId=f"{stack}-redis", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )
    ecs.create_cluster(clusterName=stack)
    image = "registry.local/open-webui:v1"
    td = ecs.register_task_definition(
        family=f"{stack}-app", containerDefinitions=[{"name": "open-webui", "image": image, "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    service = ecs.create_service(cluster=stack, serviceName="open-webui", taskDefinition=td, desiredCount=0)
    logs.create_log_group(logGroupName=f"/{stack}/app")
    logs.create_log_group(logGroupName=f"/{stack}/app-other")  # same prefix, not the name

    before = len(emulator.requests())
    found = ansible.module(
        MODULE,
        dict(
            aws["connection"],
            stack=stack,
            vpc_name=prefix,
            availability_zones=True,
            elastic_ips=True,
            cache_cluster_ids=[f"{stack}-redis", f"{stack}-nope"],
            ecs_cluster=stack,
            ecs_service_names=["open-webui", "nope"],
            log_group_names=[f"/{stack}/app", f"/{stack}/nope"],
        ),
    )
    calls = calls_since(emulator, before)
    assert found.rc == 0, found.output[-3000:]
    assert_documented("stack_info", found.result)
    result = found.result
    assert result["availability_zones"] == zones
    assert result["elastic_ips"] == eips
    assert list(result["cache_clusters"]) == [f"{stack}-redis"]
    assert result["ecs_services"] == {
        "open-webui": dict(arn=service["service"]["serviceArn"], task_definition=td, images={"open-webui": image})
    }
    assert list(result["log_groups"]) == [f"/{stack}/app"]
    assert result["subnet_zones"] == {
        s["SubnetId"]: s["AvailabilityZone"]
        for s in ec2.describe_subnets(SubnetIds=[i for ids in aws["subnets"].values() for i in ids])["Subnets"]
    }
    for call in (
        ("ec2", "DescribeAvailabilityZones"),
        ("ec2", "DescribeAddresses"),
        ("elasticache", "DescribeCacheClusters"),
        ("ecs", "DescribeServices"),
        ("ecs", "DescribeTaskDefinition"),
        ("logs", "DescribeLogGroups"),
    ):
        assert call in calls

    # A cluster that does not exist has no services.
    run = ansible.module(
        MODULE,
        dict(aws["connection"], stack=stack, vpc_name=prefix, ecs_cluster="nope-x", ecs_service_names=["open-webui"]),
    )
    ok(run)
    assert run.result["ecs_services"] == {}
