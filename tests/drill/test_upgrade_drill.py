"""The upgrade drill (``make upgrade-drill``, on demand; not part of ``make test``): two real
Open WebUI releases from PyPI, the previous one and the pinned one, through the collection's
upgrade path.

1. The whole stack (``site.yml -i inventories/local``) deployed into its own local services
   in run-tasks mode, with ``ecs_service_image_tag=v<previous>``: the emulator's ECS runs the
   previous release from its cached virtualenv (requirements/openwebui-app-previous.txt).
2. As a person would: the first administrator signs in, writes a chat and uploads a file
   (embedded into pgvector). The database's alembic revision is the previous release's head.
3. ``site.yml`` again with ``ecs_service_image_tag=v<pinned>``: the ecs_service role snapshots
   the database, migrates it with a one-off task of the new revision, then rolls the service
   out; the database's revision is now the pinned release's head, and the chat and the file
   written before are read back through the upgraded service.

Outside ``testpaths`` (tests/functional), so ``make test`` and CI never collect it: it builds
a second app virtualenv of about 3 GB and deploys the stack twice (see README, "Upgrading
Open WebUI, and after a failed migration").
"""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.functional.conftest import Ansible, DeployedStack  # noqa: E402
from tests.functional.test_served_stack import (  # noqa: E402
    log_text,
    migration_tasks,
    pre_migration_snapshots,
    running_tasks,
    service,
    stack_tls,
    urls,
)
from tests.functional.test_stack import _read_the_chat_and_the_file, _write_a_chat_and_a_file  # noqa: E402
from tools.local_services import LocalServices  # noqa: E402
from tools.openwebui_app import (  # noqa: E402
    PREVIOUS_REQUIREMENTS,
    REQUIREMENTS,
    _site_packages,
    ensure_app_venv,
    pinned_version,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
OLD, NEW = pinned_version(PREVIOUS_REQUIREMENTS), pinned_version(REQUIREMENTS)
IMAGE = "ghcr.io/open-webui/open-webui"  # roles/ecs_service/defaults/main.yml: ecs_service_image
DB_NAME = "openwebui"  # roles/database/defaults/main.yml: database_name


def alembic_heads(venv: Path) -> list[str]:
    """The head revisions of a release's alembic migrations (``open_webui/migrations/versions``),
    read from the files' ``revision`` and ``down_revision`` (importing them, or alembic's
    ScriptDirectory, would import Open WebUI, which exits without WEBUI_SECRET_KEY)."""
    revisions, parents = set(), set()
    for path in sorted((_site_packages(venv) / "open_webui" / "migrations" / "versions").glob("*.py")):
        found = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                name, value = node.target.id, node.value
            else:
                continue
            if name in ("revision", "down_revision"):
                found[name] = ast.literal_eval(value)
        assert "revision" in found, f"{path} names no revision"
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return sorted(revisions - parents)


def alembic_revision(stack: DeployedStack) -> str:
    """The revision the stack's database is at (``alembic_version``), read as the superuser."""
    pg = stack.services.state["postgres"]
    dsn = psycopg.conninfo.make_conninfo(
        host=pg["host"],
        port=pg["port"],
        user=pg["admin_user"],
        password=pg["admin_password"],
        dbname=DB_NAME,
        sslmode=pg["sslmode"],
    )
    with psycopg.connect(dsn) as conn:
        (row,) = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return row[0]


def served_version(stack: DeployedStack) -> str:
    """The Open WebUI release that answers behind the stack's load balancer."""
    config = httpx.get(f"{urls(stack)[443]}/api/config", verify=stack_tls(stack), timeout=30)
    assert config.status_code == 200, config.text[:500]
    return config.json()["version"]


def service_image(stack: DeployedStack) -> tuple[str, str]:
    """The service's task definition and the image of its container."""
    arn = service(stack)["taskDefinition"]
    (container,) = stack.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"][
        "containerDefinitions"
    ]
    return arn, container["image"]


