"""The deployed stack (the ``local_stack`` fixture) as a platform team runs it day to day:
check mode on a deployed stack, the wiring check, a new image version.

Runs after the e2e and secret-leak tests (file order): the last test rolls out a new image.
"""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest

from tests.functional.test_secret_leak import collect_labels, find_leaks
from tests.functional.test_served_restore import chat_titles, write_a_chat
from tests.functional.test_served_stack import (
    _serving_checker,
    first_admin_token,
    migration_tasks,
    pre_migration_snapshots,
    stack_tls,
    urls,
)
from tools.make_local import ANSI

# The tests on the session's deployed stack run on one xdist worker, in file order.
pytestmark = pytest.mark.xdist_group("local_stack")
STACK = "openwebui-local"
FAST = ("-e", "ecs_service_wait_delay=2")  # the rollout waits poll every 2 s
CLUSTER, SERVICE = STACK, "open-webui"
TASK = re.compile(r"^TASK \[(?:(?P<role>[\w.]+) : )?(?P<name>[^\]]*)\]", re.M)


def changed_tasks(output: str) -> list[tuple[str, str]]:
    """(role, task) of every task that reported ``changed`` (default callback output)."""
    text = ANSI.sub("", output)
    found = []
    tasks = list(TASK.finditer(text))
    for index, task in enumerate(tasks):
        end = tasks[index + 1].start() if index + 1 < len(tasks) else len(text)
        if re.search(r"^changed: ", text[task.end() : end], re.M):
            found.append((task.group("role") or "", task.group("name")))
    return found


def test_changed_tasks_parses_the_default_callback():
    output = (
        "TASK [ajudadigital.openwebui.vpc : Create the VPC] ***\nok: [localhost]\n\n"
        "TASK [ajudadigital.openwebui.ecs_service : Register the task definition] ***\n"
        "changed: [localhost]\n\nTASK [Plain task] ***\nchanged: [localhost]\n"
    )
    assert changed_tasks(output) == [
        ("ajudadigital.openwebui.ecs_service", "Register the task definition"),
        ("", "Plain task"),
    ]


def _first(tasks: list[tuple[str, str]], role: str, prefix: str) -> int:
    """Index of the first task of ``role`` whose name starts with ``prefix``."""
    found = [i for i, (r, name) in enumerate(tasks) if r.endswith("." + role) and name.startswith(prefix)]
    assert found, f"no task {role} : {prefix}... in the deploy"
    return found[0]


def test_the_deploy_creates_the_long_resources_early_and_waits_for_them_late(local_stack):
    """The RDS instance and the Redis replication group are created without waiting; the layers that do
    not need them run before the deploy waits for either (their provisioning overlaps)."""
    text = ANSI.sub("", local_stack.deploy.stdout)
    tasks = [(m.group("role") or "", m.group("name")) for m in TASK.finditer(text)]
    create_db = _first(tasks, "database", "Create the RDS instance")
    create_cache = _first(tasks, "cache", "Create or update the replication group")
    wait_db = _first(tasks, "database", "Wait until the instance is available")
    wait_cache = _first(tasks, "cache", "Wait until the replication group is available")
    last_independent = max(
        _first(tasks, "storage", "Create the files bucket"),
        _first(tasks, "registry", "Create the repository"),
        _first(tasks, "load_balancer", "Create the load balancer"),
        _first(tasks, "auth", "Create or update the user pool"),
    )
    assert create_db < create_cache < last_independent < wait_db < wait_cache
    assert wait_cache < _first(tasks, "ecs_service", "Create or update the service")


# site.yml --check --diff on the deployed stack: in test_served_rotate.py, after the rotation
# (one run proves both that check mode reports no change and that site.yml keeps a rotation).


def test_verify_passes_on_the_deployed_stack(local_stack):
    run = local_stack.playbook("playbooks/verify.yml")
    assert run.rc == 0, run.output[-3000:]
    assert "openwebui-local is wired as designed" in run.stdout


def test_verify_finds_a_database_open_to_an_address_range(local_stack):
    ec2 = local_stack.client("ec2")
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{STACK}-database"]}])[
        "SecurityGroups"
    ]
    rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule])
    try:
        run = local_stack.playbook("playbooks/verify.yml")
    finally:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule])
    assert run.rc != 0
    assert f"{STACK}-database admits addresses (0.0.0.0/0), not only {STACK}-app" in run.output


