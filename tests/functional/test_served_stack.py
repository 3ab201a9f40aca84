"""The deployed stack runs Open WebUI: the emulator's ECS (run-tasks mode) started the real
app for each task of the service, and the front door serves the load balancer's listeners.

Runs on the session's deployed stack (the ``local_stack`` fixture), after the e2e and
secret-leak tests and before test_stack.py (file order), which rolls out a new image and
destroys the stack. A broken rollout must fail the deploy while the tasks that served keep
serving, as in AWS.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.functional.conftest import LOCAL_STACK, first_admin
from tools.local_services import ecs_zygotes
from tools.make_local import front_door

pytestmark = pytest.mark.xdist_group("local_stack")
CLUSTER, SERVICE, CONTAINER = LOCAL_STACK, "open-webui", "open-webui"
DOMAIN = "openwebui.local.test"  # inventories/local
LOG_GROUP = f"/{LOCAL_STACK}/ecs/open-webui"


def stack_tls(stack) -> ssl.SSLContext:
    """Trusts the certificate of the stack's HTTPS listener (from ACM), whatever the host name:
    the local front door listens on 127.0.0.1, the certificate names the stack's domain."""
    acm = stack.client("acm")
    (summary,) = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == DOMAIN]
    pem = acm.get_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    context = ssl.create_default_context(cadata=pem)
    context.check_hostname = False
    return context


def urls(stack) -> dict[int, str]:
    found = front_door(stack.services.state_dir, LOCAL_STACK)
    assert 443 in found and 80 in found, found
    return found


def service(stack) -> dict:
    return stack.client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]


def running_tasks(stack) -> list[dict]:
    ecs = stack.client("ecs")
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def target_states(stack) -> list[str]:
    elbv2 = stack.client("elbv2")
    (group,) = [
        g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith(LOCAL_STACK)
    ]
    health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    return sorted(d["TargetHealth"]["State"] for d in health)


def test_the_stack_serves_open_webui_through_its_load_balancer(local_stack):
    """HTTPS with the listener's certificate, HTTP redirected, two healthy targets."""
    https = urls(local_stack)[443]
    tls = stack_tls(local_stack)
    response = httpx.get(f"{https}/health", verify=tls, timeout=30)
    assert (response.status_code, response.json()) == (200, {"status": True})
    config = httpx.get(f"{https}/api/config", verify=tls, timeout=30).json()
    assert (config["name"], config["version"]) == ("Open WebUI", "0.12.4")
    assert config["features"]["enable_login_form"] is True and config["features"]["enable_signup"] is False

    host, port = https.removeprefix("https://").split(":")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    from cryptography import x509

    certificate = x509.load_der_x509_certificate(der)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert DOMAIN in names.get_values_for_type(x509.DNSName), "not the listener's certificate"

    redirect = httpx.get(f"{urls(local_stack)[80]}/auth?x=1", timeout=30)
    assert redirect.status_code == 301 and redirect.headers["location"] == f"{https}/auth?x=1"

    svc = service(local_stack)
    assert (svc["runningCount"], svc["desiredCount"]) == (2, 2)
    # Two healthy targets. A test before this one may have restarted the service: its old
    # targets are listed as draining until inventories/local's deregistration delay (10 s)
    # has passed, as in AWS; then they go.
    deadline = time.monotonic() + 60
    while (states := target_states(local_stack)) != ["healthy", "healthy"] and time.monotonic() < deadline:
        assert set(states) <= {"healthy", "draining"} and states.count("healthy") == 2, states
        time.sleep(1)
    assert states == ["healthy", "healthy"], "draining targets outlived the deregistration delay"
    tasks = running_tasks(local_stack)
    assert len(tasks) == 2 and {t["healthStatus"] for t in tasks} == {"HEALTHY"}
    if ecs_zygotes.enabled():  # both forked from the image's zygote: its imports read nothing per task
        for task in tasks:
            folder = local_stack.services.state_dir / "tasks" / task["taskArn"].rsplit("/", 1)[-1]
            cmdline = Path(f"/proc/{(folder / 'pid').read_text().strip()}/cmdline").read_bytes()
            assert b"image_zygote.py" in cmdline, cmdline


