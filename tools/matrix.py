"""`make matrix`: the collection on the supported ansible-core versions beyond the default.

The default toolchain (``.venv``: ansible 12.3.0 = ansible-core 2.19, amazon.aws 10.1, on
Python 3.11) runs every other gate of ``make test``. This runs the rest of the supported
range, each entry in a pinned virtualenv of its own; ``make test`` runs it all too (its
sanity and units beside the checks on ``.venv``, its deploy after the molecule scenarios),
``make matrix`` on demand:

=========  ======  =======  ============  ==========  =============  =========================
entry      Python  ansible  ansible-core  amazon.aws  community.aws  parts
=========  ======  =======  ============  ==========  =============  =========================
ansible13  3.12    13.8.0   2.20.10       10.3.2      10.1.1         venv, sanity, units
ansible14  3.13    14.5.0   2.21.5        11.4.0      11.2.0         venv, sanity, units,
                                                                     deploy, rerun, verify
=========  ======  =======  ============  ==========  =============  =========================

* venv (always): ``python3.X -m venv`` and ``pip install -r requirements/matrix-<entry>.txt``,
  once per machine, as the Open WebUI app virtualenv (tools/openwebui_app.py): in
  ``$OPENWEBUI_APP_CACHE`` or ``~/.cache/ajudadigital-openwebui/``, as
  ``matrix-<entry>-<sha256(pins)[:12]>``, so that every clone of the machine reuses it while
  the pins are unchanged. It is built in a temporary directory beside it (under a lock) and
  renamed into place when complete: a half-built one is never used, and the next build
  removes it. Its scripts' shebangs and byte-code name the final directory;
* sanity, units: ``python -m tools.ansible_test`` run by that virtualenv's Python (its
  ansible-test, its collections, ``--venv --python 3.X``), on a copy of the tree of its own
  (``.local/matrix/<entry>/ansible-test``);
* deploy, rerun, verify (the newest entry): the local services (emulator running the real
  Open WebUI as ECS tasks, RDS instances as PostgreSQL servers) from the default toolchain,
  this process; then ``site.yml -i inventories/local`` with the entry's ``ansible-playbook``
  (ansible and its collections come from the entry), again, which must report
  ``changed=0``, and ``playbooks/verify.yml`` (a rerun or verify asked alone deploys first).
  The deploy runs on ansible's own ``linear`` strategy, not mitogen's: this is the suite's
  full deploy without mitogen (issue #16; the deployer-policy test deploys with it). The
  re-run and verify run on the entry's mitogen: idempotence does not depend on the strategy.

Every part runs even when one before it failed (not those needing a virtualenv that could
not be made); the end prints the wall and CPU time (user + system of the processes the part
ran) of each part, also written to ``.local/matrix/results.json``. Each part's output is in
``.local/matrix/<entry>/<part>.log``.

Python 3.X is ``$PYTHON3X`` (``PYTHON312=/usr/bin/python3.12``), else ``python3.X`` on the
PATH, else pyenv's newest 3.X.

    python -m tools.matrix [--entry ansible14 ...] [--parts sanity,units ...]
    python -m tools.matrix lock [--entry ...]   re-pin requirements/matrix-<entry>.txt

Measured on 2026-12-07 on this 2-core machine while two other sessions and a benchmark ran
(load average 4-6: wall times are inflated and noisy; CPU seconds, user + system of every
process a part ran, are the firm numbers). mitogen 0.3.54 runs the deploy, the no-change
run and verify on ansible-core 2.21.5 too:

==========================================  ==============  =============
part                                        wall (s)        CPU (s)
==========================================  ==============  =============
venv ansible13 / ansible14, built           85 / 58         52 / 36
venv, reused (by any clone of the machine)  0               0
sanity ansible13 / ansible14                122-168         66-73 / 63-67
units ansible13 / ansible14                 39-64           23-25 / 23-24
ansible14 deploy / rerun / verify, linear   340 / 126 / 26  108 / 85 / 14
  whole, with emulator and app tasks        502             262
  the same on mitogen 0.3.54                236             151
  deploy linear, rerun / verify on mitogen  132 / 41 / 7    94 / 40 / 6
deployer-policy deploy + destroy, linear    539             205
  the same on mitogen                       254             99
make molecule (preflight, database)         350             113
make lint sanity units (.venv), in turn     384             242
  beside the matrix's sanity and units      474             392
==========================================  ==============  =============

(The row "deploy linear, rerun / verify on mitogen" is what ``make test`` runs since stop 38,
measured later on a quiet machine.) So ``make test`` runs the matrix's sanity and units
beside the checks on ``.venv`` (mostly one process at a time: +90 s wall there for +150
CPU s), and its deploy after the molecule scenarios, whose lane is much shorter than
pytest's. The deploy runs on ``linear`` and the deployer-policy test on mitogen: the same
CPU as the other way round (361 against 356 s), but the saving lands in pytest's lane, the
one that ends last.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools import ansible_strategy, collections_path
from tools.local_services import REPO
from tools.openwebui_app import cache_root

MATRIX_DIR = REPO / ".local" / "matrix"
PIP = "pip==26.3"  # as the Makefile's `venv`
PIP_NOISE = "is ignored: it is neither a file nor a directory"  # this machine's absent local indexes
COMPLETE = ".complete"  # in a matrix virtualenv built to the end: the sha256 of its pins


@dataclass(frozen=True)
class Entry:
    name: str
    python: str
    parts: tuple[str, ...]

    @property
    def requirements(self) -> Path:
        return REPO / "requirements" / f"matrix-{self.name}.txt"

    @property
    def requirements_in(self) -> Path:
        return self.requirements.with_suffix(".in")

    @property
    def home(self) -> Path:
        """This clone's files of the entry: logs, ansible-test's tree, the local services' state."""
        return MATRIX_DIR / self.name

    @property
    def venv(self) -> Path:
        """The entry's virtualenv, one per machine: keyed on its pins, outside the clone."""
        return cache_root() / f"matrix-{self.name}-{digest(self.requirements)[:12]}"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


