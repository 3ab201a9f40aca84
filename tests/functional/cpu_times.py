"""The CPU each test costs, beside the wall time ``--durations`` shows (issue #16).

``make test`` runs on 2 cores with every lane busy: the suite's length follows the CPU its
tests burn more than their wall times, which stretch with the load. Each test's report gets
a user property ``cpu_s``: user + system seconds of the xdist worker and of every process it
started and waited for (``ansible-playbook`` and its workers, modules, local services stopped
in the test), from setup to teardown. ``--junitxml`` writes it as a property; the terminal
summary lists the tests that used most (``--cpu-times=N``, 15 in ``make pytest``).

A session fixture's processes (the local services of ``emulator`` or ``local_stack``) are
counted where they are stopped: in the teardown of the worker's last test.
"""

from __future__ import annotations

import resource

import pytest

PROPERTY = "cpu_s"
_START = pytest.StashKey[float]()  # the CPU seconds when the test's setup began


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "teardown" and _START in item.stash:
        report.user_properties.append((PROPERTY, round(cpu_seconds() - item.stash[_START], 1)))


def pytest_terminal_summary(terminalreporter, config):
    count = config.getoption("cpu_times")
    if not count:
        return
    found = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            cpu = dict(getattr(report, "user_properties", ())).get(PROPERTY)
            if cpu is not None:
                found.append((float(cpu), report.nodeid))
    if not found:
        return
    found.sort(reverse=True)
    total = sum(cpu for cpu, _nodeid in found)
    terminalreporter.write_sep("=", f"most CPU {count} (user + system, with the processes each test ran)")
    for cpu, nodeid in found[:count]:
        terminalreporter.write_line(f"{cpu:8.1f}s  {cpu / (total or 1):5.1%}  {nodeid}")
    terminalreporter.write_line(f"{total:8.1f}s  in all {len(found)} tests")
