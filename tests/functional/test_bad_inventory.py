"""Bad input fails before the first AWS call, with the variable's name in the message.

Each case sets a few variables on top of ``inventories/local``, as a user's inventory
would, and ``site.yml`` runs in full, exactly as a user runs it, against a running
emulator. The run must fail (rc != 0) in the Preflight play, the failure must name the
variable, and the emulator must have received no request while the case ran: preflight
is pure.

All cases run in one ``site.yml`` run: each case is a host of the ``openwebui`` group
(connection local) whose host variables are the case's settings; inventory host
variables take precedence over the inventory's group variables, so each host sees
``inventories/local`` with its case applied. ``localhost``, the valid inventory, is left
out with ``--limit``. Every host must fail in Preflight, so the run must end there with
no AWS request. If the emulator gets one, the run is stopped at once (it would deploy
the stack otherwise) and every case runs again alone, with ``-e @case.json``, so that
the request is charged to the case that made it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.functional import runs

REPO = Path(__file__).resolve().parents[2]

# A valid ACM certificate ARN, for cases that must get past the load balancer's checks in prod.
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f6b1c2e-0000-4000-8000-000000000000"
# What a prod inventory needs besides prod itself to pass every check but the one under test.
PROD = {
    "openwebui_environment": "prod",
    "database_backup_retention_days": 14,
    "load_balancer_certificate_mode": "arn",
    "load_balancer_certificate_arn": CERT_ARN,
    "ecs_service_min_count": 2,
}


@dataclass
class Case:
    id: str
    overrides: dict
    # Every string must appear in the failure message (the first one is the variable).
    expect: list[str]
    # Values that must never appear in the output (a password given in the inventory).
    secret: str = ""


CASES = [
    # --- network (vpc) ---
    Case("vpc-cidr-malformed", {"vpc_cidr": "10.0.0/16"}, ["vpc_cidr"]),
    Case("vpc-cidr-prefix-33", {"vpc_cidr": "10.0.0.0/33"}, ["vpc_cidr"]),
    Case("vpc-cidr-host-bits", {"vpc_cidr": "10.0.0.1/16"}, ["vpc_cidr"]),
    Case(
        "subnets-overlap",
        {
            "vpc_public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
            "vpc_private_subnet_cidrs": ["10.0.1.0/24", "10.0.2.0/24"],
        },
        ["vpc_private_subnet_cidrs", "overlaps"],
    ),
    Case(
        "subnet-outside-vpc",
        {"vpc_public_subnet_cidrs": ["10.1.0.0/24", "10.0.200.0/24"]},
        ["vpc_public_subnet_cidrs", "not inside vpc_cidr"],
    ),
    Case("one-az-in-prod", {**PROD, "vpc_az_count": 1}, ["vpc_az_count", "at least 2"]),
    Case(
        "one-task-floor-in-prod", {**PROD, "ecs_service_min_count": 1}, ["ecs_service_min_count", "2 or more in prod"]
    ),
    Case("nat-mode-unknown", {"vpc_nat_gateway_mode": "none"}, ["vpc_nat_gateway_mode"]),
    Case("flow-log-retention-45", {"vpc_flow_log_retention_days": 45}, ["vpc_flow_log_retention_days"]),
    Case("alb-ingress-not-cidr", {"security_alb_ingress_cidrs": ["10.0.0.300/8"]}, ["security_alb_ingress_cidrs"]),
    # --- stack-wide (preflight) ---
    Case("environment-unknown", {"openwebui_environment": "staging"}, ["openwebui_environment"]),
    Case("region-unknown", {"openwebui_aws_region": "us-north-9"}, ["openwebui_aws_region"]),
    Case("stack-name-uppercase", {"openwebui_stack_name": "OpenWebUI"}, ["openwebui_stack_name"]),
    Case("stack-name-too-long", {"openwebui_stack_name": "a" * 29}, ["openwebui_stack_name"]),
    Case("domain-missing", {"openwebui_domain": ""}, ["openwebui_domain"]),
    Case("domain-is-a-url", {"openwebui_domain": "https://chat.example.org/"}, ["openwebui_domain"]),
    # --- service and cache ---
    Case(
        "container-health-check-every-second",
        {"ecs_service_container_health_check_interval": 1},
        ["ecs_service_container_health_check_interval"],
    ),
    Case(
        "two-tasks-without-cache",
        {"ecs_service_desired_count": 2, "cache_enabled": False},
        ["ecs_service_desired_count", "cache_enabled"],
    ),
    Case(
        "autoscaling-without-cache",
        {"ecs_service_desired_count": 1, "ecs_service_max_count": 3, "cache_enabled": False},
        ["ecs_service_max_count", "cache_enabled"],
    ),
    Case("fargate-size-refused", {"ecs_service_cpu": 256, "ecs_service_memory": 4096}, ["ecs_service_memory"]),
    Case("fargate-cpu-unknown", {"ecs_service_cpu": 300}, ["ecs_service_cpu"]),
    Case("cpu-not-a-number", {"ecs_service_cpu": "lots"}, ["ecs_service_cpu"]),
    Case("desired-count-negative", {"ecs_service_desired_count": -1}, ["ecs_service_desired_count"]),
    Case("min-above-max", {"ecs_service_min_count": 3, "ecs_service_max_count": 2}, ["ecs_service_min_count"]),
    Case("image-tag-malformed", {"ecs_service_image_tag": "v0.12 beta"}, ["ecs_service_image_tag"]),
    Case("image-tag-latest-in-prod", {**PROD, "ecs_service_image_tag": "latest"}, ["ecs_service_image_tag"]),
    Case("app-log-retention-45", {"ecs_service_log_retention_days": 45}, ["ecs_service_log_retention_days"]),
    Case("stop-timeout-above-fargate", {"ecs_service_stop_timeout": 300}, ["ecs_service_stop_timeout", "2 to 120"]),
    Case("file-size-in-bytes", {"ecs_service_file_max_size_mb": 52428800}, ["ecs_service_file_max_size_mb", "MB"]),
    Case("file-count-zero", {"ecs_service_file_max_count": 0}, ["ecs_service_file_max_count"]),
    Case("cache-node-type-malformed", {"cache_node_type": "t4g.small"}, ["cache_node_type"]),
    Case("cache-engine-version-5", {"cache_engine_version": "5.0"}, ["cache_engine_version", "6.2 or later"]),
    Case("cache-replicas-6", {"cache_replicas": 6}, ["cache_replicas", "0 to 5"]),
    Case("cache-failover-without-replica", {"cache_replicas": 0}, ["cache_automatic_failover", "cache_replicas"]),
    Case(
        "cache-multi-az-without-failover",
        {"cache_automatic_failover": False},
        ["cache_multi_az", "cache_automatic_failover"],
    ),
    Case("cache-parameters-not-a-mapping", {"cache_parameters": ["maxmemory-policy"]}, ["cache_parameters"]),
    Case("cache-log-retention-45", {"cache_log_retention_days": 45}, ["cache_log_retention_days"]),
    Case("cache-auth-token-length-8", {"cache_auth_token_length": 8}, ["cache_auth_token_length", "16 to 128"]),
    Case("cache-rotate-phase-unknown", {"cache_rotate_phase": "later"}, ["cache_rotate_phase"]),
    # --- database ---
    *[
        Case(
            f"master-password-with-{name}",
            {"database_master_password": f"Good{char}Passw0rd123"},
            ["database_master_password"],
            secret=f"Good{char}Passw0rd123",
        )
        for name, char in [("slash", "/"), ("at", "@"), ("quote", '"'), ("space", " ")]
    ],
    Case("instance-class-malformed", {"database_instance_class": "r7g.large"}, ["database_instance_class"]),
    Case("allocated-storage-below-20", {"database_allocated_storage": 10}, ["database_allocated_storage"]),
    Case("backup-retention-above-35", {"database_backup_retention_days": 40}, ["database_backup_retention_days"]),
    Case("backup-retention-zero", {"database_backup_retention_days": 0}, ["database_backup_retention_days"]),
    Case(
        "backup-retention-short-in-prod",
        {**PROD, "database_backup_retention_days": 7},
        ["database_backup_retention_days", "prod"],
    ),
    Case("engine-not-postgres-16", {"database_engine_version": "15.4"}, ["database_engine_version"]),
    Case(
        "engine-without-pgvector-0-8", {"database_engine_version": "16.4"}, ["database_engine_version", "pgvector 0.7"]
    ),
    # --- storage and registry ---
    Case("efs-ia-unknown", {"storage_efs_transition_to_ia": "AFTER_45_DAYS"}, ["storage_efs_transition_to_ia"]),
    Case(
        "mirror-image-latest",
        {"registry_mirror_image": "ghcr.io/open-webui/open-webui:latest"},
        ["registry_mirror_image"],
    ),
    # --- load balancer ---
    Case(
        "certificate-arn-missing",
        {"load_balancer_certificate_mode": "arn", "load_balancer_certificate_arn": ""},
        ["load_balancer_certificate_arn"],
    ),
    Case(
        "certificate-arn-not-acm",
        {
            "load_balancer_certificate_mode": "arn",
            "load_balancer_certificate_arn": "arn:aws:iam::123456789012:server-certificate/openwebui",
        },
        ["load_balancer_certificate_arn"],
    ),
    Case("idle-timeout-too-short", {"load_balancer_idle_timeout": 30}, ["load_balancer_idle_timeout"]),
    Case("drain-above-an-hour", {"load_balancer_deregistration_delay": 4000}, ["load_balancer_deregistration_delay"]),
    # --- auth ---
    Case("auth-provider-unknown", {"auth_provider": "github"}, ["auth_provider"]),
    Case(
        "google-without-client-id",
        {"auth_provider": "google", "auth_google_client_secret": "not-checked-here"},
        ["auth_google_client_id"],
        secret="not-checked-here",
    ),
    Case(
        "oidc-url-not-https",
        {
            "auth_provider": "oidc",
            "auth_oidc_client_id": "x",
            "auth_oidc_client_secret": "y",
            "auth_oidc_provider_url": "http://sso.example.org",
        },
        ["auth_oidc_provider_url"],
    ),
    Case("jwt-never-expires", {"auth_jwt_expires_in": "-1"}, ["auth_jwt_expires_in", "never expire"]),
    Case("jwt-in-words", {"auth_jwt_expires_in": "4 weeks"}, ["auth_jwt_expires_in"]),
    Case("new-users-admin", {"auth_default_user_role": "admin"}, ["auth_default_user_role", "administrator"]),
    Case("no-first-admin", {"auth_admin_email": ""}, ["auth_admin_email", "first administrator"]),
    Case("first-admin-not-an-address", {"auth_admin_email": "admin"}, ["auth_admin_email"]),
    Case("short-admin-password", {"auth_admin_password_length": 8}, ["auth_admin_password_length", "16 to 128"]),
    Case("allowed-domain-an-address", {"auth_allowed_domains": ["alice@example.com"]}, ["auth_allowed_domains"]),
    Case(
        "google-in-prod-any-domain",
        {
            **PROD,
            "auth_provider": "google",
            "auth_google_client_id": "1234.apps.googleusercontent.com",
            "auth_google_client_secret": "not-checked-here",
            "auth_allowed_domains": [],
        },
        ["auth_allowed_domains", "auth_provider=google in prod"],
        secret="not-checked-here",
    ),
    # --- monitoring and backup ---
    Case(
        "alarm-email-malformed",
        {"monitoring_alarm_email": "ops-at-example"},
        ["monitoring_alarm_email"],
    ),
    Case("backup-schedule-malformed", {"backup_schedule": "daily at 3"}, ["backup_schedule"]),
]


@dataclass
class Outcome:
    rc: int
    output: str
    failures: list[dict]
    start: float
    end: float
    # Requests the emulator received while this case ran (alone, when a batch run saw some).
    requests: list[dict] = field(default_factory=list)


def _failures(stdout: str) -> dict[str, list[dict]]:
    """Failed tasks (play, task, message) per host, from the json callback's output."""
    try:
        data = json.loads(stdout[stdout.index("{") :])
    except ValueError:
        return {}
    failed: dict[str, list[dict]] = {}
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                if result.get("failed"):
                    errors = result.get("argument_errors") or []
                    message = "\n".join([str(result.get("msg", "")), *map(str, errors)])
                    failed.setdefault(host, []).append(
                        {"play": play["play"]["name"], "task": task["task"]["name"], "msg": message}
                    )
    return failed


