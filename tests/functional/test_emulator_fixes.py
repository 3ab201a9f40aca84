"""Each fix of ``tools.local_services.moto_fixes``, shown through the module that needed it.

Every test runs the real amazon.aws / community.aws module against the emulator
(typically twice: the second run must report ``changed: false``) and checks the values
that come back. To see a test fail on stock moto behaviour, leave its fix out:
``OPENWEBUI_EMULATOR_DISABLE_FIXES=<fix name>|all pytest tests/functional/test_emulator_fixes.py``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tools.local_services import LocalServices, moto_fixes
from tools.local_services.check_fixes import covers, fix_tests

REGION = "us-east-1"


def client(emulator, service):
    return emulator.client(service, REGION)


def tag_dict(tags: list[dict]) -> dict:
    """``[{"key": k, "value": v}]`` (a module's snake-cased boto3 tag list) -> ``{k: v}``."""
    return {tag["key"]: tag["value"] for tag in tags}


@pytest.fixture
def run(ansible, emulator):
    """Run one module against the emulator; fail the test if the module failed."""

    def _run(name, args, *, ok=True, timeout=600):
        result = ansible.module(name, args, env=emulator.env(), timeout=timeout)
        if ok:
            assert result.rc == 0 and not result.result.get("failed"), result.result.get("msg") or result.output
        return result.result

    return _run


@pytest.fixture(scope="module")
def network(emulator):
    """A VPC with two subnets in two AZs and a security group (made with boto3)."""
    ec2 = client(emulator, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName="fixes", Description="fixes", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "sg": sg}


# -- EC2 ----------------------------------------------------------------------------


@covers("nat_gateway_tags_use_natgateway_resource_type")
def test_nat_gateway_tags_use_natgateway_resource_type(run, network):
    args = {"subnet_id": network["subnets"][0], "if_exist_do_not_create": True, "tags": {"Name": "fixes-nat"}}
    first = run("amazon.aws.ec2_vpc_nat_gateway", args)
    second = run("amazon.aws.ec2_vpc_nat_gateway", args)
    assert first["changed"] is True
    assert second["nat_gateway_id"] == first["nat_gateway_id"]
    assert second["tags"] == {"Name": "fixes-nat"}
    assert second["changed"] is False


@covers("security_group_rules_match_without_description")
def test_security_group_rule_description_of_a_group_rule_changes(emulator, network):
    ec2 = client(emulator, "ec2")
    source = ec2.create_security_group(GroupName="fixes-source", Description="fixes", VpcId=network["vpc"])["GroupId"]

    def rule(description):
        pair = {"GroupId": source, "Description": description}
        return [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [pair]}]

    def descriptions():
        (group,) = ec2.describe_security_groups(GroupIds=[network["sg"]])["SecurityGroups"]
        return [p.get("Description") for perm in group["IpPermissions"] for p in perm.get("UserIdGroupPairs", [])]

    ec2.authorize_security_group_ingress(GroupId=network["sg"], IpPermissions=rule("old"))
    ec2.update_security_group_rule_descriptions_ingress(GroupId=network["sg"], IpPermissions=rule("new"))
    assert descriptions() == ["new"]
    with pytest.raises(ec2.exceptions.ClientError, match=r"InvalidPermission\.Duplicate"):
        ec2.authorize_security_group_ingress(GroupId=network["sg"], IpPermissions=rule("other"))
    assert descriptions() == ["new"]
    ec2.revoke_security_group_ingress(GroupId=network["sg"], IpPermissions=rule("new"))


# -- RDS ------------------------------------------------------------------------------


@covers("rds_describe_missing_parameter_group_is_not_found")
def test_rds_describe_missing_parameter_group_is_not_found(run):
    args = {
        "name": "fixes-pg16",
        "engine": "postgres16",
        "description": "fixes",
        "params": {"rds.force_ssl": 1},
        "state": "present",
    }
    first = run("amazon.aws.rds_instance_param_group", args)
    second = run("amazon.aws.rds_instance_param_group", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert second["db_parameter_group_name"] == "fixes-pg16"


@covers("rds_gp3_reports_baseline_iops_and_throughput")
def test_rds_gp3_reports_baseline_iops_and_throughput(run, emulator, network):
    rds = client(emulator, "rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="fixes-db", DBSubnetGroupDescription="fixes", SubnetIds=network["subnets"]
    )
    args = {
        "id": "fixes-db",
        "engine": "postgres",
        "engine_version": "16.4",
        "db_instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "storage_type": "gp3",
        "username": "owui",
        "password": "not-a-secret-1",
        "db_subnet_group_name": "fixes-db",
        "vpc_security_group_ids": [network["sg"]],
        "wait": True,
    }
    first = run("amazon.aws.rds_instance", args)
    second = run("amazon.aws.rds_instance", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert (second["storage_throughput"], second["iops"]) == (125, 3000)
    # From 400 GiB, PostgreSQL's gp3 baseline is 12000 IOPS / 500 MiB/s.
    big = rds.create_db_instance(
        DBInstanceIdentifier="fixes-db-big",
        Engine="postgres",
        DBInstanceClass="db.m6g.large",
        AllocatedStorage=400,
        StorageType="gp3",
        MasterUsername="owui",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]
    assert (big["StorageThroughput"], big["Iops"]) == (500, 12000)


def _db_parameters(rds, group, **filters) -> dict:
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, **filters)
    return {p["ParameterName"]: p for p in pages.build_full_result()["Parameters"]}


@covers("rds_parameter_groups_know_engine_defaults")
def test_rds_parameter_group_sets_engine_default_parameters(run, emulator):
    """rds_instance_param_group finds the family's parameters (it reports unknown ones in
    ``errors`` without failing), sets them once, and names a misspelt one."""
    rds = client(emulator, "rds")
    # AWS: rds.force_ssl is 1 by default from PostgreSQL 15 (rds_engine_defaults cites it).
    args = {
        "name": "fixes-params",
        "engine": "postgres16",
        "description": "fixes",
        "params": {"rds.force_ssl": 1, "log_min_duration_statement": 1000, "log_connections": True},
        "state": "present",
    }
    first = run("amazon.aws.rds_instance_param_group", args)
    second = run("amazon.aws.rds_instance_param_group", args)
    assert first["errors"] == []
    assert (first["changed"], second["changed"]) == (True, False)
    assert second["errors"] == []
    params = _db_parameters(rds, "fixes-params")
    assert _db_parameters(rds, "fixes-params", PaginationConfig={"PageSize": 20}) == params  # Marker paging
    assert len(params) > 20
    assert params["rds.force_ssl"]["ParameterValue"] == "1"
    assert params["rds.force_ssl"]["DataType"] == "boolean"
    assert params["rds.force_ssl"]["AllowedValues"] == "0,1"
    assert params["log_min_duration_statement"]["Source"] == "user"
    assert params["log_min_duration_statement"]["ParameterValue"] == "1000"
    assert params["log_connections"]["ParameterValue"] == "1"
    assert params["password_encryption"] == {**params["password_encryption"], "Source": "engine-default"}
    user = _db_parameters(rds, "fixes-params", Source="user")
    assert sorted(user) == ["log_connections", "log_min_duration_statement"]
    # Turning TLS enforcement off is a user value too.
    off = run("amazon.aws.rds_instance_param_group", {**args, "params": {"rds.force_ssl": 0}})
    assert off["changed"] is True
    assert _db_parameters(rds, "fixes-params", Source="user")["rds.force_ssl"]["ParameterValue"] == "0"

    misspelt = run("amazon.aws.rds_instance_param_group", {**args, "params": {"rds.force_sll": 1}})
    assert misspelt["changed"] is False
    assert len(misspelt["errors"]) == 1 and "rds.force_sll" in misspelt["errors"][0]


@covers("rds_parameter_groups_know_engine_defaults")
def test_rds_modify_db_parameter_group_checks_names_and_values(emulator):
    rds = client(emulator, "rds")
    rds.create_db_parameter_group(
        DBParameterGroupName="fixes-check", DBParameterGroupFamily="postgres17", Description="x"
    )

    def modify(name, value, method="pending-reboot"):
        param = {"ParameterName": name, "ParameterValue": value, "ApplyMethod": method}
        rds.modify_db_parameter_group(DBParameterGroupName="fixes-check", Parameters=[param])

    refused = [
        ("rds.force_sll", "1", "Could not find parameter with name: rds.force_sll"),
        ("rds.force_ssl", "2", "Invalid parameter value: 2 for: rds.force_ssl allowed values are: 0,1"),
        ("log_statement", "everything", "allowed values are: none,ddl,mod,all"),
        ("statement_timeout", "-5", "statement_timeout"),
        ("shared_preload_libraries", "pg_stat_statements,no_such_lib", "shared_preload_libraries"),
        ("rds.extensions", "vector", "The parameter rds.extensions cannot be modified."),
    ]
    for name, value, message in refused:
        with pytest.raises(rds.exceptions.ClientError, match="InvalidParameterValue") as error:
            modify(name, value)
        assert message in str(error.value)
    with pytest.raises(rds.exceptions.ClientError, match="InvalidParameterCombination"):
        modify("shared_preload_libraries", "pg_stat_statements,pgaudit", method="immediate")  # a static parameter
    modify("shared_preload_libraries", "pg_stat_statements,pgaudit")
    modify("pgaudit.log", "ddl,role")
    modify("timezone", "Europe/Lisbon")
    assert _db_parameters(rds, "fixes-check", Source="user")["pgaudit.log"]["ParameterValue"] == "ddl,role"
    # Nothing refused was stored.
    assert sorted(_db_parameters(rds, "fixes-check", Source="user")) == [
        "pgaudit.log",
        "shared_preload_libraries",
        "timezone",
    ]


@covers("rds_parameter_groups_know_engine_defaults")
def test_rds_describe_engine_default_parameters_pages(emulator):
    rds = client(emulator, "rds")
    first = rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres16", MaxRecords=20)
    first = first["EngineDefaults"]
    assert first["DBParameterGroupFamily"] == "postgres16"
    assert len(first["Parameters"]) == 20 and first["Marker"]
    rest = rds.describe_engine_default_parameters(
        DBParameterGroupFamily="postgres16", MaxRecords=20, Marker=first["Marker"]
    )["EngineDefaults"]
    pages = rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily="postgres16")
    everything = pages.build_full_result()["EngineDefaults"]["Parameters"]
    names = [p["ParameterName"] for p in everything]
    assert [p["ParameterName"] for p in first["Parameters"] + rest["Parameters"]] == names[
        : 20 + len(rest["Parameters"])
    ]
    assert len(set(names)) == len(names) > 20
    by_name = {p["ParameterName"]: p for p in everything}
    for name in ("rds.force_ssl", "shared_preload_libraries", "log_statement", "idle_in_transaction_session_timeout",
                 "statement_timeout", "max_connections", "work_mem", "rds.logical_replication",
                 "password_encryption", "ssl_min_protocol_version", "timezone", "pgaudit.log"):  # fmt: skip
        assert by_name[name]["ApplyType"] in ("static", "dynamic"), name
    assert by_name["rds.logical_replication"]["ApplyType"] == "static"
    # AWS: 1 from PostgreSQL 15, 0 before.
    pg14 = rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily="postgres14")
    pg14 = {p["ParameterName"]: p for p in pg14.build_full_result()["EngineDefaults"]["Parameters"]}
    assert (pg14["rds.force_ssl"]["ParameterValue"], by_name["rds.force_ssl"]["ParameterValue"]) == ("0", "1")
    with pytest.raises(rds.exceptions.ClientError, match="MaxRecords"):
        rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres16", MaxRecords=10)


