"""The benchmark's Terraform peer phase and History section (bench/terraform.py, bench/history.py).

Fast: no deploy. The peer's output is the one its bench.sh writes (captured from a real
run); its failure path runs the real bench.sh with a provider mirror that does not exist
(it fails at ``terraform init``, before any emulator starts).
"""

from __future__ import annotations

import json
import shutil

import pytest

from bench import history
from bench import terraform as peer
from bench.__main__ import REPO, history_row, main, report

# What bench.sh printed and wrote in a real run (2026-12-04, quiet machine).
STDOUT = "terraform: apply=111.3 noop=16.1 destroy=81.1 resources=124\n"
RESULT = {
    "run": 1,
    "apply_s": 111.3,
    "noop_s": 16.1,
    "destroy_s": 81.1,
    "resources": 124,
    "aws_resources": 120,
    "rc": {"apply": 0, "noop": 0, "destroy": 0, "inventory": 0},
    "noop_changes": 0,
    "left_after_destroy": 0,
    "requests": {"apply": 471, "noop": 210, "destroy": 416, "inventory": 68},
    "emulator_errors": {"apply": 0, "noop": 0, "destroy": 0},
    "load": {
        "apply": ["0.86 1.34 1.66", "0.59 1.23 1.60"],
        "noop": ["0.78 1.26 1.60", "1.20 1.33 1.62"],
        "destroy": ["1.20 1.33 1.62", "0.97 1.25 1.57"],
    },
}
META = {
    "date": "2026-12-04 03:00 UTC",
    "command": "python -m bench --runs 1",
    "runs": 1,
    "pending": "rds=40,nat=12,elb=15,ecs=20,elasticache=15",
    "machine": {"cores": 2, "cpu": "test", "ram_gib": 4, "load_start": "0.50 0.60 0.70"},
    "versions": {"python": "3.11"},
    "loaded": False,
    "load_end": "1.00 1.00 1.00",
    "terraform": {"peer": "peers/terraform/bench.sh"},
    "git": {"commit": "abc1234", "subject": "Levers: NAT | RDS waits", "dirty": False},
}


def _phase(seconds, changed=0):
    return {
        "rc": 0,
        "seconds": seconds,
        "requests": {"ec2:CreateVpc": 1},
        "recap": {"localhost": {"ok": 1, "changed": changed, "unreachable": 0, "failed": 0}},
        "tasks": [],
    }


def _run(index, deploy, rerun, rc=0, stdout=STDOUT, result=None, missing=False):
    result = None if missing else result or RESULT
    run = {"run": index, "deploy": _phase(deploy), "rerun": _phase(rerun), "destroy": _phase(50.0)}
    run["terraform"] = {"name": "terraform", "rc": rc, "seconds": 230.0, "line": stdout.strip(), "log": "x.log"}
    run["terraform"]["resources"] = (result or {}).get("resources")
    if rc:
        run["terraform"]["error"] = "terraform init failed (see run-1/init.log)"
    run.update(peer.phases_of(rc, stdout, result))
    return run


def test_the_summary_line_is_parsed_from_the_peers_stdout():
    noisy = "Initializing...\n" + STDOUT + "\n"
    assert peer.parse_line(noisy) == {"apply": 111.3, "noop": 16.1, "destroy": 81.1, "resources": 124}
    assert peer.parse_line("terraform init failed\n") is None
    assert peer.parse_line("terraform: apply= noop=1 destroy=2 resources=3") is None


def test_result_json_becomes_three_phases_of_the_run():
    phases = peer.phases_of(0, STDOUT, RESULT)
    assert list(phases) == ["tf_apply", "tf_noop", "tf_destroy"]
    assert phases["tf_apply"] == {
        "name": "tf_apply",
        "rc": 0,
        "seconds": 111.3,
        "requests": {"terraform peer (request log lines)": 471},
        "load": [0.86, 0.59],
    }
    assert phases["tf_noop"]["seconds"] == 16.1 and phases["tf_destroy"]["requests"] == {
        "terraform peer (request log lines)": 416
    }
    # without result.json the line still gives the times, with the script's exit code
    assert peer.phases_of(0, STDOUT, None)["tf_noop"] == {"name": "tf_noop", "rc": 0, "seconds": 16.1}
    # a peer that failed before its timed phases gives none
    assert peer.phases_of(1, "", None) == {}


