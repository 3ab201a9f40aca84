"""``tools.cpu_priority``: the lower priority of make test's background work holds for the
processes it starts in sessions of their own (ansible's workers, the local services)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools import cpu_priority

# A child in a session of its own (as ansible-core's workers call setsid()) reports its
# cpu control group and its niceness.
CHILD = "import os; from tools import cpu_priority; print(cpu_priority.current_group(), os.nice(0))"


def background(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.cpu_priority", *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_a_new_session_started_in_the_background_stays_there():
    run = background("background", "--", "setsid", sys.executable, "-c", CHILD)
    assert run.returncode == 0, run.stderr
    group, niceness = run.stdout.split()
    assert int(niceness) >= cpu_priority.NICENESS
    expected = cpu_priority.background_group()
    if expected is None:
        pytest.skip("no writable cpu control group here: niceness only")
    assert group == str(expected)


def test_lower_and_restore_move_a_process_out_and_back():
    # The child starts where the deployed stack's tests run: at the top of the hierarchy (this
    # test itself runs at the lower priority under xdist), and at niceness 0 when allowed.
    code = (
        "import os; from tools import cpu_priority\n"
        "top = cpu_priority.top_group()\n"
        "moved = top is not None and cpu_priority._move(0, top)\n"
        "if os.geteuid() == 0: os.setpriority(os.PRIO_PROCESS, 0, 0)\n"
        "before, niceness_before = cpu_priority.current_group(), os.nice(0)\n"
        "state = cpu_priority.lower()\n"
        "inside, niceness_inside = cpu_priority.current_group(), os.nice(0)\n"
        "cpu_priority.restore(0, state)\n"
        "print(moved, before, inside, cpu_priority.current_group(), niceness_before, niceness_inside, os.nice(0))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    moved, before, inside, after, *niceness = run.stdout.split()
    before_n, inside_n, after_n = map(int, niceness)
    assert inside_n >= cpu_priority.NICENESS
    if os.geteuid() == 0:
        assert (before_n, after_n) == (0, 0)  # restored; a user's process stays nicer
    if moved != "True" or cpu_priority.background_group() is None:
        pytest.skip("no writable cpu control group here: niceness only")
    assert before == after == str(cpu_priority.top_group())
    assert inside == str(cpu_priority.background_group())


def test_usage_is_shown_for_a_command_without_its_separator():
    run = background("background", "true")
    assert run.returncode == 2
    assert "background -- COMMAND" in run.stderr
