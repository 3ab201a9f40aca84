"""The deploy benchmark (issues 9, 16): ``make bench`` / ``python -m bench [--runs N] [--quick]``.

Each run, on the local emulator:

1. ``site.yml -i inventories/local``: first deploy, then the no-change re-run, then
   ``playbooks/destroy.yml -e openwebui_destroy_data=true`` (one emulator);
2. the Terraform peer (``--terraform-peer``: its ``bench.sh`` starts a fresh emulator of
   its own and times a first ``terraform apply``, a no-change apply and a destroy of the
   same stack), right after the collection's three phases so both sides of the
   deploy/apply ratios run in the same minutes (``--no-terraform`` skips it);
3. ``bench/floor.py`` (plain boto3: the same create calls) on a fresh emulator;
4. the first deploy again on a fresh emulator that holds resources in their pending
   state (``--pending``), whose extra time is the deploy's waiting cost.

It writes raw outputs under ``bench/out/`` and the report to ``bench/RESULTS.md``.
See ``bench/README.md`` for what is measured and why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import history, stats
from bench import terraform as peer
from tools.local_services import LocalServices, install_signal_handlers
from tools.local_services.emulator import parse_pending
from tools.make_local import recap

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Scaled-down AWS provisioning times (seconds): AWS takes ~5-15 min for RDS Multi-AZ,
# 1-2 min for a NAT gateway, 2-4 min for an ALB, 1-5 min for an ECS rollout.
DEFAULT_PENDING = "rds=40,nat=12,elb=15,ecs=20,elasticache=15"
INVENTORY = ("-i", "inventories/local")
DEPLOY = ("site.yml", *INVENTORY)
DESTROY = ("playbooks/destroy.yml", *INVENTORY, "-e", "openwebui_destroy_data=true")
GOALS = {"deploy": 10.0, "rerun": 5.0, "deploy_tf": 1.0, "rerun_tf": 1.0, "waiting": 1.1}
PHASES = ("deploy", "terraform", "floor", "pending")


# -- the waits of a deploy and their real dependencies ----------------------------------


def waits_of(pending: dict[str, float], nat_gateways: int = 2) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The pending resources of a first deploy of inventories/local and what waits on what.

    The ECS rollout cannot finish before the database answers (the database role's SQL
    steps and the DATABASE_URL secret need its endpoint), the load balancer is active
    (targets register and pass health checks) and the NAT gateways route the private
    subnets out (tasks pull their image and secrets through them: no VPC endpoints), and
    the Redis cluster answers (its URL secret needs its endpoint; held ``creating`` by
    moto_fixes.elasticache_creating_then_available).
    """
    durations: dict[str, float] = {}
    for index in range(nat_gateways):
        durations[f"nat{index + 1}"] = float(pending.get("nat", 0))
    durations["rds"] = float(pending.get("rds", 0))
    durations["elb"] = float(pending.get("elb", 0))
    durations["cache"] = float(pending.get("elasticache", pending.get("cache", 0)))
    durations["ecs"] = float(pending.get("ecs", 0))
    after = {"ecs": [name for name in durations if name != "ecs"]}
    return durations, after


# -- machine and versions -----------------------------------------------------------------