def test_verify_finds_a_database_that_accepts_plain_text(local_stack):
    rds = local_stack.client("rds")
    group = f"{STACK}-postgres16"
    off = [{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}]
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=off)
    try:
        run = local_stack.playbook("playbooks/verify.yml")
    finally:
        on = [{**off[0], "ParameterValue": "1"}]
        rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=on)
    assert run.rc != 0
    expected = f"the database accepts plain-text connections: rds.force_ssl is 0 in its parameter group {group}"
    assert expected in run.output


def test_verify_finds_an_unencrypted_alarm_topic_and_a_cluster_without_container_insights(local_stack):
    sns, ecs = local_stack.client("sns"), local_stack.client("ecs")
    (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{STACK}-alarms")]
    key = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    (cluster,) = ecs.describe_clusters(clusters=[STACK], include=["SETTINGS"])["clusters"]
    assert {s["name"]: s["value"] for s in cluster["settings"]}["containerInsights"] == "enabled"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="")
    ecs.update_cluster_settings(cluster=STACK, settings=[{"name": "containerInsights", "value": "disabled"}])
    try:
        run = local_stack.playbook("playbooks/verify.yml")
    finally:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=key)
        ecs.update_cluster_settings(cluster=STACK, settings=[{"name": "containerInsights", "value": "enabled"}])
    assert run.rc != 0
    assert f"the alarm topic {topic} is not encrypted with the stack key alias/{STACK} (no key)" in run.output
    assert f"the cluster {STACK} has Container Insights disabled, expected enabled" in run.output


def test_a_misspelt_database_parameter_fails_the_database_layer(local_stack):
    run = local_stack.playbook("site.yml", "--tags", "database", "-e", '{"database_parameters": {"rds.force_sll": 1}}')
    assert run.rc != 0
    text = ANSI.sub("", run.output)
    assert "database_parameters: the parameter group openwebui-local-postgres16 (postgres16) did not take" in text
    assert "rds.force_sll" in text
    failed = TASK.findall(text.split("fatal: [localhost]")[0])[-1]
    assert failed[1] == "Fail when a parameter could not be set (before the instance is created)"


def test_the_flow_log_group_is_encrypted_with_a_key_only_the_stack_log_groups_may_use(local_stack):
    key = local_stack.client("kms").describe_key(KeyId=f"alias/{STACK}")["KeyMetadata"]
    groups = local_stack.client("logs").describe_log_groups(logGroupNamePrefix=f"/{STACK}/")["logGroups"]
    encryption = {group["logGroupName"]: group.get("kmsKeyId") for group in groups}
    cache_logs = [f"/{STACK}/elasticache/slow-log", f"/{STACK}/elasticache/engine-log"]
    assert encryption == {
        f"/{STACK}/vpc-flow-logs": key["Arn"],
        f"/{STACK}/ecs/open-webui": key["Arn"],
        **dict.fromkeys(cache_logs, key["Arn"]),
    }
    policy = json.loads(local_stack.client("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    (logs,) = [s for s in policy["Statement"] if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}]
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:"
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"{arn}/{STACK}/ecs/open-webui",
                f"{arn}/{STACK}/vpc-flow-logs",
                *(f"{arn}{name}" for name in cache_logs),
            ]
        }
    }


def _write_a_chat_and_a_file(stack) -> dict:
    """As a person would before an upgrade: a chat with a message, and a file (embedded)."""
    https, tls = urls(stack)[443], stack_tls(stack)
    headers = {"Authorization": f"Bearer {first_admin_token(stack)}"}
    marker = f"upgrade-{int(time.time())}"
    message = {"id": "m1", "role": "user", "content": f"Remember {marker}", "timestamp": int(time.time())}
    chat = {"title": f"Before the upgrade {marker}", "messages": [message], "history": {"messages": {"m1": message}}}
    created = httpx.post(f"{https}/api/v1/chats/new", json={"chat": chat}, headers=headers, verify=tls, timeout=60)
    assert created.status_code == 200, created.text
    uploaded = httpx.post(
        f"{https}/api/v1/files/",
        params={"process": "true", "process_in_background": "false"},
        files={"file": ("before-upgrade.txt", f"The drawer holds {marker}.\n".encode(), "text/plain")},
        headers=headers,
        verify=tls,
        timeout=120,
    )
    assert uploaded.status_code == 200, uploaded.text
    return {"marker": marker, "chat": created.json()["id"], "file": uploaded.json()["id"]}