def test_each_task_writes_the_apps_log_to_its_stream(local_stack):
    """awslogs: stream <prefix>/<container>/<task id> of the app's log group, per task."""
    https = urls(local_stack)[443]
    for _attempt in range(4):  # round robin: each task answers one at least
        assert httpx.get(f"{https}/api/config", verify=stack_tls(local_stack), timeout=30).status_code == 200
    time.sleep(2)  # the awslogs driver sends in batches
    logs = local_stack.client("logs")
    texts = []
    for task in running_tasks(local_stack):
        stream = f"open-webui/{CONTAINER}/{task['taskArn'].rsplit('/', 1)[-1]}"
        events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream, startFromHead=True)["events"]
        texts.append("\n".join(e["message"] for e in events))
        assert "v0.12.4 - building the best AI user interface" in texts[-1], texts[-1][-2000:]
    assert len(texts) == 2
    assert all('"GET /api/config HTTP/1.1" 200' in text for text in texts), "a request missing from a task's log"


def alarm_targets_missing(stack) -> list[str]:
    """The stack's alarms whose dimensions name an ECS service, RDS instance, cache cluster,
    load balancer or target group that does not exist: an alarm on nothing never fires."""
    exists = {}
    clusters = stack.client("elasticache").describe_cache_clusters()["CacheClusters"]
    exists["CacheClusterId"] = {c["CacheClusterId"] for c in clusters}
    instances = stack.client("rds").describe_db_instances()["DBInstances"]
    exists["DBInstanceIdentifier"] = {i["DBInstanceIdentifier"] for i in instances}
    elb = stack.client("elbv2")
    balancers, groups = elb.describe_load_balancers()["LoadBalancers"], elb.describe_target_groups()["TargetGroups"]
    exists["LoadBalancer"] = {b["LoadBalancerArn"].split(":loadbalancer/")[1] for b in balancers}  # app/<name>/<id>
    exists["TargetGroup"] = {g["TargetGroupArn"].rsplit(":", 1)[1] for g in groups}  # targetgroup/<name>/<id>
    ecs = stack.client("ecs")
    exists["ClusterName"] = {arn.rsplit("/", 1)[1] for arn in ecs.list_clusters()["clusterArns"]}
    exists["ServiceName"] = {arn.rsplit("/", 1)[1] for arn in ecs.list_services(cluster=CLUSTER)["serviceArns"]}
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{LOCAL_STACK}-")["MetricAlarms"]
    return [
        f"{alarm['AlarmName']}: {dimension['Name']}={dimension['Value']}"
        for alarm in alarms
        for dimension in alarm.get("Dimensions", [])
        if dimension["Name"] in exists and dimension["Value"] not in exists[dimension["Name"]]
    ]


def test_every_alarm_watches_what_the_stack_has(local_stack):
    """Each alarm's dimensions name a resource of the deployed stack (the Redis alarms: each
    member cluster of the replication group, not the single-node cluster it replaced)."""
    assert alarm_targets_missing(local_stack) == []
    alarms = local_stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{LOCAL_STACK}-cache-")["MetricAlarms"]
    watched = sorted({d["Value"] for a in alarms for d in a["Dimensions"] if d["Name"] == "CacheClusterId"})
    assert watched == [f"{LOCAL_STACK}-cache-001", f"{LOCAL_STACK}-cache-002"]  # a primary and one replica
    assert len(alarms) == 4, [a["AlarmName"] for a in alarms]  # engine CPU and memory of each


MIGRATE = f"{LOCAL_STACK}-migrate"  # the migration task's startedBy


