"""Prove that every emulator fix is needed and tested: each fix's tests must fail with it off.

    python -m tools.local_services.check_fixes [--jobs N] [FIX ...]

A test names the fixes it shows with ``@covers("<fix name>", ...)`` (this module).
For each fix of ``moto_fixes.FIXES`` the runner runs, in a pytest of its own, the
tests that cover it with ``OPENWEBUI_EMULATOR_DISABLE_FIXES=<fix name>``; a test that
still passes is a defect (the fix is dead, or the test does not show it), as is a fix
no test covers. A baseline run (no fix off) first checks that those tests pass at all.
Exit status 0 when there is no defect. Takes several minutes (each test starts its
emulator and runs real modules).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEST_FILES = (
    "tests/functional/test_emulator_fixes.py",
    "tests/functional/test_replication_groups.py",
    "tests/functional/test_emulator_scaling.py",
)


def covers(*fix_names: str):
    """Mark a test as showing these fixes (it must fail when any of them is off)."""

    def mark(func):
        func.emulator_fixes = (*getattr(func, "emulator_fixes", ()), *fix_names)
        return func

    return mark


def fix_tests(test_files=TEST_FILES) -> dict[str, list[str]]:
    """``{fix name: [pytest node id, ...]}`` from the ``@covers`` marks of the test files."""
    mapping: dict[str, list[str]] = {}
    for relative in test_files:
        path = REPO / relative
        spec = importlib.util.spec_from_file_location(f"_check_fixes_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, obj in vars(module).items():
            if name.startswith("test_") and callable(obj):
                for fix_name in getattr(obj, "emulator_fixes", ()):
                    mapping.setdefault(fix_name, []).append(f"{relative}::{name}")
    return mapping


def _run(node_ids: list[str], disabled: str) -> dict[str, str]:
    """Run the tests; ``{node id: passed|failed|error|skipped}``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.xml"
        env = dict(os.environ, OPENWEBUI_EMULATOR_DISABLE_FIXES=disabled)
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}", *node_ids]
        subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        outcomes = {}
        if report.exists():
            for case in ET.parse(report).iter("testcase"):  # noqa: S314 - our own pytest report
                test_file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
                node = f"{test_file}::{case.get('name', '').split('[', 1)[0]}"
                kinds = {child.tag for child in case}
                outcome = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
                worst = {"passed": 0, "skipped": 1, "failure": 2, "error": 2}
                if worst[outcome] >= worst.get(outcomes.get(node, "passed"), 0):
                    outcomes[node] = outcome
        return {node: outcomes.get(node, "error") for node in node_ids}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_services.check_fixes", description=__doc__.splitlines()[0]
    )
    parser.add_argument("fixes", nargs="*", help="only these fixes (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="fixes checked in parallel (default 1)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tools.local_services.moto_fixes import FIXES

    names = [f.__name__ for f in FIXES]
    unknown = sorted(set(args.fixes) - set(names))
    if unknown:
        parser.error(f"unknown fixes: {', '.join(unknown)}")
    selected = args.fixes or names
    mapping = fix_tests()
    defects = [f"{name}: no test covers it" for name in selected if not mapping.get(name)]
    defects += [f"{name}: @covers names no fix" for name in mapping if name not in names]

    baseline_nodes = sorted({node for name in selected for node in mapping.get(name, [])})
    print(f"baseline: {len(baseline_nodes)} tests, every fix on", flush=True)
    baseline = _run(baseline_nodes, "") if baseline_nodes else {}
    defects += [
        f"baseline: {node} {outcome} with every fix on" for node, outcome in baseline.items() if outcome != "passed"
    ]

    def check(name):
        return name, _run(mapping[name], name)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, outcomes in pool.map(check, [n for n in selected if mapping.get(n)]):
            still_passing = [node for node, outcome in outcomes.items() if outcome == "passed"]
            status = "DEFECT" if still_passing else "ok"
            print(
                f"{status:6} {name}: " + ", ".join(f"{n.split('::')[1]}={o}" for n, o in outcomes.items()), flush=True
            )
            defects += [f"{name}: {node} passes with the fix off" for node in still_passing]

    print("\n".join(["", f"{len(defects)} defect(s)", *defects]))
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