# -- EFS ------------------------------------------------------------------------------


@covers("kms_key_deletion_accepts_key_arn")
def test_kms_key_deletion_accepts_key_arn(run, emulator):
    created = run("amazon.aws.kms_key", {"alias": "alias/fix-kms-deletion", "enable_key_rotation": True})
    gone = run("amazon.aws.kms_key", {"alias": "alias/fix-kms-deletion", "state": "absent", "pending_window": 7})
    assert gone["changed"]
    key = client(emulator, "kms").describe_key(KeyId=created["key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    again = run("amazon.aws.kms_key", {"alias": "alias/fix-kms-deletion", "state": "absent", "pending_window": 7})
    assert not again["changed"]


@covers("kms_key_usage_defaults_to_encrypt_decrypt")
def test_kms_key_usage_defaults_to_encrypt_decrypt(run, emulator):
    kms = client(emulator, "kms")
    key = kms.create_key(Description="fixes: no KeyUsage given")["KeyMetadata"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("KeyUsage") == "ENCRYPT_DECRYPT"
    topic = client(emulator, "sns").create_topic(Name="fixes-encrypted")["TopicArn"]
    args = {"topic_arn": topic, "kms_key_id": key["Arn"]}
    first = run("ajudadigital.openwebui.sns_topic_encryption", args)
    second = run("ajudadigital.openwebui.sns_topic_encryption", args)
    assert first["changed"] is True
    assert (second["changed"], second["kms_key_arn"]) == (False, key["Arn"])


@covers("alb_describe_attributes_reports_defaults")
def test_alb_describe_attributes_reports_defaults(run, emulator, network):
    args = {
        "name": "fix-alb-attributes",
        "subnets": network["subnets"],
        "security_groups": [network["sg"]],
        "scheme": "internet-facing",
        "idle_timeout": 600,
        "http_drop_invalid_header_fields": True,
        "http2": True,
        "listeners": [],
        "wait": False,
    }
    created = run("amazon.aws.elb_application_lb", args)
    assert created["changed"]
    again = run("amazon.aws.elb_application_lb", args)
    assert not again["changed"]
    attributes = {
        a["Key"]: a["Value"]
        for a in client(emulator, "elbv2").describe_load_balancer_attributes(
            LoadBalancerArn=created["load_balancer_arn"]
        )["Attributes"]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "600"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "false"


@covers("efs_legacy_tag_api")
def test_efs_legacy_tag_api(run, network):
    args = {
        "name": "fixes-efs",
        "encrypt": True,
        "targets": [{"subnet_id": network["subnets"][0], "security_groups": [network["sg"]]}],
        "tags": {"env": "fixes"},
        "state": "present",
    }
    first = run("community.aws.efs", args)
    second = run("community.aws.efs", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert tag_dict(second["efs"]["tags"]) == {"env": "fixes"}
    # Changing a tag goes through CreateTags + DeleteTags.
    third = run("community.aws.efs", {**args, "tags": {"team": "ai"}})
    assert third["changed"] is True
    assert tag_dict(third["efs"]["tags"]) == {"team": "ai"}


# -- ACM ------------------------------------------------------------------------------


def _cert_chain() -> tuple[str, str, str]:
    """(leaf certificate, its private key, CA certificate) in PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def build(subject, issuer, public_key, signer, ca):
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer, hashes.SHA256())
        )

    ca = build("Fixes Test CA", "Fixes Test CA", ca_key.public_key(), ca_key, True)
    leaf = build("owui.example.test", "Fixes Test CA", key.public_key(), ca_key, False)

    def pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    return pem(leaf), key_pem, pem(ca)


@covers("acm_imported_chain_is_returned_as_imported")
def test_acm_imported_chain_is_returned_as_imported(run, emulator):
    leaf, key, ca = _cert_chain()
    args = {"name_tag": "fixes-cert", "certificate": leaf, "private_key": key, "certificate_chain": ca}
    first = run("community.aws.acm_certificate", args)
    second = run("community.aws.acm_certificate", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert second["certificate"]["arn"] == first["certificate"]["arn"]
    chain = client(emulator, "acm").get_certificate(CertificateArn=first["certificate"]["arn"])["CertificateChain"]
    assert chain.strip() == ca.strip()


# -- Application Auto Scaling ------------------------------------------------------


@covers("application_autoscaling_describe_policies_filters_names")
def test_application_autoscaling_describe_policies_filters_names(run, emulator):
    ecs = client(emulator, "ecs")
    ecs.create_cluster(clusterName="fixes-scaling")
    ecs.register_task_definition(
        family="fixes-scaling", containerDefinitions=[{"name": "c", "image": "x", "memory": 64}]
    )
    ecs.create_service(cluster="fixes-scaling", serviceName="web", taskDefinition="fixes-scaling", desiredCount=1)

    def policy(name, metric, target):
        return {
            "policy_name": name,
            "service_namespace": "ecs",
            "resource_id": "service/fixes-scaling/web",
            "scalable_dimension": "ecs:service:DesiredCount",
            "policy_type": "TargetTrackingScaling",
            "minimum_tasks": 1,
            "maximum_tasks": 4,
            "target_tracking_scaling_policy_configuration": {
                "TargetValue": target,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
            "state": "present",
        }

    cpu = policy("fixes-cpu", "ECSServiceAverageCPUUtilization", 60)
    memory = policy("fixes-memory", "ECSServiceAverageMemoryUtilization", 75)
    assert run("community.aws.application_autoscaling_policy", cpu)["changed"] is True
    assert run("community.aws.application_autoscaling_policy", memory)["changed"] is True
    second = run("community.aws.application_autoscaling_policy", memory)
    assert second["response"]["policy_name"] == "fixes-memory"
    assert second["response"]["target_tracking_scaling_policy_configuration"]["target_value"] == 75
    assert second["changed"] is False


# -- ECS ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ecs_task(emulator):
    ecs = client(emulator, "ecs")
    ecs.create_cluster(clusterName="fixes")

    def register():
        return ecs.register_task_definition(
            family="fixes-web",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": "nginx", "essential": True}],
        )["taskDefinition"]

    return ecs, register


@covers("ecs_fargate_task_memory_is_the_task_level_memory", "network_interface_always_has_a_private_dns_name")
def test_ecs_fargate_task_memory_is_the_task_level_memory(emulator, network, ecs_task):
    """RunTask of a Fargate task definition whose container has no memory of its own, in
    awsvpc mode in a VPC without DNS host names (the task's interface has its DNS name)."""
    ecs, register = ecs_task
    task = register()
    assert "memory" not in task["containerDefinitions"][0]
    tasks = ecs.run_task(
        cluster="fixes",
        taskDefinition=task["taskDefinitionArn"],
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": network["subnets"], "securityGroups": [network["sg"]]}
        },
    )["tasks"]
    assert [t["taskDefinitionArn"] for t in tasks] == [task["taskDefinitionArn"]]
    details = {d["name"]: d["value"] for d in tasks[0]["attachments"][0]["details"]}
    assert details["privateDnsName"].startswith("ip-"), details
    ecs.stop_task(cluster="fixes", task=tasks[0]["taskArn"])


@covers("ecs_create_service_keeps_health_check_grace_period")
def test_ecs_create_service_keeps_health_check_grace_period(run, emulator, network, ecs_task):
    register = ecs_task[1]
    task = register()
    elbv2 = client(emulator, "elbv2")
    tg = elbv2.create_target_group(Name="fixes-tg", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    args = {
        "name": "web",
        "cluster": "fixes",
        "task_definition": f"{task['family']}:{task['revision']}",
        "desired_count": 2,
        "launch_type": "FARGATE",
        "health_check_grace_period_seconds": 60,
        "load_balancers": [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
        "network_configuration": {"subnets": network["subnets"], "security_groups": [network["sg"]]},
        "state": "present",
    }
    first = run("community.aws.ecs_service", args)
    second = run("community.aws.ecs_service", args)
    assert first["changed"] is True
    assert second["service"]["healthCheckGracePeriodSeconds"] == 60
    assert second["changed"] is False


@covers("ecs_service_deployments_reach_steady_state")
def test_ecs_service_deployments_reach_steady_state(run, emulator, network, ecs_task):
    ecs, register = ecs_task
    first_task, second_task = register(), register()
    args = {
        "name": "api",
        "cluster": "fixes",
        "task_definition": f"{first_task['family']}:{first_task['revision']}",
        "desired_count": 2,
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": network["subnets"], "security_groups": [network["sg"]]},
        "state": "present",
    }
    run("community.aws.ecs_service", args)
    ecs.get_waiter("services_stable").wait(
        cluster="fixes", services=["api"], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    # A new task definition starts a new deployment that also reaches steady state.
    updated = run("community.aws.ecs_service", {**args, "task_definition": f"fixes-web:{second_task['revision']}"})
    assert updated["changed"] is True
    ecs.get_waiter("services_stable").wait(
        cluster="fixes", services=["api"], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    service = ecs.describe_services(cluster="fixes", services=["api"])["services"][0]
    (deployment,) = service["deployments"]
    assert (service["runningCount"], service["desiredCount"]) == (2, 2)
    assert (deployment["status"], deployment["rolloutState"], deployment["runningCount"]) == ("PRIMARY", "COMPLETED", 2)
    assert deployment["taskDefinition"] == second_task["taskDefinitionArn"]


@covers("ecs_update_cluster_settings")
def test_ecs_update_cluster_settings(run, emulator):
    ecs = client(emulator, "ecs")
    ecs.create_cluster(clusterName="fixes-insights")
    args = {"cluster": "fixes-insights", "container_insights": "enhanced"}
    first = run("ajudadigital.openwebui.ecs_cluster_settings", args)
    second = run("ajudadigital.openwebui.ecs_cluster_settings", args)
    assert first["changed"] is True
    assert (second["changed"], second["settings"]) == (False, [{"name": "containerInsights", "value": "enhanced"}])
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="InvalidParameterException"):
        ecs.update_cluster_settings(cluster="fixes-insights", settings=[{"name": "containerInsights", "value": "on"}])
    with pytest.raises(ClientError, match="InvalidParameterException"):
        ecs.update_cluster_settings(cluster="fixes-insights", settings=[{"name": "insights", "value": "enabled"}])
    ecs.create_cluster(clusterName="fixes-insights-gone")
    ecs.delete_cluster(cluster="fixes-insights-gone")
    for cluster in ("fixes-insights-gone", "fixes-no-such-cluster"):
        with pytest.raises(ClientError, match="ClusterNotFoundException"):
            ecs.update_cluster_settings(cluster=cluster, settings=[{"name": "containerInsights", "value": "enabled"}])


@covers("ecs_describe_clusters_settings_only_when_included")
def test_ecs_describe_clusters_settings_only_when_included(emulator):
    ecs = client(emulator, "ecs")
    ecs.create_cluster(clusterName="fixes-settings", settings=[{"name": "containerInsights", "value": "enabled"}])
    (plain,) = ecs.describe_clusters(clusters=["fixes-settings"])["clusters"]
    (full,) = ecs.describe_clusters(clusters=["fixes-settings"], include=["SETTINGS", "TAGS"])["clusters"]
    assert "settings" not in plain
    assert full["settings"] == [{"name": "containerInsights", "value": "enabled"}]


# -- Backup ---------------------------------------------------------------------------


@covers("backup_describe_missing_vault_is_access_denied")
def test_backup_describe_missing_vault_is_access_denied(run):
    args = {"backup_vault_name": "fixes-vault", "tags": {"env": "fixes"}}
    first = run("amazon.aws.backup_vault", args)
    second = run("amazon.aws.backup_vault", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert second["vault"]["backup_vault_name"] == "fixes-vault"


@covers("backup_recovery_points")
def test_backup_recovery_points(emulator):
    from botocore.exceptions import ClientError

    backup, rds = client(emulator, "backup"), client(emulator, "rds")
    backup.create_backup_vault(BackupVaultName="fixes-points")
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="fixes-points")["RecoveryPoints"] == []
    with pytest.raises(ClientError, match="AccessDeniedException"):
        backup.list_recovery_points_by_backup_vault(BackupVaultName="fixes-no-such-vault")

    # An on-demand job of an RDS instance: its recovery point is a DB snapshot awsbackup:job-<id>.
    instance = rds.create_db_instance(
        DBInstanceIdentifier="fixes-backed-up", Engine="postgres", DBInstanceClass="db.t4g.micro",
        MasterUsername="fixes", MasterUserPassword="fixes-password-1", AllocatedStorage=20,
    )["DBInstance"]  # fmt: skip
    role = "arn:aws:iam::123456789012:role/fixes-backup"
    job = backup.start_backup_job(
        BackupVaultName="fixes-points", ResourceArn=instance["DBInstanceArn"], IamRoleArn=role
    )
    point = job["RecoveryPointArn"]
    assert point == f"arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-{job['BackupJobId'].lower()}"
    described = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert (described["State"], described["ResourceType"], described["RecoveryPointArn"]) == ("COMPLETED", "RDS", point)
    (listed,) = backup.list_recovery_points_by_backup_vault(BackupVaultName="fixes-points")["RecoveryPoints"]
    assert (listed["RecoveryPointArn"], listed["ResourceArn"], listed["Status"]) == (
        point,
        instance["DBInstanceArn"],
        "COMPLETED",
    )
    (by_resource,) = backup.list_recovery_points_by_resource(ResourceArn=instance["DBInstanceArn"])["RecoveryPoints"]
    assert by_resource["RecoveryPointArn"] == point
    assert backup.describe_recovery_point(BackupVaultName="fixes-points", RecoveryPointArn=point)["ResourceName"] == (
        "fixes-backed-up"
    )
    point_id = point.split(":snapshot:", 1)[1]  # listed with SnapshotType awsbackup only, as on AWS
    (snapshot,) = rds.describe_db_snapshots(DBSnapshotIdentifier=point_id, SnapshotType="awsbackup")["DBSnapshots"]
    assert (snapshot["SnapshotType"], snapshot["DBInstanceIdentifier"]) == ("awsbackup", "fixes-backed-up")
    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="fixes-from-point", DBSnapshotIdentifier=point
    )
    assert restored["DBInstance"]["DBInstanceIdentifier"] == "fixes-from-point"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.describe_backup_job(BackupJobId="00000000-0000-0000-0000-000000000000")
    # The vault counts its points and cannot be deleted while it holds one.
    (vault,) = [v for v in backup.list_backup_vaults()["BackupVaultList"] if v["BackupVaultName"] == "fixes-points"]
    assert vault["NumberOfRecoveryPoints"] == 1
    with pytest.raises(ClientError, match="InvalidRequestException"):
        backup.delete_backup_vault(BackupVaultName="fixes-points")
    backup.delete_recovery_point(BackupVaultName="fixes-points", RecoveryPointArn=point)
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="fixes-points")["RecoveryPoints"] == []
    assert rds.describe_db_snapshots(SnapshotType="awsbackup")["DBSnapshots"] == []
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        backup.start_backup_job(
            BackupVaultName="fixes-points", IamRoleArn=role,
            ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/fixes-not-backed-up",
        )  # fmt: skip
    for name in ("fixes-backed-up", "fixes-from-point"):
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    backup.delete_backup_vault(BackupVaultName="fixes-points")  # empty again


@pytest.fixture(scope="module")
def tasks_emulator(tmp_path_factory):
    """An emulator in run-tasks mode: its EFS file systems keep their files in folders."""
    services = LocalServices(tmp_path_factory.mktemp("tasks-emulator"), with_postgres=False, run_tasks=True)
    services.start()
    yield services
    services.stop()


@covers("backup_efs_recovery_points_and_restore_jobs")
def test_backup_efs_recovery_points_and_restore_jobs(tasks_emulator):
    from botocore.exceptions import ClientError

    backup, efs = client(tasks_emulator, "backup"), client(tasks_emulator, "efs")
    backup.create_backup_vault(BackupVaultName="fixes-efs")
    fs = efs.create_file_system(CreationToken="fixes-efs", Encrypted=True)
    files = tasks_emulator.tasks_dir.parent / "efs" / fs["FileSystemId"]  # what its tasks mount
    (files / "app").mkdir(parents=True)
    (files / "app" / "kept.txt").write_text("before the backup")
    role = "arn:aws:iam::123456789012:role/fixes-backup"

    job = backup.start_backup_job(BackupVaultName="fixes-efs", ResourceArn=fs["FileSystemArn"], IamRoleArn=role)
    point = job["RecoveryPointArn"]
    assert re.fullmatch(r"arn:aws:backup:us-east-1:123456789012:recovery-point:[0-9A-F-]{36}", point), point
    described = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert (described["State"], described["ResourceType"]) == ("COMPLETED", "EFS")
    (by_resource,) = backup.list_recovery_points_by_resource(ResourceArn=fs["FileSystemArn"])["RecoveryPoints"]
    assert by_resource["RecoveryPointArn"] == point
    (files / "app" / "kept.txt").write_text("after the backup")
    (files / "app" / "new.txt").write_text("after the backup")

    # Into the same file system: a new directory off its root; nothing is overwritten.
    metadata = {"file-system-id": fs["FileSystemId"], "newFileSystem": "false"}
    first = backup.start_restore_job(RecoveryPointArn=point, IamRoleArn=role, Metadata=metadata, IdempotencyToken="t-1")
    restore = backup.describe_restore_job(RestoreJobId=first["RestoreJobId"])
    assert (restore["Status"], restore["ResourceType"], restore["CreatedResourceArn"]) == (
        "COMPLETED",
        "EFS",
        fs["FileSystemArn"],
    )
    (restored,) = files.glob("aws-backup-restore_*")
    assert re.fullmatch(r"aws-backup-restore_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{9}Z", restored.name)
    assert (restored / "app" / "kept.txt").read_text() == "before the backup"
    assert not (restored / "app" / "new.txt").exists()
    assert (files / "app" / "kept.txt").read_text() == "after the backup"
    # The same token: the same job, nothing restored again.
    again = backup.start_restore_job(RecoveryPointArn=point, IamRoleArn=role, Metadata=metadata, IdempotencyToken="t-1")
    assert again["RestoreJobId"] == first["RestoreJobId"] and len(list(files.glob("aws-backup-restore_*"))) == 1

    # Into a new file system.
    fresh = {"file-system-id": fs["FileSystemId"], "newFileSystem": "true", "CreationToken": "fixes-efs-new"}
    created = backup.describe_restore_job(
        RestoreJobId=backup.start_restore_job(RecoveryPointArn=point, IamRoleArn=role, Metadata=fresh)["RestoreJobId"]
    )["CreatedResourceArn"]
    new_id = created.rsplit("/", 1)[1]
    assert new_id != fs["FileSystemId"] and efs.describe_file_systems(FileSystemId=new_id)["FileSystems"]
    (in_new,) = (tasks_emulator.tasks_dir.parent / "efs" / new_id).glob("aws-backup-restore_*/app/kept.txt")
    assert in_new.read_text() == "before the backup"

    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        backup.start_restore_job(RecoveryPointArn=point, IamRoleArn=role, Metadata={"newFileSystem": "false"})
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.start_restore_job(RecoveryPointArn=point + "0", IamRoleArn=role, Metadata=metadata)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        backup.describe_restore_job(RestoreJobId="00000000-0000-0000-0000-000000000000")

    backup.delete_recovery_point(BackupVaultName="fixes-efs", RecoveryPointArn=point)
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="fixes-efs")["RecoveryPoints"] == []
    assert not list((tasks_emulator.tasks_dir.parent / "backup").glob("*")), "the recovery point's copy is left"
    backup.delete_backup_vault(BackupVaultName="fixes-efs")


@covers("application_autoscaling_keeps_an_ecs_service_in_its_range")
def test_application_autoscaling_keeps_an_ecs_service_in_its_range(emulator):
    ecs, scaling = client(emulator, "ecs"), client(emulator, "application-autoscaling")
    ecs.create_cluster(clusterName="fixes-range")
    container = [{"name": "c", "image": "public.ecr.aws/docker/library/python:3.12-slim", "memory": 128}]
    ecs.register_task_definition(family="fixes-range", containerDefinitions=container)
    ecs.create_service(cluster="fixes-range", serviceName="web", taskDefinition="fixes-range", desiredCount=2)

    def register(low: int, high: int) -> int:
        scaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId="service/fixes-range/web",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=low, MaxCapacity=high,
        )  # fmt: skip
        return ecs.describe_services(cluster="fixes-range", services=["web"])["services"][0]["desiredCount"]

    assert register(1, 4) == 2  # inside the range: unchanged
    assert register(3, 4) == 3  # below the new minimum: scaled out to it
    assert register(1, 2) == 2  # above the new maximum: scaled in to it
    ecs.delete_service(cluster="fixes-range", service="web", force=True)
    ecs.deregister_task_definition(taskDefinition="fixes-range:1")


@covers("ecs_task_definition_family_means_its_latest_active_revision")
def test_ecs_task_definition_family_means_its_latest_active_revision(emulator):
    from botocore.exceptions import ClientError

    ecs = client(emulator, "ecs")
    for image in ("one", "two", "three"):
        container = [{"name": "c", "image": f"public.ecr.aws/docker/library/python:3.12-{image}", "memory": 128}]
        ecs.register_task_definition(family="fixes-latest-active", containerDefinitions=container)
    ecs.deregister_task_definition(taskDefinition="fixes-latest-active:3")  # as a rollback does
    latest = ecs.describe_task_definition(taskDefinition="fixes-latest-active")["taskDefinition"]
    assert (latest["revision"], latest["status"]) == (2, "ACTIVE")
    gone = ecs.describe_task_definition(taskDefinition="fixes-latest-active:3")["taskDefinition"]
    assert gone["status"] == "INACTIVE"  # by revision, still described
    for revision in (1, 2):
        ecs.deregister_task_definition(taskDefinition=f"fixes-latest-active:{revision}")
    with pytest.raises(ClientError, match="ClientException"):
        ecs.describe_task_definition(taskDefinition="fixes-latest-active")


@covers("ecs_task_definition_families_by_status")
def test_ecs_task_definition_families_by_status(emulator):
    ecs = client(emulator, "ecs")
    container = [{"name": "c", "image": "public.ecr.aws/docker/library/python:3.12-slim", "memory": 128}]
    for family in ("fixes-families-kept", "fixes-families-gone"):
        ecs.register_task_definition(family=family, containerDefinitions=container)
    ecs.deregister_task_definition(taskDefinition="fixes-families-gone:1")

    def families(**status):
        return ecs.list_task_definition_families(familyPrefix="fixes-families-", **status)["families"]

    assert families(status="ACTIVE") == ["fixes-families-kept"]
    assert families(status="INACTIVE") == ["fixes-families-gone"]
    assert sorted(families()) == sorted(families(status="ALL")) == ["fixes-families-gone", "fixes-families-kept"]
    ecs.deregister_task_definition(taskDefinition="fixes-families-kept:1")


@covers("rds_describe_pending_maintenance_actions")
def test_rds_describe_pending_maintenance_actions(emulator):
    from botocore.exceptions import ClientError

    rds = client(emulator, "rds")
    arn = rds.create_db_instance(
        DBInstanceIdentifier="fixes-maintenance", Engine="postgres", DBInstanceClass="db.t4g.micro",
        MasterUsername="fixes", MasterUserPassword="fixes-password-1", AllocatedStorage=20,
    )["DBInstance"]["DBInstanceArn"]  # fmt: skip
    assert rds.describe_pending_maintenance_actions()["PendingMaintenanceActions"] == []
    assert rds.describe_pending_maintenance_actions(ResourceIdentifier=arn)["PendingMaintenanceActions"] == []
    with pytest.raises(ClientError, match="ResourceNotFoundFault"):
        rds.describe_pending_maintenance_actions(ResourceIdentifier=arn.replace("fixes-maintenance", "fixes-none"))


@covers("rds_instances_have_their_own_resource_id")
def test_rds_instances_have_their_own_resource_id(emulator):
    rds = client(emulator, "rds")
    common = {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": 20}
    common |= {"MasterUsername": "fixes", "MasterUserPassword": "fixes-password-1"}
    first = rds.create_db_instance(DBInstanceIdentifier="fixes-resource-a", **common)["DBInstance"]
    second = rds.create_db_instance(DBInstanceIdentifier="fixes-resource-b", **common)["DBInstance"]
    assert re.fullmatch(r"db-[A-Z0-9]{26}", first["DbiResourceId"]), first["DbiResourceId"]
    assert first["DbiResourceId"] != second["DbiResourceId"]
    rds.modify_db_instance(DBInstanceIdentifier="fixes-resource-a", NewDBInstanceIdentifier="fixes-resource-c",
                           ApplyImmediately=True)  # fmt: skip
    (renamed,) = rds.describe_db_instances(DBInstanceIdentifier="fixes-resource-c")["DBInstances"]
    assert renamed["DbiResourceId"] == first["DbiResourceId"]
    for name in ("fixes-resource-b", "fixes-resource-c"):
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)


@covers("rds_automated_snapshots_follow_their_instance")
def test_rds_automated_snapshots_follow_their_instance(emulator):
    rds = client(emulator, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="fixes-auto-a", Engine="postgres", DBInstanceClass="db.t4g.micro",
        MasterUsername="fixes", MasterUserPassword="fixes-password-1", AllocatedStorage=20, BackupRetentionPeriod=1,
    )  # fmt: skip

    def automated() -> list[str]:
        snapshots = rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]
        return [s["DBSnapshotIdentifier"] for s in snapshots if "fixes-auto" in s["DBSnapshotIdentifier"]]

    assert automated(), "no automated snapshot to follow"
    rds.modify_db_instance(DBInstanceIdentifier="fixes-auto-a", NewDBInstanceIdentifier="fixes-auto-b",
                           ApplyImmediately=True)  # fmt: skip
    rds.delete_db_instance(DBInstanceIdentifier="fixes-auto-b", SkipFinalSnapshot=True)
    assert automated() == []


@covers("rds_restore_from_snapshot_applies_its_defaults")
def test_rds_restore_from_snapshot_applies_its_defaults(emulator):
    rds = client(emulator, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="fixes-restore-source", Engine="postgres", DBInstanceClass="db.t4g.micro",
        MasterUsername="fixes", MasterUserPassword="fixes-password-1", AllocatedStorage=20, MultiAZ=True,
        DeletionProtection=True, CopyTagsToSnapshot=True, EnableIAMDatabaseAuthentication=True,
    )  # fmt: skip
    rds.create_db_snapshot(DBInstanceIdentifier="fixes-restore-source", DBSnapshotIdentifier="fixes-restore-snap")
    keys = ("MultiAZ", "DeletionProtection", "CopyTagsToSnapshot", "IAMDatabaseAuthenticationEnabled")
    plain = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="fixes-restore-plain", DBSnapshotIdentifier="fixes-restore-snap"
    )["DBInstance"]
    assert {key: plain[key] for key in keys} == dict.fromkeys(keys, False)
    asked = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="fixes-restore-asked", DBSnapshotIdentifier="fixes-restore-snap",
        MultiAZ=True, DeletionProtection=True, CopyTagsToSnapshot=True, EnableIAMDatabaseAuthentication=True,
    )["DBInstance"]  # fmt: skip
    assert {key: asked[key] for key in keys} == dict.fromkeys(keys, True)
    # An explicit false is honoured (moto dropped every false of the request).
    refused = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="fixes-restore-refused", DBSnapshotIdentifier="fixes-restore-snap",
        MultiAZ=False, DeletionProtection=False,
    )["DBInstance"]  # fmt: skip
    assert (refused["MultiAZ"], refused["DeletionProtection"]) == (False, False)
    described = rds.describe_db_instances(DBInstanceIdentifier="fixes-restore-plain")["DBInstances"][0]
    assert described["DeletionProtection"] is False
    rds.delete_db_instance(DBInstanceIdentifier="fixes-restore-plain", SkipFinalSnapshot=True)