def migration_tasks(stack) -> list[dict]:
    """The stack's migration tasks, oldest first."""
    ecs = stack.client("ecs")
    arns = [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=CLUSTER, startedBy=MIGRATE, desiredStatus=status)["taskArns"]
    ]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    return sorted(tasks, key=lambda t: t["createdAt"])


def log_text(stack, task: dict) -> str:
    stream = f"open-webui/{CONTAINER}/{task['taskArn'].rsplit('/', 1)[-1]}"
    events = stack.client("logs").get_log_events(logGroupName=LOG_GROUP, logStreamName=stream, startFromHead=True)
    return "\n".join(e["message"] for e in events["events"])


def pre_migration_snapshots(stack) -> list[dict]:
    rds = stack.client("rds")
    found = rds.describe_db_snapshots(DBInstanceIdentifier=f"{LOCAL_STACK}-postgres", SnapshotType="manual")
    snapshots = []
    for snapshot in found["DBSnapshots"]:
        tags = {
            t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=snapshot["DBSnapshotArn"])["TagList"]
        }
        if tags.get("Purpose") == "pre-migration":
            snapshots.append({**snapshot, "Tags": tags})
    return sorted(snapshots, key=lambda s: s["SnapshotCreateTime"])


def test_the_first_deploy_migrated_once_in_a_task_before_the_service_started(local_stack):
    """One migration task, the first Open WebUI process on the empty database: it migrated
    (alembic), seeded the settings and exited 0 before any task of the service was created;
    the service's tasks run with ENABLE_DB_MIGRATIONS=false and do not migrate. No snapshot
    of the empty database."""
    first = migration_tasks(local_stack)[0]
    assert (first["lastStatus"], first["stopCode"]) == ("STOPPED", "EssentialContainerExited")
    assert first["containers"][0]["exitCode"] == 0
    (override,) = first["overrides"]["containerOverrides"]
    assert override["environment"] == [{"name": "ENABLE_DB_MIGRATIONS", "value": "true"}]
    text = log_text(local_stack, first)
    assert "Running upgrade" in text and "open-webui: database migrated" in text, text[-3000:]

    ecs = local_stack.client("ecs")
    service_arns = [
        arn
        for status in ("RUNNING", "STOPPED")
        for arn in ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus=status)["taskArns"]
    ]
    service_tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=service_arns)["tasks"]
    assert service_tasks and min(t["createdAt"] for t in service_tasks) > first["stoppedAt"]
    for task in running_tasks(local_stack):
        assert "Running migrations" not in log_text(local_stack, task), "a service task ran the migrations"
    assert all(s["SnapshotCreateTime"] > first["stoppedAt"] for s in pre_migration_snapshots(local_stack))


CHROMIUM = shutil.which("chromium")