MATRIX = (
    Entry("ansible13", "3.12", ("sanity", "units")),
    Entry("ansible14", "3.13", ("sanity", "units", "deploy", "rerun", "verify")),
)
PARTS = ("sanity", "units", "deploy", "rerun", "verify")


@dataclass
class Result:
    entry: str
    part: str
    seconds: float
    ok: bool
    note: str = ""
    cpu: float = 0.0  # user + system seconds of the processes it ran (those that ended)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process's children that ended (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.monotonic(), cpu_seconds()

    def result(self, entry: str, part: str, ok: bool, note: str = "") -> Result:
        return Result(entry, part, time.monotonic() - self.wall, ok, note, cpu_seconds() - self.cpu)


def python_for(version: str) -> str:
    """An interpreter of Python ``version`` (``3.12``), or SystemExit saying how to get one."""
    name, variable = f"python{version}", f"PYTHON{version.replace('.', '')}"
    candidates = [os.environ.get(variable), shutil.which(name)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        (str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/{name}")),
        key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parents[1].name)],
        reverse=True,
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise SystemExit(
        f"matrix: no Python {version} found (tried ${variable}, {name} on the PATH,"
        f" {pyenv_root}/versions/{version}.*). Install one: `pyenv install {version}`, `uv python install"
        f" {version}`, or your distribution's python{version} and python{version}-venv packages."
    )


