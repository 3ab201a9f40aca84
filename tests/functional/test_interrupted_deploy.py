"""Interrupted runs converge (issue 10).

A deploy killed part way (SIGKILL of ansible-playbook, its workers and their module
processes at once, as a lost CI runner or a closed laptop does: ``runs.kill``) leaves
AWS half done: a resource created but not yet recorded, configured or tagged.
Re-running ``site.yml`` must finish the job without duplicates, report ``changed=0``
once more, and ``playbooks/destroy.yml`` must still remove everything.

The kills land at the worst moment of a task: the killed run talks to the emulator
through a proxy (KillSwitch) that answers the call creating the resource, then holds
every later request, so the module cannot record the result nor make its follow-up
calls (tag, alias, wait) before the test kills it. Polling the emulator's request log
instead is too slow: a module's follow-up calls come within milliseconds.
"""

from __future__ import annotations

import http.client
import http.server
import json
import queue
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.functional import runs
from tests.functional.conftest import BIN, REPO, Ansible
from tests.functional.test_stack import changed_tasks, leftovers
from tools.local_services import LocalServices
from tools.make_local import ANSI, recap

pytestmark = pytest.mark.xdist_group("interrupted")
STACK = "openwebui-local"  # inventories/local
CLUSTER, FAMILY = STACK, f"{STACK}-open-webui"  # the ECS cluster and task definition family


@dataclass(frozen=True)
class Kill:
    """Kill the run once the emulator has answered ``action``, made by ``task`` (a prefix of ``role : name``)."""

    task: str
    action: str


# In layer order; each run gets one layer further than the one before.
KILLS = [
    # vpc: the first subnet exists, the others not yet (vpc_subnets finds it by its CIDR block).
    Kill("ajudadigital.openwebui.vpc : Create the subnets", "CreateSubnet"),
    # vpc: the first NAT gateway exists, the second not yet, nothing recorded.
    Kill("ajudadigital.openwebui.vpc : Create the NAT gateways", "CreateNatGateway"),
    # database: the instance exists; its endpoint, secrets and SQL steps not yet.
    Kill("ajudadigital.openwebui.database : Create the RDS instance", "CreateDBInstance"),
    # ecs_service: the service exists; its rollout wait and auto scaling not yet.
    Kill("ajudadigital.openwebui.ecs_service : Create or update the service", "CreateService"),
]
# security: the key exists, its alias not yet (the last test below).
KMS_KILL = Kill("ajudadigital.openwebui.security : Create the stack's KMS key", "CreateKey")

# What the stack holds, per kind of leftovers() (lengths of its lists). The kinds the
# stack has one of follow from the roles and inventories/local: one VPC, files bucket,
# RDS instance, EFS, ECR repository, Cognito pool, ALB, ECS cluster, KMS key, SNS topic,
# backup plan and vault (no copy region, no access-log bucket), one Redis replication
# group (of 2 cache clusters) with its parameter and subnet groups. The others follow from
# the converged stack (final re-run changed=0, no name repeated): secrets (WEBUI_SECRET_KEY,
# database master and app credentials, DATABASE_URL, Cognito client secret, Redis URL and
# AUTH token), 5 IAM roles (the restore task's among them), 2 log groups, 19 alarms, 60 tagged ARNs (all
# pages of GetResources: one page holds at most 100 tags; the KMS key is counted on its own;
# the 15 monitoring alarms are among them: cloudwatch_metric_alarms tags them).
EXPECTED_COUNTS = {
    "vpcs": 1,
    "buckets": 1,
    "db instances": 1,
    "file systems": 1,
    "repositories": 1,
    "user pools": 1,
    "load balancers": 1,
    "clusters": 1,
    "kms keys not pending deletion": 1,
    "topics": 1,
    "backup plans": 1,
    "backup vaults": 1,
    # The replication group <stack>-cache: its primary and replica are cache clusters.
    "cache clusters": 2,
    "replication groups": 1,
    "cache parameter groups": 1,
    "cache subnet groups": 1,
    "secrets": 8,  # with the first administrator's password and the Redis AUTH token
    "iam roles": 5,
    "task definition families": 1,
    "log groups": 4,  # the app's, the flow logs', the Redis slow log's and engine log's
    "alarms": 19,
    # + the AUTH token's secret, the two Redis log groups and the replication group
    "tagged": 60,
}
# inventories/local: 2 AZs (vpc_az_count) x 3 tiers (public, private, database).
EXPECTED_SUBNETS = 6
# vpc_nat_gateway_mode per_az: a NAT gateway and its Elastic IP per AZ.
EXPECTED_NAT_GATEWAYS = 2
# The VPC's default group and the security role's database, efs, redis, app and lb groups.
EXPECTED_SECURITY_GROUPS = 6