def first_admin_token(stack) -> str:
    """Sign the first administrator in (the account the migration task made); return the session token."""
    https, tls = urls(stack)[443], stack_tls(stack)
    assert not httpx.get(f"{https}/api/config", verify=tls, timeout=30).json().get("onboarding")
    admin = first_admin(stack)
    signin = {"email": admin["email"], "password": admin["password"]}
    response = httpx.post(f"{https}/api/v1/auths/signin", json=signin, verify=tls, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.mark.skipif(
    not CHROMIUM, reason="no chromium: `make test` installs Debian's as root (apt-get install chromium)"
)
def test_a_person_opens_the_url_in_a_browser_and_signs_in(local_stack, tmp_path):
    """Headless Chromium (Debian's) at https://<domain>:<local port>, the domain mapped to the
    front door: the sign-in page, then the admin's e-mail and password, then the app."""
    from playwright.sync_api import sync_playwright

    https = urls(local_stack)[443]
    first_admin_token(local_stack)
    port = https.rsplit(":", 1)[1]
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    flags += ["--disable-sync", "--no-first-run", f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(f"https://{DOMAIN}:{port}/", wait_until="networkidle", timeout=120_000)
            page.wait_for_selector("text=Sign in to Open WebUI", timeout=60_000)
            page.screenshot(path=str(tmp_path / "sign-in.png"))
            admin = first_admin(local_stack)
            page.fill("input[type=email]", admin["email"])
            page.fill("input[type=password]", admin["password"])
            page.click("button[type=submit]")
            page.wait_for_selector(f"text=Hello, {admin['name']}", timeout=60_000)
            page.screenshot(path=str(tmp_path / "signed-in.png"))
            assert page.url == f"https://{DOMAIN}:{port}/", page.url
        finally:
            browser.close()


# A socket.io client (python-socketio of the app virtualenv): connects to one task as the
# browser of https://<domain> would, prints every "events" message it receives as a JSON line.
SOCKET_CLIENT = """
import json, sys, socketio
client = socketio.Client(websocket_extra_options={"suppress_origin": True})  # the Origin header given below
client.on("events", lambda data: print(json.dumps(data), flush=True))
client.connect(sys.argv[1], socketio_path="/ws/socket.io", auth={"token": sys.argv[2]},
               headers={"Origin": sys.argv[3]}, transports=["websocket"], wait_timeout=30)
print("connected", flush=True)
client.sleep(60)
client.disconnect()
"""


def test_a_chat_event_from_one_task_reaches_a_client_of_the_other_through_redis(local_stack):
    """WEBSOCKET_MANAGER=redis: a client connected to task A gets the event that a request
    answered by task B emits to its user (the two share the replication group's primary, over
    TLS with the AUTH token)."""
    from tools.openwebui_app import ensure_app_venv

    token = first_admin_token(local_stack)
    first, second = [
        f"http://{next(d['value'] for d in t['attachments'][0]['details'] if d['name'] == 'privateIPv4Address')}:8080"
        for t in running_tasks(local_stack)
    ]
    headers = {"Authorization": f"Bearer {token}"}
    message = {"id": "m1", "role": "user", "content": "hello", "parentId": None, "childrenIds": []}
    chat = {"title": "relay", "messages": [message], "history": {"messages": {"m1": message}, "currentId": "m1"}}
    created = httpx.post(f"{first}/api/v1/chats/new", json={"chat": chat}, headers=headers, timeout=60)
    assert created.status_code == 200, created.text
    chat_id = created.json()["id"]

    python = str(ensure_app_venv() / "bin" / "python")
    client = subprocess.Popen(
        [python, "-c", SOCKET_CLIENT, first, token, f"https://{DOMAIN}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert client.stdout.readline().strip() == "connected"
        marker = f"relayed-{time.monotonic_ns()}"
        update = httpx.post(
            f"{second}/api/v1/chats/{chat_id}/messages/m1", json={"content": marker}, headers=headers, timeout=60
        )
        assert update.status_code == 200, update.text
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = client.stdout.readline()
            seen.append(line)
            if marker in line:
                break
        assert any(marker in line for line in seen), f"the event did not cross to the other task: {seen[-5:]}"
    finally:
        client.kill()
        client.wait(10)


def _serving_checker(
    https: str, tls: ssl.SSLContext, stop: threading.Event, answers: list, path: str = "/health"
) -> None:
    """Asks ``path`` through the front door every 0.5 s until ``stop``; each status (or error) in ``answers``."""
    while not stop.is_set():
        try:
            answers.append(httpx.get(f"{https}{path}", verify=tls, timeout=30).status_code)
        except httpx.HTTPError as error:
            answers.append(repr(error))
        time.sleep(0.5)


@pytest.mark.parametrize("broken", ["image", "secret", "health"])
def test_a_rollout_that_cannot_start_fails_the_deploy_while_the_old_tasks_serve(local_stack, broken):
    """The tasks that served before serve throughout and afterwards, and the play fails naming why:

    * ``image``: a tag local mode cannot provide. The new revision's migration task cannot
      start, so the play fails before the service is touched, naming the task's reason and
      the snapshot taken before it.
    * ``secret``: a new revision of the same image (another setting: no migration) whose
      secret cannot be read. The service's new tasks cannot start; the circuit breaker rolls
      the service back, and the play fails naming the stopped tasks' reason. The revision
      that never served is deregistered.
    * ``health``: a new revision of the same image whose container health check asks a page
      the app does not have: its tasks start and never turn healthy, are replaced until the
      circuit breaker fails the deployment, and the play fails the same way."""
    ecs, secretsmanager = local_stack.client("ecs"), local_stack.client("secretsmanager")
    before = service(local_stack)["taskDefinition"]
    serving = {t["taskArn"] for t in running_tasks(local_stack)}
    migrations = len(migration_tasks(local_stack))
    args = ["--tags", "ecs_service", "-e", "ecs_service_wait_delay=2"]
    secret = f"{LOCAL_STACK}/oauth-client-secret"
    if broken == "image":
        args += ["-e", "ecs_service_image_tag=v0.0.1"]
    elif broken == "secret":
        args += ["-e", '{"ecs_service_extra_environment": {"BROKEN_SECRET_DRILL": "1"}}']
        secretsmanager.delete_secret(SecretId=secret, RecoveryWindowInDays=7)
    else:  # no start period: a failing check counts at once (the default 180 s would make it slow)
        # A path Open WebUI answers 404: any other unknown path gets its web app's page (200).
        args += ["-e", "ecs_service_container_health_check_path=/static/no-such-file.png"]
        args += ["-e", "ecs_service_container_start_period=0"]
    stop, answers = threading.Event(), []
    checker = threading.Thread(
        target=_serving_checker, args=(urls(local_stack)[443], stack_tls(local_stack), stop, answers)
    )
    checker.start()
    try:
        run = local_stack.playbook("site.yml", *args)
    finally:
        stop.set()
        checker.join(60)
        if broken == "secret":
            secretsmanager.restore_secret(SecretId=secret)
    assert run.rc != 0, "a rollout that cannot start did not fail the deploy"
    expected = {
        "image": "CannotPullContainerError",
        "secret": "ResourceInitializationError",
        "health": "Task failed container health checks",
    }[broken]
    assert expected in run.output, run.output[-3000:]
    current = service(local_stack)
    assert current["taskDefinition"] == before and len(current["deployments"]) == 1, "the service runs another revision"
    assert {t["taskArn"] for t in running_tasks(local_stack)} == serving, "the tasks that served were replaced"
    assert answers and set(answers) == {200}, f"a request failed during the rollout: {sorted(set(map(str, answers)))}"

    if broken != "image":
        text = " ".join(run.output.split())
        failed = re.search(r"the rollout of (\S+:\d+) failed", text)
        assert failed, run.output[-3000:]
        stopped = re.search(r"Stopped tasks of the new revision: ([\w-]+): ([^|]*)", text)
        assert stopped and expected in stopped[2], run.output[-3000:]
        assert len(migration_tasks(local_stack)) == migrations, "the same image ran a migration"
        revision = ecs.describe_task_definition(taskDefinition=failed[1])["taskDefinition"]
        assert revision["status"] == "INACTIVE", "the revision that never served is still ACTIVE"
        return

    assert "the database migration to ghcr.io/open-webui/open-webui:" in run.output, run.output[-3000:]
    assert "failed, so the service was not updated (it still runs" in run.output, run.output[-3000:]
    migration = migration_tasks(local_stack)[-1]
    assert migration["stopCode"] == "TaskFailedToStart" and expected in migration["stoppedReason"]
    assert migration["taskDefinitionArn"] != before
    snapshot = pre_migration_snapshots(local_stack)[-1]
    assert f"The snapshot {snapshot['DBSnapshotIdentifier']} holds the database as it was" in run.output
    old_image = ecs.describe_task_definition(taskDefinition=before)["taskDefinition"]["containerDefinitions"][0]
    assert snapshot["Tags"]["FromImage"] == old_image["image"]
    assert snapshot["Tags"]["ToImage"].endswith("v0.0.1")
