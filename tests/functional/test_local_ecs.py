"""The emulator's ECS runs tasks for real (run-tasks mode, tools/local_services/ecs_runner.py).

Small services on the ``python:3.11-slim`` image (run by this machine's Python) show the
ECS behaviours quickly: a task's lifecycle, its secrets, its log stream, its health
check, the target group's health, rolling deployments, the circuit breaker with rollback
and scaling. The real Open WebUI runs in the deployed-stack tests.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from tests.functional.conftest import wait_for
from tools.local_services import LocalServices, ecs_runner

# One emulator for the module's tests, on one xdist worker.
pytestmark = pytest.mark.xdist_group("local_ecs")
IMAGE = "public.ecr.aws/docker/library/python:3.11-slim"
# A tiny web server: /health answers HEALTH_CODE (default 200), / answers BODY; it prints
# GREETING at start (to its log) and every request line.
SERVER = """
import http.server, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(os.environ.get("HEALTH_CODE", "200")) if self.path == "/health" else 200
        body = os.environ.get("BODY", "ok").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        print("request", fmt % args, flush=True)
print(os.environ.get("GREETING", "hello"), flush=True)
http.server.ThreadingHTTPServer((sys.argv[1], 8080), Handler).serve_forever()
"""
HEALTH_CHECK = {
    "command": ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"],
    "interval": 5,
    "timeout": 4,
    "retries": 2,
    "startPeriod": 0,
}


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    services = LocalServices(tmp_path_factory.mktemp("ecs"), with_postgres=False, run_tasks=True)
    services.start()
    yield services
    services.stop()


@pytest.fixture(scope="module")
def net(aws):
    """A VPC, two subnets, a security group, a cluster, a log group and an execution role
    that may read the secrets under ``app/``."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for n, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    aws.client("ecs").create_cluster(clusterName="local")
    aws.client("logs").create_log_group(logGroupName="/local/app")
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*",
            }
        ],
    }
    iam.put_role_policy(RoleName="exec", PolicyName="secrets", PolicyDocument=json.dumps(allow))
    return {"vpc": vpc, "subnets": subnets, "sg": sg, "role": role}


def register(aws, net, family: str, *, image: str = IMAGE, environment=None, secrets=None, health_check=None):
    container = {
        "name": "app",
        "image": image,
        "essential": True,
        "command": ["python3", "-c", SERVER, "0.0.0.0"],  # noqa: S104 - the container's any-address
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
        "secrets": [{"name": k, "valueFrom": v} for k, v in (secrets or {}).items()],
        "stopTimeout": 5,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/local/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"},
        },
    }
    if health_check:
        container["healthCheck"] = health_check
    return aws.client("ecs").register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=net["role"],
        containerDefinitions=[container],
    )["taskDefinition"]["taskDefinitionArn"]


def run(aws, net, task_definition: str) -> str:
    response = aws.client("ecs").run_task(
        cluster="local",
        taskDefinition=task_definition,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}},
    )
    return response["tasks"][0]["taskArn"]


def describe(aws, arn: str) -> dict:
    return aws.client("ecs").describe_tasks(cluster="local", tasks=[arn])["tasks"][0]


def stopped(aws, arn: str, timeout: float = 60) -> dict:
    return wait_for(lambda: (t := describe(aws, arn))["lastStatus"] == "STOPPED" and t, timeout, f"{arn} STOPPED")