@pytest.fixture(scope="module")
def venvs() -> dict[str, Path]:
    """Both releases' virtualenvs, built first if needed (``make upgrade-drill`` builds them
    before pytest starts): the emulator's ECS reads which releases it can run when it starts."""
    found = {OLD: ensure_app_venv(PREVIOUS_REQUIREMENTS), NEW: ensure_app_venv(REQUIREMENTS)}
    assert OLD != NEW, f"{PREVIOUS_REQUIREMENTS.name} and {REQUIREMENTS.name} pin the same release"
    return found


@pytest.fixture(scope="module")
def drill_stack(tmp_path_factory, venvs):
    """Local services of the drill's own (state dir under pytest's temporary folder), in
    run-tasks mode; nothing deployed yet. Stopped at the end, whatever happened."""
    root = tmp_path_factory.mktemp("upgrade-drill")
    services = LocalServices(root / "services", run_tasks=True)
    services.start()
    try:
        yield DeployedStack(services, Ansible(), None, "", ansible_tmp=root / "ansible-tmp", started_ns=time.time_ns())
    finally:
        services.stop()


def test_an_upgrade_through_the_migration_task_keeps_the_chat_and_the_file(drill_stack, venvs):
    stack, timings = drill_stack, {}
    heads = {version: alembic_heads(venv) for version, venv in venvs.items()}
    print(f"\nalembic heads: {OLD} {heads[OLD]}, {NEW} {heads[NEW]}")
    assert len(heads[OLD]) == 1 and len(heads[NEW]) == 1, heads

    # 1. The previous release, deployed from scratch.
    started = time.monotonic()
    first = stack.playbook("site.yml", "-e", f"ecs_service_image_tag=v{OLD}")
    timings["deploy"] = time.monotonic() - started
    assert first.rc == 0, first.output[-5000:]
    old_td, old_image = service_image(stack)
    assert old_image == f"{IMAGE}:v{OLD}"
    assert served_version(stack) == OLD

    # 2. A chat and a file, written as a person would; the schema is the old release's head.
    written = _write_a_chat_and_a_file(stack)
    before = alembic_revision(stack)
    assert [before] == heads[OLD], f"the database is at {before}, {OLD}'s head is {heads[OLD]}"
    migrations_before = len(migration_tasks(stack))

    # 3. The upgrade: snapshot, migration task of the new revision, rollout.
    started = time.monotonic()
    upgrade = stack.playbook("site.yml", "-e", f"ecs_service_image_tag=v{NEW}")
    timings["upgrade"] = time.monotonic() - started
    assert upgrade.rc == 0, upgrade.output[-5000:]

    snapshot = pre_migration_snapshots(stack)[-1]
    assert (snapshot["Tags"]["FromImage"], snapshot["Tags"]["ToImage"]) == (f"{IMAGE}:v{OLD}", f"{IMAGE}:v{NEW}")
    new_td, new_image = service_image(stack)
    assert new_td != old_td and new_image == f"{IMAGE}:v{NEW}"
    tasks = migration_tasks(stack)
    assert len(tasks) == migrations_before + 1, "not exactly one migration task for the upgrade"
    migration = tasks[-1]
    assert migration["taskDefinitionArn"] == new_td
    assert migration["containers"][0]["exitCode"] == 0, migration.get("stoppedReason")
    assert migration["createdAt"] > snapshot["SnapshotCreateTime"]
    serving = running_tasks(stack)
    assert len(serving) == 2 and {t["taskDefinitionArn"] for t in serving} == {new_td}
    assert served_version(stack) == NEW

    after = alembic_revision(stack)
    assert [after] == heads[NEW], f"the database is at {after}, {NEW}'s head is {heads[NEW]}"
    migration_log = log_text(stack, migration)
    assert "open-webui: database migrated" in migration_log, migration_log[-3000:]
    if heads[OLD] != heads[NEW]:
        assert after != before
        assert f"Running upgrade {before} -> " in migration_log, "the migration task did not migrate"
    else:  # the two releases share their schema: the migration task ran and had no step to run
        assert after == before
        assert "Running upgrade" not in migration_log, migration_log[-3000:]

    _read_the_chat_and_the_file(stack, written)
    print(
        f"upgrade drill: {OLD} -> {NEW}, alembic {before} -> {after}; "
        f"first deploy {timings['deploy']:.0f} s, upgrade {timings['upgrade']:.0f} s"
    )