@covers("backup_selections")
def test_backup_selections(run, emulator):
    backup = client(emulator, "backup")
    backup.create_backup_vault(BackupVaultName="fixes-sel-vault")
    plan = run(
        "amazon.aws.backup_plan",
        {
            "backup_plan_name": "fixes-plan",
            "rules": [
                {
                    "rule_name": "daily",
                    "target_backup_vault_name": "fixes-sel-vault",
                    "schedule_expression": "cron(0 5 ? * * *)",
                }
            ],
        },
    )
    args = {
        "selection_name": "fixes-db",
        "backup_plan_name": "fixes-plan",
        "iam_role_arn": "arn:aws:iam::123456789012:role/fixes-backup",
        "resources": ["arn:aws:rds:us-east-1:123456789012:db:fixes-db"],
    }
    first = run("amazon.aws.backup_selection", args)
    second = run("amazon.aws.backup_selection", args)
    assert first["changed"] is True
    assert second["changed"] is False
    assert second["backup_selection"]["selection_name"] == "fixes-db"
    listed = backup.list_backup_selections(BackupPlanId=plan["backup_plan_id"])["BackupSelectionsList"]
    assert [s["SelectionName"] for s in listed] == ["fixes-db"]
    got = backup.get_backup_selection(BackupPlanId=plan["backup_plan_id"], SelectionId=listed[0]["SelectionId"])
    assert got["BackupSelection"]["Resources"] == args["resources"]
    gone = run("amazon.aws.backup_selection", {**args, "state": "absent"})
    assert gone["changed"] is True
    assert backup.list_backup_selections(BackupPlanId=plan["backup_plan_id"])["BackupSelectionsList"] == []