class KillSwitch(http.server.ThreadingHTTPServer):
    """A proxy in front of the emulator that trips once it has answered ``action``: from
    then on it holds every request, so the module that made the call cannot make its next
    one before the test kills it (a module's follow-up calls come within milliseconds)."""

    daemon_threads = True

    def __init__(self, upstream: str, action: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.action = action
        self.tripped = threading.Event()
        self.released = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()


class _Forward(http.server.BaseHTTPRequestHandler):
    server: KillSwitch

    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        if self.server.tripped.is_set():
            self.server.released.wait()  # the caller is killed meanwhile: never answered
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        action = target.rsplit(".", 1)[-1] if target else ""
        if not action and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        upstream = http.client.HTTPConnection(self.server.upstream.hostname, self.server.upstream.port, timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        if action == self.server.action and response.status < 300:
            self.server.tripped.set()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward


TASK_LINE = re.compile(r"^TASK \[(.*)\] \**$", re.M)


class LocalStack:
    """Our own local services and ansible-playbook runs on them, killable at a task."""

    def __init__(self, root: Path):
        self.services = LocalServices(root / "services")
        self.root = root

    def client(self, service: str):
        """boto3 client on the emulator (what leftovers() needs)."""
        return self.services.client(service)

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        env = {
            **Ansible().env,
            **self.services.env(),
            "ANSIBLE_LOCAL_TEMP": str(self.root / "ansible-tmp" / "local"),
            "ANSIBLE_REMOTE_TEMP": str(self.root / "ansible-tmp" / "remote"),
        }
        if endpoint:
            env["AWS_ENDPOINT_URL"] = endpoint
        return env

    def run(self, playbook: str = "site.yml", *args: str, kill: Kill | None = None, timeout: float = 1800):
        """Run a playbook, or with ``kill`` run it through a KillSwitch and, once tripped,
        SIGKILL the run and every process it started (``runs.kill``). Returns (rc, output):
        rc is None when killed."""
        switch = KillSwitch(self.services.env()["AWS_ENDPOINT_URL"], kill.action) if kill else None
        cmd = [str(BIN / "ansible-playbook"), playbook, "-i", "inventories/local", *args]
        if switch:
            cmd += ["-e", f"openwebui_aws_endpoint_url={switch.url}"]
        env, marker = runs.marked(self.env(switch.url if switch else None))
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=lambda: [*map(lines.put, proc.stdout), lines.put(None)], daemon=True)
        reader.start()
        output: list[str] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if switch and switch.tripped.is_set():
                    runs.kill(proc, marker)  # the run and its workers, at once: a lost runner
                    break
                try:
                    line = lines.get(timeout=0.05)
                except queue.Empty:
                    continue
                if line is None:
                    break
                output.append(line)
            proc.wait(max(1, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                runs.kill(proc, marker)
            if switch:
                switch.close()
            reader.join(10)
            while not lines.empty():
                output.append(lines.get_nowait() or "")
        text = ANSI.sub("", "".join(output))
        if not kill:
            return proc.returncode, text
        assert proc.returncode == -signal.SIGKILL, f"not killed at {kill.task}:\n{text[-3000:]}"
        tasks = TASK_LINE.findall(text)
        # Killed in the task, or right after it when its module made no call after the one
        # answered (ecs_service's create): the next task of the role had begun, its first
        # request held by the switch. With mitogen's persistent interpreter a module returns
        # within milliseconds, before the kill.
        landed = tasks[-1:] if tasks and tasks[-1].startswith(kill.task) else tasks[-2:]
        role = kill.task.split(" : ", 1)[0]
        assert landed and landed[0].startswith(kill.task), f"killed in {tasks[-2:]}, not in {kill.task}"
        assert all(task.startswith(role + " : ") for task in landed), f"killed in {tasks[-2:]}, not in {kill.task}"
        return None, text


def converged_state(stack: LocalStack) -> dict:
    """Per-kind counts, and the duplicates that counts alone may hide."""
    found = leftovers(stack)
    state: dict = {"counts": {kind: len(items) for kind, items in found.items()}}
    state["duplicate names"] = {
        kind: sorted(name for name, n in Counter(items).items() if n > 1)
        for kind, items in found.items()
        if len(set(items)) != len(items)
    }
    ec2 = stack.client("ec2")
    (vpc,) = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")] or [""]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    state["subnets"] = len(ec2.describe_subnets(Filters=in_vpc)["Subnets"])
    nats = ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
    state["nat gateways"] = len([n for n in nats if n["State"] not in ("deleted", "deleting", "failed")])
    state["elastic ips"] = len(ec2.describe_addresses()["Addresses"])
    groups = [g["GroupName"] for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]]
    state["security groups"] = len(groups)
    state["duplicate security groups"] = sorted(n for n, c in Counter(groups).items() if c > 1)
    ecs = stack.client("ecs")
    services = ecs.list_services(cluster=CLUSTER)["serviceArns"] if "clusters" in found else []
    state["ecs services"] = len(services)
    if services:
        (described,) = ecs.describe_services(cluster=CLUSTER, services=services)["services"]
        state["desired count"] = described["desiredCount"]
    state["active task definitions"] = len(
        ecs.list_task_definitions(familyPrefix=FAMILY, status="ACTIVE")["taskDefinitionArns"]
    )
    return state


def convergence_problems(state: dict) -> list[str]:
    """How ``converged_state`` differs from an uninterrupted deploy (empty: the same)."""
    expected = {
        **{f"count of {kind}": n for kind, n in EXPECTED_COUNTS.items()},
        "duplicate names": {},
        "duplicate security groups": [],
        "subnets": EXPECTED_SUBNETS,
        "nat gateways": EXPECTED_NAT_GATEWAYS,
        "elastic ips": EXPECTED_NAT_GATEWAYS,
        "security groups": EXPECTED_SECURITY_GROUPS,
        "ecs services": 1,
        "desired count": 2,  # ecs_service_desired_count in inventories/local
        # No kill lands in "Register the task definition", so one ACTIVE revision. (A kill
        # there may leave one extra ACTIVE revision, which would be fine: revisions are not
        # resources that cost, and the service runs the one the role chose.)
        "active task definitions": 1,
    }
    observed = {**{f"count of {kind}": state["counts"].get(kind, 0) for kind in EXPECTED_COUNTS}, **state}
    return [
        f"{key}: {observed.get(key)!r}, expected {value!r}"
        for key, value in expected.items()
        if observed.get(key) != value
    ]


@pytest.mark.slow
def test_a_deploy_killed_in_three_layers_converges_and_destroys(tmp_path):
    started = time.monotonic()
    stack = LocalStack(tmp_path)
    stack.services.start()
    try:
        for kill in KILLS:
            stack.run("site.yml", kill=kill)

        rc, output = stack.run("site.yml")
        assert rc == 0, output[-5000:]
        rc, output = stack.run("site.yml")
        assert rc == 0, output[-5000:]
        assert recap(output)["localhost"]["changed"] == 0, changed_tasks(output)  # converged

        state = converged_state(stack)
        print(json.dumps(state, indent=2, sort_keys=True))
        assert convergence_problems(state) == []

        rc, output = stack.run("playbooks/destroy.yml", "-e", "openwebui_destroy_data=true")
        assert rc == 0, output[-5000:]
        assert leftovers(stack) == {}
    finally:
        stack.services.stop()
        print(f"interrupted deploy test: {time.monotonic() - started:.0f} s")


def _stack_keys(stack: LocalStack) -> dict[str, list[str]]:
    """The emulator's KMS keys that are not pending deletion, with their aliases."""
    kms = stack.client("kms")
    aliases = kms.list_aliases()["Aliases"]
    return {
        key["KeyId"]: sorted(a["AliasName"] for a in aliases if a.get("TargetKeyId") == key["KeyId"])
        for key in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
    }


@pytest.mark.slow
def test_a_key_left_without_its_alias_is_adopted_by_the_rerun_and_removed_by_destroy(tmp_path):
    """amazon.aws.kms_key creates the key, then its alias: a run killed in between leaves a
    tagged key without an alias. Destroy finds it by tag, and a re-run gives it the alias
    (no second key). Only the security layer runs, in a VPC made here: the key does not
    depend on the rest."""
    stack = LocalStack(tmp_path)
    stack.services.start()
    try:
        vpc = stack.client("ec2").create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        layer = ("--tags", "security", "-e", f"vpc_id={vpc}")
        destroy = ("playbooks/destroy.yml", *layer, "-e", "openwebui_destroy_data=true")

        stack.run("site.yml", *layer, kill=KMS_KILL)
        (orphan,) = _stack_keys(stack).items()
        assert orphan[1] == [], "the kill came after the alias"
        rc, output = stack.run(*destroy)
        assert rc == 0, output[-5000:]
        assert _stack_keys(stack) == {}, "destroy left the key without an alias"

        stack.run("site.yml", *layer, kill=KMS_KILL)
        (orphan,) = _stack_keys(stack)  # its ID
        rc, output = stack.run("site.yml", *layer)
        assert rc == 0, output[-5000:]
        # An aliased key is the normal case from here on (destroyed in test_stack.py).
        assert _stack_keys(stack) == {orphan: [f"alias/{STACK}"]}, "the re-run did not adopt the key"
    finally:
        stack.services.stop()
