"""Stopping an ``ansible-playbook`` run for good.

ansible-core's worker processes call ``setsid()``: a kill of the run's process group
misses them, and a worker goes on running its module (and calling AWS) after the run
is gone. A run started with ``marked(env)`` is found by the marker in the environment
of every process it starts, whatever their session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

MARKER = "OPENWEBUI_TEST_RUN"


def marked(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """``env`` with a new marker, and the marker."""
    marker = f"{MARKER}={uuid.uuid4().hex}"
    key, value = marker.split("=", 1)
    return {**env, key: value}, marker


def processes(marker: str) -> list[int]:
    """PIDs of live processes (not zombies) whose environment holds ``marker``."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ and state != "Z":
            found.append(int(entry.name))
    return found


def kill(proc: subprocess.Popen, marker: str, timeout: float = 10) -> None:
    """SIGKILL the run started as ``proc`` and every process it started; wait until they are gone."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while (alive := processes(marker)) and time.monotonic() < deadline:
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    proc.wait(timeout)
    if alive:
        raise RuntimeError(f"processes of a killed run still live: {alive}")