def test_a_task_runs_its_container_with_environment_and_secrets_and_logs_its_output(aws, net):
    secret = aws.client("secretsmanager").create_secret(Name="app/greeting", SecretString=json.dumps({"word": "hi"}))
    td = register(
        aws,
        net,
        "runs",
        environment={"BODY": "plain-body"},
        secrets={"GREETING": f"{secret['ARN']}:word::"},
        health_check=HEALTH_CHECK,
    )
    arn = run(aws, net, td)
    task = wait_for(lambda: (t := describe(aws, arn))["lastStatus"] == "RUNNING" and t, 60, "RUNNING")
    address = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "privateIPv4Address")
    assert not ecs_runner._claim(address), "another emulator could take the task's address"
    assert wait_for(lambda: describe(aws, arn)["healthStatus"] == "HEALTHY", 30, "HEALTHY")
    with urllib.request.urlopen(f"http://{address}:8080/", timeout=5) as response:
        assert response.read() == b"plain-body"
    logs = aws.client("logs")
    stream = f"app/app/{arn.rsplit('/', 1)[-1]}"

    def lines():
        events = logs.get_log_events(logGroupName="/local/app", logStreamName=stream)["events"]
        return [e["message"] for e in events]

    assert wait_for(lambda: "hi" in lines(), 15, "the greeting in the log stream")

    aws.client("ecs").stop_task(cluster="local", task=arn, reason="done here")
    task = stopped(aws, arn, 30)
    assert (task["stoppedReason"], task["stopCode"], task["desiredStatus"]) == ("done here", "UserInitiated", "STOPPED")
    assert task["containers"][0]["lastStatus"] == "STOPPED"
    eni = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    with pytest.raises(aws.client("ec2").exceptions.ClientError, match="InvalidNetworkInterfaceID"):
        aws.client("ec2").describe_network_interfaces(NetworkInterfaceIds=[eni])


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-secret", "ResourceInitializationError: unable to pull secrets"),
        ("denied-secret", "AccessDeniedException"),
        ("missing-key", "did not contain json key nope"),
        ("unknown-image", "CannotPullContainerError"),
    ],
)
def test_a_task_that_cannot_start_stops_with_ecs_reason(aws, net, case, expected):
    sm = aws.client("secretsmanager")
    if case == "missing-secret":
        secrets = {"X": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/absent-AbCdEf"}
    elif case == "denied-secret":
        secrets = {"X": sm.create_secret(Name="other/denied", SecretString="s")["ARN"]}
    elif case == "missing-key":
        secrets = {"X": sm.create_secret(Name="app/json", SecretString='{"a": "b"}')["ARN"] + ":nope::"}
    else:
        secrets = {}
    image = "ghcr.io/open-webui/open-webui:v0.0.1" if case == "unknown-image" else IMAGE
    arn = run(aws, net, register(aws, net, f"fails-{case}", image=image, secrets=secrets))
    task = stopped(aws, arn)
    assert expected in task["stoppedReason"], task["stoppedReason"]
    assert task["stopCode"] == "TaskFailedToStart"


def test_an_essential_container_that_exits_stops_the_task_with_its_exit_code(aws, net):
    td = aws.client("ecs").register_task_definition(
        family="exits",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=net["role"],
        containerDefinitions=[{"name": "app", "image": IMAGE, "command": ["python3", "-c", "raise SystemExit(3)"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    task = stopped(aws, run(aws, net, td))
    assert (task["stoppedReason"], task["stopCode"]) == (
        "Essential container in task exited",
        "EssentialContainerExited",
    )
    assert task["containers"][0]["exitCode"] == 3


# -- services ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def target_group(aws, net):
    """An ALB target group (ip, /health every 5 s, healthy after 2, deregistration 1 s)."""
    elbv2 = aws.client("elbv2")
    group = elbv2.create_target_group(
        Name="app",
        Protocol="HTTP",
        Port=8080,
        VpcId=net["vpc"],
        TargetType="ip",
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=4,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "1"}]
    )
    return group


def service(aws, name: str) -> dict:
    return aws.client("ecs").describe_services(cluster="local", services=[name])["services"][0]


def target_states(aws, group: str) -> dict[str, str]:
    descriptions = aws.client("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in descriptions}


def service_tasks(aws, name: str) -> set[str]:
    return set(aws.client("ecs").list_tasks(cluster="local", serviceName=name)["taskArns"])


def failed_event(aws, name: str, deployment_id: str) -> str | None:
    """The service event that says the circuit breaker failed the deployment, if there is one."""
    failure = f"(deployment {deployment_id}) deployment failed"
    return next((e["message"] for e in service(aws, name)["events"] if failure in e["message"]), None)


def steady(aws, name: str, timeout: float = 180) -> dict:
    def done():
        svc = service(aws, name)
        primary = svc["deployments"][0]
        ok = len(svc["deployments"]) == 1 and primary["rolloutState"] == "COMPLETED"
        return ok and svc["runningCount"] == svc["desiredCount"] and svc

    return wait_for(done, timeout, f"{name} steady")


def front_door_url(aws, balancer: str, port: int) -> str:
    """The local URL of a load balancer's listener (the emulator lists them in front-door.json)."""

    def listed():
        path = aws.state_dir / "front-door.json"
        balancers = json.loads(path.read_text()) if path.exists() else []
        urls = [x["url"] for b in balancers if b["name"] == balancer for x in b["listeners"] if x["port"] == port]
        return urls[0] if urls else None

    return wait_for(listed, 15, f"the front door of {balancer}:{port}")


def test_a_service_rolls_out_keeps_serving_and_rolls_back_a_revision_that_cannot_start(aws, net, target_group):
    ecs = aws.client("ecs")
    elbv2 = aws.client("elbv2")
    balancer = elbv2.create_load_balancer(Name="web", Subnets=net["subnets"], SecurityGroups=[net["sg"]])
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )
    url = front_door_url(aws, "web", 80)
    assert httpx.get(url, timeout=5).status_code == 503, "no target yet: the load balancer answers 503"
    good = register(aws, net, "svc", environment={"BODY": "v1"}, health_check=HEALTH_CHECK)
    ecs.create_service(
        cluster="local",
        serviceName="web",
        taskDefinition=good,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}},
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8080}],
        healthCheckGracePeriodSeconds=0,
        deploymentConfiguration={
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
    )
    # Not complete before its tasks are healthy in the target group.
    first = service(aws, "web")
    assert first["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    steady(aws, "web")
    assert sorted(target_states(aws, target_group).values()) == ["healthy", "healthy"]
    serving = service_tasks(aws, "web")
    assert len(serving) == 2
    assert httpx.get(url, timeout=5).text == "v1"

    # A new revision: started beside the old tasks; the old ones go once the new are healthy.
    better = register(aws, net, "svc", environment={"BODY": "v2"}, health_check=HEALTH_CHECK)
    newest_before = service(aws, "web")["events"][0]["id"]
    ecs.update_service(cluster="local", service="web", taskDefinition=better)
    lowest, answers = 2, set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        healthy = sum(1 for s in target_states(aws, target_group).values() if s == "healthy")
        lowest = min(lowest, healthy)
        response = httpx.get(url, timeout=5)
        answers.add((response.status_code, response.text))
        svc = service(aws, "web")
        if len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED":
            break
        time.sleep(0.5)
    assert lowest >= 2, "fewer healthy targets than minimumHealthyPercent allows during the rollout"
    assert answers <= {(200, "v1"), (200, "v2")}, f"a request failed through the load balancer: {answers}"
    assert httpx.get(url, timeout=5).text == "v2"
    svc = steady(aws, "web")
    assert svc["taskDefinition"] == better
    now_serving = service_tasks(aws, "web")
    assert len(now_serving) == 2 and not now_serving & serving
    # Since the update (newest first): the old tasks may stop after the steady state, so the
    # event need not be the newest one.
    since = [e["message"] for e in itertools.takewhile(lambda e: e["id"] != newest_before, svc["events"])]
    assert any("has reached a steady state" in message for message in since), since

    # A revision whose image cannot be pulled: the circuit breaker fails it and rolls back.
    broken = register(aws, net, "svc", image="ghcr.io/open-webui/open-webui:v0.0.1", health_check=HEALTH_CHECK)
    attempt = ecs.update_service(cluster="local", service="web", taskDefinition=broken)["service"]
    # The failed deployment leaves the list as soon as the rollback is steady (as in AWS, where
    # the old tasks still serve), so the service's events are what shows the failure.
    wait_for(lambda: failed_event(aws, "web", attempt["deployments"][0]["id"]), 120, "the circuit breaker")
    svc = steady(aws, "web")
    assert svc["taskDefinition"] == better
    assert service_tasks(aws, "web") == now_serving, "the tasks that served were replaced"
    messages = " ".join(e["message"] for e in svc["events"])
    assert "deployment failed: tasks failed to start" in messages and "rolling back to deployment" in messages
    stopped_arns = ecs.list_tasks(cluster="local", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    reasons = {t["stoppedReason"] for t in ecs.describe_tasks(cluster="local", tasks=stopped_arns)["tasks"]}
    assert any("CannotPullContainerError" in r for r in reasons), reasons

    # A revision whose health check always fails: its tasks start, never turn healthy, are
    # replaced until the circuit breaker fails the deployment and rolls back; the old tasks
    # serve throughout.
    sick = register(aws, net, "svc", environment={"BODY": "v3", "HEALTH_CODE": "500"}, health_check=HEALTH_CHECK)
    attempt = ecs.update_service(cluster="local", service="web", taskDefinition=sick)["service"]
    answers = set()

    def failed_again():
        response = httpx.get(url, timeout=5)
        answers.add((response.status_code, response.text))
        return failed_event(aws, "web", attempt["deployments"][0]["id"])

    wait_for(failed_again, 300, "the circuit breaker on failing health checks")
    svc = steady(aws, "web")
    assert svc["taskDefinition"] == better
    assert service_tasks(aws, "web") == now_serving, "the tasks that served were replaced"
    assert answers == {(200, "v2")}, f"the failing revision served, or a request failed: {answers}"
    stopped_arns = ecs.list_tasks(cluster="local", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    reasons = {t["stoppedReason"] for t in ecs.describe_tasks(cluster="local", tasks=stopped_arns)["tasks"]}
    assert any("failed container health checks" in r or "failed ELB health checks" in r for r in reasons), reasons

    # Scale out and back in: a task starts (and turns healthy), then one is drained and stopped.
    scaled = ecs.update_service(cluster="local", service="web", desiredCount=3)["service"]
    # At once, as ECS answers: the PRIMARY deployment wants 3 while 2 run (a wait on
    # runningCount == desiredCount must not end before the third task runs).
    assert (scaled["deployments"][0]["desiredCount"], scaled["deployments"][0]["runningCount"]) == (3, 2)
    now = service(aws, "web")["deployments"][0]
    assert (now["desiredCount"], now["runningCount"]) == (3, 2)
    steady(aws, "web")
    assert wait_for(lambda: sorted(target_states(aws, target_group).values()) == ["healthy"] * 3, 30, "3 healthy")
    ecs.update_service(cluster="local", service="web", desiredCount=2)
    steady(aws, "web")
    remaining = ecs.describe_tasks(cluster="local", tasks=list(service_tasks(aws, "web")))["tasks"]
    assert len(remaining) == 2, [(t["lastStatus"], t["desiredStatus"], t.get("stoppedReason")) for t in remaining]
    assert wait_for(lambda: len(target_states(aws, target_group)) == 2, 30, "the third target deregistered")

    # A forced new deployment of the same revision replaces every task, as the old ones drain.
    before = service_tasks(aws, "web")
    ecs.update_service(cluster="local", service="web", forceNewDeployment=True)
    steady(aws, "web")

    def replaced_alone():
        now = service_tasks(aws, "web")
        return len(now) == 2 and not now & before and now

    replaced = wait_for(replaced_alone, 60, "the forced deployment's tasks alone")
    assert service(aws, "web")["taskDefinition"] == better and len(replaced) == 2

    ecs.delete_service(cluster="local", service="web", force=True)
    assert service(aws, "web")["status"] == "DRAINING", "a deleted service drains its tasks first"
    with pytest.raises(ecs.exceptions.ClientError, match="ClusterContainsServicesException"):
        ecs.delete_cluster(cluster="local")
    assert wait_for(lambda: service(aws, "web")["status"] == "INACTIVE", 60, "the service INACTIVE")
    assert not service_tasks(aws, "web"), "the deleted service's tasks still run"


def test_a_cache_cluster_is_a_real_redis_in_run_tasks_mode(aws, net):
    """The emulator started with run-tasks mode serves each cache node (cache_nodes)."""
    elasticache = aws.client("elasticache")
    elasticache.create_cache_cluster(
        CacheClusterId="ws", Engine="redis", CacheNodeType="cache.t4g.small", NumCacheNodes=1
    )
    (cluster,) = elasticache.describe_cache_clusters(CacheClusterId="ws", ShowCacheNodeInfo=True)["CacheClusters"]
    endpoint = cluster["CacheNodes"][0]["Endpoint"]
    assert endpoint["Address"].startswith("127.78."), endpoint
    with socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(16).startswith(b"+PONG")
    elasticache.delete_cache_cluster(CacheClusterId="ws")


def test_a_cluster_with_a_running_task_cannot_be_deleted(aws, net):
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="doomed")
    arn = ecs.run_task(
        cluster="doomed",
        taskDefinition=register(aws, net, "doomed"),
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}},
    )["tasks"][0]["taskArn"]
    with pytest.raises(ecs.exceptions.ClientError, match="ClusterContainsTasksException"):
        ecs.delete_cluster(cluster="doomed")
    ecs.stop_task(cluster="doomed", task=arn)
    wait_for(lambda: ecs.describe_tasks(cluster="doomed", tasks=[arn])["tasks"][0]["lastStatus"] == "STOPPED", 30)
    assert ecs.delete_cluster(cluster="doomed")["cluster"]["status"] == "INACTIVE"