# -- ElastiCache ----------------------------------------------------------------------


@covers("elasticache_cluster_lists_cache_nodes")
def test_elasticache_cluster_lists_cache_nodes(run, emulator, network):
    client(emulator, "elasticache").create_cache_subnet_group(
        CacheSubnetGroupName="fixes-cache", CacheSubnetGroupDescription="fixes", SubnetIds=network["subnets"]
    )
    args = {
        "name": "fixes-redis",
        "engine": "redis",
        "node_type": "cache.t4g.micro",
        "num_nodes": 1,
        "cache_port": 6379,
        "cache_subnet_group": "fixes-cache",
        "security_group_ids": [network["sg"]],
        "state": "present",
        "wait": True,
    }
    first = run("community.aws.elasticache", args)
    second = run("community.aws.elasticache", args)
    assert first["changed"] is True
    assert second["changed"] is False
    cluster = client(emulator, "elasticache").describe_cache_clusters(
        CacheClusterId="fixes-redis", ShowCacheNodeInfo=True
    )["CacheClusters"][0]
    (node,) = cluster["CacheNodes"]
    assert node["Endpoint"]["Port"] == 6379
    assert node["Endpoint"]["Address"].startswith("fixes-redis.")
    assert [sg["SecurityGroupId"] for sg in cluster["SecurityGroups"]] == [network["sg"]]


