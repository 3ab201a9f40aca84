"""A zygote of an image's Python: imports the image's heavy libraries once, then forks a
process per container start (run by the image's own interpreter; standard library only).

    <image venv>/bin/python image_zygote.py SOCKET MODULE[,MODULE...]

It imports the modules (one that fails to import is left out and named on its standard
error), noting every environment variable that Python code reads meanwhile, then writes one
JSON line to its standard output: ``{"reads": [...], "iterations": [...]}``, where
``iterations`` names the code that read the whole environment (its file under
site-packages). Then it listens on the Unix socket ``SOCKET`` (``SOCK_SEQPACKET``). Each
connection asks for one process: a JSON message ``{"argv": ["-m", MODULE, ARG...], "env":
{...}, "cwd": DIR}`` (or ``["-c", COMMAND, ARG...]``) with one file descriptor, the
process's output. The zygote forks; the child becomes what ``python -m MODULE ARG...``
(``python -c COMMAND ARG...``) started in ``DIR`` with exactly ``env`` would be, in a
session of its own (``ecs_zygotes`` decides whether that holds for a given environment).
The connection gets ``{"pid": N}`` and, when the child ends, ``{"exit": CODE}``
(``-SIGNAL`` for a signal, as ``subprocess`` reports it). The zygote
ends when its parent does.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import importlib
import importlib.machinery
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import traceback
import types

if __name__ == "__main__" and sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]  # this script's folder is not the image's: python -m puts the cwd there instead


class _Recorder:
    """Which environment variables Python code reads while the modules import."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.iterations: set[str] = set()
        self.environ_class = type(os.environ)

    def __enter__(self) -> _Recorder:
        recorder, base = self, self.environ_class

        class RecordingEnviron(base):
            def __getitem__(self, key):
                recorder.read(key)
                return base.__getitem__(self, key)

            def __contains__(self, key):
                recorder.read(key)
                return base.__contains__(self, key)

            def __iter__(self):
                recorder.iterations.add(_caller())
                return base.__iter__(self)

        os.environ.__class__ = RecordingEnviron
        return self

    def __exit__(self, *exc) -> None:
        os.environ.__class__ = self.environ_class

    def read(self, key) -> None:
        if not isinstance(key, str):
            return  # os.environ refuses any other key (TypeError): no variable was read
        # items() and values() read every value through __getitem__ from their __iter__: that
        # is an iteration (recorded by __iter__ with its caller), not a read of these names;
        # get() reads through it too, and is a read. (The module is frozen since Python 3.11:
        # "<frozen _collections_abc>".)
        code = sys._getframe(2).f_code  # pylint: disable=protected-access
        if not (code.co_name == "__iter__" and "_collections_abc" in code.co_filename):
            self.reads.add(key)


def _caller() -> str:
    """The innermost frame of an installed library that is iterating the environment."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        _before, sep, after = frame.filename.rpartition("-packages" + os.sep)
        if sep:
            return after
    return "?"


def _exit_code(error: SystemExit) -> int:
    """What the interpreter makes of ``sys.exit(code)``."""
    if error.code is None:
        return 0
    if isinstance(error.code, int):
        return error.code
    print(error.code, file=sys.stderr)
    return 1


def _reseed() -> None:
    """A new process seeds the libraries' global generators from the system; so does a child
    (``random`` reseeds itself after a fork)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "seed"):
        torch.seed()


def _run_command(command: str, args: list[str]) -> None:
    """What ``python -c COMMAND ARGS`` runs: the command in a new ``__main__`` (not this
    script's), with ``''`` (the working directory) first on ``sys.path``."""
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=builtins, __loader__=importlib.machinery.BuiltinImporter)
    main.__annotations__ = {}
    sys.modules["__main__"] = main
    sys.path.insert(0, "")
    sys.argv = ["-c", *args]
    exec(compile(command, "<string>", "exec"), main.__dict__)  # noqa: S102  # pylint: disable=exec-used  # what -c does


def _child(request: dict, output: int, keep: list[socket.socket]) -> None:
    """In the forked child: become ``python -m MODULE ARGS`` or ``python -c COMMAND ARGS``
    (never returns)."""
    code = 1
    try:
        for sock in keep:
            sock.close()
        os.setsid()
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_IGN if signum == signal.SIGPIPE else signal.SIG_DFL)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _reseed()
        argv = list(request["argv"])
        if argv[:1] not in (["-m"], ["-c"]) or len(argv) < 2:
            raise ValueError(f"image_zygote runs python -m MODULE or -c COMMAND only, not {argv}")
        try:
            if argv[0] == "-m":
                sys.path.insert(0, os.getcwd())
                sys.argv = [argv[1], *argv[2:]]
                runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
            else:
                _run_command(argv[1], argv[2:])
            code = 0
        except SystemExit as error:
            code = _exit_code(error)
        except BaseException:  # pylint: disable=broad-exception-caught  # reported as the interpreter does
            traceback.print_exc()
            code = 1
        # What the interpreter does at exit: wait for non-daemon threads, run atexit.
        threading._shutdown()  # pylint: disable=protected-access
        atexit._run_exitfuncs()  # pylint: disable=protected-access
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # nothing left to tell it to
                stream.flush()
        os._exit(code)


def _send(conn: socket.socket, message: dict) -> None:
    with contextlib.suppress(OSError):  # the emulator hung up; the child runs on (it stops it by its group)
        conn.send(json.dumps(message).encode())


def serve(listener: socket.socket) -> None:
    parent = os.getppid()
    children: dict[int, socket.socket] = {}
    while os.getppid() == parent:
        ready, _w, _x = select.select([listener], [], [], 0.2)
        if ready:
            conn, _addr = listener.accept()
            data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 1)
            if not fds:
                conn.close()
                continue
            request = json.loads(data)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(request, fds[0], [listener, conn, *children.values()])
            os.close(fds[0])
            children[pid] = conn
            _send(conn, {"pid": pid})
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                conn.close()


def main() -> None:
    path, modules = sys.argv[1], [m for m in sys.argv[2].split(",") if m]
    with _Recorder() as recorder:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception as error:  # pylint: disable=broad-exception-caught  # an image without it: left out
                print(f"image_zygote: {module} not preloaded: {error!r}", file=sys.stderr, flush=True)
    report = {"reads": sorted(recorder.reads), "iterations": sorted(recorder.iterations)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.bind(path)
        listener.listen(16)
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()
        serve(listener)
    finally:
        if os.path.exists(path):
            os.unlink(path)


if __name__ == "__main__":
    main()