def _since(emulator, start: float) -> list[dict]:
    return [r for r in emulator.requests() if r["t"] >= start - 0.5]


def _settled(emulator, quiet: float = 1.5, limit: float = 60) -> None:
    """Wait until the emulator has had no new request for ``quiet`` seconds: a killed run's
    module may have a request in flight, logged only once the emulator has answered it."""
    deadline = time.time() + limit
    count, since = len(emulator.requests()), time.time()
    while time.time() - since < quiet and time.time() < deadline:
        time.sleep(0.2)
        now = len(emulator.requests())
        if now != count:
            count, since = now, time.time()


def _play(ansible, emulator, args: list[str]) -> tuple[int, str, dict[str, list[dict]], float, float]:
    """``site.yml -i inventories/local <args>``, stopped at once if the emulator gets a request."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "site.yml", "-i", "inventories/local", *args]
    # linear: mitogen runs the hosts (localhost aliases) one after another, twice as slow here.
    env = {
        **ansible.env,
        **emulator.env(),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_STRATEGY": "linear",
    }
    env, marker = runs.marked(env)
    start = time.time()
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    stdout = stderr = ""
    while True:
        try:
            stdout, stderr = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            # Past preflight already (a case has failed): do not deploy the stack.
            if _since(emulator, start) or time.time() - start > 600:
                runs.kill(proc, marker)
                _settled(emulator)  # what it had in flight is charged to this run, not the next
    return proc.returncode, stdout + stderr, _failures(stdout), start, time.time()


def _run(ansible, emulator, case: Case, tmp_dir: Path) -> Outcome:
    """One case alone: ``site.yml`` with its settings as extra variables."""
    extra = tmp_dir / f"{case.id}.json"
    extra.write_text(json.dumps(case.overrides))
    rc, output, failures, start, end = _play(ansible, emulator, ["-e", f"@{extra}"])
    return Outcome(rc, output, failures.get("localhost", []), start, end)


def _batch(ansible, emulator, tmp_dir: Path) -> tuple[dict[str, Outcome], list[dict]]:
    """Every case in one run: one host per case, its settings as host variables."""
    hosts = {
        case.id: {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            **case.overrides,
        }
        for case in CASES
    }
    cases = tmp_dir / "cases.json"
    cases.write_text(json.dumps({"all": {"children": {"openwebui": {"hosts": hosts}}}}))
    seen_before = len(emulator.requests())
    rc, output, failures, start, end = _play(ansible, emulator, ["-i", str(cases), "--limit", "openwebui:!localhost"])
    results = {case.id: Outcome(rc, output, failures.get(case.id, []), start, end) for case in CASES}
    return results, emulator.requests()[seen_before:]


@pytest.fixture(scope="module")
def outcomes(ansible, emulator, tmp_path_factory):
    """Every case in one run; if that run made a request, every case runs again alone to own it."""
    tmp_dir = tmp_path_factory.mktemp("bad-inventory")
    results, batch_requests = _batch(ansible, emulator, tmp_dir)
    if batch_requests:
        for case in CASES:
            alone = _run(ansible, emulator, case, tmp_dir)
            alone.requests = _since(emulator, alone.start)
            results[case.id] = alone
    return results, batch_requests


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_inventory_fails_before_any_aws_call(case, outcomes):
    results, _batch_requests = outcomes
    outcome = results[case.id]
    assert outcome.requests == [], f"{case.id}: the emulator got requests: {outcome.requests[:5]}"
    assert outcome.rc != 0, f"{case.id}: the run succeeded\n{outcome.output[-3000:]}"
    assert outcome.failures, f"{case.id}: no failed task in the output\n{outcome.output[-3000:]}"
    first = outcome.failures[0]
    assert first["play"] == "Preflight", f"{case.id}: failed after preflight, in {first}"
    assert len(outcome.failures) == 1, f"{case.id}: more than one failure: {outcome.failures}"
    for text in case.expect:
        assert text in first["msg"], f"{case.id}: {text!r} not in the failure message: {first['msg']}"
    if case.secret:
        assert case.secret not in outcome.output, f"{case.id}: the given secret is in the output"


def test_the_batch_made_no_aws_call(outcomes):
    _results, batch_requests = outcomes
    assert batch_requests == []


def test_a_request_during_a_run_is_seen(ansible, emulator, tmp_path):
    """The check can fail: a run that reaches AWS is caught (and stopped) by ``_run``."""
    case = Case("reaches-aws", {}, [])
    # A run of the valid inventory reaches the first AWS call right after preflight.
    outcome = _run(ansible, emulator, case, tmp_path)
    assert _since(emulator, outcome.start), outcome.output[-2000:]
    assert outcome.rc != 0, "the run was not stopped at its first AWS call"
    assert time.time() - outcome.start < 300


def test_the_local_inventory_passes_preflight(ansible, emulator):
    """Positive control: the unmodified local inventory passes every check, with no AWS call.
    Only requests that came in after the run started count: a request that an earlier test's
    killed run had in flight is logged when the emulator answers it, maybe during this run."""
    started = time.time()
    run = ansible.playbook("playbooks/preflight.yml", "-i", "inventories/local", env=emulator.env())
    assert run.rc == 0, run.output[-3000:]
    assert "failed=0" in run.stdout
    assert [r for r in emulator.requests() if r["start"] >= started] == []


def test_cases_are_many_and_distinct():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
