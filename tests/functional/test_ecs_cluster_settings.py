"""ecs_cluster_settings against the local emulator: check mode, set, unchanged, change, diff, and
the error on a cluster that does not exist (or was deleted)."""

from __future__ import annotations

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.ecs_cluster_settings"
CLUSTER = "functional-insights"


@pytest.fixture(scope="module")
def aws(emulator):
    ecs = emulator.client("ecs")
    arn = ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    return dict(ecs=ecs, arn=arn, connection=emulator.module_connection())


def insights(aws, cluster=CLUSTER) -> str | None:
    (found,) = aws["ecs"].describe_clusters(clusters=[cluster], include=["SETTINGS"])["clusters"]
    return {s["name"]: s["value"] for s in found["settings"]}.get("containerInsights")


def test_lifecycle(ansible, aws):
    args = dict(aws["connection"], cluster=CLUSTER, container_insights="enabled")
    assert insights(aws) == "disabled"

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"] == {
        "before": {"container_insights": "disabled"},
        "after": {"container_insights": "enabled"},
    }
    assert run.result["container_insights"] == "enabled"
    assert insights(aws) == "disabled", "check mode changed the setting"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert insights(aws) == "enabled"
    assert run.result["cluster_name"] == CLUSTER
    assert run.result["cluster_arn"] == aws["arn"]
    assert run.result["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert_documented("ecs_cluster_settings", run.result)

    # Named by its ARN: the same cluster, no change.
    run = ansible.module(MODULE, dict(args, cluster=aws["arn"]))
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    assert run.result["container_insights"] == "enabled"

    enhanced = dict(args, container_insights="enhanced")
    run = ansible.module(MODULE, enhanced, check=True)
    assert run.result["changed"] is True
    assert insights(aws) == "enabled", "check mode changed the setting"

    run = ansible.module(MODULE, enhanced, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["diff"] == {
        "before": {"container_insights": "enabled"},
        "after": {"container_insights": "enhanced"},
    }
    assert insights(aws) == "enhanced"

    run = ansible.module(MODULE, enhanced)
    assert run.rc == 0 and run.result["changed"] is False, run.output

    run = ansible.module(MODULE, dict(args, container_insights="disabled"))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert insights(aws) == "disabled"


def test_a_missing_cluster_fails_naming_the_option(ansible, aws):
    run = ansible.module(
        MODULE, dict(aws["connection"], cluster="functional-no-such-cluster", container_insights="enabled")
    )
    assert run.rc != 0
    assert run.result["msg"] == (
        "cluster functional-no-such-cluster: no such ECS cluster (MISSING); create it first (community.aws.ecs_cluster)"
    )


def test_a_deleted_cluster_fails_naming_the_option(ansible, aws):
    aws["ecs"].create_cluster(clusterName="functional-deleted")
    aws["ecs"].delete_cluster(cluster="functional-deleted")
    run = ansible.module(MODULE, dict(aws["connection"], cluster="functional-deleted", container_insights="enabled"))
    assert run.rc != 0
    assert run.result["msg"] == (
        "cluster functional-deleted: no such ECS cluster (INACTIVE); create it first (community.aws.ecs_cluster)"
    )


def test_a_bad_value_fails_naming_the_option(ansible, aws):
    run = ansible.module(MODULE, dict(aws["connection"], cluster=CLUSTER, container_insights="on"))
    assert run.rc != 0
    assert "container_insights" in run.result["msg"]
