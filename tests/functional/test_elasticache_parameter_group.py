"""elasticache_parameter_group against the local emulator: a redis7 group (a family that
community.aws.elasticache_parameter_group refuses) in check mode (nothing made), for real, again (no
change, no write); a parameter change in check mode then for real; a tag change; purge_parameters; a
different family fails naming it; absent in check mode, for real, again."""

from __future__ import annotations

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.elasticache_parameter_group"
NAME = "functional-pg-redis7"
WRITES = {
    "CreateCacheParameterGroup",
    "ModifyCacheParameterGroup",
    "ResetCacheParameterGroup",
    "DeleteCacheParameterGroup",
    "AddTagsToResource",
    "RemoveTagsFromResource",
}


@pytest.fixture(scope="module")
def aws(emulator):
    return dict(emulator=emulator, elasticache=emulator.client("elasticache"), connection=emulator.module_connection())


def args(aws, **extra):
    base = dict(
        aws["connection"],
        name=NAME,
        family="redis7",
        description="functional",
        parameters={"slowlog-log-slower-than": 20000},
        tags={"Stack": "functional"},
    )
    return dict(base, **extra)


def run(ansible, module_args, **kwargs):
    result = ansible.module(MODULE, module_args, **kwargs)
    assert result.rc == 0, result.output
    return result.result


def writes_since(aws, count: int) -> list[str]:
    return [r["action"] for r in aws["emulator"].requests()[count:] if r["action"] in WRITES]


def seen(aws) -> int:
    return len(aws["emulator"].requests())


def user_values(aws) -> dict:
    params = aws["elasticache"].describe_cache_parameters(CacheParameterGroupName=NAME, Source="user")["Parameters"]
    return {p["ParameterName"]: p["ParameterValue"] for p in params}


def exists(aws) -> bool:
    elasticache = aws["elasticache"]
    try:
        elasticache.describe_cache_parameter_groups(CacheParameterGroupName=NAME)
    except elasticache.exceptions.CacheParameterGroupNotFoundFault:
        return False
    return True


def test_lifecycle(ansible, aws):
    # check mode: the creation reported, nothing made
    count = seen(aws)
    out = run(ansible, args(aws), check=True, diff=True)
    assert out["changed"] is True and out["diff"]["before"] == {}
    assert out["diff"]["after"]["family"] == "redis7"
    assert out["diff"]["after"]["parameters"] == {"slowlog-log-slower-than": "20000"}
    assert writes_since(aws, count) == [] and not exists(aws)

    # for real
    out = run(ansible, args(aws), diff=True)
    assert_documented("elasticache_parameter_group", out)
    assert out["changed"] is True and out["changed_parameters"] == ["slowlog-log-slower-than"]
    group = aws["elasticache"].describe_cache_parameter_groups(CacheParameterGroupName=NAME)["CacheParameterGroups"][0]
    assert group["CacheParameterGroupFamily"] == "redis7"
    assert user_values(aws) == {"slowlog-log-slower-than": "20000"}
    tags = aws["elasticache"].list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert tags == [{"Key": "Stack", "Value": "functional"}]
    assert out["parameter_group"]["parameters"] == {"slowlog-log-slower-than": "20000"}

    # again: no change, no write
    count = seen(aws)
    out = run(ansible, args(aws), diff=True)
    assert out["changed"] is False and out["changed_parameters"] == []
    assert writes_since(aws, count) == []

    # a parameter and a tag change: check mode, then for real
    changed = args(aws, parameters={"slowlog-log-slower-than": 10000, "slowlog-max-len": 256}, tags={"Stack": "x"})
    count = seen(aws)
    out = run(ansible, changed, check=True, diff=True)
    assert out["changed"] is True and out["changed_parameters"] == ["slowlog-log-slower-than", "slowlog-max-len"]
    assert out["diff"]["after"]["parameters"] == {"slowlog-log-slower-than": "10000", "slowlog-max-len": "256"}
    assert out["diff"]["after"]["tags"] == {"Stack": "x"}
    assert writes_since(aws, count) == [] and user_values(aws) == {"slowlog-log-slower-than": "20000"}
    out = run(ansible, changed)
    assert out["changed"] is True
    assert user_values(aws) == {"slowlog-log-slower-than": "10000", "slowlog-max-len": "256"}
    assert run(ansible, changed)["changed"] is False

    # a parameter left out stays, unless purge_parameters
    fewer = args(aws, parameters={"slowlog-log-slower-than": 10000}, tags={"Stack": "x"})
    assert run(ansible, fewer)["changed"] is False
    out = run(ansible, dict(fewer, purge_parameters=True))
    assert out["changed"] is True and out["changed_parameters"] == ["slowlog-max-len"]
    assert user_values(aws) == {"slowlog-log-slower-than": "10000"}

    # another family: fails, naming it, changing nothing
    count = seen(aws)
    result = ansible.module(MODULE, args(aws, family="redis6.x"))
    assert result.rc != 0 and "family" in result.result["msg"] and "redis6.x" in result.result["msg"]
    assert writes_since(aws, count) == []

    # absent: check mode, for real, again
    absent = dict(aws["connection"], name=NAME, state="absent")
    out = run(ansible, absent, check=True, diff=True)
    assert out["changed"] is True and out["diff"]["after"] == {} and exists(aws)
    assert run(ansible, absent)["changed"] is True and not exists(aws)
    assert run(ansible, absent)["changed"] is False
