"""Container starts from a zygote (tools/local_services/ecs_zygotes.py, image_zygote.py).

This machine's Python stands in for an image's, with small modules of the test's own: a
preloaded module that reads a variable at import, one that reads the whole environment,
and a program that prints what a process can see of how it was started. The real Open
WebUI starts this way in every deployed-stack test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tools.local_services.ecs_zygotes import Zygotes

MODULES = {
    # read at import, as huggingface_hub reads HF_HOME; a bytes name (os.environ refuses it
    # with TypeError), as a library importing under the app's preloads tries one
    "preloaded.py": textwrap.dedent(
        """
        import os
        VALUE = os.environ.get("READ_AT_IMPORT")
        try:
            os.environ[b"READ_AT_IMPORT"]
        except TypeError:
            pass
        """
    ),
    # reads the whole environment at import, as pydantic settings do
    "whole_env.py": "import os\nSEEN = dict(os.environ)\n",
    "probe.py": textwrap.dedent(
        """
        import json, os, sys
        preloaded = sys.modules.get("preloaded")
        print(json.dumps({
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "path0": sys.path[0],
            "argv": sys.argv,
            "name": __name__,
            "session_leader": os.getsid(0) == os.getpid(),
            "stdin": os.read(0, 10).decode(),
            "preloaded": preloaded.VALUE if preloaded else "not imported",
        }), flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        sys.exit(int(sys.argv[1]))
        """
    ),
    "sleeper.py": "import time\nprint('up', flush=True)\ntime.sleep(60)\n",
}


@pytest.fixture
def image(tmp_path):
    """A folder of the modules (on the image's PYTHONPATH) and a task environment."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, text in MODULES.items():
        (lib / name).write_text(text, encoding="utf-8")
    return lib


def task_env(image, tmp_path, name: str, **extra) -> dict[str, str]:
    home = tmp_path / name / "home"
    home.mkdir(parents=True)
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(image),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "LANG": "C.UTF-8",
        **extra,
    }


def run(zygotes, env, cwd, *args, preload=("preloaded",)):
    proc = zygotes.spawn([sys.executable, "-m", *args], preload, env, cwd)
    assert proc is not None, "not forked from a zygote"
    output = proc.stdout.read().decode()
    return proc, output


@pytest.fixture
def zygotes(tmp_path):
    pool = Zygotes(tmp_path / "tasks")
    yield pool
    pool.stop()


def test_a_forked_task_is_what_python_m_would_start(image, tmp_path, zygotes):
    env = task_env(image, tmp_path, "one", READ_AT_IMPORT="a", SECRET_ONLY_HERE="s3cr3t")
    cwd = tmp_path / "one"
    proc, output = run(zygotes, env, cwd, "probe", "3")
    forked = json.loads(output.splitlines()[0])
    fresh = json.loads(
        subprocess.run(
            [sys.executable, "-m", "probe", "3"], env=env, cwd=cwd, capture_output=True, text=True, check=False
        ).stdout
    )
    assert proc.wait(30) == 3
    assert forked["preloaded"] == "a"  # imported by the zygote, with the task's value
    assert fresh["preloaded"] == "not imported"
    for key in ("env", "cwd", "path0", "argv", "name", "stdin"):
        assert forked[key] == fresh[key], key
    assert forked["env"] == env
    assert forked["session_leader"]
    assert "to stderr" in output  # both streams are the task's output


PROBE_C = textwrap.dedent(
    """
    import json, os, sys
    main = sys.modules["__main__"]
    print(json.dumps({
        "env": dict(os.environ), "cwd": os.getcwd(), "path0": sys.path[0], "argv": sys.argv,
        "name": __name__, "main": sorted(k for k in vars(main) if k != "__builtins__"),
        "loader": repr(main.__loader__), "spec": repr(main.__spec__), "doc": __doc__,
        "stdin": os.read(0, 10).decode(),
    }), flush=True)
    sys.exit(int(sys.argv[1]))
    """
)


def test_a_forked_command_is_what_python_c_would_start(image, tmp_path, zygotes):
    """The migration task's override, ``python -c ...``: a ``__main__`` of its own (not the
    zygote's script), ``''`` first on ``sys.path``, ``-c`` as ``argv[0]``."""
    env = task_env(image, tmp_path, "c", READ_AT_IMPORT="a")
    cwd = tmp_path / "c"
    proc = zygotes.spawn([sys.executable, "-c", PROBE_C, "4", "x"], ("preloaded",), env, cwd)
    assert proc is not None, "not forked from a zygote"
    forked = json.loads(proc.stdout.read().decode().splitlines()[0])
    assert proc.wait(30) == 4
    fresh = subprocess.run(
        [sys.executable, "-c", PROBE_C, "4", "x"], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert fresh.returncode == 4
    fresh = json.loads(fresh.stdout)
    assert forked == fresh
    assert forked["argv"] == ["-c", "4", "x"] and forked["path0"] == ""


def test_a_variable_the_imports_read_decides_which_zygote_serves(image, tmp_path, zygotes):
    cwd = tmp_path
    seen = []
    for name, value, other in (("one", "a", "x"), ("two", "a", "y"), ("three", "b", "x")):
        env = task_env(image, tmp_path, name, READ_AT_IMPORT=value, NOT_READ=other)
        proc, output = run(zygotes, env, cwd, "probe", "0")
        proc.wait(30)
        seen.append((json.loads(output.splitlines()[0])["preloaded"], zygotes.started))
    # A different HOME and a variable nobody read at import: the same zygote. A different
    # value of what was read: a zygote of its own, which imported it with that value.
    assert seen == [("a", 1), ("a", 1), ("b", 2)]


def test_a_native_library_variable_decides_too(image, tmp_path, zygotes):
    for name, threads in (("one", "1"), ("two", "2")):
        proc, _output = run(zygotes, task_env(image, tmp_path, name, OMP_NUM_THREADS=threads), tmp_path, "probe", "0")
        proc.wait(30)
    assert zygotes.started == 2


def test_stopping_the_process_group_reports_the_signal(image, tmp_path, zygotes):
    proc = zygotes.spawn([sys.executable, "-m", "sleeper"], ("preloaded",), task_env(image, tmp_path, "s"), tmp_path)
    assert proc.stdout.readline() == b"up\n"
    assert proc.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == -signal.SIGTERM
    assert proc.poll() == -signal.SIGTERM


def test_imports_that_read_the_whole_environment_start_every_task_afresh(image, tmp_path, zygotes):
    env = task_env(image, tmp_path, "w")
    assert zygotes.spawn([sys.executable, "-m", "probe", "0"], ("preloaded", "whole_env"), env, tmp_path) is None
    assert sys.executable in zygotes.broken


def test_turned_off_or_not_python_m_or_c_starts_afresh(image, tmp_path, zygotes, monkeypatch):
    env = task_env(image, tmp_path, "o")
    assert zygotes.spawn([sys.executable, "probe.py"], ("preloaded",), env, tmp_path) is None
    assert zygotes.spawn([sys.executable, "-X", "dev", "-c", "pass"], ("preloaded",), env, tmp_path) is None
    assert zygotes.spawn([sys.executable, "-m", "probe", "0"], (), env, tmp_path) is None
    monkeypatch.setenv("OPENWEBUI_LOCAL_ZYGOTES", "0")
    assert zygotes.spawn([sys.executable, "-m", "probe", "0"], ("preloaded",), env, tmp_path) is None
    assert zygotes.started == 0