def test_a_task_address_claimed_by_a_process_that_is_gone_is_taken_again(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    ecs_runner.ADDRESS_CLAIMS.mkdir(parents=True, exist_ok=True)
    claim = ecs_runner.ADDRESS_CLAIMS / "127.77.250.250"
    claim.write_text(str(gone.pid))
    try:
        assert ecs_runner._claim("127.77.250.250")
        assert claim.read_text() == str(os.getpid())
    finally:
        claim.unlink(missing_ok=True)


# -- one-off tasks: the ecs_run_task module ----------------------------------------------
RUN_TASK = "ajudadigital.openwebui.ecs_run_task"
# Prints its argument and MIGRATE, then exits with EXIT_CODE (default 0) after SLEEP seconds.
ONE_OFF = "import os, sys, time; print('one-off', sys.argv[1], os.environ.get('MIGRATE'), flush=True); \
time.sleep(float(os.environ.get('SLEEP', '0'))); raise SystemExit(int(os.environ.get('EXIT_CODE', '0')))"


@pytest.fixture(scope="module")
def one_off(aws, net):
    """A task definition whose container serves (the SERVER above), as a service's would."""
    return register(aws, net, "one-off")


def run_task_args(aws, net, **more) -> dict:
    return {
        **dict(
            aws.module_connection(),
            cluster="local",
            task_definition="one-off",
            subnets=net["subnets"],
            security_groups=[net["sg"]],
            container="app",
            command=["python3", "-c", ONE_OFF, "hello"],
            environment={"MIGRATE": "yes"},
            poll_interval=1,
            wait_timeout=60,
        ),
        **more,
    }


def test_run_task_runs_the_override_to_completion_and_returns_its_exit_code_and_log(ansible, aws, net, one_off):
    from tests.functional.return_docs import assert_documented

    ecs = aws.client("ecs")
    before = set(ecs.list_tasks(cluster="local", desiredStatus="STOPPED")["taskArns"])
    run_ = ansible.module(RUN_TASK, run_task_args(aws, net, started_by="one-off-check"), check=True)
    assert run_.rc == 0 and run_.result["changed"] is True, run_.output
    assert run_.result["task_arn"] == ""
    assert not ecs.list_tasks(cluster="local", startedBy="one-off-check")["taskArns"], "check mode ran a task"

    run_ = ansible.module(RUN_TASK, run_task_args(aws, net, tags={"purpose": "test"}))
    assert run_.rc == 0, run_.output
    result = run_.result
    assert result["changed"] is True
    assert (result["last_status"], result["exit_code"], result["stop_code"]) == (
        "STOPPED",
        0,
        "EssentialContainerExited",
    )
    assert result["task_definition_arn"] == one_off
    assert "one-off hello yes" in result["log_tail"], "the overridden command and environment did not run"
    assert result["log_stream"] == f"app/app/{result['task_arn'].rsplit('/', 1)[-1]}"
    assert result["task_arn"] not in before
    (task,) = ecs.describe_tasks(cluster="local", tasks=[result["task_arn"]], include=["TAGS"])["tasks"]
    assert task["startedBy"] == "ajudadigital-openwebui"
    assert {"key": "purpose", "value": "test"} in task["tags"]
    assert_documented("ecs_run_task", result)


def test_run_task_fails_with_the_exit_code_reason_and_log_tail(ansible, aws, net, one_off):
    run_ = ansible.module(RUN_TASK, run_task_args(aws, net, environment={"MIGRATE": "broken", "EXIT_CODE": "3"}))
    assert run_.rc != 0
    msg = run_.result["msg"]
    assert "failed: Essential container in task exited (exit code 3)" in msg, msg
    assert "one-off hello broken" in msg, "the log tail is not in the message"
    assert run_.result["exit_code"] == 3


def test_run_task_of_an_image_that_cannot_be_pulled_fails_with_ecs_reason(ansible, aws, net):
    register(aws, net, "one-off-unpullable", image="registry.invalid/nothing:1")
    run_ = ansible.module(RUN_TASK, run_task_args(aws, net, task_definition="one-off-unpullable"))
    assert run_.rc != 0
    assert "CannotPullContainerError" in run_.result["msg"]
    assert "exit code none: the container did not run" in run_.result["msg"]
    assert run_.result["stop_code"] == "TaskFailedToStart"


def test_run_task_waits_for_an_earlier_task_and_never_stops_one_halfway(ansible, aws, net, one_off):
    ecs = aws.client("ecs")
    earlier = ecs.run_task(
        cluster="local",
        taskDefinition="one-off",
        launchType="FARGATE",
        startedBy="one-at-a-time",
        networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"], "securityGroups": [net["sg"]]}},
        overrides={
            "containerOverrides": [
                {
                    "name": "app",
                    "command": ["python3", "-c", ONE_OFF, "earlier"],
                    # Running still when the module lists the tasks, however slowly the module
                    # starts on a loaded machine (on CI once: more than 4 s).
                    "environment": [{"name": "SLEEP", "value": "20"}],
                }
            ]
        },
    )["tasks"][0]["taskArn"]
    run_ = ansible.module(RUN_TASK, run_task_args(aws, net, started_by="one-at-a-time"))
    assert run_.rc == 0, run_.output
    assert run_.result["waited_for"] == [earlier]
    first, second = describe(aws, earlier), describe(aws, run_.result["task_arn"])
    assert first["lastStatus"] == "STOPPED" and first["containers"][0]["exitCode"] == 0
    assert second["createdAt"] >= first["stoppedAt"], "the second task started before the first had stopped"

    # A task that outlives the wait is left running: the module fails and says so.
    slow = run_task_args(aws, net, started_by="too-slow", environment={"SLEEP": "60"}, wait_timeout=3)
    run_ = ansible.module(RUN_TASK, slow)
    assert run_.rc != 0
    assert "is still RUNNING after the wait; it was left running" in run_.result["msg"], run_.result["msg"]
    assert describe(aws, run_.result["task_arn"])["lastStatus"] == "RUNNING"
    run_ = ansible.module(RUN_TASK, dict(slow, wait_timeout=2))
    assert run_.rc != 0
    assert "an earlier task is still running after" in run_.result["msg"], run_.result["msg"]
    assert ecs.list_tasks(cluster="local", startedBy="too-slow")["taskArns"] == [run_.result["waited_for"][0]]
    ecs.stop_task(cluster="local", task=run_.result["waited_for"][0], reason="test over")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"started_by": "not allowed!"}, "started_by must be 1 to 36 letters"),
        ({"wait_timeout": 0}, "wait_timeout must be at least 1"),
        ({"subnets": []}, "subnets must name at least one subnet"),
        ({"environment": {"1BAD": "x"}}, "environment: not variable names: 1BAD"),
        ({"container": "nope"}, "container: the task definition"),
        ({"task_definition": "no-such-family"}, "task_definition: no task definition no-such-family"),
    ],
)
def test_run_task_refuses_bad_options_naming_them(ansible, aws, net, one_off, change, expected):
    before = len(aws.client("ecs").list_tasks(cluster="local", desiredStatus="STOPPED")["taskArns"])
    run_ = ansible.module(RUN_TASK, {**run_task_args(aws, net), **change})
    assert run_.rc != 0
    assert expected in run_.result["msg"], run_.result["msg"]
    assert len(aws.client("ecs").list_tasks(cluster="local", desiredStatus="STOPPED")["taskArns"]) == before