def _read_the_chat_and_the_file(stack, written: dict) -> None:
    https, tls = urls(stack)[443], stack_tls(stack)
    headers = {"Authorization": f"Bearer {first_admin_token(stack)}"}
    chat = httpx.get(f"{https}/api/v1/chats/{written['chat']}", headers=headers, verify=tls, timeout=60)
    assert chat.status_code == 200, chat.text
    assert written["marker"] in json.dumps(chat.json()["chat"]), "the chat lost its message"
    content = httpx.get(f"{https}/api/v1/files/{written['file']}/content", headers=headers, verify=tls, timeout=60)
    assert content.status_code == 200 and written["marker"] in content.text, content.text[:500]


def test_rollout_yml_moves_to_a_new_image_while_the_old_tasks_serve(local_stack):
    """Day 2's rollout (and seed 2's "deploy a new version"): ``playbooks/rollout.yml -e
    ecs_service_image_tag=...`` runs the service layer only.

    The image's registry publishes every release under ``v<X.Y.Z>`` and ``<X.Y.Z>``: the new
    tag is another one local mode can run, so the new tasks start and turn healthy. The
    upgrade drill in one version: a chat and a file written before are there after the
    snapshot, the migration task of the new revision and the rollout; ``/health`` through
    the load balancer answers 200 throughout (the old tasks serve until the new are healthy)."""
    written = _write_a_chat_and_a_file(local_stack)
    ecs = local_stack.client("ecs")
    before = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["taskDefinition"]
    old = ecs.describe_task_definition(taskDefinition=before)["taskDefinition"]

    stop, answers = threading.Event(), []
    checker = threading.Thread(
        target=_serving_checker, args=(urls(local_stack)[443], stack_tls(local_stack), stop, answers)
    )
    checker.start()
    try:
        run = local_stack.playbook(
            "playbooks/rollout.yml",
            "-e",
            "ecs_service_image_tag=0.12.4",
            "-e",
            "ecs_service_migration_snapshots_kept=1",
            "-e",
            "ecs_service_wait_delay=2",
        )
    finally:
        stop.set()
        checker.join(60)
    assert run.rc == 0, run.output[-3000:]
    assert answers and set(answers) == {200}, f"a request failed during the rollout: {sorted(set(map(str, answers)))}"
    changed = changed_tasks(run.stdout)
    assert changed, "the new tag changed nothing"
    assert {role for role, _task in changed} == {"ajudadigital.openwebui.ecs_service"}, changed
    assert find_leaks(collect_labels(local_stack.services), {"re-run": run.output}) == []

    after = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["taskDefinition"]
    new = ecs.describe_task_definition(taskDefinition=after)["taskDefinition"]
    assert f"open-webui runs {after.split('/')[-1]} (ghcr.io/open-webui/open-webui:0.12.4)" in run.stdout
    # A new revision (test_served_stack.py's failed rollout of the same tag may have registered it).
    assert new["revision"] > old["revision"]
    (old_container,), (new_container,) = old["containerDefinitions"], new["containerDefinitions"]
    assert new_container["image"] == old_container["image"].rsplit(":", 1)[0] + ":0.12.4"
    # Before the service moved: a snapshot (the only one kept, the newest), then the migration
    # with the new revision, which exited 0.
    (snapshot,) = pre_migration_snapshots(local_stack)
    assert (snapshot["Tags"]["FromImage"], snapshot["Tags"]["ToImage"]) == (
        old_container["image"],
        new_container["image"],
    )
    migration = migration_tasks(local_stack)[-1]
    assert migration["taskDefinitionArn"] == after and migration["containers"][0]["exitCode"] == 0
    assert migration["createdAt"] > snapshot["SnapshotCreateTime"]
    _read_the_chat_and_the_file(local_stack, written)
    ignored = {"image", "dockerLabels"}  # the label is the configuration's hash, which names the image
    assert {k: v for k, v in new_container.items() if k not in ignored} == {
        k: v for k, v in old_container.items() if k not in ignored
    }


