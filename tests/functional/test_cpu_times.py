"""The per-test CPU report (tests/functional/cpu_times.py) in a pytest run of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TESTS = textwrap.dedent(
    """
    import subprocess, sys, time

    BURN = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.6: pass"

    def test_burns_in_a_child():
        # CPU of a process the test waited for counts, as an ansible run's does
        subprocess.run([sys.executable, "-c", BURN], check=True)

    def test_sleeps():
        time.sleep(0.3)
    """
)


def test_each_test_reports_its_cpu_with_the_processes_it_ran(tmp_path):
    (tmp_path / "test_sample.py").write_text(TESTS, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    plugins = ["-p", "tests.functional.cpu_times", "-p", "no:cacheprovider", "-p", "no:xdist"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, f"--rootdir={tmp_path}", "--cpu-times=1", f"--junitxml={junit}"],
        cwd=tmp_path,  # the run collects test_sample.py from here
        # not this run's xdist worker (its PYTEST_XDIST_WORKER would name the sample run's)
        env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(junit).getroot().iter("testcase")  # noqa: S314 - written by the run above
    }
    assert float(properties["test_burns_in_a_child"]["cpu_s"]) >= 0.5
    assert float(properties["test_sleeps"]["cpu_s"]) < 0.3
    summary = run.stdout[run.stdout.index("most CPU 1") :].splitlines()
    assert "test_sample.py::test_burns_in_a_child" in summary[1], run.stdout
    assert "in all 2 tests" in summary[2], run.stdout
    # Without xdist one worker, "main", ran both tests, from 0 s on, for at least the 0.3 s slept.
    spans = run.stdout[run.stdout.index("wall time per worker and group") :].splitlines()
    worker = spans[1].split()
    assert worker[:3] == ["worker", "main", "0"], run.stdout
    assert float(worker[4]) >= 0.3 and worker[5:7] == ["2", "tests"], run.stdout
