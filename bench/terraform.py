"""The Terraform peer in the same run as the collection's deploy (issue 16).

The peer (``bench.sh PROJECT_DIR [OUT_DIR]``, see its README) starts a fresh emulator
from this project's ``.venv``, times a first ``terraform apply``, a no-change apply and a
``terraform destroy``, prints ``terraform: apply=<s> noop=<s> destroy=<s> resources=<n>``
last and writes ``OUT_DIR/run-N/result.json``. This module runs it and turns its output
into three phases of the bench's run (``tf_apply``, ``tf_noop``, ``tf_destroy``) shaped
like the collection's (``rc``, ``seconds``, ``requests``, ``load``), so the report pairs
them per run. A failed peer is a result, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tools.local_services import stop_from_state

# The peer's phases, in its order: (bench phase, key of result.json, key of its rc/requests).
PHASES = (("tf_apply", "apply_s", "apply"), ("tf_noop", "noop_s", "noop"), ("tf_destroy", "destroy_s", "destroy"))
LINE = re.compile(
    r"^terraform: apply=(?P<apply>[0-9.]+) noop=(?P<noop>[0-9.]+) destroy=(?P<destroy>[0-9.]+)"
    r" resources=(?P<resources>[0-9]+)\s*$"
)
# bench.sh takes about 4 minutes on a quiet machine; it never needs this long.
TIMEOUT_S = 1800


def default_peer(repo: Path) -> Path:
    """``BENCH_TERRAFORM_PEER``, else ``../shared/peers/terraform/bench.sh`` next to the checkout."""
    return Path(os.environ.get("BENCH_TERRAFORM_PEER") or repo.parent / "shared" / "peers" / "terraform" / "bench.sh")


def skip_reason(peer: Path) -> str | None:
    """Why the peer cannot run on this machine (None: it can)."""
    if not peer.is_file():
        return f"the Terraform peer {peer} does not exist (set --terraform-peer or BENCH_TERRAFORM_PEER)"
    if shutil.which("terraform") is None:
        return "`terraform` is not on PATH"
    return None


def parse_line(output: str) -> dict | None:
    """The numbers of the peer's summary line (the last one that matches), or None."""
    for line in reversed(output.splitlines()):
        match = LINE.match(line.strip())
        if match:
            values = {key: float(match[key]) for key in ("apply", "noop", "destroy")}
            return values | {"resources": int(match["resources"])}
    return None


def _load(pair: list[str] | None) -> list[float] | None:
    """``["0.50 0.60 0.70", "1.2 ..."]`` (load averages at start and end) -> 1-min values."""
    try:
        return [round(float(item.split()[0]), 2) for item in pair or []] or None
    except (ValueError, IndexError):
        return None


def phases_of(rc: int, output: str, result: dict | None) -> dict[str, dict]:
    """The bench phases of one peer run, from its exit code, its stdout and its result.json.

    Each phase has ``rc`` (the terraform command's, else the script's when it failed before
    writing result.json) and ``seconds``; ``requests`` and ``load`` when result.json has them.
    A no-change apply that planned changes fails (rc 1, ``changes``), as a re-run with
    changed > 0 is not a no-change run. Phases the peer never reached are absent.
    """
    line = parse_line(output)
    out: dict[str, dict] = {}
    if result is None and line is None:
        return out
    for phase, seconds_key, key in PHASES:
        if result is not None:
            if seconds_key not in result:
                continue
            seconds = float(result[seconds_key])
            phase_rc = int(result.get("rc", {}).get(key, rc))
        else:
            seconds, phase_rc = line[key], rc
        entry: dict = {"name": phase, "rc": phase_rc, "seconds": round(seconds, 2)}
        if result is not None:
            if key in result.get("requests", {}):
                entry["requests"] = {"terraform peer (request log lines)": int(result["requests"][key])}
            errors = result.get("emulator_errors", {}).get(key)
            if errors:
                entry["errors"] = {"emulator tracebacks": int(errors)}
            load = _load(result.get("load", {}).get(key))
            if load:
                entry["load"] = load
        out[phase] = entry
    noop = out.get("tf_noop")
    if noop is not None and result is not None and result.get("noop_changes"):
        noop["changes"] = int(result["noop_changes"])
        noop["rc"] = noop["rc"] or 1
    destroy = out.get("tf_destroy")
    if destroy is not None and result is not None and result.get("left_after_destroy"):
        destroy["left"] = int(result["left_after_destroy"])
        destroy["rc"] = destroy["rc"] or 1
    return out


def newest_run(out: Path) -> Path | None:
    """The peer's newest ``run-N`` directory under out (it numbers them itself)."""
    runs = [p for p in out.glob("run-*") if p.name[4:].isdigit()]
    return max(runs, key=lambda p: int(p.name[4:]), default=None)


def stop_emulator(run_dir: Path | None) -> None:
    """Stop the emulator of a peer run that was killed before its EXIT trap could."""
    if run_dir is not None:
        stop_from_state(run_dir / "state")


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def run_peer(peer: Path, repo: Path, out: Path, timeout: float = TIMEOUT_S) -> tuple[dict, dict[str, dict]]:
    """Run the peer once into ``out``: (summary of the run, its bench phases).

    The summary has the script's exit code, wall seconds (init and emulator start
    included), its last line, its log and, when it failed, the tail of its stderr.
    """
    out.mkdir(parents=True, exist_ok=True)
    log = out / "bench.stderr.log"
    load = os.getloadavg()[0]
    start = time.monotonic()
    try:
        with open(log, "w", encoding="utf-8") as err:
            # A session of its own: on a timeout the whole group (terraform too) is stopped.
            proc = subprocess.Popen(
                ["bash", str(peer), str(repo), str(out)],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
            try:
                output = proc.communicate(timeout=timeout)[0]
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGTERM)
                try:
                    output = proc.communicate(timeout=60)[0]
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    output = proc.communicate()[0]
                rc = 124
                err.write(f"bench: the Terraform peer ran longer than {timeout:g} s and was stopped\n")
            except BaseException:  # Ctrl-C, SIGTERM: its own session does not get them, so stop it here
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                stop_emulator(newest_run(out))
                raise
    except OSError as exc:
        rc, output = 127, ""
        log.write_text(f"{exc}\n")
    seconds = time.monotonic() - start
    if rc == 124:
        stop_emulator(newest_run(out))
    (out / "bench.stdout.log").write_text(output)
    run_dir = newest_run(out)
    result = None
    if run_dir is not None and (run_dir / "result.json").exists():
        try:
            result = json.loads((run_dir / "result.json").read_text())
        except ValueError:
            result = None
    summary: dict = {
        "name": "terraform",
        "rc": rc,
        "seconds": round(seconds, 2),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
        "line": next((line for line in reversed(output.splitlines()) if line.strip()), ""),
        "log": str(log),
    }
    if run_dir is not None:
        summary["dir"] = str(run_dir)
    if result is not None:
        summary["resources"] = result.get("resources")
    if rc != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-5:] if log.exists() else []
        summary["error"] = " / ".join(line.strip() for line in tail if line.strip()) or f"exit {rc}"
    return summary, phases_of(rc, output, result)
