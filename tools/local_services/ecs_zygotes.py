"""Container starts from a zygote: the image's libraries imported once, a fork per task.

Open WebUI spends most of its start importing its libraries (torch, transformers,
sentence-transformers, pandas, langchain...): about 14 of its ~20 CPU seconds here, and
local mode starts it often (every rollout starts two tasks, after a one-off migration task).
So the task runner (``ecs_runner``) starts a launch that names modules to preload
(``Launch.preload``: the Open WebUI image's default command, and a ``python -c`` override of
it, such as the migration) from a *zygote* (``image_zygote.py``): the image's Python with
those modules imported, which forks a child that runs ``python -m uvicorn ...`` (or
``python -c ...``) as a new process would, in its own session, with exactly the task's environment,
working directory and output. Everything the app does at start (its own imports,
configuration, database migrations, the embedding model) still happens in every task.

What a library computed from the environment while it was imported stays as the zygote
saw it, so a zygote serves a task only where that cannot differ
(:meth:`Zygote.serves`). It is started with the environment of the first task it serves
and serves another task only when, for every variable that Python code read during the
imports (the zygote reports them), that task has the same value, and the same for every
variable of the native libraries, which read it without Python (``NATIVE_PREFIXES``), and
for the names of the one library known to read the whole environment
(``WHOLE_ENV_READERS``). A zygote whose imports read the whole environment anywhere else
serves nothing. Otherwise another zygote is started from the task's own environment (at
most ``PER_IMAGE`` per image; the least recently used one stops). Two variables are
exempt: ``HOME`` and ``TMPDIR``, which the runner sets per task only because its tasks
share one file system; in the image they are the same for every task (``/root``, unset),
so a path a library derived from them at import points at the zygote's folder, as it
would point at the same path in every container.

Also different from a process started afresh, and harmless to what the tests look at:
``sys.orig_argv`` and the hash seed are the zygote's; numpy's and torch's global random
generators are re-seeded in the child (``random`` re-seeds itself).

``OPENWEBUI_LOCAL_ZYGOTES=0`` in the emulator's environment turns this off: every task
then starts a new process. A zygote that fails to start, or a fork that fails, falls
back to that too.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .util import pid_alive, stop_group

SCRIPT = Path(__file__).with_name("image_zygote.py")
PER_IMAGE = 2  # zygotes kept per image (Python), least recently used first out
PER_TASK = frozenset({"HOME", "TMPDIR"})
# Read by native code (the dynamic loader, malloc, OpenMP, BLAS, libtorch) or by the
# interpreter at its start, where the zygote cannot see it: a task must match the zygote on
# every one it or the zygote sets.
NATIVE_PREFIXES = ("PYTHON", "LD_", "MALLOC_", "OMP_", "KMP_", "GOMP_", "MKL_", "OPENBLAS_", "TORCH", "PYTORCH_")
# Code that reads the whole environment at import -> the names it looks for there.
WHOLE_ENV_READERS = {"tqdm/utils.py": "TQDM_"}
START_TIMEOUT = 300.0


class ZygoteError(RuntimeError):
    """A zygote did not start or did not fork."""


def enabled() -> bool:
    return os.environ.get("OPENWEBUI_LOCAL_ZYGOTES", "1") != "0"


class ForkedProcess:
    """A zygote's child, as much of ``subprocess.Popen`` as the runner uses: ``pid``,
    ``stdout`` (a binary file), ``returncode``, ``poll()`` and ``wait(timeout)``."""

    def __init__(self, conn: socket.socket, pid: int, stdout):
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._conn = conn
        self._ended = threading.Event()
        threading.Thread(target=self._await_exit, name=f"zygote-child-{pid}", daemon=True).start()

    def _await_exit(self) -> None:
        code = None
        with contextlib.suppress(OSError, ValueError):
            data = self._conn.recv(4096)
            if data:
                code = json.loads(data).get("exit")
        self._conn.close()
        if code is None:  # the zygote ended first: its child's status went to init
            while pid_alive(self.pid):
                time.sleep(0.5)
            code = -signal.SIGKILL
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired([f"zygote child {self.pid}"], timeout)
        return self.returncode


class Zygote:
    """One running zygote of an image's Python, started with a task's environment."""

    def __init__(self, python: str, preload: tuple[str, ...], env: dict[str, str], folder: Path):
        self.folder = folder
        for sub in ("home", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.env = {**env, "HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp")}
        # A Unix socket's path must be short (108 bytes): not under the tasks folder.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="owz-"))
        self.socket_path = str(self.socket_dir / "s")
        with open(folder / "zygote.log", "ab") as log:
            self.proc = subprocess.Popen(
                [python, str(SCRIPT), self.socket_path, ",".join(preload)],
                cwd=folder,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        (folder / "pid").write_text(str(self.proc.pid), encoding="utf-8")
        try:
            report = self._report()
        except BaseException:
            self.stop()
            raise
        self.reads = frozenset(report.get("reads", ()))
        self.iterations = tuple(report.get("iterations", ()))
        self.usable = all(site in WHOLE_ENV_READERS for site in self.iterations)

    def _report(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        while not line.endswith(b"\n"):
            if time.monotonic() > deadline:
                raise ZygoteError(f"the zygote did not start in {START_TIMEOUT:.0f} s; see {self.folder}/zygote.log")
            ready, _w, _x = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise ZygoteError(f"the zygote exited ({self.proc.wait()}); see {self.folder}/zygote.log")
                line += chunk
        return json.loads(line)

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a task with ``env`` would see what this zygote's imports saw."""
        if not self.usable or self.proc.poll() is not None:
            return False
        prefixes = NATIVE_PREFIXES + tuple(WHOLE_ENV_READERS[site] for site in self.iterations)
        keys = set(self.reads) | {key for key in (*env, *self.env) if key.startswith(prefixes)}
        return all(env.get(key) == self.env.get(key) for key in keys - PER_TASK)

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path) -> ForkedProcess:
        """Fork ``python ARGV`` (``-m MODULE ...`` or ``-c COMMAND ...``) with ``env`` in ``cwd``."""
        read_end, write_end = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            conn.settimeout(30)
            conn.connect(self.socket_path)
            request = {"argv": argv, "env": env, "cwd": str(cwd)}
            socket.send_fds(conn, [json.dumps(request).encode()], [write_end])
            reply = conn.recv(4096)
            if not reply:
                raise ZygoteError("the zygote hung up before it forked")
            pid = int(json.loads(reply)["pid"])
            conn.settimeout(None)
        except BaseException:
            conn.close()
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        return ForkedProcess(conn, pid, os.fdopen(read_end, "rb"))

    def stop(self) -> None:
        stop_group(self.proc, timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        (self.folder / "pid").unlink(missing_ok=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)


class Zygotes:
    """The runner's zygotes, per image Python; ``spawn`` is what a task start calls."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.lock = threading.Lock()
        self.image_locks: dict[str, threading.Lock] = {}
        self.pools: dict[str, list[Zygote]] = {}  # image Python -> zygotes, most recently used first
        self.broken: set[str] = set()  # image Pythons whose zygote failed to start
        self.started = 0

    def spawn(self, argv: list[str], preload: tuple[str, ...], env: dict[str, str], cwd: Path) -> ForkedProcess | None:
        """The process of ``argv`` (``<image python> -m MODULE ...`` or ``-c COMMAND ...``)
        forked from a zygote that serves ``env``, started if none does; None where it cannot
        be (the caller then starts a new process)."""
        python = argv[0]
        if not (enabled() and preload and argv[1:2] in (["-m"], ["-c"])) or python in self.broken:
            return None
        with self.lock:
            image_lock = self.image_locks.setdefault(python, threading.Lock())
        with image_lock:  # one zygote start per image at a time; the others then fork from it
            pool = self.pools.setdefault(python, [])
            zygote = next((z for z in pool if z.serves(env)), None)
            if zygote is None:
                with self.lock:
                    self.started += 1
                    folder = self.folder / f"zygote-{self.started}"
                try:
                    zygote = Zygote(python, preload, env, folder)
                except (OSError, ValueError, ZygoteError) as error:
                    print(f"[ecs] zygote of {python} failed, tasks start afresh: {error}", file=sys.stderr, flush=True)
                    self.broken.add(python)
                    return None
                if not zygote.usable:
                    print(
                        f"[ecs] zygote of {python} unusable: its imports read the whole environment at "
                        f"{', '.join(zygote.iterations)}; tasks start afresh",
                        file=sys.stderr,
                        flush=True,
                    )
                    zygote.stop()
                    self.broken.add(python)
                    return None
            if zygote in pool:
                pool.remove(zygote)
            pool.insert(0, zygote)
            while len(pool) > PER_IMAGE:
                pool.pop().stop()
            if not zygote.serves(env):
                return None
            try:
                return zygote.spawn(argv[1:], env, cwd)
            except (OSError, ValueError, KeyError, ZygoteError) as error:
                print(f"[ecs] zygote fork failed, the task starts afresh: {error}", file=sys.stderr, flush=True)
                pool.remove(zygote)
                zygote.stop()
                return None

    def stop(self) -> None:
        with self.lock:
            pools, self.pools = self.pools, {}
        for pool in pools.values():
            for zygote in pool:
                zygote.stop()
