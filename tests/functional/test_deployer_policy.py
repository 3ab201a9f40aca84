"""The deployer policy (docs/iam/deployer-policy.json), proven against an emulator that enforces IAM.

The emulator starts with IAM enforcement after the few unchecked requests that create an
IAM user, attach the deployer policy to it (as the managed policies that
``tools.iam_policy render --split-dir`` writes) and give it access keys. Every later
request must be signed with that user's keys and be allowed by its policies:

* the full local deploy (``site.yml -i inventories/local``) and the destroy
  (``playbooks/destroy.yml``) succeed with the user's keys;
* the same deploy with one needed statement left out fails with AccessDenied.

What moto checks (see docs/iam/README.md): the actions of every service; the resource
ARNs of S3, IAM, SQS and STS requests only; no conditions.
"""

from __future__ import annotations

import json

import pytest

from tools import iam_policy
from tools.local_services import LocalServices

STACK = "openwebui-local"  # inventories/local
ACCOUNT = "123456789012"  # the emulator's account
REGION = "us-east-1"
USER = "openwebui-deployer"


def _policy(without: str = "") -> dict:
    policy = iam_policy.render(STACK, ACCOUNT, REGION)
    if without:
        kept = [s for s in policy["Statement"] if s.get("Sid") != without]
        assert len(kept) == len(policy["Statement"]) - 1, f"no statement {without}"
        policy["Statement"] = kept
    return policy


def _missing_vault(request: dict) -> bool:
    """DescribeBackupVault of a vault that does not exist: AWS answers 403 (AccessDenied),
    and amazon.aws.backup_vault takes that for "absent" (fix
    backup_describe_missing_vault_is_access_denied); not a denial of the policy."""
    return request["service"] == "backup" and request["action"].startswith("GET /backup-vaults/")


class EnforcingServices:
    """Local services whose emulator enforces IAM for one deployer user."""

    def __init__(self, state_dir, policy: dict):
        self.parts = iam_policy.split(policy)
        # Unchecked requests: CreateUser, CreatePolicy + AttachUserPolicy per part, CreateAccessKey.
        self.setup_calls = 2 + 2 * len(self.parts)
        self.services = LocalServices(state_dir, enforce_iam=self.setup_calls)
        self.keys: dict[str, str] = {}

    def __enter__(self) -> EnforcingServices:
        import boto3

        self.services.start()
        env = self.services.env()
        iam = boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        iam.create_user(UserName=USER)
        for number, part in enumerate(self.parts, 1):
            arn = iam.create_policy(PolicyName=f"{STACK}-deployer-{number}", PolicyDocument=json.dumps(part))
            iam.attach_user_policy(UserName=USER, PolicyArn=arn["Policy"]["Arn"])
        key = iam.create_access_key(UserName=USER)["AccessKey"]
        self.keys = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        return self

    def __exit__(self, *exc) -> None:
        self.services.stop()

    def env(self) -> dict[str, str]:
        """AWS_* of the deployer user (boto3 and the aws_secret lookup read them)."""
        return {**self.services.env(), **self.keys}

    def extra_vars(self) -> list[str]:
        """The inventory's credentials, overridden with the deployer user's keys."""
        return [
            "-e",
            json.dumps(
                {
                    "openwebui_aws_access_key": self.keys["AWS_ACCESS_KEY_ID"],
                    "openwebui_aws_secret_key": self.keys["AWS_SECRET_ACCESS_KEY"],
                }
            ),
        ]

    def denied(self) -> list[dict]:
        """Requests refused for want of a permission (or a valid signature)."""
        return [r for r in self.services.requests() if r["status"] in ("401", "403") and not _missing_vault(r)]


def test_the_policy_fits_in_few_managed_policies():
    parts = iam_policy.split(_policy())
    assert 1 <= len(parts) <= 5  # of the 10 managed policies a user or role may have
    assert all(iam_policy.policy_size(p) <= iam_policy.MANAGED_POLICY_LIMIT for p in parts)
    assert [s for p in parts for s in p["Statement"]] == _policy()["Statement"]


def test_enforcement_rejects_the_emulators_dummy_keys(tmp_path):
    """After the setup requests the emulator's shared dummy keys no longer work: every
    later request runs as the deployer user, so the tests below prove its policy."""
    import boto3
    from botocore.exceptions import ClientError

    with EnforcingServices(tmp_path, _policy()) as stack:
        env = stack.services.env()
        ec2 = boto3.client(
            "ec2",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        with pytest.raises(ClientError, match="AuthFailure"):
            ec2.describe_vpcs()
        deployer = boto3.client(
            "ec2",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=stack.keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=stack.keys["AWS_SECRET_ACCESS_KEY"],
        )
        assert deployer.describe_vpcs()["Vpcs"] is not None
        iam = boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=stack.keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=stack.keys["AWS_SECRET_ACCESS_KEY"],
        )
        with pytest.raises(ClientError, match="AccessDenied"):  # a role that is not the stack's
            iam.create_role(RoleName="someone-else", AssumeRolePolicyDocument="{}")