def test_a_no_change_apply_that_plans_changes_is_a_failed_phase():
    phases = peer.phases_of(1, STDOUT, RESULT | {"noop_changes": 3, "left_after_destroy": 2})
    assert phases["tf_noop"]["rc"] == 1 and phases["tf_noop"]["changes"] == 3
    assert phases["tf_destroy"]["rc"] == 1 and phases["tf_destroy"]["left"] == 2
    assert phases["tf_apply"]["rc"] == 0
    rc = RESULT["rc"] | {"apply": 1}
    assert peer.phases_of(1, STDOUT, RESULT | {"rc": rc})["tf_apply"]["rc"] == 1


def test_report_puts_terraform_side_by_side_with_the_deploy():
    text = report([_run(1, 100.0, 12.0)], META, [])
    assert "| terraform apply (peer: first deploy) | 111.3 | 471 | 0 | 0.9/0.6 |" in text
    assert "| terraform no-change apply (peer) | 16.1 | 210 | 0 | 0.8/1.2 |" in text
    assert "| terraform destroy (peer) | 81.1 | 416 | 0 | 1.2/1.0 |" in text
    assert "| first deploy / terraform apply | 0.90x | <= 1x | yes |" in text
    assert "| no-change re-run / terraform no-change apply | 0.75x | <= 1x | yes |" in text
    assert "124 resources in state" in text and "planned no change in 1 of 1 run(s)" in text
    # ratios per run, then the median: run 2 is slower than Terraform
    text = report([_run(1, 100.0, 12.0), _run(2, 130.0, 20.0), _run(3, 120.0, 17.0)], META, [])
    assert "| first deploy / terraform apply | 1.08x (0.90-1.17) | <= 1x | no |" in text
    assert "| no-change re-run / terraform no-change apply | 1.06x (0.75-1.24) | <= 1x | no |" in text


def test_report_says_why_terraform_is_missing_or_failed():
    skipped = META | {"terraform": {"peer": "bench.sh", "skipped": "`terraform` is not on PATH"}}
    run = {"run": 1, "deploy": _phase(100.0), "rerun": _phase(12.0)}
    text = report([run], skipped, [])
    assert "Terraform peer not run: `terraform` is not on PATH." in text
    assert "| first deploy / terraform apply | - | <= 1x | not measured (skipped) |" in text
    failed = _run(1, 100.0, 12.0, rc=1, stdout="", missing=True)
    text = report([failed], META, [])
    assert "Run 1: the Terraform peer failed (exit 1; before its timed phases): terraform init failed" in text
    assert "| first deploy / terraform apply | - | <= 1x | not measured (no run where both succeeded) |" in text
    changes = _run(1, 100.0, 12.0, rc=1, result=RESULT | {"noop_changes": 2})
    text = report([changes], META, [])
    assert "Run 1: the Terraform peer failed (exit 1; tf_noop (2 changes planned))" in text
    assert "| terraform no-change apply (peer) | - | 210 | 1 |" in text
    assert "planned no change in 0 of 1 run(s)" in text


def test_the_waiting_goal_is_the_issues_figure():
    def wait(seconds):
        task = {"task": "database : Wait", "role": "database", "action": "amazon.aws.rds_instance_info"}
        return [task | {"seconds": seconds, "runs": 1, "controller": 0, "skipped": 0, "changed": 0}]

    for pending, measured, met in ((166.0, "1.10x", "yes"), (167.0, "1.12x", "no")):
        run = _run(1, 100.0, 12.0)
        run["deploy"]["tasks"] = wait(5.0)
        run["pending"] = _phase(pending) | {"tasks": wait(5.0 + pending - 100.0)}
        text = report([run], META, [])
        row = f"| waiting cost / critical path (whole deploys, as defined) | {measured} | <= 1.1x | {met} |"
        assert row in text