def machine() -> dict:
    info = {"cores": os.cpu_count(), "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    info.setdefault("cpu", platform.processor() or platform.machine())
    return info


def collection_version(namespace: str, name: str) -> str:
    import ansible_collections

    for root in ansible_collections.__path__:
        manifest = Path(root) / namespace / name / "MANIFEST.json"
        if manifest.exists():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    return "?"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("ansible-core", "ansible", "moto", "boto3"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "?"
    out["amazon.aws"] = collection_version("amazon", "aws")
    out["community.aws"] = collection_version("community", "aws")
    return out


# -- running things -------------------------------------------------------------------------


def ansible_env(services: LocalServices, trace: Path) -> dict[str, str]:
    return dict(
        os.environ,
        **services.env(),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_CALLBACK_PLUGINS=str(REPO / "bench" / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="bench_trace",
        BENCH_TRACE_FILE=str(trace),
    )


def timed(cmd: list[str], env: dict, log: Path) -> tuple[int, float, str]:
    """Run cmd from the repo, output to log; (exit code, wall seconds, output)."""
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        rc = subprocess.call(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    return rc, elapsed, log.read_text(encoding="utf-8", errors="replace")


class Phase:
    """One timed command against running services: time, exit code, requests, trace."""

    def __init__(self, services: LocalServices, outdir: Path, name: str):
        self.services, self.outdir, self.name = services, outdir, name

    def playbook(self, args: tuple[str, ...]) -> dict:
        trace = self.outdir / f"{self.name}.trace.jsonl"
        self.load = os.getloadavg()[0]
        before = len(self.services.requests())
        rc, seconds, output = timed(
            [str(BIN / "ansible-playbook"), *args],
            ansible_env(self.services, trace),
            self.outdir / f"{self.name}.log",
        )
        return self._result(rc, seconds, before, output=output, trace=trace)

    def script(self, cmd: list[str]) -> dict:
        self.load = os.getloadavg()[0]
        before = len(self.services.requests())
        env = dict(os.environ, **self.services.env())
        rc, seconds, _output = timed(cmd, env, self.outdir / f"{self.name}.log")
        return self._result(rc, seconds, before)

    def _result(self, rc: int, seconds: float, before: int, output: str = "", trace: Path | None = None) -> dict:
        requests = self.services.requests()[before:]
        (self.outdir / f"{self.name}.requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests))
        result = {
            "name": self.name,
            "rc": rc,
            "seconds": round(seconds, 2),
            "load": [round(self.load, 2), round(os.getloadavg()[0], 2)],
            "requests": dict(stats.count_requests(requests)),
            "errors": dict(
                stats.count_requests(r for r in requests if str(r.get("status", "")).startswith(("4", "5")))
            ),
        }
        if output:
            result["recap"] = recap(output)
        if trace is not None and trace.exists():
            result["tasks"] = [json.loads(line) for line in trace.read_text().splitlines() if line]
        status = "ok" if rc == 0 else f"FAILED (exit {rc}, see {self.outdir / (self.name + '.log')})"
        print(f"    {self.name:8} {seconds:7.1f} s  {len(requests):5} requests  {status}", flush=True)
        return result


def services_for(outdir: Path, *, pending: str = "", with_postgres: bool = True) -> LocalServices:
    services = LocalServices(outdir / "state", pending=pending, with_postgres=with_postgres)
    install_signal_handlers(services)
    services.start()
    return services


def git_info() -> dict[str, str | bool]:
    """Short commit and subject of the checkout, and whether tracked files differ from it."""

    def git(*args: str) -> str:
        try:
            proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        except OSError:
            return ""
        return proc.stdout.strip() if proc.returncode == 0 else ""

    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or "?",
        "subject": git("log", "-1", "--format=%s"),
        "dirty": bool(status),
    }


def one_run(index: int, out: Path, pending: str, phases: set[str], terraform_peer: Path | None = None) -> dict:
    rundir = out / f"run-{index}"
    rundir.mkdir(parents=True, exist_ok=True)
    result: dict = {"run": index}
    print(f"==> run {index}", flush=True)
    if "deploy" in phases:
        services = services_for(rundir)
        try:
            result["deploy"] = Phase(services, rundir, "deploy").playbook(DEPLOY)
            if result["deploy"]["rc"] == 0:
                result["rerun"] = Phase(services, rundir, "rerun").playbook(DEPLOY)
                result["destroy"] = Phase(services, rundir, "destroy").playbook(DESTROY)
        finally:
            services.stop()
    if "terraform" in phases and terraform_peer is not None:
        summary, tf_phases = peer.run_peer(terraform_peer, REPO, rundir / "terraform")
        result["terraform"] = summary
        result.update(tf_phases)
        status = "ok" if summary["rc"] == 0 else f"FAILED (exit {summary['rc']}, see {summary['log']})"
        print(f"    {'terraform':8} {summary['seconds']:7.1f} s  {summary['line'] or '-'}  {status}", flush=True)
    if "floor" in phases:
        services = services_for(rundir, with_postgres=False)
        try:
            result["floor"] = Phase(services, rundir, "floor").script([sys.executable, "-m", "bench.floor"])
        finally:
            services.stop()
    if "pending" in phases:
        services = services_for(rundir, pending=pending)
        try:
            result["pending"] = Phase(services, rundir, "pending").playbook(DEPLOY)
        finally:
            services.stop()
    return result


# -- the report -------------------------------------------------------------------------------


def series(runs: list[dict], phase: str) -> list[float]:
    return [run[phase]["seconds"] for run in runs if phase in run and run[phase]["rc"] == 0]


def paired(runs: list[dict], a: str, b: str) -> tuple[list[float], list[float]]:
    """Values of phases a and b from the runs where both succeeded (ratios stay per run)."""
    both = [run for run in runs if all(p in run and run[p]["rc"] == 0 for p in (a, b))]
    return [run[a]["seconds"] for run in both], [run[b]["seconds"] for run in both]


def profile_section(run: dict) -> list[str]:
    tasks = run.get("deploy", {}).get("tasks") or []
    if not tasks:
        return ["(no profile: the deploy did not run)"]
    total = sum(t["seconds"] for t in tasks)
    controller_s = sum(t["seconds"] for t in tasks if t["controller"] and not t["runs"])
    rerun = run.get("rerun", {}).get("tasks") or []
    lines = [
        f"From run {run['run']}'s first deploy (bench/callback_plugins/bench_trace.py: a task's time runs "
        f"from its start to the next task's start, as ansible.posix.profile_tasks counts it). "
        f"{len(tasks)} tasks, {sum(t['runs'] for t in tasks)} module runs, "
        f"{sum(t['controller'] for t in tasks)} controller-only results (set_fact, assert, include_tasks, "
        f"validate_argument_spec...: {controller_s:.1f} s), {total:.1f} s in tasks."
        + (
            f" The no-change re-run: {len(rerun)} tasks, {sum(t['runs'] for t in rerun)} module runs, "
            f"{sum(t['seconds'] for t in rerun):.1f} s."
            if rerun
            else ""
        ),
        "",
        "Top 15 tasks:",
        "",
    ]
    top = sorted(tasks, key=lambda t: -t["seconds"])[:15]
    lines.append(
        stats.markdown_table(
            ["seconds", "role", "task", "module", "module runs"],
            [
                (
                    f"{t['seconds']:.1f}",
                    t["role"] or "-",
                    t["task"].split(" : ", 1)[-1],
                    t["action"].rsplit(".", 1)[-1],
                    t["runs"],
                )
                for t in top
            ],
        )
    )
    per_role: dict[str, Counter] = defaultdict(Counter)
    for t in tasks:
        role = t["role"] or "(playbook)"
        per_role[role]["tasks"] += 1
        per_role[role]["runs"] += t["runs"]
        per_role[role]["controller"] += t["controller"]
        per_role[role]["ms"] += int(t["seconds"] * 1000)
    lines += ["", "Per role:", ""]
    rows = sorted(per_role.items(), key=lambda kv: -kv[1]["ms"])
    lines.append(
        stats.markdown_table(
            ["role", "seconds", "tasks", "module runs", "s per module run", "controller-only"],
            [
                (
                    role,
                    f"{c['ms'] / 1000:.1f}",
                    c["tasks"],
                    c["runs"],
                    f"{c['ms'] / 1000 / c['runs']:.2f}" if c["runs"] else "-",
                    c["controller"],
                )
                for role, c in rows
            ],
        )
    )
    return lines


def _keyed(tasks: list[dict]) -> dict[tuple[str, str, int], dict]:
    """Tasks by (role, name, occurrence): the same task in two runs of the same playbook."""
    seen: Counter = Counter()
    out = {}
    for task in tasks:
        key = (task["role"], task["task"])
        out[(*key, seen[key])] = task
        seen[key] += 1
    return out


# Modules whose tasks wait on a resource the emulator holds pending (see bench/README.md).
WAIT_MODULES = (
    "ec2_vpc_nat_gateway",
    "rds_instance",
    "rds_instance_info",
    "elasticache",
    "elasticache_info",
    "elb_application_lb",
    "ecs_service_info",
)
# Above this share of the critical path, the other tasks' time difference makes the
# whole-deploy waiting cost meaningless (load changed between the two deploys).
NOISE_SHARE = 0.10


def waiting_in_tasks(run: dict) -> float:
    """Extra seconds the wait tasks took in the pending deploy (vs the same tasks without)."""
    base = _keyed(run.get("deploy", {}).get("tasks") or [])
    pend = _keyed(run.get("pending", {}).get("tasks") or [])
    return sum(
        task["seconds"] - base.get(key, {}).get("seconds", 0.0)
        for key, task in pend.items()
        if task["action"].rsplit(".", 1)[-1] in WAIT_MODULES
    )


def waiting_by_task(run: dict, threshold: float = 3.0) -> list[tuple[str, str, float, float, float]]:
    """Tasks that took longer with simulated provisioning: (role, task, without, with, extra)."""
    base = _keyed(run.get("deploy", {}).get("tasks") or [])
    pend = _keyed(run.get("pending", {}).get("tasks") or [])
    rows = []
    for key, task in pend.items():
        before = base.get(key, {}).get("seconds", 0.0)
        extra = task["seconds"] - before
        if extra >= threshold:
            rows.append((key[0], key[1].split(" : ", 1)[-1], before, task["seconds"], extra))
    return sorted(rows, key=lambda r: -r[4])


def fixed_sleeps(run: dict) -> dict[str, float]:
    """Seconds the first deploy spent in amazon.aws modules' fixed sleeps (see README)."""
    deploy = run.get("deploy", {})
    tasks = deploy.get("tasks") or []
    route_tables = sum(t["changed"] for t in tasks if t["action"].endswith("ec2_vpc_route_table"))
    groups = deploy.get("requests", {}).get("ec2:CreateSecurityGroup", 0)
    groups -= deploy.get("errors", {}).get("ec2:CreateSecurityGroup", 0)  # InvalidGroup.Duplicate probes
    return {
        "ec2_vpc_route_table: sleep(5) after any change": 5.0 * route_tables,
        "ec2_security_group: sleep(3) after a create": 3.0 * groups,
    }


def terraform_notes(runs: list[dict], meta: dict) -> list[str]:
    """What the Terraform peer did in these runs: skipped (why), failed (where), clean or not."""
    info = meta.get("terraform") or {}
    if info.get("skipped"):
        return [f"Terraform peer not run: {info['skipped']}."]
    ran = [run for run in runs if "terraform" in run]
    if not ran:
        return []
    first = ran[0]["terraform"]
    lines = [
        f"Terraform peer: `{info.get('peer', 'bench.sh')}` (its own fresh emulator, no PostgreSQL; times from "
        "its result.json, requests = its request log's lines)"
        + (f", {first['resources']} resources in state after the apply" if first.get("resources") else "")
        + f"; the whole script took {stats.fmt_cell([run['terraform']['seconds'] for run in ran])} s per run "
        "(init, certificate, emulator start included)."
    ]
    noop = [run["tf_noop"] for run in ran if "tf_noop" in run]
    if noop:
        clean = sum(1 for phase in noop if not phase.get("changes") and phase["rc"] == 0)
        lines[0] += f" The no-change apply planned no change in {clean} of {len(noop)} run(s)."
    for run in ran:
        summary = run["terraform"]
        if summary["rc"] != 0:
            where = [p for p in ("tf_apply", "tf_noop", "tf_destroy") if run.get(p, {}).get("rc")]
            detail = ", ".join(
                p
                + (f" ({run[p]['changes']} changes planned)" if run[p].get("changes") else "")
                + (f" ({run[p]['left']} resources left)" if run[p].get("left") else "")
                for p in where
            )
            lines.append(
                f"Run {run['run']}: the Terraform peer failed (exit {summary['rc']}"
                + (f"; {detail}" if detail else "; before its timed phases")
                + f"): {summary.get('error', '')} (see {summary.get('dir') or summary['log']})."
            )
    return lines


def terraform_goal(
    label: str, runs: list[dict], ours: str, theirs: str, goal: float, meta: dict
) -> tuple[str, str, str, str]:
    """A goal row of one of our phases against the peer's, paired per run."""
    a, b = paired(runs, ours, theirs)
    if a:
        r = stats.ratio(a, b)
        return (label, stats.fmt_ratio(r), f"<= {goal:g}x", _met(r, goal))
    info = meta.get("terraform") or {}
    why = "skipped" if info.get("skipped") else "no run where both succeeded"
    if not info and not any("terraform" in run for run in runs):
        why = "the peer did not run"
    return (label, "-", f"<= {goal:g}x", f"not measured ({why})")


def report(runs: list[dict], meta: dict, history_rows: list[str] | None = None) -> str:
    deploy, floor_d = paired(runs, "deploy", "floor")
    rerun, floor_r = paired(runs, "rerun", "floor")
    base, pend = paired(runs, "deploy", "pending")
    pending = parse_pending(meta["pending"])
    durations, after = waits_of(pending)
    crit, chain = stats.critical_path(durations, after)
    total_wait = sum(durations.values())
    lines = [
        "# Deploy benchmark: results",
        "",
        f"Measured {meta['date']} with `{meta['command']}` ({meta['runs']} run(s); median, min-max when more).",
    ]
    if meta["loaded"]:
        lines += [
            "",
            f"**Measured under load** (load average {meta['machine']['load_start']} at start on "
            f"{meta['machine']['cores']} cores, shared with other jobs): absolute times are inflated; "
            "the ratios compare phases of the same run, but the load can change from one phase to the next "
            "(see the load column). Re-run on a quiet machine.",
        ]
    m, v = meta["machine"], meta["versions"]
    lines += [
        "",
        f"Machine: {m.get('cpu', '?')}, {m['cores']} cores, {m.get('ram_gib', '?')} GiB RAM, "
        f"load average {m['load_start']} (1/5/15 min) at start, {meta.get('load_end', '?')} at the end.",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "## Times",
        "",
    ]
    rows = []
    for label, phase in [
        ("first deploy (site.yml)", "deploy"),
        ("no-change re-run", "rerun"),
        ("destroy (openwebui_destroy_data=true)", "destroy"),
        ("terraform apply (peer: first deploy)", "tf_apply"),
        ("terraform no-change apply (peer)", "tf_noop"),
        ("terraform destroy (peer)", "tf_destroy"),
        ("boto3 floor (bench/floor.py)", "floor"),
        (f"first deploy, pending {meta['pending']}", "pending"),
    ]:
        values = series(runs, phase)
        reqs = [sum(run[phase]["requests"].values()) for run in runs if phase in run]
        failed = sum(1 for run in runs if phase in run and run[phase]["rc"] != 0)
        loads = [f"{a:.1f}/{b:.1f}" for run in runs if "load" in run.get(phase, {}) for a, b in [run[phase]["load"]]]
        rows.append(
            (
                label,
                stats.fmt_cell(values) if values else "-",
                stats.fmt_cell(reqs).replace(".0", "") if reqs else "-",
                failed,
                ", ".join(loads) or "-",
            )
        )
    lines.append(
        stats.markdown_table(
            ["phase", "seconds", "emulator requests", "failed runs", "1-min load at start/end of the phase"], rows
        )
    )
    rerun_clean = [
        all(h["changed"] == 0 for h in run["rerun"].get("recap", {}).values()) for run in runs if "rerun" in run
    ]
    if rerun_clean:
        lines += ["", f"No-change re-run reported changed=0 in {sum(rerun_clean)} of {len(rerun_clean)} run(s)."]
    for note in terraform_notes(runs, meta):
        lines += ["", note]

    lines += ["", "## Goals", ""]
    goal_rows = []
    if deploy:
        r = stats.ratio(deploy, floor_d)
        goal_rows.append(
            ("first deploy / floor", stats.fmt_ratio(r), f"<= {GOALS['deploy']:g}x", _met(r, GOALS["deploy"]))
        )
    if rerun:
        r = stats.ratio(rerun, floor_r)
        goal_rows.append(
            ("no-change re-run / floor", stats.fmt_ratio(r), f"<= {GOALS['rerun']:g}x", _met(r, GOALS["rerun"]))
        )
    if deploy or rerun or any("deploy" in run for run in runs):
        goal_rows.append(
            terraform_goal("first deploy / terraform apply", runs, "deploy", "tf_apply", GOALS["deploy_tf"], meta)
        )
        goal_rows.append(
            terraform_goal(
                "no-change re-run / terraform no-change apply", runs, "rerun", "tf_noop", GOALS["rerun_tf"], meta
            )
        )
    if base:
        both = [run for run in runs if all(p in run and run[p]["rc"] == 0 for p in ("deploy", "pending"))]
        waiting = [p - b for p, b in zip(pend, base, strict=True)]
        in_tasks = [waiting_in_tasks(run) for run in both]
        noise = [w - t for w, t in zip(waiting, in_tasks, strict=True)]
        noisy = any(abs(n) > NOISE_SHARE * crit for n in noise)
        r_whole = stats.ratio(waiting, [crit] * len(waiting))
        r_tasks = stats.ratio(in_tasks, [crit] * len(in_tasks))
        goal = f"<= {GOALS['waiting']:g}x"
        goal_rows.append(
            (
                "waiting cost / critical path (whole deploys, as defined)",
                stats.fmt_ratio(r_whole),
                goal,
                "not judged: load noise (below)" if noisy else _met(r_whole, GOALS["waiting"]),
            )
        )
        goal_rows.append(
            (
                "waiting cost / critical path (time in the wait tasks)",
                stats.fmt_ratio(r_tasks),
                goal,
                _met(r_tasks, GOALS["waiting"]) if noisy else "(cross-check)",
            )
        )
    lines.append(stats.markdown_table(["ratio (same run)", "measured", "goal", "met"], goal_rows) if goal_rows else "-")
    if base:
        lines += [
            "",
            f"Waiting cost = deploy with pending - deploy without: {stats.fmt_cell(waiting)} s. Time the wait "
            f"tasks ({', '.join(WAIT_MODULES)}) took longer with pending: {stats.fmt_cell(in_tasks)} s; the "
            f"other tasks' difference: {stats.fmt_cell(noise)} s"
            + (
                f", more than {NOISE_SHARE:.0%} of the critical path: the load changed between the two deploys, "
                "so the goal is judged on the wait tasks' time instead."
                if noisy
                else "."
            ),
            "",
            f"References: critical path {crit:g} s ({' -> '.join(f'{n} {durations[n]:g}' for n in chain)}); "
            f"sum of all pending times {total_wait:g} s ({', '.join(f'{n} {d:g}' for n, d in durations.items())}); "
            f"wait tasks / sum: {stats.fmt_ratio(stats.ratio(in_tasks, [total_wait] * len(in_tasks)))}.",
        ]
        grown = waiting_by_task(next(run for run in runs if "pending" in run and "deploy" in run))
        if grown:
            lines += [
                "",
                "Where the deploy waited (tasks at least 3 s longer with pending than without, first run):",
                "",
                stats.markdown_table(
                    ["role", "task", "s without", "s with pending", "extra s"],
                    [(r, t, f"{a:.1f}", f"{b:.1f}", f"{c:.1f}") for r, t, a, b, c in grown],
                ),
            ]

    lines += ["", *history.section(history_rows or [])]
    lines += ["", "## Requests: playbook vs floor (first deploy)", ""]
    first = next((run for run in runs if "deploy" in run and "floor" in run), None)
    if first:
        pb, fl = Counter(first["deploy"]["requests"]), Counter(first["floor"]["requests"])
        (pr, pw), (fr, fw) = stats.split_reads(pb), stats.split_reads(fl)
        lines += [
            f"Run {first['run']}: the playbook sent {pr + pw} requests ({pw} writes, {pr} reads); the floor "
            f"{fr + fw} ({fw} writes, {fr} reads). Reads = Describe*/List*/Get*/REST GET. Top 25 below; all of "
            f"them in bench/out/run-{first['run']}/requests.md.",
            "",
        ]
        table = stats.compare_counts(pb, fl)
        lines.append(stats.markdown_table(["request", "playbook", "floor"], table[:25]))
        drift = [row for row in table if not stats.is_read(row[0].split(":", 1)[1]) and row[1] != row[2]]
        if drift:
            lines += [
                "",
                "Writes whose counts differ (tags in a separate call, duplicate probes, and any drift between "
                "bench/floor.py and the roles): " + ", ".join(f"{key} {a} vs {b}" for key, a, b in sorted(drift)) + ".",
            ]
    lines += ["", "## Where the time goes", ""]
    if runs:
        lines += profile_section(runs[0])
        sleeps = fixed_sleeps(runs[0])
        lines += [
            "",
            "Fixed sleeps inside amazon.aws modules during this deploy: "
            + "; ".join(f"{k}: {v:g} s" for k, v in sleeps.items())
            + f" (total {sum(sleeps.values()):g} s).",
        ]
    lines += ["", "## Levers (estimates from this run)", ""]
    if runs and runs[0].get("deploy", {}).get("tasks"):
        lines += levers(runs[0], durations)
    lines.append("")
    return "\n".join(lines)


# Roles that need only the network layer (vpc, security: IDs, KMS key), no other layer.
INDEPENDENT_LAYERS = ("database", "storage", "cache", "registry", "load_balancer", "auth", "backup")


def levers(run: dict, durations: dict[str, float]) -> list[str]:
    """Candidate levers with an estimate of each, from one deploy's trace."""
    tasks = run["deploy"]["tasks"]
    total = run["deploy"]["seconds"]
    runs_total = sum(t["runs"] for t in tasks) or 1
    module_seconds = sum(t["seconds"] for t in tasks if t["runs"])
    per_run = module_seconds / runs_total
    info = [t for t in tasks if t["action"].endswith("_info") and t["runs"]]
    info_runs, info_seconds = sum(t["runs"] for t in info), sum(t["seconds"] for t in info)
    by_role: dict[str, float] = defaultdict(float)
    for t in tasks:
        by_role[t["role"]] += t["seconds"]
    layers = [by_role.get(r, 0.0) for r in INDEPENDENT_LAYERS]
    concurrent = sum(layers) - max(layers, default=0.0)
    sleeps = sum(fixed_sleeps(run).values())
    floor = run.get("floor", {}).get("seconds")
    nat = [n for n in durations if n.startswith("nat")]
    out = [
        f"- **Fewer module runs.** {runs_total} module runs took {module_seconds:.0f} s of the "
        f"{total:.0f} s deploy: {per_run:.2f} s per run on average, almost all of it process start, "
        "imports and boto3 client set-up on the controller, not the API"
        + (f" (the floor's whole run took {floor:.0f} s)" if floor else "")
        + f". Every 10 module runs removed saves ~{10 * per_run:.0f} s.",
        f"- **`*_info` calls only when needed.** {info_runs} runs of `*_info` modules took {info_seconds:.0f} s "
        f"({100 * info_seconds / total:.0f}% of the deploy). Most re-read what an earlier role in the same "
        "play already published (VPC, subnets, security groups, KMS key); reading published facts "
        "first would save most of it in a full deploy (a role run alone with `--tags` still needs them).",
        f"- **Fixed sleeps in amazon.aws modules.** {sleeps:g} s in this deploy (see above): "
        "`ec2_vpc_route_table` sleeps 5 s after every change, `ec2_security_group` 3 s after each create; "
        "the other fixed sleeps (`s3_bucket` 5 s, `ec2_vpc_subnet` 5 s, `ec2_vpc_net` 3 s, "
        "`rds_instance` 5 s) only run while a setting has not converged, which the emulator never shows. "
        "Only a first deploy pays them (a no-change run changes nothing); removing them means our own "
        "module or an upstream patch.",
        f"- **Running independent layers concurrently.** {', '.join(INDEPENDENT_LAYERS)} need only the network "
        f"layer; they took {sum(layers):.0f} s in sequence, the longest {max(layers, default=0):.0f} s: "
        f"at most ~{concurrent:.0f} s to gain (upper bound: the controller's 2 cores are shared), "
        "e.g. with `async`/`poll: 0` on the slow creates or one play per layer group run in parallel.",
        f"- **Waits.** The NAT gateways are created and waited for one after the other in a loop "
        f"({len(nat)} x nat); creating all, then waiting once, saves {max(0, len(nat) - 1)} x nat "
        f"({sum(durations[n] for n in nat[1:]):g} s here; 1-2 min per gateway in AWS). The RDS and ECS "
        "waits poll every `database_wait_delay` (15 s) and `ecs_service_wait_delay` (10 s): with the "
        "scaled-down pending times this rounds each wait up by up to one delay; in AWS (minutes) it is "
        "a few percent. Nothing but the SQL steps and the service needs the RDS instance: polling it only "
        "after the storage, cache, registry, load balancer and auth layers (or in the background) would "
        "hide their time inside the RDS wait, as `wait: false` already does for the ALB.",
    ]
    return out


def _met(ratios: list[float], goal: float) -> str:
    med = stats.summary(ratios)[0]
    return "yes" if med <= goal else "no"


def write_requests_md(run: dict, path: Path) -> None:
    pb, fl = Counter(run["deploy"]["requests"]), Counter(run.get("floor", {}).get("requests", {}))
    text = "# Requests of the first deploy vs the floor\n\n" + stats.markdown_table(
        ["request", "playbook", "floor"], stats.compare_counts(pb, fl)
    )
    path.write_text(text + "\n")


def history_row(runs: list[dict], meta: dict) -> str:
    """This invocation's line of the History section (medians over the runs)."""

    def median(phase: str) -> float | None:
        values = series(runs, phase)
        return stats.summary(values)[0] if values else None

    def ratio(a: str, b: str) -> float | None:
        ours, theirs = paired(runs, a, b)
        return stats.summary(stats.ratio(ours, theirs))[0] if ours else None

    git = meta.get("git") or {}
    return history.row(
        date=meta["date"],
        commit=str(git.get("commit", "?")) + (" (dirty)" if git.get("dirty") else ""),
        subject=str(git.get("subject", "")),
        runs=meta["runs"],
        medians={phase: median(phase) for phase in ("deploy", "rerun", "tf_apply", "tf_noop")},
        ratios={"deploy": ratio("deploy", "tf_apply"), "rerun": ratio("rerun", "tf_noop")},
        load=meta["machine"]["load_start"],
    )


def kept_history(path: Path) -> list[str]:
    """The History lines of the RESULTS.md being replaced."""
    return history.existing_rows(path.read_text(encoding="utf-8")) if path.exists() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (median, min-max); default 3")
    parser.add_argument(
        "--quick", action="store_true", help="skip the pending phase and the Terraform peer (checks the harness)"
    )
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--pending", default=DEFAULT_PENDING, help=f"simulated provisioning; default {DEFAULT_PENDING}")
    parser.add_argument("--no-terraform", action="store_true", help="skip the Terraform peer")
    parser.add_argument(
        "--terraform-peer",
        type=Path,
        default=peer.default_peer(REPO),
        help="the peer's bench.sh; default $BENCH_TERRAFORM_PEER, else ../shared/peers/terraform/bench.sh",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--report-only", action="store_true", help="re-write RESULTS.md from <out>/results.json")
    args = parser.parse_args(argv)
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    unknown = sorted(phases - set(PHASES))
    if unknown:
        parser.error(f"--phases: unknown phase(s) {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    if args.runs < 1:
        parser.error(f"--runs: must be at least 1, got {args.runs}")
    try:
        parse_pending(args.pending)
    except ValueError as exc:
        parser.error(f"--pending: {exc}")
    if args.report_only:
        saved = json.loads((args.out / "results.json").read_text())
        args.results.write_text(report(saved["runs"], saved["meta"], kept_history(args.results)))
        return 0
    if args.quick:
        phases -= {"pending", "terraform"}
    terraform: dict = {"peer": str(args.terraform_peer)}
    if args.no_terraform:
        phases.discard("terraform")
    if "terraform" not in phases:
        terraform["skipped"] = "--no-terraform" if args.no_terraform else "not among the phases (--phases/--quick)"
    elif reason := peer.skip_reason(args.terraform_peer):
        terraform["skipped"] = reason
        phases.discard("terraform")
        print(f"==> the Terraform peer is skipped: {reason}", flush=True)
    load = os.getloadavg()
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "runs": args.runs,
        "pending": args.pending,
        "machine": machine(),
        "versions": versions(),
        "loaded": load[0] > 0.5 * (os.cpu_count() or 1),
        "phases": sorted(phases),
        "terraform": terraform,
        "git": git_info(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tf_peer = args.terraform_peer if "terraform" in phases else None
    runs = [one_run(i, args.out, args.pending, phases, tf_peer) for i in range(1, args.runs + 1)]
    meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    if runs and "deploy" in runs[0]:
        write_requests_md(runs[0], args.out / f"run-{runs[0]['run']}" / "requests.md")
    rows = [*kept_history(args.results), history_row(runs, meta)]
    args.results.write_text(report(runs, meta, rows))
    print(f"==> {args.results.relative_to(REPO) if args.results.is_relative_to(REPO) else args.results}")
    failed = [f"run {r['run']} {p}" for r in runs for p, v in r.items() if isinstance(v, dict) and v.get("rc")]
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
