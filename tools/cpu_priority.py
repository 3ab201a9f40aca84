"""A lower CPU priority that holds for every process a piece of work starts (``make test``).

``make test`` runs its lanes side by side on 2 cores, and the deployed stack's chain of tests
is the longest of them: everything else should yield the CPU to it. ``nice`` alone does not
do that on Linux with autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``,
on by default): the scheduler first shares the CPU between sessions, then between the
processes of a session by their niceness. ansible-core's workers call ``setsid()`` for every
task, and the local services start their servers and ECS tasks in sessions of their own, so
almost all of the suite's work runs in new sessions of niceness 0, whatever their parent's.

A CPU control group is not subject to autogroup, and every process started in it stays in
it, whatever its session. So ``lower()`` moves a process into the group ``GROUP`` of the cpu
controller (cgroup v1, ``cpu.shares`` 256; or v2, ``cpu.weight`` 25: a quarter of what a
session of default priority weighs, all of the background work together; not less, so that
its own waits with timeouts still get the CPU they need) when it can create and write that group
(root, or a delegated hierarchy), and always renices it to ``NICENESS``. ``restore()``
undoes both. Without a writable controller it is niceness only, as before.

    python -m tools.cpu_priority background -- COMMAND [ARGS...]   run COMMAND at the lower priority
    python -m tools.cpu_priority where                             print how it would lower one
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

NICENESS = 10
GROUP = "ajudadigital-openwebui-background"
CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_SHARES = 256  # of the default 1024
V2_WEIGHT = 25  # of the default 100


def _v1_controller(root: Path) -> Path | None:
    """The cpu controller's mount of a cgroup v1 hierarchy (``cpu`` or ``cpu,cpuacct``)."""
    for name in ("cpu", "cpu,cpuacct"):
        if (root / name / "cpu.shares").is_file():
            return root / name
    return None


def background_group(root: Path = CGROUP_ROOT) -> Path | None:
    """The background group's directory, made if needed; None when it cannot be made or written."""
    with contextlib.suppress(OSError):
        controller = _v1_controller(root)
        if controller is not None:
            group = controller / GROUP
            group.mkdir(exist_ok=True)
            (group / "cpu.shares").write_text(f"{V1_SHARES}\n")
            return group
        if "cpu" in (root / "cgroup.controllers").read_text().split():
            if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                (root / "cgroup.subtree_control").write_text("+cpu\n")
            group = root / GROUP
            group.mkdir(exist_ok=True)
            (group / "cpu.weight").write_text(f"{V2_WEIGHT}\n")
            return group
    return None


def top_group(root: Path = CGROUP_ROOT) -> Path | None:
    """The top of the cpu controller's hierarchy (where a process without a group is)."""
    controller = _v1_controller(root)
    if controller is not None:
        return controller
    return root if (root / "cgroup.controllers").is_file() else None


def current_group(pid: int = 0, root: Path = CGROUP_ROOT) -> Path | None:
    """The directory of the cpu control group ``pid`` (0: this process) is in, or None."""
    controller = _v1_controller(root)
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid or 'self'}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller is not None and "cpu" in controllers.split(","):
                return controller / path.lstrip("/")
            if controller is None and controllers == "":
                return root / path.lstrip("/")
    return None


def _move(pid: int, group: Path) -> bool:
    try:
        (group / "cgroup.procs").write_text(f"{pid or os.getpid()}\n")
    except OSError:
        return False
    return True


def lower(pid: int = 0) -> tuple[int, Path | None]:
    """Lower ``pid``'s priority (and that of everything it starts from now on); returns what
    ``restore()`` needs: its niceness before, and the group it was in if it was moved."""
    before = os.getpriority(os.PRIO_PROCESS, pid)
    os.setpriority(os.PRIO_PROCESS, pid, max(before, NICENESS))
    group, was_in = background_group(), current_group(pid)
    moved = group is not None and was_in is not None and was_in != group and _move(pid, group)
    return before, (was_in if moved else None)


def restore(pid: int, state: tuple[int, Path | None]) -> None:
    """Undo ``lower()``: back to its group; its niceness too when allowed (lowering the
    niceness again needs root; otherwise the process stays nicer)."""
    before, was_in = state
    if was_in is not None:
        _move(pid, was_in)
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, pid, before)


def main(argv: list[str]) -> int:
    if argv[:1] == ["where"]:
        group = background_group()
        how = f"the cpu control group {group}" if group else "niceness only (no writable cpu control group)"
        print(f"niceness {NICENESS}, and {how}")
        return 0
    if argv[:2] != ["background", "--"] or len(argv) < 3:
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    lower()
    os.execvp(argv[2], argv[2:])  # noqa: S606 - the command make gives, as given
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