def test_the_open_webui_image_runs_its_own_command_or_an_override(tmp_path):
    from tools.local_services import ecs_images

    venv = tmp_path / "venv"
    image = "ghcr.io/open-webui/open-webui:v9.8.7"
    common = dict(address="127.77.0.9", port=8080, entry_point=None, app_venvs={"9.8.7": venv})
    for command in (None, ["bash", "start.sh"]):
        launch = ecs_images.resolve(image, command=command, **common)
        assert launch.argv[:4] == [str(venv / "bin" / "python"), "-m", "uvicorn", "open_webui.main:app"], command
        assert launch.env["PATH"].split(os.pathsep)[0] == str(venv / "bin"), command
    launch = ecs_images.resolve(image, command=["python", "-c", "import open_webui.config"], **common)
    assert launch.argv == [str(venv / "bin" / "python"), "-c", "import open_webui.config"]
    assert launch.env["PATH"].split(os.pathsep)[0] == str(venv / "bin")
    assert launch.preload == ecs_images.OPENWEBUI_PRELOAD  # python -c (the migration) forks from the zygote
    assert ecs_images.resolve(image, command=["bash", "-c", "true"], **common).preload == ()
    assert launch.data_dir_env == {"/app/backend/data": "DATA_DIR"}
    with pytest.raises(ecs_images.PullError, match="CannotPullContainerError"):
        ecs_images.resolve("ghcr.io/open-webui/open-webui:v0.0.1", command=["python"], **common)