def run(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = REPO) -> int:
    """Run ``cmd``, its output both on stdout and in ``log`` (minus pip's noise here)."""
    print("+", " ".join(cmd), flush=True)
    with log.open("a", encoding="utf-8") as out:
        out.write("+ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            if PIP_NOISE in line:
                continue
            sys.stdout.write(line)
            out.write(line)
        return proc.wait()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_complete(entry: Entry) -> bool:
    """Built to the end from the current pins, and its base interpreter is still there."""
    marker = entry.venv / COMPLETE
    return (
        marker.is_file()
        and marker.read_text(encoding="utf-8").strip() == digest(entry.requirements)
        and (entry.bin / "python").resolve().is_file()
    )


def _relocate(built: Path, target: Path) -> None:
    """Point what names the directory a virtualenv was built in (console scripts' shebangs,
    activate scripts, pyvenv.cfg) at the directory it is renamed to."""
    old, new = str(built).encode(), str(target).encode()
    for path in [*(built / "bin").iterdir(), built / "pyvenv.cfg"]:
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if old in data:
                path.write_bytes(data.replace(old, new))


def make_venv(entry: Entry, log: Path) -> tuple[bool, str]:
    """The entry's virtualenv from its pins, built once per machine (``entry.venv``).

    Built in a temporary directory beside it and renamed into place when complete (a lock
    keeps two runs, of this clone or another, from building it at once), so a half-built
    virtualenv of an interrupted run is never used: its leftovers are removed by the next build.
    """
    if _is_complete(entry):
        return True, f"reused {entry.venv}"
    python = python_for(entry.python)
    root = entry.venv.parent
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{entry.venv.name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_complete(entry):  # another run built it while this one waited
            return True, f"reused {entry.venv} (built meanwhile)"
        for stale in [entry.venv, *root.glob(f"{entry.venv.name}.tmp-*")]:  # a crashed run's
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{entry.venv.name}.tmp-", dir=root))
        try:
            pip = [str(tmp / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            for cmd in (
                [python, "-m", "venv", "--prompt", entry.venv.name, str(tmp)],
                [*pip, "--upgrade", PIP],
                [*pip, "--no-compile", "-r", str(entry.requirements)],
            ):
                if run(cmd, log):
                    shutil.rmtree(tmp, ignore_errors=True)
                    return False, "pip failed"
            _relocate(tmp, entry.venv)
            # Byte-code naming the final paths (tracebacks show their source); a file that does
            # not compile (test data in a collection) is skipped, as pip's own compile skips it.
            run([python, "-m", "compileall", "-qq", "-s", str(tmp), "-p", str(entry.venv), str(tmp / "lib")], log)
            (tmp / COMPLETE).write_text(digest(entry.requirements) + "\n", encoding="utf-8")
            tmp.rename(entry.venv)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True, f"created {entry.venv} with {python}"


def venv_env(entry: Entry) -> dict[str, str]:
    """The environment of a command run by the entry's virtualenv."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(entry.venv)
    env["PATH"] = os.pathsep.join(
        [str(entry.bin), *(p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != REPO / ".venv" / "bin")]
    )
    return env


def ansible_test(entry: Entry, command: str, log: Path) -> tuple[bool, str]:
    cmd = [str(entry.bin / "python"), "-m", "tools.ansible_test", "--root", str(entry.home / "ansible-test"), command]
    rc = run(cmd, log, env=venv_env(entry))
    return rc == 0, "" if rc == 0 else f"exit {rc}"


PLAYS = {
    "deploy": ("site.yml", "deploy"),
    "rerun": ("site.yml", "deploy again (must change nothing)"),
    "verify": ("playbooks/verify.yml", "verify the wiring"),
}


def mitogen_env(entry: Entry) -> dict[str, str]:
    """The variables that run the entry's ansible-playbook on the entry's own mitogen (none
    when its virtualenv has no mitogen, or with OPENWEBUI_MITOGEN=0)."""
    found = sorted(entry.venv.glob("lib/python3*/site-packages/ansible_mitogen/plugins/strategy"))
    return ansible_strategy.env(plugins=found[0]) if found else {}


def deploy(entry: Entry, parts: tuple[str, ...], logs: dict[str, Path]) -> list[Result]:
    """A full local deploy with the entry's ansible-playbook, a run that changes nothing, verify.yml.

    The deploy on ansible's own ``linear`` strategy, not mitogen's (tools/ansible_strategy.py):
    this is the suite's full deploy without mitogen (issue #16). The re-run and verify.yml on
    the entry's mitogen (requirements/matrix-ansible14.in), which halves their CPU: whether a
    run changes nothing does not depend on the strategy."""
    from tools.local_services import LocalServices, install_signal_handlers
    from tools.local_services.postgres import DEFAULT_FLAVOUR
    from tools.make_local import recap, run_playbook
    from tools.openwebui_app import ensure_app_venv

    results = []
    ensure_app_venv()
    services = LocalServices(
        entry.home / "run", postgres_flavour=DEFAULT_FLAVOUR, run_tasks=True, rds_servers=True, with_postgres=False
    )
    install_signal_handlers(services)
    clock = Clock()
    services.start()
    results.append(clock.result(entry.name, "services", True, str(services.state_dir)))
    try:
        env = {**venv_env(entry), **services.env(), "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_STRATEGY": "linear"}
        env.pop("ANSIBLE_STRATEGY_PLUGINS", None)  # the default toolchain's mitogen (of another Python)
        env.pop(ansible_strategy.SCAN_SYS_PATH, None)
        # The entry's own collections: .local/collections links those of .venv's ansible package.
        # Those it does not bundle are left out (ansible 14: awx.awx, which the deploy does not use).
        env["ANSIBLE_COLLECTIONS_PATH"] = str(
            collections_path.build(entry.home / "collections", entry.venv, strict=False)
        )
        for part in ("deploy", *(p for p in ("rerun", "verify") if p in parts)):
            playbook, title = PLAYS[part]
            clock = Clock()
            part_env = env if part == "deploy" else {**env, **mitogen_env(entry)}
            rc, out = run_playbook(
                part_env, playbook, "-i", "inventories/local", title=f"{entry.name}: {title}", bin_dir=entry.bin
            )[:2]
            logs[part].write_text(out, encoding="utf-8")
            counts = recap(out)
            changed = sum(c["changed"] for c in counts.values())
            ok = rc == 0 and bool(counts) and (part != "rerun" or changed == 0)
            warnings = len(re.findall(r"^\[(?:DEPRECATION )?WARNING\]", out, re.M))
            note = f"exit {rc}, changed={changed}, {warnings} warnings (log: {logs[part].relative_to(REPO)})"
            results.append(clock.result(entry.name, part, ok, note))
            if rc:
                break
    finally:
        clock = Clock()
        services.stop()
        # The emulator's CPU is counted when it ends, here (not its app tasks' processes).
        results.append(clock.result(entry.name, "stop", True, "the emulator's CPU over every part"))
    return results


def lock(entry: Entry) -> int:
    """Re-pin requirements/matrix-<entry>.txt from its .in in a scratch virtualenv."""
    scratch = MATRIX_DIR / f"lock-{entry.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    python = python_for(entry.python)
    log = MATRIX_DIR / f"lock-{entry.name}.log"
    pip = [str(scratch / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for cmd in (
        [python, "-m", "venv", str(scratch)],
        [*pip, "--upgrade", PIP],
        [*pip, "-r", str(entry.requirements_in)],
    ):
        if run(cmd, log):
            return 1
    frozen = subprocess.run(
        [str(scratch / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    header = (
        f"# `make matrix`, entry {entry.name} (Python {entry.python}): every package pinned.\n"
        f"# Generated by `make matrix-lock` from {entry.requirements_in.relative_to(REPO)}; do not edit.\n"
    )
    entry.requirements.write_text(header + frozen, encoding="utf-8")
    shutil.rmtree(scratch)
    print(f"wrote {entry.requirements.relative_to(REPO)}")
    return 0


def run_entry(entry: Entry, parts: tuple[str, ...]) -> list[Result]:
    entry.home.mkdir(parents=True, exist_ok=True)
    logs = {part: entry.home / f"{part}.log" for part in ("venv", *PARTS)}
    for part in ("venv", *parts):
        logs[part].unlink(missing_ok=True)
    print(f"\n==> {entry.name}: virtualenv (Python {entry.python}, {entry.requirements.relative_to(REPO)})")
    clock = Clock()
    ok, note = make_venv(entry, logs["venv"])
    results = [clock.result(entry.name, "venv", ok, note)]
    if not ok:
        return results
    for command in ("sanity", "units"):
        if command in parts:
            print(f"\n==> {entry.name}: ansible-test {command}", flush=True)
            clock = Clock()
            ok, note = ansible_test(entry, command, logs[command])
            results.append(clock.result(entry.name, command, ok, note))
    if {"deploy", "rerun", "verify"} & set(parts):
        results += deploy(entry, parts, logs)
    return results


def _minutes(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def summary(results: list[Result]) -> str:
    lines = [f"{'entry':<10}  {'part':<8}  {'wall':>7}  {'cpu':>7}  result"]
    for r in results:
        status = "ok" if r.ok else "FAILED"
        lines.append(
            f"{r.entry:<10}  {r.part:<8}  {_minutes(r.seconds):>7}  {_minutes(r.cpu):>7}  {status}  {r.note}".rstrip()
        )
    wall, cpu = _minutes(sum(r.seconds for r in results)), _minutes(sum(r.cpu for r in results))
    lines.append(f"{'all':<10}  {'':<8}  {wall:>7}  {cpu:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "lock"), default="run")
    parser.add_argument("--entry", action="append", choices=[e.name for e in MATRIX], help="default: every entry")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated, of: " + ", ".join(PARTS))
    args = parser.parse_args(argv)
    entries = [e for e in MATRIX if not args.entry or e.name in args.entry]
    MATRIX_DIR.mkdir(parents=True, exist_ok=True)
    if args.command == "lock":
        return max(lock(e) for e in entries)
    wanted = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    unknown = set(wanted) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    results: list[Result] = []
    for entry in entries:
        parts = tuple(p for p in entry.parts if p in wanted)
        if parts:  # an entry without any of the parts asked for is not even looked at
            results += run_entry(entry, parts)
    (MATRIX_DIR / "results.json").write_text(
        json.dumps([r.__dict__ for r in results], indent=2) + "\n", encoding="utf-8"
    )
    print("\n==> make matrix\n" + summary(results))
    failed = [f"{r.entry} {r.part}" for r in results if not r.ok]
    if failed:
        print(f"make matrix: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
