"""The ECS service utilization metrics, measured from the local tasks' processes.

Run-tasks mode (``ecs_runner``): the runner's loop calls ``ServiceMetrics.tick`` with its
tasks. As ECS does for every service with running tasks, it samples each running task of
a service every 20 seconds and, once a minute, publishes to the emulator's CloudWatch
(``AWS/ECS``, dimensions ``ClusterName`` and ``ServiceName``, unit ``Percent``):

* ``CPUUtilization``: the CPU time the task's processes (the container's process and all
  its children) used since the last sample, in percent of the task definition's ``cpu``
  (1024 units: one core);
* ``MemoryUtilization``: their resident memory (RSS, summed), in percent of the task
  definition's ``memory`` (MiB).

Each minute's datum carries the samples' statistics (SampleCount, Sum, Minimum,
Maximum): its Average is the service's average over its tasks, its Minimum and Maximum
the least and most busy task's sample. The datum's timestamp is the start of its minute.
Both the 20 s and the 60 s are multiplied by ``autoscaling.TIME_SCALE``.

How it differs from Fargate: nothing limits a local task, so a busy one can report more
than 100 % (Fargate throttles the CPU and stops a task out of memory); RSS counts the
memory shared between a task's processes once per process (a cgroup counts it once) and
not the page cache; a container-level ``cpu`` / ``memory`` is used when the task
definition has none at the task level, and a task without either reports no metric.
Published only when the fix ``ecs_services_publish_utilization_metrics`` is on.
"""

from __future__ import annotations

import contextlib
import math
import time
from datetime import UTC, datetime

import psutil

from . import autoscaling

SAMPLE_SECONDS = 20  # ECS samples the tasks every 20 s
PERIOD_SECONDS = 60  # and publishes one datum a minute


def _reserved(local, key: str) -> float:
    """The task definition's ``cpu`` (units) or ``memory`` (MiB): task level, else the sum
    of its containers'; 0 when it has none."""
    value = getattr(local.td, key, None)
    with contextlib.suppress(TypeError, ValueError):
        if value and float(value) > 0:
            return float(value)
    total = 0.0
    for container in local.td.container_definitions or []:
        with contextlib.suppress(TypeError, ValueError):
            total += float(container.get(key) or 0)
    return total


class ServiceMetrics:
    """Samples and publishes the services' CPUUtilization and MemoryUtilization."""

    def __init__(self):
        self.samples: dict[str, dict] = {}  # service ARN -> its samples of this period
        self.cpu_seen: dict[str, tuple[float, float]] = {}  # task ARN -> (wall time, CPU seconds)
        self.next_sample = 0.0
        self.period_start: float | None = None

    def tick(self, tasks, now: float | None = None) -> None:
        if not autoscaling.METRICS_PUBLISHED:
            return
        now = time.time() if now is None else now
        period = autoscaling.seconds(PERIOD_SECONDS)
        start = math.floor(now / period) * period
        if self.period_start is None:
            self.period_start = start
        if start > self.period_start:
            self.publish(self.period_start)
            self.period_start = start
        if now >= self.next_sample:
            self.next_sample = now + autoscaling.seconds(SAMPLE_SECONDS)
            self.sample(tasks, now)

    def sample(self, tasks, now: float) -> None:
        live = set()
        for local in list(tasks):
            if local.service is None or local.task.last_status != "RUNNING" or local.stop_requested.is_set():
                continue
            if local.proc is None or local.proc.poll() is not None:
                continue
            measured = self._measure(local.proc.pid)
            if measured is None:
                continue
            cpu_seconds, rss = measured
            live.add(local.task.task_arn)
            entry = self.samples.setdefault(
                local.service.arn,
                {"service": local.service, "task": local.task, "CPUUtilization": [], "MemoryUtilization": []},
            )
            memory = _reserved(local, "memory")
            if memory:
                entry["MemoryUtilization"].append(100.0 * rss / (memory * 1024 * 1024))
            cpu = _reserved(local, "cpu")
            since, before = self.cpu_seen.get(local.task.task_arn, (now, cpu_seconds))  # first: no interval yet
            self.cpu_seen[local.task.task_arn] = (now, cpu_seconds)
            if cpu and now > since:
                used = max(0.0, cpu_seconds - before)  # a child that ended takes its time along
                entry["CPUUtilization"].append(100.0 * used / (now - since) / (cpu / 1024))
        for gone in set(self.cpu_seen) - live:
            del self.cpu_seen[gone]

    @staticmethod
    def _measure(pid: int) -> tuple[float, int] | None:
        """CPU seconds (user + system) and resident bytes of the process and its children."""
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        cpu, rss = 0.0, 0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                cpu += times.user + times.system
                rss += process.memory_info().rss
        return cpu, rss

    def publish(self, period_start: float) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        stamp = datetime.fromtimestamp(period_start, UTC).replace(tzinfo=None)
        samples, self.samples = self.samples, {}
        for entry in samples.values():
            service, task = entry["service"], entry["task"]
            data = [
                {
                    "MetricName": name,
                    "Dimensions": [
                        {"Name": "ClusterName", "Value": service.cluster_name},
                        {"Name": "ServiceName", "Value": service.name},
                    ],
                    "StatisticValues": {
                        "SampleCount": len(values),
                        "Sum": sum(values),
                        "Minimum": min(values),
                        "Maximum": max(values),
                    },
                    "Unit": "Percent",
                    "Timestamp": stamp,
                }
                for name in ("CPUUtilization", "MemoryUtilization")
                if (values := entry[name])
            ]
            if data:
                cloudwatch_backends[task._account_id][task.region_name].put_metric_data("AWS/ECS", data)