@covers("elasticache_deleted_cluster_goes_away", "elasticache_delete_cache_subnet_group")
def test_elasticache_deleted_cluster_goes_away_and_subnet_group_deletes(run, emulator, network):
    elasticache = client(emulator, "elasticache")
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="fixes-gone", CacheSubnetGroupDescription="fixes", SubnetIds=network["subnets"]
    )
    elasticache.create_cache_cluster(
        CacheClusterId="fixes-gone",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        NumCacheNodes=1,
        CacheSubnetGroupName="fixes-gone",
    )
    in_use = run("community.aws.elasticache_subnet_group", {"name": "fixes-gone", "state": "absent"}, ok=False)
    assert in_use["failed"] and "CacheSubnetGroupInUse" in in_use["msg"] + str(in_use.get("error", ""))
    # The module's deletion waiter has no timeout: without the fix this never returns.
    deleted = run("community.aws.elasticache", {"name": "fixes-gone", "state": "absent", "wait": True}, timeout=120)
    assert deleted["changed"] is True
    gone = run("community.aws.elasticache_subnet_group", {"name": "fixes-gone", "state": "absent"})
    again = run("community.aws.elasticache_subnet_group", {"name": "fixes-gone", "state": "absent"})
    assert (gone["changed"], again["changed"]) == (True, False)
    groups = elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]
    assert "fixes-gone" not in [g["CacheSubnetGroupName"] for g in groups]


@covers("elasticache_modify_cache_subnet_group")
def test_elasticache_subnet_group_changes_in_place(run, emulator, network):
    """community.aws.elasticache_subnet_group on an existing group with another description and
    subnets: ModifyCacheSubnetGroup (moto: 500); again, no change."""
    elasticache = client(emulator, "elasticache")
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="fixes-moved", CacheSubnetGroupDescription="before", SubnetIds=network["subnets"][:1]
    )
    args = {"name": "fixes-moved", "description": "after", "subnets": network["subnets"], "state": "present"}
    changed = run("community.aws.elasticache_subnet_group", args)
    again = run("community.aws.elasticache_subnet_group", args)
    assert (changed["changed"], again["changed"]) == (True, False)
    (group,) = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="fixes-moved")["CacheSubnetGroups"]
    assert group["CacheSubnetGroupDescription"] == "after"
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(network["subnets"])
    assert group["VpcId"] == network["vpc"]
    missing = run("community.aws.elasticache_subnet_group", dict(args, name="fixes-none"), ok=True)
    assert missing["changed"] is True  # created: an unknown group is not modified
    error = elasticache.exceptions.CacheSubnetGroupNotFoundFault
    with pytest.raises(error):
        elasticache.modify_cache_subnet_group(CacheSubnetGroupName="fixes-unknown", CacheSubnetGroupDescription="x")


@covers("elasticache_cache_parameter_groups")
def test_elasticache_parameter_group_module(run, emulator):
    """community.aws.elasticache_parameter_group (its families stop at ``redis6.x``): create with
    values, again without a change, reset, delete. The replication group fixes' own tests
    (boto3, real servers) are in test_replication_groups.py."""
    args = {
        "name": "fixes-redis6",
        "group_family": "redis6.x",
        "description": "fixes",
        "values": {"maxmemory-policy": "allkeys-lru", "timeout": 300},
        "state": "present",
    }
    first = run("community.aws.elasticache_parameter_group", args)
    second = run("community.aws.elasticache_parameter_group", args)
    assert (first["changed"], second["changed"]) == (True, False)
    elasticache = client(emulator, "elasticache")

    def user_values():
        found = elasticache.describe_cache_parameters(CacheParameterGroupName="fixes-redis6", Source="user")
        return {p["ParameterName"]: p["ParameterValue"] for p in found["Parameters"]}

    assert user_values() == {"maxmemory-policy": "allkeys-lru", "timeout": "300"}
    bad = run("community.aws.elasticache_parameter_group", dict(args, values={"no-such": 1}), ok=False)
    assert bad["failed"] and "not a modifiable parameter" in bad["msg"]
    reset = run("community.aws.elasticache_parameter_group", {"name": "fixes-redis6", "state": "reset"})
    assert reset["changed"] is True and user_values() == {}
    gone = run("community.aws.elasticache_parameter_group", {"name": "fixes-redis6", "state": "absent"})
    again = run("community.aws.elasticache_parameter_group", {"name": "fixes-redis6", "state": "absent"})
    assert (gone["changed"], again["changed"]) == (True, False)


# -- CloudWatch ----------------------------------------------------------------------


@covers("alarm_state_change_notifies_its_topics")
def test_alarm_state_change_notifies_its_topics(emulator):
    sns, sqs, cloudwatch = (client(emulator, s) for s in ("sns", "sqs", "cloudwatch"))
    key = client(emulator, "kms").create_key(Description="fixes-alarm-topic")["KeyMetadata"]["Arn"]
    topic = sns.create_topic(Name="fixes-alarms", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    queue = sqs.create_queue(QueueName="fixes-alarms")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    alarm = dict(
        AlarmName="fixes-cpu",
        Namespace="AWS/ECS",
        MetricName="CPUUtilization",
        Statistic="Average",
        ComparisonOperator="GreaterThanThreshold",
        Threshold=80.0,
        Period=300,
        EvaluationPeriods=1,
        AlarmActions=[topic],
    )
    cloudwatch.put_metric_alarm(**alarm)

    def notifications():
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in messages]

    cloudwatch.set_alarm_state(AlarmName="fixes-cpu", StateValue="ALARM", StateReason="test")
    (sent,) = notifications()
    assert sent["TopicArn"] == topic
    assert sent["Subject"] == f'ALARM: "fixes-cpu" in {REGION}'
    body = json.loads(sent["Message"])
    assert (body["AlarmName"], body["NewStateValue"], body["OldStateValue"]) == ("fixes-cpu", "ALARM", "OK")
    # The same state again is no change: no notification. Back to OK: no OK action, none either.
    cloudwatch.set_alarm_state(AlarmName="fixes-cpu", StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName="fixes-cpu", StateValue="OK", StateReason="test")
    assert notifications() == []
    # Actions disabled: the state changes, no one hears of it.
    cloudwatch.put_metric_alarm(**alarm, ActionsEnabled=False)
    cloudwatch.set_alarm_state(AlarmName="fixes-cpu", StateValue="ALARM", StateReason="test")
    assert notifications() == []


# -- CloudWatch Logs ------------------------------------------------------------------

LOG_EVENTS = "ajudadigital.openwebui.log_events"


def log_group(emulator, name: str, streams: dict[str, list[tuple[int, str]]]):
    """A log group with these streams and their (timestamp, message) events; its logs client."""
    logs = client(emulator, "logs")
    logs.create_log_group(logGroupName=name)
    for stream, events in streams.items():
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(
            logGroupName=name,
            logStreamName=stream,
            logEvents=[{"timestamp": ts, "message": message} for ts, message in events],
        )
    return logs


def messages(found: dict) -> list[str]:
    return [e["message"] for e in found["events"]]