@pytest.mark.slow
def test_deploy_and_destroy_with_only_the_deployer_policy(tmp_path, ansible):
    """The suite's full deploy on ansible's own strategy, without mitogen, is the version
    matrix's on ansible 14 (tools/matrix.py); this one runs with mitogen, as local mode."""
    with EnforcingServices(tmp_path, _policy()) as stack:
        env = stack.env()  # with mitogen's strategy (tools/ansible_strategy.py), as local mode
        deploy = ansible.playbook("site.yml", "-i", "inventories/local", *stack.extra_vars(), env=env)
        assert deploy.rc == 0, deploy.output[-5000:]
        assert stack.denied() == []
        destroy = ansible.playbook(
            "playbooks/destroy.yml",
            "-i",
            "inventories/local",
            *stack.extra_vars(),
            "-e",
            "openwebui_destroy_data=true",
            env=env,
        )
        assert destroy.rc == 0, destroy.output[-5000:]
        assert stack.denied() == []
        requests = stack.services.requests()[stack.setup_calls :]
        # The policy names every action the run used (tools.iam_policy check, in a test).
        assert iam_policy.missing(_policy(), iam_policy.actions_of(requests)) == []


@pytest.mark.slow
def test_deploy_without_a_needed_statement_is_denied(tmp_path, ansible):
    """Without the statement that lets it create the stack's network, the deploy stops at
    the VPC: the emulator denies ec2:CreateVpc."""
    with EnforcingServices(tmp_path, _policy(without="Ec2CreateWithStackTag")) as stack:
        deploy = ansible.playbook("site.yml", "-i", "inventories/local", *stack.extra_vars(), env=stack.env())
        assert deploy.rc != 0
        assert "AccessDenied" in deploy.output or "not authorized" in deploy.output, deploy.output[-3000:]
        assert [(r["service"], r["action"]) for r in stack.denied()] == [("ec2", "CreateVpc")]


def _without_action(action: str) -> dict:
    """The deployer policy with one action taken out of the statement that grants it."""
    policy = _policy()
    granting = [s for s in policy["Statement"] if action in s.get("Action", [])]
    assert len(granting) == 1, f"{action} is granted by {len(granting)} statements"
    granting[0]["Action"] = [a for a in granting[0]["Action"] if a != action]
    return policy


def _hardening_modules(stack: EnforcingServices, ansible) -> list:
    """As the deployer user: make the stack's alarm topic, key and cluster (boto3), then
    encrypt the topic with the key and turn Container Insights on (the collection's modules)."""
    import boto3

    session = boto3.Session(
        aws_access_key_id=stack.keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack.keys["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    endpoint = stack.services.env()["AWS_ENDPOINT_URL"]
    topic = session.client("sns", endpoint_url=endpoint).create_topic(Name=f"{STACK}-alarms")["TopicArn"]
    tags = [{"TagKey": "Stack", "TagValue": STACK}]
    key = session.client("kms", endpoint_url=endpoint).create_key(Tags=tags)["KeyMetadata"]["Arn"]
    session.client("ecs", endpoint_url=endpoint).create_cluster(clusterName=STACK)
    connection = {
        "endpoint_url": endpoint,
        "region": REGION,
        "access_key": stack.keys["AWS_ACCESS_KEY_ID"],
        "secret_key": stack.keys["AWS_SECRET_ACCESS_KEY"],
    }
    return [
        ansible.module(
            "ajudadigital.openwebui.sns_topic_encryption", dict(connection, topic_arn=topic, kms_key_id=key)
        ),
        ansible.module(
            "ajudadigital.openwebui.ecs_cluster_settings", dict(connection, cluster=STACK, container_insights="enabled")
        ),
    ]


def test_the_topic_key_and_container_insights_modules_need_only_the_deployer_policy(tmp_path, ansible):
    with EnforcingServices(tmp_path, _policy()) as stack:
        runs = _hardening_modules(stack, ansible)
        assert [run.rc for run in runs] == [0, 0], [run.output[-2000:] for run in runs]
        assert [run.result["changed"] for run in runs] == [True, True]
        assert stack.denied() == []
        requests = stack.services.requests()[stack.setup_calls :]
        used = iam_policy.actions_of(requests)
        assert {"sns:SetTopicAttributes", "kms:DescribeKey", "ecs:UpdateClusterSettings"} <= set(used)
        assert iam_policy.missing(_policy(), used) == []


def test_container_insights_without_ecs_update_cluster_settings_is_denied(tmp_path, ansible):
    with EnforcingServices(tmp_path / "denied", _without_action("ecs:UpdateClusterSettings")) as stack:
        encrypt, insights = _hardening_modules(stack, ansible)
        assert encrypt.rc == 0, encrypt.output[-2000:]
        assert insights.rc != 0
        assert [(r["service"], r["action"]) for r in stack.denied()] == [("ecs", "UpdateClusterSettings")]