def test_rollback_yml_refuses_to_cross_a_migration_and_names_the_snapshot(local_stack):
    """The rollout above migrated the database for the new image: the revision before it runs
    the old image, which is not safe on the migrated schema. Refused before the service is
    touched, naming the snapshot taken before that migration."""
    before = _service(local_stack)
    run = local_stack.playbook("playbooks/rollback.yml")
    assert run.rc != 0, "a rollback across a migration was not refused"
    snapshot = pre_migration_snapshots(local_stack)[-1]["DBSnapshotIdentifier"]
    text = " ".join(ANSI.sub("", run.output).split())
    assert "Refused:" in text and f"Restore the snapshot {snapshot}, taken before that migration" in text, text[-2000:]
    after = _service(local_stack)
    assert after["taskDefinition"] == before["taskDefinition"] and after["deployments"] == before["deployments"]


def _image_tag(stack) -> str:
    """The tag of the image the service runs."""
    arn = _service(stack)["taskDefinition"]
    definition = stack.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return definition["containerDefinitions"][0]["image"].rsplit(":", 1)[1]


def test_rollback_yml_with_the_snapshot_restores_it_and_crosses_the_migration(local_stack):
    """``-e restore_snapshot=<the snapshot the refusal named>``: the database is restored from
    it (under the stack's instance name, the replaced instance kept: the teardown below
    deletes it), then the service rolls back to the previous image, which serves what was
    written before the migration; what was written after it is gone."""
    snapshot = pre_migration_snapshots(local_stack)[-1]  # the one the refusal named
    after_migration = f"After the migration {int(time.time())}"
    write_a_chat(local_stack, after_migration)
    before, name = _service(local_stack), snapshot["DBSnapshotIdentifier"]
    run = local_stack.playbook("playbooks/rollback.yml", "-e", f"restore_snapshot={name}", *FAST)
    assert run.rc == 0, run.output[-3000:]
    assert f"on the database restored from {name}" in " ".join(ANSI.sub("", run.stdout).split())
    assert find_leaks(collect_labels(local_stack.services), {"rollback": run.output}) == []
    now = _service(local_stack)
    assert now["taskDefinition"] != before["taskDefinition"] and now["deployments"][0]["rolloutState"] == "COMPLETED"
    assert _image_tag(local_stack) == snapshot["Tags"]["FromImage"].rsplit(":", 1)[1]
    titles = chat_titles(local_stack)
    assert any(title.startswith("Before the upgrade") for title in titles), sorted(titles)
    assert after_migration not in titles


def test_rollback_yml_returns_to_the_previous_revision_and_keeps_the_data(local_stack):
    """A revision of the same image (another setting, no migration), then ``rollback.yml``:
    the service runs the revision before it again, with no snapshot and no migration task,
    and what was written is still there."""
    written = _write_a_chat_and_a_file(local_stack)
    ecs = local_stack.client("ecs")
    first = _service(local_stack)["taskDefinition"]
    snapshots, migrations = len(pre_migration_snapshots(local_stack)), len(migration_tasks(local_stack))
    tag = _image_tag(local_stack)  # the image the rollback above left running
    fast = ["-e", f"ecs_service_image_tag={tag}", "-e", "ecs_service_wait_delay=2"]
    run = local_stack.playbook(
        "playbooks/rollout.yml", *fast, "-e", '{"ecs_service_extra_environment": {"ROLLBACK_DRILL": "1"}}'
    )
    assert run.rc == 0, run.output[-3000:]
    second = _service(local_stack)["taskDefinition"]
    assert second != first

    run = local_stack.playbook("playbooks/rollback.yml", "-e", "ecs_service_wait_delay=2")
    assert run.rc == 0, run.output[-3000:]
    assert f"open-webui runs {first.split('/')[-1]} (ghcr.io/open-webui/open-webui:{tag}) again" in " ".join(
        ANSI.sub("", run.stdout).split()
    )
    now = _service(local_stack)
    assert now["taskDefinition"] == first and now["deployments"][0]["rolloutState"] == "COMPLETED"
    # The revision rolled back from is deregistered: never the previous one again.
    assert ecs.describe_task_definition(taskDefinition=second)["taskDefinition"]["status"] == "INACTIVE"
    environment = ecs.describe_task_definition(taskDefinition=first)["taskDefinition"]["containerDefinitions"][0]
    assert "ROLLBACK_DRILL" not in {v["name"] for v in environment["environment"]}
    assert (len(pre_migration_snapshots(local_stack)), len(migration_tasks(local_stack))) == (snapshots, migrations)
    _read_the_chat_and_the_file(local_stack, written)