def test_history_is_kept_and_one_line_appended():
    line = history_row([_run(1, 100.0, 12.0)], META)
    assert line == (
        "| 2026-12-04 03:00 UTC | abc1234 | Levers: NAT / RDS waits | 1 | 100.0 | 12.0 | 111.3 | 16.1 "
        "| 0.90x | 0.75x | 0.50 0.60 0.70 |"
    )
    first = report([_run(1, 100.0, 12.0)], META, [line])
    assert history.existing_rows(first) == [line]
    # the next run reads the rows back from the file it replaces and appends its own
    later = history_row([{"run": 1, "deploy": _phase(90.0)}], META | {"git": {"commit": "def5678", "dirty": True}})
    assert "| def5678 (dirty) |  | 1 | 90.0 | - | - | - | - | - |" in later
    second = report([_run(1, 90.0, 12.0)], META, [*history.existing_rows(first), later])
    assert history.existing_rows(second) == [line, later]
    assert second.index("## History") < second.index("## Requests")
    assert history.existing_rows("# no history here\n") == []
    assert "(no run recorded yet)" in report([_run(1, 100.0, 12.0)], META, [])


def test_report_only_keeps_the_history(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text(json.dumps({"meta": META, "runs": [_run(1, 100.0, 12.0)]}))
    results = tmp_path / "RESULTS.md"
    old = "| 2026-11-23 13:52 UTC | 813cc8f | baseline | 1 | 374.1 | 398.0 | - | - | - | - | 3.37 5.03 4.92 |"
    results.write_text("# old\n\n## History\n\n| date | commit |\n|---|---|\n" + old + "\n\n## Requests\n")
    assert main(["--report-only", "--out", str(out), "--results", str(results)]) == 0
    text = results.read_text()
    assert history.existing_rows(text) == [old]
    assert "| first deploy / terraform apply | 0.90x | <= 1x | yes |" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--phases", "deploy,terraforn"], "--phases: unknown phase(s) terraforn"),
        (["--runs", "0"], "--runs: must be at least 1"),
        (["--pending", "rds=soon"], "--pending:"),
    ],
)
def test_bad_options_fail_before_anything_runs(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_skip_reasons_name_what_is_missing(tmp_path, monkeypatch):
    assert "does not exist" in peer.skip_reason(tmp_path / "bench.sh")
    script = tmp_path / "bench.sh"
    script.write_text("exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without terraform
    assert peer.skip_reason(script) == "`terraform` is not on PATH"


REAL_PEER = peer.default_peer(REPO)


@pytest.mark.skipif(
    not REAL_PEER.is_file() or shutil.which("terraform") is None, reason="the Terraform peer is not here"
)
def test_a_failing_peer_is_a_result_not_a_crash(tmp_path, monkeypatch):
    # The real bench.sh, with a provider mirror that does not exist: terraform init fails.
    monkeypatch.setenv("TF_PLUGIN_MIRROR", str(tmp_path / "no-mirror"))
    summary, phases = peer.run_peer(REAL_PEER, REPO, tmp_path / "tf")
    assert summary["rc"] == 1
    assert "terraform init failed" in summary["error"]
    assert summary["dir"] == str(tmp_path / "tf" / "run-1")
    assert phases == {}


def test_a_peer_that_hangs_is_stopped(tmp_path):
    script = tmp_path / "bench.sh"
    script.write_text("sleep 60\n")
    summary, phases = peer.run_peer(script, REPO, tmp_path / "tf", timeout=1)
    assert summary["rc"] == 124 and summary["seconds"] < 30
    assert "ran longer than 1 s" in summary["error"]
    assert phases == {}