@covers("logs_filter_log_events_by_stream_name_prefix")
def test_logs_filter_log_events_by_stream_name_prefix(run, emulator):
    now, group = int(time.time() * 1000), "/fixes/logs-prefix"
    logs = log_group(
        emulator,
        group,
        {
            "web/app/task-1": [(now - 3000, "one")],
            "web/app/task-2": [(now - 2000, "two")],
            "migrate/app/task-3": [(now - 1000, "three")],
        },
    )
    args = {"log_group_name": group, "start_time": "5m"}
    assert messages(run(LOG_EVENTS, args)) == ["one", "two", "three"]
    assert messages(run(LOG_EVENTS, dict(args, log_stream_name_prefix="web/"))) == ["one", "two"]
    only = run(LOG_EVENTS, dict(args, log_stream_name_prefix="web/app/task-2"))
    assert [(e["log_stream_name"], e["message"]) for e in only["events"]] == [("web/app/task-2", "two")]
    assert run(LOG_EVENTS, dict(args, log_stream_name_prefix="none/"))["events"] == []
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=group, logStreamNames=["web/app/task-1"], logStreamNamePrefix="web/")


@covers("logs_filter_log_events_interleaves_streams")
def test_logs_filter_log_events_interleaves_streams(run, emulator):
    now, group = int(time.time() * 1000), "/fixes/logs-interleaved"
    logs = log_group(
        emulator,
        group,
        {
            "web/app/a": [(now - 6000, "a1"), (now - 4000, "a2"), (now - 2000, "a3")],
            "web/app/b": [(now - 5000, "b1"), (now - 3000, "b2"), (now - 1000, "b3")],
        },
    )
    args = {"log_group_name": group, "start_time": "5m", "limit": 3}
    assert messages(run(LOG_EVENTS, args)) == ["b2", "a3", "b3"]
    assert messages(run(LOG_EVENTS, dict(args, keep="oldest"))) == ["a1", "b1", "a2"]
    pages, token = [], None
    while True:  # page by page, without interleaved (deprecated, ignored by AWS)
        page = logs.filter_log_events(logGroupName=group, limit=2, **({"nextToken": token} if token else {}))
        pages.append([e["message"] for e in page["events"]])
        token = page.get("nextToken")
        if not token:
            break
    assert pages == [["a1", "b1"], ["a2", "b2"], ["a3", "b3"]]


@covers("logs_filter_patterns_match_text_terms")
def test_logs_filter_patterns_match_text_terms(run, emulator):
    now, group = int(time.time() * 1000), "/fixes/logs-patterns"
    lines = [
        "INFO:     Started server process [42]",
        "ERROR: database timeout",
        "WARNING: slow request",
        "ERROR: bad argument",
        '127.0.0.1 - "GET /health HTTP/1.1" 200',
        '127.0.0.1 - "GET /api/config HTTP/1.1" 404',
    ]
    logs = log_group(emulator, group, {"web/app/a": [(now - 6000 + i, line) for i, line in enumerate(lines)]})
    found = run(LOG_EVENTS, {"log_group_name": group, "start_time": "5m", "filter_pattern": "?ERROR ?WARNING"})
    assert messages(found) == lines[1:4]

    def matching(pattern):
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]]

    assert matching("ERROR -timeout") == [lines[3]]
    assert matching("404") == [lines[5]]
    assert matching('"GET /health"') == [lines[4]]
    assert matching('GET -health "HTTP/1.1"') == [lines[5]]
    assert matching(r"%^INFO:\s+Started%") == [lines[0]]
    assert matching("-INFO") == lines[1:]
    assert matching("error") == []  # case sensitive
    assert matching('" "') == lines
    with pytest.raises(logs.exceptions.InvalidParameterException):
        matching("%(ERROR)%")


# -- S3 ------------------------------------------------------------------------------


@covers("bucket_policy_statement_with_unmet_condition_does_not_apply")
def test_bucket_policy_statement_with_unmet_condition_does_not_apply(run, emulator):
    bucket = "fixes-tls-only"
    tls_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    run("amazon.aws.s3_bucket", {"name": bucket, "policy": tls_only, "state": "present"})
    s3 = client(emulator, "s3")
    s3.put_object(Bucket=bucket, Key="file", Body=b"x")  # 403 without the fix
    assert s3.get_object(Bucket=bucket, Key="file")["Body"].read() == b"x"
    # A statement without a condition still denies.
    deny_put = {**tls_only, "Statement": [{**tls_only["Statement"][0], "Action": "s3:PutObject"}]}
    del deny_put["Statement"][0]["Condition"]
    run("amazon.aws.s3_bucket", {"name": bucket, "policy": deny_put, "state": "present"})
    with pytest.raises(s3.exceptions.ClientError, match="403"):
        s3.put_object(Bucket=bucket, Key="other", Body=b"x")
    # The emulator stands for AWS's HTTPS endpoints: a Deny on a secure request applies.
    deny_secure = json.loads(json.dumps(tls_only).replace('"false"', '"true"'))
    run("amazon.aws.s3_bucket", {"name": bucket, "policy": deny_secure, "state": "present"})
    with pytest.raises(s3.exceptions.ClientError, match="403"):
        s3.get_object(Bucket=bucket, Key="file")


