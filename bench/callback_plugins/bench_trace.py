"""Callback of the benchmark: one JSON line per task (role, action, wall time, module runs).

Enabled by ``python -m bench`` only (``ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins``,
``ANSIBLE_CALLBACKS_ENABLED=bench_trace``); it writes to ``$BENCH_TRACE_FILE``. A task's
time runs from its start to the next task's start (as ``ansible.posix.profile_tasks``
counts it). A "module run" is one execution of a module on the target: one per host,
per loop item and per ``until`` attempt; controller-only actions (``set_fact``,
``assert``, includes...) are counted apart as ``controller``.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: bench_trace
    type: aggregate
    short_description: per-task timings and module runs for the benchmark
    description: Writes one JSON line per task to $BENCH_TRACE_FILE.
    requirements: [enabled in configuration]
"""

# Actions that run on the controller only: no module is shipped to the target.
CONTROLLER_ONLY = {
    "assert",
    "debug",
    "fail",
    "meta",
    "set_fact",
    "set_stats",
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "include_vars",
    "validate_argument_spec",
    "add_host",
    "group_by",
    "pause",
}


def _short(action: str) -> str:
    return action.rsplit(".", 1)[-1]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_trace"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("BENCH_TRACE_FILE", "")
        self._tasks: list[dict] = []
        self._current: dict | None = None

    def _close(self, now: float) -> None:
        if self._current is not None:
            self._current["seconds"] = round(now - self._current.pop("_start"), 3)
            self._tasks.append(self._current)
            self._current = None

    def _start(self, task, kind: str) -> None:
        now = time.monotonic()
        self._close(now)
        role = task._role.get_name(include_role_fqcn=False) if task._role else ""
        self._current = {
            "task": task.get_name(),
            "role": role,
            "action": task.action,
            "kind": kind,
            "runs": 0,
            "controller": 0,
            "skipped": 0,
            "changed": 0,
            "_start": now,
        }

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task, "task")

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, "handler")

    def _count(self, result, skipped: bool = False) -> None:
        if self._current is None:
            return
        if skipped:
            self._current["skipped"] += 1
            return
        res = result._result
        if res.get("results") is not None and isinstance(res.get("results"), list):
            return  # a loop's summary: its items were counted one by one
        attempts = int(res.get("attempts", 1) or 1)
        key = "controller" if _short(self._current["action"]) in CONTROLLER_ONLY else "runs"
        self._current[key] += attempts
        if res.get("changed"):
            self._current["changed"] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_on_skipped(self, result):
        self._count(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._count(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result)

    def v2_runner_item_on_skipped(self, result):
        self._count(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        self._close(time.monotonic())
        if not self._path:
            return
        with open(self._path, "w", encoding="utf-8") as out:
            for task in self._tasks:
                out.write(json.dumps(task) + "\n")