def test_a_variable_that_names_a_path_under_a_mount_point_names_the_volume_locally(aws, net):
    """A container sees its volume at the mount point: a variable pointing there (or below)
    points at the volume's local folder, so what the task writes there lands in the volume."""
    write = "import os; p = os.environ['OUT']; open(p, 'w').write('kept'); print('wrote', p, flush=True)"
    td = aws.client("ecs").register_task_definition(
        family="mounts",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=net["role"],
        volumes=[{"name": "scratch"}],
        containerDefinitions=[
            {
                "name": "app",
                "image": IMAGE,
                "command": ["python3", "-c", write],
                "environment": [{"name": "OUT", "value": "/srv/data/out.txt"}],
                "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/srv/data"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/local/app",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = run(aws, net, td)
    task = stopped(aws, arn)
    assert task["containers"][0]["exitCode"] == 0
    events = aws.client("logs").get_log_events(
        logGroupName="/local/app", logStreamName=f"app/app/{arn.rsplit('/', 1)[-1]}"
    )
    (line,) = [e["message"] for e in events["events"] if e["message"].startswith("wrote ")]
    written = Path(line.split(" ", 1)[1])
    assert written.name == "out.txt" and written.parent.name == "scratch" and written.read_text() == "kept"
    assert str(aws.state_dir) in str(written), "the task wrote outside the emulator's state"