def test_condition_holds_in_an_https_request_context():
    """``_condition_holds``: IAM's operators over the emulator's request context."""
    holds = moto_fixes._condition_holds
    https = {"aws:SecureTransport": "true"}
    assert holds({"Bool": {"aws:SecureTransport": "true"}}, https)
    assert not holds({"Bool": {"aws:SecureTransport": "false"}}, https)
    assert holds({"Bool": {"aws:SecureTransport": ["false", "TRUE"]}}, https)
    assert not holds({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, https)  # unknown key: does not hold
    assert holds({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, https)  # ...IfExists: absent holds
    assert not holds({"BoolIfExists": {"aws:SecureTransport": "false"}}, https)  # present: tested
    assert holds({"Null": {"aws:SourceVpce": "true"}}, https)
    assert not holds({"Null": {"aws:SecureTransport": "true"}}, https)
    assert holds({"Null": {"aws:SecureTransport": "false"}}, https)
    assert holds({"StringNotEquals": {"aws:SecureTransport": ["false", "no"]}}, https)
    assert not holds({"StringNotEquals": {"aws:SecureTransport": ["false", "true"]}}, https)
    assert holds({"StringLike": {"aws:SecureTransport": "t?u*"}}, https)
    assert not holds({"StringLike": {"aws:SecureTransport": "t[r]ue"}}, https)  # no character classes
    assert holds({"StringNotLike": {"aws:SecureTransport": "f*"}}, https)
    assert not holds({"NumericLessThan": {"aws:SecureTransport": "1"}}, https)  # unknown operator: does not hold
    # Every block and every key must hold.
    assert not holds({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpce": "v"}}, https)


# -- Pending-state simulation ------------------------------------------------------


PENDING = 3  # seconds the slow emulator holds a new resource in its pending state


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    """A second emulator that holds new resources pending for PENDING seconds."""
    kinds = ",".join(f"{kind}={PENDING}" for kind in moto_fixes.PENDING_KINDS)
    services = LocalServices(tmp_path_factory.mktemp("slow-emulator"), with_postgres=False, pending=kinds)
    services.start()
    yield services
    services.stop()


@pytest.fixture(scope="module")
def slow_network(slow_emulator):
    ec2 = client(slow_emulator, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    return {"vpc": vpc, "subnets": subnets}


def _pending_then_ready(state, pending, ready, born, slack: float = 5.0):
    """``state()`` is ``pending`` right after the create, and ``ready`` once PENDING seconds
    have passed. ``born`` is taken before the create call: the emulator starts its clock when
    it handles the call, which on a loaded machine can be a while later, so ``ready`` may
    come up to ``slack`` seconds after born + PENDING (polled), never before PENDING."""
    assert state() == pending
    time.sleep(max(0.0, born + PENDING + 0.2 - time.monotonic()))
    deadline = time.monotonic() + slack
    seen = state()
    while seen != ready and time.monotonic() < deadline:
        time.sleep(0.25)
        seen = state()
    assert seen == ready


@covers("nat_gateway_pending_then_available")
def test_nat_gateway_pending_then_available(ansible, slow_emulator, slow_network):
    ec2 = client(slow_emulator, "ec2")
    born = time.monotonic()
    nat = ec2.create_nat_gateway(SubnetId=slow_network["subnets"][0], ConnectivityType="private")["NatGateway"]

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]

    _pending_then_ready(state, "pending", "available", born)
    # The module's own wait path: it creates a NAT gateway and waits until it is available.
    started = time.monotonic()
    result = ansible.module(
        "amazon.aws.ec2_vpc_nat_gateway",
        {"subnet_id": slow_network["subnets"][1], "connectivity_type": "private", "wait": True, "wait_timeout": 60},
        env=slow_emulator.env(),
    ).result
    assert result.get("changed") is True, result.get("msg")
    assert result["state"] == "available"
    assert time.monotonic() - started >= PENDING


@covers("rds_instance_creating_then_available")
def test_rds_instance_creating_then_available(slow_emulator):
    rds = client(slow_emulator, "rds")
    born = time.monotonic()
    db = rds.create_db_instance(
        DBInstanceIdentifier="slow-db",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="owui",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]
    assert db["DBInstanceStatus"] == "creating"

    def state():
        db = rds.describe_db_instances(DBInstanceIdentifier="slow-db")["DBInstances"][0]
        return db["DBInstanceStatus"], "Endpoint" in db

    _pending_then_ready(state, ("creating", False), ("available", True), born)


@covers("rds_snapshot_needs_an_available_instance")
def test_rds_snapshot_needs_an_available_instance(slow_emulator):
    """Refused while the instance is ``stopped`` (always checked) and while it is ``creating``
    (checked when the refused call came back within the pending time: a loaded machine may be
    slower than that); taken once it is ``available``."""
    from botocore.exceptions import ClientError

    rds = client(slow_emulator, "rds")
    born = time.monotonic()
    rds.create_db_instance(
        DBInstanceIdentifier="slow-snap-db", Engine="postgres", DBInstanceClass="db.t4g.micro", AllocatedStorage=20,
        MasterUsername="owui", MasterUserPassword="not-a-secret-1",
    )  # fmt: skip
    try:
        rds.create_db_snapshot(DBInstanceIdentifier="slow-snap-db", DBSnapshotIdentifier="slow-snap-early")
        early = None
    except ClientError as error:
        early = error
    if time.monotonic() - born < PENDING - 0.5:  # the call surely met the instance while creating
        assert early is not None and "InvalidDBInstanceState" in str(early), "a creating instance was snapshotted"
        assert "not currently in the available state" in str(early)
        with pytest.raises(ClientError, match="DBSnapshotNotFound"):
            rds.describe_db_snapshots(DBSnapshotIdentifier="slow-snap-early")

    def state():
        return rds.describe_db_instances(DBInstanceIdentifier="slow-snap-db")["DBInstances"][0]["DBInstanceStatus"]

    deadline = time.monotonic() + PENDING + 10
    while state() != "available" and time.monotonic() < deadline:
        time.sleep(0.25)
    snapshot = rds.create_db_snapshot(DBInstanceIdentifier="slow-snap-db", DBSnapshotIdentifier="slow-snap")
    assert snapshot["DBSnapshot"]["Status"] == "available"
    rds.stop_db_instance(DBInstanceIdentifier="slow-snap-db")
    with pytest.raises(ClientError, match="InvalidDBInstanceState"):
        rds.create_db_snapshot(DBInstanceIdentifier="slow-snap-db", DBSnapshotIdentifier="slow-snap-stopped")


@covers("load_balancer_provisioning_then_active")
def test_load_balancer_provisioning_then_active(slow_emulator, slow_network):
    elbv2 = client(slow_emulator, "elbv2")
    born = time.monotonic()
    lb = elbv2.create_load_balancer(Name="slow-alb", Subnets=slow_network["subnets"])["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]

    def state():
        return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    _pending_then_ready(state, "provisioning", "active", born)


@covers("ecs_service_deployments_reach_steady_state")
def test_ecs_deployment_in_progress_then_completed(slow_emulator):
    ecs = client(slow_emulator, "ecs")
    ecs.create_cluster(clusterName="slow")
    ecs.register_task_definition(family="slow", containerDefinitions=[{"name": "c", "image": "nginx", "memory": 64}])
    born = time.monotonic()
    ecs.create_service(cluster="slow", serviceName="svc", taskDefinition="slow", desiredCount=1)

    def state():
        service = ecs.describe_services(cluster="slow", services=["svc"])["services"][0]
        return service["deployments"][0]["rolloutState"], service["runningCount"]

    _pending_then_ready(state, ("IN_PROGRESS", 0), ("COMPLETED", 1), born)


@covers("ecs_force_new_deployment_keeps_the_old_deployment")
def test_ecs_force_new_deployment_keeps_the_old_deployment(slow_emulator):
    """A forced deployment of the same task definition is a new deployment beside the one
    that started the running tasks (which keeps its id until it is drained)."""
    ecs = client(slow_emulator, "ecs")
    ecs.create_cluster(clusterName="forced")
    ecs.register_task_definition(family="forced", containerDefinitions=[{"name": "c", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="forced", serviceName="svc", taskDefinition="forced", desiredCount=1)
    (before,) = ecs.describe_services(cluster="forced", services=["svc"])["services"][0]["deployments"]
    # As community.aws.ecs_service asks: the same task definition by family:revision, forced.
    ecs.update_service(cluster="forced", service="svc", taskDefinition="forced:1", forceNewDeployment=True)
    after = ecs.describe_services(cluster="forced", services=["svc"])["services"][0]["deployments"]
    assert [d["status"] for d in after] == ["PRIMARY", "ACTIVE"], after
    assert after[0]["id"] != before["id"] and after[1]["id"] == before["id"]
    assert after[0]["taskDefinition"] == after[1]["taskDefinition"] == before["taskDefinition"]
    assert after[1]["createdAt"] == before["createdAt"]


@covers("elasticache_creating_then_available")
def test_elasticache_creating_then_available(ansible, slow_emulator, slow_network):
    elasticache = client(slow_emulator, "elasticache")
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="slow-cache", CacheSubnetGroupDescription="slow", SubnetIds=slow_network["subnets"]
    )
    born = time.monotonic()
    elasticache.create_cache_cluster(
        CacheClusterId="slow-redis", Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheNodes=1,
        CacheSubnetGroupName="slow-cache",
    )  # fmt: skip
    elasticache.create_replication_group(
        ReplicationGroupId="slow-group", ReplicationGroupDescription="slow", Engine="redis",
        CacheNodeType="cache.t4g.micro", CacheSubnetGroupName="slow-cache",
    )  # fmt: skip

    def state():
        cluster = elasticache.describe_cache_clusters(CacheClusterId="slow-redis", ShowCacheNodeInfo=True)
        (cluster,) = cluster["CacheClusters"]
        group = elasticache.describe_replication_groups(ReplicationGroupId="slow-group")["ReplicationGroups"][0]
        return cluster["CacheClusterStatus"], "Endpoint" in cluster["CacheNodes"][0], group["Status"]

    _pending_then_ready(state, ("creating", False, "creating"), ("available", True, "available"), born)
    # The module's own wait path (the cache role's): create with wait, get an endpoint.
    started = time.monotonic()
    args = {
        "name": "slow-redis-2",
        "engine": "redis",
        "node_type": "cache.t4g.micro",
        "num_nodes": 1,
        "cache_port": 6379,
        "cache_subnet_group": "slow-cache",
        "state": "present",
        "wait": True,
    }
    result = ansible.module("community.aws.elasticache", args, env=slow_emulator.env()).result
    assert result.get("changed") is True, result.get("msg")
    assert result["elasticache"]["status"] == "available"
    assert result["elasticache"]["data"]["CacheNodes"][0]["Endpoint"]["Port"] == 6379
    assert time.monotonic() - started >= PENDING


def test_pending_kinds_are_validated():
    """The launcher takes every simulated kind (``cache`` is ``elasticache``'s former
    name) and refuses an unknown one before anything starts."""
    from tools.local_services.emulator import parse_pending

    assert parse_pending("rds=3,nat=3,elb=3,ecs=3,elasticache=3") == dict.fromkeys(moto_fixes.PENDING_KINDS, 3.0)
    assert parse_pending("cache=15") == {"elasticache": 15.0}
    with pytest.raises(ValueError, match="unknown kind 'elasticcache'"):
        LocalServices(Path("/nonexistent"), with_postgres=False, pending="rds=3,elasticcache=3")
    with pytest.raises(ValueError, match="not <kind>=<seconds>"):
        parse_pending("rds=soon")


# -- IAM enforcement ------------------------------------------------------------------


@contextlib.contextmanager
def _enforcing(tmp_path, statements):
    """An emulator that enforces IAM, and the AWS_* env of a user with only these statements."""
    services = LocalServices(tmp_path, with_postgres=False, enforce_iam=3)
    services.start()
    try:
        iam = client(services, "iam")
        iam.create_user(UserName="scoped")
        policy = {"Version": "2012-10-17", "Statement": statements}
        iam.put_user_policy(UserName="scoped", PolicyName="scoped", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="scoped")["AccessKey"]
        yield {
            **services.env(),
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
    finally:
        services.stop()


def _as_user(env, service):
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


@covers("iam_policy_resource_matches_requests_moto_cannot_name")
def test_iam_policy_resource_matches_requests_moto_cannot_name(tmp_path, ansible):
    """A user whose policy names EC2 actions on the account's EC2 ARNs (not ``*``) may run
    them on an enforcing emulator; an action it does not name stays denied."""
    from botocore.exceptions import ClientError

    statement = {
        "Effect": "Allow",
        "Action": ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute", "ec2:CreateVpc"],
        "Resource": "arn:aws:ec2:us-east-1:123456789012:*",
    }
    roles = {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::123456789012:role/scoped-*"}
    with _enforcing(tmp_path, [statement, roles]) as env:
        result = ansible.module(
            "amazon.aws.ec2_vpc_net", {"name": "scoped", "cidr_block": "10.9.0.0/16", "tags": {"Stack": "x"}}, env=env
        ).result
        assert result.get("changed") is True, result.get("msg")
        with pytest.raises(ClientError, match="not authorized to perform: ec2:DeleteVpc"):
            _as_user(env, "ec2").delete_vpc(VpcId=result["vpc"]["id"])
        # IAM names the ARN of a role still to be made: a statement scoped to other roles denies it.
        with pytest.raises(ClientError, match="not authorized to perform: iam:CreateRole"):
            _as_user(env, "iam").create_role(RoleName="other", AssumeRolePolicyDocument="{}")


@covers("s3_bucket_requests_are_authorized_as_their_iam_actions")
def test_s3_bucket_requests_are_authorized_as_their_iam_actions(tmp_path, ansible):
    """amazon.aws.s3_bucket (head, encryption, public access block, ownership controls)
    runs with the IAM actions AWS checks, scoped to the bucket; another bucket is denied."""
    from botocore.exceptions import ClientError

    statement = {
        "Effect": "Allow",
        "Action": [
            "s3:CreateBucket",
            "s3:ListBucket",
            "s3:GetBucketVersioning",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketPolicy",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            "s3:GetEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
            "s3:GetBucketOwnershipControls",
            "s3:PutBucketOwnershipControls",
            "s3:GetBucketAcl",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketObjectLockConfiguration",
        ],
        "Resource": "arn:aws:s3:::scoped-*",
    }
    bucket = {
        "name": "scoped-files",
        "encryption": "AES256",
        "public_access": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        "object_ownership": "BucketOwnerEnforced",
    }
    with _enforcing(tmp_path, [statement]) as env:
        result = ansible.module("amazon.aws.s3_bucket", bucket, env=env).result
        assert result.get("changed") is True, result.get("msg")
        result = ansible.module("amazon.aws.s3_bucket", bucket, env=env).result
        assert result.get("changed") is False, result.get("msg")
        with pytest.raises(ClientError, match="AccessDenied"):
            _as_user(env, "s3").create_bucket(Bucket="someone-elses")


@covers("iam_signature_of_a_request_without_body")
def test_iam_signature_of_a_request_without_body(tmp_path, ansible):
    """community.aws.efs_info (GET with a query string) and a Backup listing, signed by an
    allowed user, pass the emulator's signature check."""
    statement = {
        "Effect": "Allow",
        "Action": [
            "elasticfilesystem:DescribeFileSystems",
            "elasticfilesystem:DescribeMountTargets",
            "elasticfilesystem:DescribeTags",
            "backup:ListBackupPlans",
        ],
        "Resource": "*",
    }
    with _enforcing(tmp_path, [statement]) as env:
        result = ansible.module("community.aws.efs_info", {"name": "absent-fs"}, env=env).result
        assert not result.get("failed"), result.get("msg")
        assert result["efs"] == []
        plans = _as_user(env, "backup").list_backup_plans(IncludeDeleted=False)
        assert plans["BackupPlansList"] == []


@covers("iam_actions_use_the_iam_service_prefix")
def test_iam_actions_use_the_iam_service_prefix(tmp_path, ansible):
    """amazon.aws.cloudwatch_metric_alarm runs for a user allowed ``cloudwatch:*Alarm*``
    actions (signing name ``monitoring``)."""
    statement = {
        "Effect": "Allow",
        "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"],
        "Resource": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:scoped-*",
    }
    alarm = {
        "name": "scoped-cpu",
        "metric_name": "CPUUtilization",
        "namespace": "AWS/ECS",
        "statistic": "Average",
        "comparison": "GreaterThanOrEqualToThreshold",
        "threshold": 80.0,
        "period": 300,
        "evaluation_periods": 2,
    }
    with _enforcing(tmp_path, [statement]) as env:
        result = ansible.module("amazon.aws.cloudwatch_metric_alarm", alarm, env=env).result
        assert result.get("changed") is True, result.get("msg")


@covers("backup_update_plan")
def test_backup_update_plan(run, emulator):
    backup = client(emulator, "backup")
    backup.create_backup_vault(BackupVaultName="fixes-upd-vault")
    args = {
        "backup_plan_name": "fixes-upd-plan",
        "rules": [
            {
                "rule_name": "daily",
                "target_backup_vault_name": "fixes-upd-vault",
                "schedule_expression": "cron(0 5 ? * * *)",
                "lifecycle": {"delete_after_days": 35},
            }
        ],
    }
    first = run("amazon.aws.backup_plan", args)
    args["rules"][0]["lifecycle"]["delete_after_days"] = 40
    second = run("amazon.aws.backup_plan", args)
    third = run("amazon.aws.backup_plan", args)
    assert first["changed"] is True
    assert second["changed"] is True
    assert third["changed"] is False
    assert second["backup_plan_id"] == first["backup_plan_id"]
    plan = backup.get_backup_plan(BackupPlanId=first["backup_plan_id"])
    assert plan["BackupPlan"]["Rules"][0]["Lifecycle"]["DeleteAfterDays"] == 40
    assert plan["VersionId"] != first["version_id"]


# -- Cognito --------------------------------------------------------------------------


@pytest.fixture
def cognito(emulator):
    """A cognito-idp client that does not retry (botocore retries LimitExceededException)."""
    from botocore.config import Config

    env = emulator.env()
    return boto3.client(
        "cognito-idp",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"total_max_attempts": 1}),
    )


def secret_ids(idp, pool_id, client_id) -> list[str]:
    listed = idp.list_user_pool_client_secrets(UserPoolId=pool_id, ClientId=client_id)["ClientSecrets"]
    assert all(set(secret) == {"ClientSecretId", "ClientSecretCreateDate"} for secret in listed), listed
    return [secret["ClientSecretId"] for secret in listed]


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@covers("cognito_app_client_secret_rotation")
def test_cognito_app_client_secret_rotation(cognito):
    from botocore.exceptions import ClientError

    pool_id = cognito.create_user_pool(PoolName="fixes-secrets")["UserPool"]["Id"]
    created = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="fixes", GenerateSecret=True)
    client_id = created["UserPoolClient"]["ClientId"]
    ids = dict(UserPoolId=pool_id, ClientId=client_id)

    # The secret the client was created with is its first: an id <client-id>--<epoch>, no value.
    (first,) = secret_ids(cognito, pool_id, client_id)
    assert re.fullmatch(rf"{client_id}--\d+", first)

    # Added, generated by Cognito: the value comes back this once.
    added = cognito.add_user_pool_client_secret(**ids)["ClientSecretDescriptor"]
    assert re.fullmatch(r"[\w+]{24,64}", added["ClientSecretValue"])
    assert re.fullmatch(rf"{client_id}--\d+", added["ClientSecretId"])
    assert isinstance(added["ClientSecretCreateDate"], datetime.datetime)
    assert secret_ids(cognito, pool_id, client_id) == [first, added["ClientSecretId"]]

    # A third: LimitExceededException, generated or given.
    with pytest.raises(ClientError, match="LimitExceededException"):
        cognito.add_user_pool_client_secret(**ids)
    with pytest.raises(ClientError, match="LimitExceededException"):
        cognito.add_user_pool_client_secret(**ids, ClientSecret="a" * 32)

    # Unknown pool, client or secret id: ResourceNotFoundException.
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        cognito.delete_user_pool_client_secret(**ids, ClientSecretId=f"{client_id}--1")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        cognito.list_user_pool_client_secrets(UserPoolId=pool_id, ClientId="fixesnosuchclient")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        cognito.add_user_pool_client_secret(UserPoolId="us-east-1_fixesNone", ClientId=client_id)

    # Deleted; the last one cannot be.
    cognito.delete_user_pool_client_secret(**ids, ClientSecretId=first)
    assert secret_ids(cognito, pool_id, client_id) == [added["ClientSecretId"]]
    with pytest.raises(ClientError, match="InvalidParameterException"):
        cognito.delete_user_pool_client_secret(**ids, ClientSecretId=added["ClientSecretId"])
    assert secret_ids(cognito, pool_id, client_id) == [added["ClientSecretId"]]

    # A secret given (24 to 64 characters of [\w+]): no value in the answer.
    for bad in ("a" * 65, "a" * 30 + "-"):
        with pytest.raises(ClientError, match="InvalidParameterException"):
            cognito.add_user_pool_client_secret(**ids, ClientSecret=bad)
    given = cognito.add_user_pool_client_secret(**ids, ClientSecret="Given_secret+" + "x" * 20)
    given = given["ClientSecretDescriptor"]
    assert "ClientSecretValue" not in given
    assert secret_ids(cognito, pool_id, client_id) == [added["ClientSecretId"], given["ClientSecretId"]]

    # AWS documents no ClientSecret of DescribeUserPoolClient after a rotation: moto's is kept
    # (the secret the client was created with).
    described = cognito.describe_user_pool_client(**ids)["UserPoolClient"]
    assert described["ClientSecret"] == created["UserPoolClient"]["ClientSecret"]

    # A client without a secret (a public client) has none, and gets none.
    public = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="fixes-public")["UserPoolClient"]
    assert secret_ids(cognito, pool_id, public["ClientId"]) == []
    with pytest.raises(ClientError, match="InvalidParameterException"):
        cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=public["ClientId"])


@covers("cognito_app_client_secret_rotation")
def test_cognito_app_client_secrets_sign_secret_hashes(cognito):
    from botocore.exceptions import ClientError

    pool_id = cognito.create_user_pool(PoolName="fixes-secret-hash")["UserPool"]["Id"]
    created = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="fixes",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    client_id, old = created["ClientId"], created["ClientSecret"]
    password = "Fixes-password-1"
    cognito.admin_create_user(UserPoolId=pool_id, Username="fixes", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="fixes", Password=password, Permanent=True)
    refresh = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "fixes", "PASSWORD": password, "SECRET_HASH": secret_hash(old, "fixes", client_id)},
    )["AuthenticationResult"]["RefreshToken"]

    def refreshed(secret):
        params = {"REFRESH_TOKEN": refresh, "SECRET_HASH": secret_hash(secret, "fixes", client_id)}
        answer = cognito.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params)
        return "AccessToken" in answer["AuthenticationResult"]

    new = cognito.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)["ClientSecretDescriptor"]
    assert refreshed(old) and refreshed(new["ClientSecretValue"])  # both secrets are active
    (first, _new_id) = secret_ids(cognito, pool_id, client_id)
    cognito.delete_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id, ClientSecretId=first)
    assert refreshed(new["ClientSecretValue"])
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        refreshed(old)


