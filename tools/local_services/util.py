"""Small helpers the local services share."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackAddresses:
    """Hands out the addresses of a /16 of the loopback network (``127.78`` -> ``127.78.0.2``,
    ``127.78.0.3``, ...), each once in a process: a server of the emulator gets an address of
    its own (Linux routes all of 127.0.0.0/8 to the loopback interface)."""

    def __init__(self, network: str, first_host: int = 2):
        self.network = network
        self._next = first_host

    def next(self) -> str:
        while True:
            number = self._next
            self._next += 1
            if number >= 256 * 255:
                raise RuntimeError(f"no loopback addresses left in {self.network}.0.0/16")
            if number % 256 not in (0, 255):
                return f"{self.network}.{number // 256}.{number % 256}"


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False


def wait_for(check: Callable[[], bool], timeout: float, what: str, log_file: Path | None = None) -> None:
    """Poll ``check`` (every 0.1 s) until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = ""
    if log_file is not None and log_file.exists():
        tail = "\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s{tail}")


def stop_group(
    proc: subprocess.Popen | None, timeout: float = 20, signum: int = signal.SIGTERM, *, leader_only: bool = False
) -> None:
    """``signum`` to the process group of ``proc`` (a session leader), or to ``proc`` alone
    with ``leader_only`` (a server that stops its own children, as PostgreSQL does on
    SIGINT); then SIGKILL to the group after ``timeout`` seconds; wait for it."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if leader_only:
            proc.send_signal(signum)
        else:
            os.killpg(proc.pid, signum)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
