"""The benchmark harness's pure logic (bench/): statistics, tables, critical path, report.

Fast: no emulator, no deploy. The benchmark itself runs on demand (``make bench``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench import stats
from bench.__main__ import fixed_sleeps, report, waiting_by_task, waits_of


def test_summary_is_median_min_max():
    assert stats.summary([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)
    assert stats.summary([4.0, 1.0]) == (2.5, 1.0, 4.0)
    with pytest.raises(ValueError):
        stats.summary([])


def test_cells_show_min_max_only_with_several_runs():
    assert stats.fmt_cell([12.34]) == "12.3"
    assert stats.fmt_cell([12.0, 11.0, 14.0]) == "12.0 (11.0-14.0)"
    assert stats.fmt_ratio([2.0]) == "2.00x"
    assert stats.fmt_ratio([2.0, 1.5, 3.0]) == "2.00x (1.50-3.00)"


def test_ratios_pair_the_runs():
    assert stats.ratio([10.0, 20.0], [2.0, 5.0]) == [5.0, 4.0]
    with pytest.raises(ValueError):
        stats.ratio([1.0], [1.0, 2.0])


def test_markdown_table_aligns_numbers_right():
    table = stats.markdown_table(["phase", "seconds"], [("deploy", "12.0 (11.0-14.0)"), ("floor", "1.5")])
    assert table.splitlines() == [
        "| phase | seconds |",
        "|---|---:|",
        "| deploy | 12.0 (11.0-14.0) |",
        "| floor | 1.5 |",
    ]
    with pytest.raises(ValueError):
        stats.markdown_table(["a", "b"], [("only one",)])


def test_critical_path_is_the_longest_chain():
    durations = {"nat1": 12, "nat2": 12, "rds": 40, "elb": 15, "ecs": 20}
    after = {"ecs": ["nat1", "nat2", "rds", "elb"]}
    assert stats.critical_path(durations, after) == (60.0, ["rds", "ecs"])
    # a longer chain through several steps
    durations = {"a": 5, "b": 5, "c": 5, "d": 12}
    assert stats.critical_path(durations, {"b": ["a"], "c": ["b"]}) == (15.0, ["a", "b", "c"])
    assert stats.critical_path({}, {}) == (0.0, [])


def test_critical_path_rejects_cycles_and_unknown_names():
    with pytest.raises(ValueError, match="cycle"):
        stats.critical_path({"a": 1, "b": 1}, {"a": ["b"], "b": ["a"]})
    with pytest.raises(ValueError, match="unknown"):
        stats.critical_path({"a": 1}, {"a": ["x"]})


def test_waits_of_the_local_inventory():
    durations, after = waits_of({"rds": 40, "nat": 12, "elb": 15, "ecs": 20, "elasticache": 15})
    assert durations == {"nat1": 12, "nat2": 12, "rds": 40, "elb": 15, "cache": 15, "ecs": 20}
    assert sum(durations.values()) == 114
    assert stats.critical_path(durations, after) == (60.0, ["rds", "ecs"])
    # a slow Redis cluster becomes the chain's head
    durations, after = waits_of({"rds": 5, "elasticache": 50, "ecs": 10})
    assert stats.critical_path(durations, after) == (60.0, ["cache", "ecs"])
    # a slow NAT gateway becomes the chain's head
    durations, after = waits_of({"rds": 5, "nat": 30, "ecs": 10})
    assert stats.critical_path(durations, after)[0] == 40.0


def test_request_keys_name_the_operation_not_the_resource():
    assert stats.request_key({"service": "ec2", "action": "CreateVpc"}) == "ec2:CreateVpc"
    key = stats.request_key({"service": "s3", "action": "PUT /openwebui-local-data-1", "query": ["tagging"]})
    assert key == "s3:PUT /{bucket}?tagging"
    key = stats.request_key({"service": "elasticfilesystem", "action": "GET /2015-02-01/file-systems/fs-0a1b"})
    assert key == "elasticfilesystem:GET /*/file-systems/*"
    assert stats.is_read("DescribeVpcs") and stats.is_read("GET /*/file-systems")
    assert not stats.is_read("CreateVpc") and not stats.is_read("PUT /{bucket}")


def test_counts_compare_and_split_reads():
    playbook = stats.count_requests(
        [{"service": "ec2", "action": "DescribeVpcs"}] * 3 + [{"service": "ec2", "action": "CreateVpc"}]
    )
    floor = Counter({"ec2:CreateVpc": 1})
    assert stats.compare_counts(playbook, floor) == [("ec2:DescribeVpcs", 3, 0), ("ec2:CreateVpc", 1, 1)]
    assert stats.split_reads(playbook) == (3, 1)


def _phase(seconds, requests=None, tasks=None, changed=0):
    return {
        "rc": 0,
        "seconds": seconds,
        "requests": requests or {"ec2:CreateVpc": 1},
        "recap": {"localhost": {"ok": 1, "changed": changed, "unreachable": 0, "failed": 0}},
        "tasks": tasks or [],
    }


def test_report_states_goals_met_and_not_met():
    tasks = [
        {"task": "vpc : Create the VPC", "role": "vpc", "action": "amazon.aws.ec2_vpc_net", "seconds": 30.0}
        | {"runs": 1, "controller": 0, "skipped": 0, "changed": 1},
        {"task": "vpc : Route", "role": "vpc", "action": "amazon.aws.ec2_vpc_route_table", "seconds": 20.0}
        | {"runs": 3, "controller": 0, "skipped": 0, "changed": 3},
        {"task": "database : Look", "role": "database", "action": "amazon.aws.rds_instance_info", "seconds": 5.0}
        | {"runs": 1, "controller": 0, "skipped": 0, "changed": 0},
    ]
    run = {
        "run": 1,
        "deploy": _phase(100.0, {"ec2:CreateSecurityGroup": 2, "ec2:DescribeVpcs": 4}, tasks),
        "rerun": _phase(40.0),
        "destroy": _phase(50.0),
        "floor": _phase(20.0),
        "pending": _phase(166.0, tasks=[*tasks[:2], tasks[2] | {"seconds": 71.0}]),
    }
    assert fixed_sleeps(run) == {
        "ec2_vpc_route_table: sleep(5) after any change": 15.0,
        "ec2_security_group: sleep(3) after a create": 6.0,
    }
    meta = {
        "date": "2026-01-01 00:00 UTC",
        "command": "python -m bench --runs 1",
        "runs": 1,
        "pending": "rds=40,nat=12,elb=15,ecs=20,elasticache=15",
        "machine": {"cores": 2, "cpu": "test", "ram_gib": 4, "load_start": "3.00 2.00 1.00"},
        "versions": {"python": "3.11"},
        "loaded": True,
        "load_end": "1.00 1.00 1.00",
    }
    text = report([run], meta)
    assert "**Measured under load**" in text
    assert "| first deploy / floor | 5.00x | <= 10x | yes |" in text
    assert "| no-change re-run / floor | 2.00x | <= 5x | yes |" in text
    # waiting cost 66 s against a 60 s critical path: 1.10x, all of it in the wait task
    assert "| waiting cost / critical path (whole deploys, as defined) | 1.10x | <= 1.1x | yes |" in text
    assert "| waiting cost / critical path (time in the wait tasks) | 1.10x | <= 1.1x | (cross-check) |" in text
    assert "critical path 60 s (rds 40 -> ecs 20)" in text
    assert "No-change re-run reported changed=0 in 1 of 1 run(s)." in text
    # the other tasks ran 30 s faster with pending (load changed): judged on the wait tasks
    run["pending"]["seconds"] = 136.0
    text = report([run], meta)
    assert "| waiting cost / critical path (whole deploys, as defined) | 0.60x | <= 1.1x | not judged" in text
    assert "| waiting cost / critical path (time in the wait tasks) | 1.10x | <= 1.1x | yes |" in text
    run["rerun"] = _phase(120.0, changed=2)
    text = report([run], meta)
    assert "| no-change re-run / floor | 6.00x | <= 5x | no |" in text
    assert "changed=0 in 0 of 1 run(s)" in text


def test_waiting_by_task_pairs_the_same_task_of_both_deploys():
    def task(name, seconds):
        return {"task": name, "role": "r", "action": "a", "seconds": seconds, "runs": 1, "controller": 0}

    run = {
        "deploy": {"tasks": [task("r : wait", 1.0), task("r : loop", 1.0), task("r : loop", 1.0)]},
        "pending": {"tasks": [task("r : wait", 41.0), task("r : loop", 1.5), task("r : loop", 13.0)]},
    }
    assert waiting_by_task(run) == [("r", "wait", 1.0, 41.0, 40.0), ("r", "loop", 1.0, 13.0, 12.0)]