# -- The fixes themselves -----------------------------------------------------------


def test_fixes_refuse_another_moto_version():
    """The fixes patch moto's internals: they (and the launcher) refuse to start on a moto
    version other than the one they were written for, the pin of requirements/dev.txt."""
    pins = (Path(__file__).parents[2] / "requirements" / "dev.txt").read_text().splitlines()
    assert f"moto=={moto_fixes.MOTO_VERSION}" in [line.split("#")[0].strip() for line in pins]
    moto_fixes.check_moto_version(moto_fixes.MOTO_VERSION)
    with pytest.raises(RuntimeError, match=r"written for moto 5\.2\.5, but moto 5\.3\.0 is installed"):
        moto_fixes.check_moto_version("5.3.0")
    launcher = (
        "import moto; moto.__version__ = '5.3.0'\n"
        "from tools.local_services.emulator import main\n"
        "main(['--port', '1'])\n"
    )
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-c", launcher], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "written for moto 5.2.5, but moto 5.3.0 is installed" in done.stderr
    assert "emulator listening" not in done.stdout


def test_every_fix_has_a_test():
    """Each fix is covered (``@covers``) by a test that fails with it off: run
    ``python -m tools.local_services.check_fixes`` to prove the second half."""
    mapping = fix_tests()
    names = [f.__name__ for f in moto_fixes.FIXES]
    assert len(names) == len(set(names))
    assert [name for name in names if not mapping.get(name)] == []
    assert [name for name in mapping if name not in names] == []
    assert all("::test_" in node for nodes in mapping.values() for node in nodes)
