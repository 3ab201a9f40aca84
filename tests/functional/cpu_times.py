"""The CPU each test costs, beside the wall time ``--durations`` shows (issue #16).

``make test`` runs on 2 cores with every lane busy: the suite's length follows the CPU its
tests burn more than their wall times, which stretch with the load. Each test's report gets
a user property ``cpu_s``: user + system seconds of the xdist worker and of every process it
started and waited for (``ansible-playbook`` and its workers, modules, local services stopped
in the test), from setup to teardown. ``--junitxml`` writes it as a property; the terminal
summary lists the tests that used most (``--cpu-times=N``, 15 in ``make pytest``).

A session fixture's processes (the local services of ``emulator`` or ``local_stack``) are
counted where they are stopped: in the teardown of the worker's last test.

The summary also shows where the wall time went: per xdist worker and per xdist group
(``@name`` in the node ID), when their first test began and their last one ended, in seconds
from the session's first test, with the CPU of their tests. The worker that ends last holds
the suite's critical path.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict

import pytest

PROPERTY = "cpu_s"
SPAN = "span"  # (worker, wall clock at the setup's start, at the teardown's end)
_START = pytest.StashKey[float]()  # the CPU seconds when the test's setup began
_BEGAN = pytest.StashKey[float]()  # the wall clock then


def cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for descendants."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_addoption(parser):
    parser.addoption(
        "--cpu-times", type=int, default=0, metavar="N", help="list the N tests that used the most CPU (0: none)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_START] = cpu_seconds()
    item.stash[_BEGAN] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "teardown" and _START in item.stash:
        report.user_properties.append((PROPERTY, round(cpu_seconds() - item.stash[_START], 1)))
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        report.user_properties.append((SPAN, (worker, round(item.stash[_BEGAN], 1), round(time.time(), 1))))


def pytest_terminal_summary(terminalreporter, config):
    count = config.getoption("cpu_times")
    if not count:
        return
    found = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            properties = dict(getattr(report, "user_properties", ()))
            if properties.get(PROPERTY) is not None:
                found.append((float(properties[PROPERTY]), report.nodeid, properties.get(SPAN)))
    if not found:
        return
    found.sort(key=lambda row: row[0], reverse=True)
    total = sum(row[0] for row in found)
    terminalreporter.write_sep("=", f"most CPU {count} (user + system, with the processes each test ran)")
    for cpu, nodeid, _span in found[:count]:
        terminalreporter.write_line(f"{cpu:8.1f}s  {cpu / (total or 1):5.1%}  {nodeid}")
    terminalreporter.write_line(f"{total:8.1f}s  in all {len(found)} tests")
    _write_spans(terminalreporter, found)


def _write_spans(terminalreporter, found) -> None:
    """First start and last end (s from the first test's start) and CPU, per worker and group."""
    spans = defaultdict(lambda: [float("inf"), 0.0, 0.0, 0])  # key -> [began, ended, cpu, tests]
    for cpu, nodeid, span in found:
        if not span:
            continue
        worker, began, ended = span
        keys = [f"worker {worker}"] + ([f"group {nodeid.rsplit('@', 1)[1]}"] if "@" in nodeid else [])
        for key in keys:
            row = spans[key]
            row[0], row[1], row[2], row[3] = min(row[0], began), max(row[1], ended), row[2] + cpu, row[3] + 1
    if not spans:
        return
    origin = min(row[0] for row in spans.values())
    terminalreporter.write_sep("=", "wall time per worker and group (s from the first test's start)")
    for key, (began, ended, cpu, tests) in sorted(spans.items(), key=lambda item: (item[0], item[1][0])):
        terminalreporter.write_line(
            f"{key:<24} {began - origin:7.0f} to {ended - origin:5.0f}  {tests:4d} tests  {cpu:7.1f} CPU s"
        )
