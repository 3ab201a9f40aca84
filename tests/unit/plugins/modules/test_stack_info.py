# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the stack_info module's pure logic and of its concurrent reads: the same
result whatever the order in which the reads end, the first failure in the result's order,
no client for a service not asked about. Against the local emulator:
tests/functional/test_stack_info.py."""

from __future__ import absolute_import, division, print_function

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import stack_info
from ansible_collections.amazon.aws.plugins.module_utils import botocore as aws_botocore

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # ansible-test units has no botocore: stand-ins of the two errors the module catches

    class BotoCoreError(Exception):
        pass

    class ClientError(Exception):
        def __init__(self, response, operation_name):
            super().__init__(response["Error"]["Message"])
            self.response = response


ACCOUNT = "123456789012"
TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/s-open-webui:"


@pytest.fixture(autouse=True)
def botocore_errors(monkeypatch):
    """The errors the module and amazon.aws's is_boto3_error_code catch (the same classes when
    botocore is installed)."""
    monkeypatch.setattr(stack_info, "BotoCoreError", BotoCoreError, raising=False)
    monkeypatch.setattr(stack_info, "ClientError", ClientError, raising=False)
    monkeypatch.setattr(aws_botocore, "ClientError", ClientError, raising=False)


def error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


class Paginator:
    def __init__(self, client, operation):
        self.client, self.operation = client, operation

    def paginate(self, **params):
        return self

    def build_full_result(self):
        return self.client.answer(self.operation)


class Client:
    """A fake client whose every answer comes after a random short wait (so that concurrent reads
    end in a random order), from ``answers``: operation -> value, or a function of the call's
    parameters; an exception is raised."""

    def __init__(self, answers, seed):
        self.answers = answers
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.calls = []

    def answer(self, operation, **params):
        with self.lock:
            self.calls.append(operation)
            wait = self.random.uniform(0, 0.01)
        time.sleep(wait)
        value = self.answers[operation]
        if callable(value):
            value = value(**params)
        if isinstance(value, Exception):
            raise value
        return value

    def get_paginator(self, operation):
        return Paginator(self, operation)

    def __getattr__(self, operation):
        if operation.startswith("_") or operation not in self.answers:
            raise AttributeError(operation)
        return lambda aws_retry=False, **params: self.answer(operation, **params)


def subnet(subnet_id, zone, tier):
    return dict(SubnetId=subnet_id, AvailabilityZone=zone, Tags=[dict(Key="Tier", Value=tier)])


def clients(seed, **override):
    answers = dict(
        sts=dict(get_caller_identity=dict(Account=ACCOUNT, Arn=f"arn:aws:iam::{ACCOUNT}:user/d")),
        ec2=dict(
            describe_vpcs=dict(Vpcs=[dict(VpcId="vpc-1", CidrBlock="10.0.0.0/16")]),
            describe_subnets=dict(
                Subnets=[
                    subnet("subnet-4", "eu-west-1b", "private"),
                    subnet("subnet-3", "eu-west-1a", "private"),
                    subnet("subnet-2", "eu-west-1b", "public"),
                    subnet("subnet-1", "eu-west-1a", "public"),
                    dict(SubnetId="subnet-9", AvailabilityZone="eu-west-1a", Tags=[]),
                ]
            ),
            describe_security_groups=dict(
                SecurityGroups=[dict(GroupName="s-app", GroupId="sg-2"), dict(GroupName="s-alb", GroupId="sg-1")]
            ),
            describe_availability_zones=dict(
                AvailabilityZones=[dict(ZoneName=z) for z in ("eu-west-1c", "eu-west-1a", "eu-west-1b")]
            ),
            describe_addresses=dict(
                Addresses=[
                    dict(AllocationId="eipalloc-2", Tags=[dict(Key="Name", Value="s-nat-eu-west-1b")]),
                    dict(AllocationId="eipalloc-1", Tags=[dict(Key="Name", Value="s-nat-eu-west-1a")]),
                    dict(AllocationId="eipalloc-3", Tags=[]),
                ]
            ),
        ),
        kms=dict(
            describe_key=lambda KeyId: (
                error("NotFoundException")
                if KeyId.endswith("nope")
                else dict(KeyMetadata=dict(Arn="arn:key/" + KeyId, KeyState="Enabled"))
            )
        ),
        secretsmanager=dict(
            describe_secret=lambda SecretId: (
                error("ResourceNotFoundException")
                if SecretId.endswith("nope")
                else dict(ARN="arn:secret:" + SecretId, DeletedDate="x" if SecretId.endswith("deleted") else None)
            )
        ),
        elasticache=dict(
            describe_cache_clusters=lambda CacheClusterId: (
                error("CacheClusterNotFound")
                if CacheClusterId.endswith("nope")
                else dict(CacheClusters=[dict(CacheClusterStatus="available")])
            )
        ),
        ecs=dict(
            describe_services=dict(
                services=[
                    dict(serviceName="old", serviceArn="arn:old", status="INACTIVE", taskDefinition=TD + "1"),
                    dict(serviceName="open-webui", serviceArn="arn:svc", status="ACTIVE", taskDefinition=TD + "7"),
                ]
            ),
            describe_task_definition=dict(
                taskDefinition=dict(containerDefinitions=[dict(name="open-webui", image="ghcr.io/x:v1")])
            ),
        ),
        logs=dict(
            describe_log_groups=dict(
                logGroups=[dict(logGroupName="/s/app", arn="arn:lg:/s/app:*"), dict(logGroupName="/s/app-2")]
            )
        ),
    )
    for service, operations in override.items():
        answers[service] = dict(answers[service], **operations)
    return dict((service, Client(ops, seed)) for service, ops in answers.items())


PARAMS = dict(
    stack="s",
    vpc_name="s",
    kms_aliases=["alias/s", "alias/nope"],
    security_group_names=["s-alb", "s-app"],
    load_balancer_names=[],
    target_group_names=[],
    secret_names=["s/key", "s/deleted", "s/nope"],
    availability_zones=True,
    elastic_ips=True,
    cache_cluster_ids=["s-redis", "s-nope"],
    ecs_cluster="s",
    ecs_service_names=["open-webui", "old"],
    log_group_names=["/s/app", "/s/nope"],
)


def run(seed, params=None, **override):
    params = dict(PARAMS, **(params or {}))
    names = dict((option, stack_info.unique(params[option])) for option in stack_info.LIST_OPTIONS)
    with ThreadPoolExecutor(max_workers=stack_info.WORKERS) as pool:
        return stack_info.discover(pool, clients(seed, **override), params, names)


EXPECTED = dict(
    account_id=ACCOUNT,
    partition="aws",
    vpc=dict(id="vpc-1", cidr_block="10.0.0.0/16"),
    subnets=dict(public=["subnet-1", "subnet-2"], private=["subnet-3", "subnet-4"], database=[]),
    security_groups={"s-alb": "sg-1", "s-app": "sg-2"},
    kms_keys={"alias/s": "arn:key/alias/s"},
    load_balancers={},
    target_groups={},
    secrets={"s/key": "arn:secret:s/key"},
    subnet_zones={
        "subnet-1": "eu-west-1a",
        "subnet-3": "eu-west-1a",
        "subnet-2": "eu-west-1b",
        "subnet-4": "eu-west-1b",
    },
    availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    elastic_ips={"s-nat-eu-west-1a": "eipalloc-1", "s-nat-eu-west-1b": "eipalloc-2"},
    cache_clusters={"s-redis": "available"},
    ecs_services={"open-webui": dict(arn="arn:svc", task_definition=TD + "7", images={"open-webui": "ghcr.io/x:v1"})},
    log_groups={"/s/app": "arn:lg:/s/app:*"},
)


@pytest.mark.parametrize("seed", range(8))
def test_the_result_is_the_same_whatever_order_the_reads_end_in(seed):
    result = run(seed)
    assert result == EXPECTED
    assert [list(result[k]) for k in result if isinstance(result[k], dict)] == [
        list(EXPECTED[k]) for k in EXPECTED if isinstance(EXPECTED[k], dict)
    ]


def test_without_a_vpc_no_subnet_or_group_is_read():
    made = clients(0, ec2=dict(describe_vpcs=dict(Vpcs=[])))
    names = dict((option, stack_info.unique(PARAMS[option])) for option in stack_info.LIST_OPTIONS)
    with ThreadPoolExecutor(max_workers=stack_info.WORKERS) as pool:
        result = stack_info.discover(pool, made, PARAMS, names)
    assert result["vpc"] == {} and result["subnet_zones"] == {} and result["security_groups"] == {}
    assert result["subnets"] == dict(public=[], private=[], database=[])
    assert "describe_subnets" not in made["ec2"].calls
    assert "describe_security_groups" not in made["ec2"].calls


def test_options_not_asked_for_are_empty():
    params = dict(availability_zones=False, elastic_ips=False, cache_cluster_ids=[], ecs_service_names=[])
    params.update(log_group_names=[], kms_aliases=[], secret_names=[], ecs_cluster=None)
    result = run(0, params)
    assert result["availability_zones"] == [] and result["elastic_ips"] == {}
    assert result["cache_clusters"] == {} and result["ecs_services"] == {} and result["log_groups"] == {}


def test_a_missing_cluster_means_no_services():
    result = run(0, ecs=dict(describe_services=error("ClusterNotFoundException")))
    assert result["ecs_services"] == {}


def test_the_first_failure_in_the_results_order_is_the_one_reported():
    with pytest.raises(stack_info.Failure) as raised:
        run(
            0,
            kms=dict(describe_key=error("AccessDeniedException")),
            logs=dict(describe_log_groups=error("AccessDeniedException")),
        )
    assert raised.value.msg == "Failed to describe the KMS key of alias/s"
    assert raised.value.error.response["Error"]["Code"] == "AccessDeniedException"


def test_two_vpcs_fail_naming_both():
    vpcs = [dict(VpcId="vpc-2", CidrBlock="10.1.0.0/16"), dict(VpcId="vpc-1", CidrBlock="10.0.0.0/16")]
    with pytest.raises(stack_info.Failure) as raised:
        run(0, ec2=dict(describe_vpcs=dict(Vpcs=vpcs)))
    assert raised.value.error is None
    assert "more than one VPC is tagged Stack=s and Name=s: vpc-1, vpc-2" in raised.value.msg


def test_services_needed_are_only_those_asked_about():
    names = dict((option, []) for option in stack_info.LIST_OPTIONS)
    assert stack_info.services_needed(PARAMS, names) == ["sts", "ec2"]
    names.update(target_group_names=["tg"], log_group_names=["/g"], ecs_service_names=["svc"])
    assert stack_info.services_needed(PARAMS, names) == ["sts", "ec2", "ecs", "logs", "elbv2"]


def test_addresses_by_name_keeps_the_lowest_allocation_of_a_name():
    addresses = [
        dict(AllocationId="eipalloc-b", Tags=[dict(Key="Name", Value="n")]),
        dict(AllocationId="eipalloc-a", Tags=[dict(Key="Name", Value="n")]),
        dict(AllocationId="eipalloc-c"),
    ]
    assert stack_info.addresses_by_name(addresses) == {"n": "eipalloc-a"}


def test_validate_needs_the_cluster_of_the_services():
    params = dict(PARAMS, ecs_cluster=None)
    assert stack_info.validate(params) == "ecs_cluster must be a non-empty string when ecs_service_names is given"
    assert stack_info.validate(dict(params, ecs_service_names=[])) is None
    assert stack_info.validate(dict(PARAMS, log_group_names=[""])) == "log_group_names[0] must be a non-empty string"
    assert stack_info.validate(PARAMS) is None