def _service(stack) -> dict:
    return stack.client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]


def test_a_pgvector_upgrade_restarts_the_tasks_on_the_same_revision(local_stack):
    """Open WebUI reads pgvector's version once at start: when the database layer reports that
    it moved the extension (``database_pgvector_upgraded``, after an engine upgrade; local mode
    has one pgvector version, so the run is given the fact), the service gets a new deployment
    of the same revision and every task is replaced. A run without it changes nothing."""
    ecs = local_stack.client("ecs")

    def current():
        svc = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        return svc, set(ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"])

    before, tasks_before = current()
    same = ["-e", f"ecs_service_image_tag={_image_tag(local_stack)}"]  # the image the rollback tests left running
    run = local_stack.playbook(
        "site.yml",
        "--tags",
        "ecs_service",
        *same,
        "-e",
        "database_pgvector_upgraded=true",
        "-e",
        "ecs_service_wait_delay=2",
    )
    assert run.rc == 0, run.output[-3000:]
    assert [task for _role, task in changed_tasks(run.stdout)] == [
        "Create or update the service (private subnets, behind the target group, circuit breaker)"
    ]
    after, tasks_after = current()
    assert after["taskDefinition"] == before["taskDefinition"]
    assert after["deployments"][0]["id"] != before["deployments"][0]["id"], "no new deployment"
    # The old tasks drain (deregistration delay) and stop after the rollout has completed.
    deadline = time.monotonic() + 180
    while (tasks_after & tasks_before or len(tasks_after) != 2) and time.monotonic() < deadline:
        time.sleep(2)
        after, tasks_after = current()
    listed = ecs.describe_tasks(cluster=CLUSTER, tasks=sorted(tasks_after))["tasks"] if tasks_after else []
    assert len(tasks_after) == 2 and not tasks_after & tasks_before, (
        "the tasks were not replaced",
        [(t["taskArn"][-8:], t["startedBy"], t["lastStatus"], t["desiredStatus"]) for t in listed],
        [(d["id"], d["status"], d.get("rolloutState"), d["runningCount"]) for d in after["deployments"]],
        [e["message"] for e in after["events"][:12]],
    )

    run = local_stack.playbook("site.yml", "--tags", "ecs_service", *same)
    assert run.rc == 0, run.output[-3000:]
    assert changed_tasks(run.stdout) == [], "the restart happened again without an upgrade"


def _gone(stack, arn: str) -> bool:
    """A tagged resource that AWS keeps listing for a while after its deletion: a NAT gateway
    ``deleted``, an ECS service ``INACTIVE``, an ECS task ``STOPPED`` (ECS shows stopped tasks
    for an hour or so); a KMS key (checked below: pending deletion)."""
    if ":natgateway/" in arn:
        gateway = stack.client("ec2").describe_nat_gateways(NatGatewayIds=[arn.rsplit("/", 1)[1]])["NatGateways"]
        return all(g["State"] in ("deleting", "deleted") for g in gateway)
    if ":ecs:" in arn and ":task/" in arn:
        cluster = arn.split(":task/", 1)[1].split("/", 1)[0]
        found = stack.client("ecs").describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
        return all(t["lastStatus"] == "STOPPED" for t in found)
    if ":ecs:" in arn and ":service/" in arn:
        cluster, service = arn.split(":service/", 1)[1].split("/", 1)
        found = stack.client("ecs").describe_services(cluster=cluster, services=[service])["services"]
        return all(s["status"] != "ACTIVE" for s in found)
    return ":kms:" in arn and ":key/" in arn


def _every(client, operation: str, key: str, **params) -> list:
    """Every item of a listing, through all its pages (AWS pages GetResources at 100 tags)."""
    if client.can_paginate(operation):
        return client.get_paginator(operation).paginate(**params).build_full_result().get(key, [])
    return getattr(client, operation)(**params)[key]


def leftovers(stack) -> dict[str, list[str]]:
    """What the emulator still holds of the stack, by tag and by name, per kind."""
    prefix = STACK
    found: dict[str, list[str]] = {}
    tagging = stack.client("resourcegroupstaggingapi")
    tagged = _every(
        tagging, "get_resources", "ResourceTagMappingList", TagFilters=[{"Key": "Stack", "Values": [prefix]}]
    )
    found["tagged"] = [r["ResourceARN"] for r in tagged if not _gone(stack, r["ResourceARN"])]
    found["iam roles"] = [
        r["RoleName"] for r in _every(stack.client("iam"), "list_roles", "Roles") if r["RoleName"].startswith(prefix)
    ]
    found["secrets"] = [s["Name"] for s in _every(stack.client("secretsmanager"), "list_secrets", "SecretList")]
    found["log groups"] = [
        g["logGroupName"]
        for g in _every(stack.client("logs"), "describe_log_groups", "logGroups")
        if prefix in g["logGroupName"]
    ]
    kms = stack.client("kms")
    found["kms keys not pending deletion"] = [
        k["KeyId"]
        for k in _every(kms, "list_keys", "Keys")
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
    ]
    found["vpcs"] = [v["VpcId"] for v in stack.client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    found["buckets"] = [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]]
    found["db instances"] = [
        d["DBInstanceIdentifier"] for d in stack.client("rds").describe_db_instances()["DBInstances"]
    ]
    found["db snapshots"] = [
        s["DBSnapshotIdentifier"]
        for s in stack.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    ]
    found["file systems"] = [f["FileSystemId"] for f in stack.client("efs").describe_file_systems()["FileSystems"]]
    found["repositories"] = [r["repositoryName"] for r in stack.client("ecr").describe_repositories()["repositories"]]
    found["user pools"] = [p["Name"] for p in stack.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]]
    found["load balancers"] = [
        b["LoadBalancerName"] for b in stack.client("elbv2").describe_load_balancers()["LoadBalancers"]
    ]
    found["clusters"] = [
        c["clusterName"]
        for c in stack.client("ecs").describe_clusters(clusters=stack.client("ecs").list_clusters()["clusterArns"])[
            "clusters"
        ]
        if c["status"] == "ACTIVE"
    ]
    found["task definition families"] = _every(
        stack.client("ecs"), "list_task_definition_families", "families", familyPrefix=prefix, status="ACTIVE"
    )
    found["alarms"] = [a["AlarmName"] for a in _every(stack.client("cloudwatch"), "describe_alarms", "MetricAlarms")]
    found["topics"] = [t["TopicArn"] for t in _every(stack.client("sns"), "list_topics", "Topics")]
    found["backup plans"] = [p["BackupPlanName"] for p in stack.client("backup").list_backup_plans()["BackupPlansList"]]
    found["backup vaults"] = [
        v["BackupVaultName"] for v in stack.client("backup").list_backup_vaults()["BackupVaultList"]
    ]
    elasticache = stack.client("elasticache")
    found["cache clusters"] = [c["CacheClusterId"] for c in elasticache.describe_cache_clusters()["CacheClusters"]]
    found["replication groups"] = [
        g["ReplicationGroupId"] for g in _every(elasticache, "describe_replication_groups", "ReplicationGroups")
    ]
    found["cache parameter groups"] = [
        g["CacheParameterGroupName"]
        for g in _every(elasticache, "describe_cache_parameter_groups", "CacheParameterGroups")
        if not g["CacheParameterGroupName"].startswith("default.")
    ]
    found["cache subnet groups"] = [
        g["CacheSubnetGroupName"]
        for g in _every(elasticache, "describe_cache_subnet_groups", "CacheSubnetGroups")
        if g["CacheSubnetGroupName"] != "default"
    ]
    return {kind: items for kind, items in found.items() if items}


def test_destroy_with_data_leaves_nothing_of_the_stack(local_stack):
    """The last test of the session's stack: playbooks/destroy.yml with openwebui_destroy_data
    removes everything the stack made (the KMS key is scheduled for deletion, as AWS allows)."""
    assert "vpcs" in leftovers(local_stack)  # the check sees a deployed stack
    run = local_stack.playbook("playbooks/destroy.yml", "-e", "openwebui_destroy_data=true")
    assert run.rc == 0, run.output[-3000:]
    assert leftovers(local_stack) == {}
