"""Every IAM policy of the collection, linted with parliament and cloudsplaining.

The deployer policy (docs/iam/deployer-policy.json) and the policies the roles write
(roles/*/templates/*.json.j2, rendered with sample values by ``tools.iam_policy``) are
linted with parliament (community auditors on) and, for identity policies, cloudsplaining
(``python -m tools.iam_policy lint`` prints the same). A finding that is not in ACCEPTED
fails, whatever its severity; so does an accepted finding that is gone (keep the list
true). docs/iam/README.md gives the reason of each accepted finding.
"""

from __future__ import annotations

import json
import re

import pytest

from tools import iam_policy

SAMPLE = {"stack": "openwebui-prod", "account": "123456789012", "region": "eu-west-1"}

# Findings accepted, per policy, with the reason in a word; docs/iam/README.md explains each.
_PM = "parliament:PERMISSIONS_MANAGEMENT_ACTIONS:MEDIUM:"
_DEPLOYER_PM = (
    "iam:attachrolepolicy,iam:createrole,iam:createservicelinkedrole,iam:deleterole,iam:deleterolepolicy,"
    "iam:detachrolepolicy,iam:passrole,iam:putrolepolicy,iam:updateassumerolepolicy,iam:updaterole,"
    "iam:updateroledescription,kms:creategrant,kms:createkey,kms:putkeypolicy,logs:putresourcepolicy,"
    "s3:deletebucketpolicy,"
    "s3:putbucketpolicy,s3:putbucketpublicaccessblock,sns:createtopic,sns:settopicattributes"
)
_S3_ESCALATION = (
    "parliament:RESOURCE_POLICY_PRIVILEGE_ESCALATION:MEDIUM:Possible resource policy privilege escalation on "
    "arn:aws:s3:::openwebui-prod-* due to s3:{} not being allowed, but does allow s3:PutBucketPolicy"
)
_ASSUME_ROLE = "parliament:CREDENTIALS_EXPOSURE:MEDIUM:sts:assumerole"
_KMS_ALL = (
    "kms:CancelKeyDeletion,kms:CreateAlias,kms:CreateGrant,kms:Decrypt,kms:DeleteAlias,"
    "kms:DeleteImportedKeyMaterial,kms:DeriveSharedSecret,kms:DescribeKey,kms:DisableKey,kms:DisableKeyRotation,"
    "kms:EnableKey,kms:EnableKeyRotation,kms:Encrypt,kms:GenerateDataKey,kms:GenerateDataKeyPair,"
    "kms:GenerateDataKeyPairWithoutPlaintext,kms:GenerateDataKeyWithoutPlaintext,kms:GenerateMac,kms:GetKeyPolicy,"
    "kms:GetKeyRotationStatus,kms:GetParametersForImport,kms:GetPublicKey,kms:ImportKeyMaterial,kms:ListGrants,"
    "kms:ListKeyPolicies,kms:ListKeyRotations,kms:ListResourceTags,kms:PutKeyPolicy,kms:ReEncryptFrom,"
    "kms:ReEncryptTo,kms:ReplicateKey,kms:RetireGrant,kms:RevokeGrant,kms:RotateKeyOnDemand,"
    "kms:ScheduleKeyDeletion,kms:Sign,kms:SynchronizeMultiRegionKey,kms:TagResource,kms:UntagResource,"
    "kms:UpdateAlias,kms:UpdateKeyDescription,kms:UpdatePrimaryRegion,kms:Verify,kms:VerifyMac"
)
_KMS_USE = (
    "kms:Decrypt,kms:DescribeKey,kms:Encrypt,kms:GenerateDataKey,kms:GenerateDataKeyPair,"
    "kms:GenerateDataKeyPairWithoutPlaintext,kms:GenerateDataKeyWithoutPlaintext,kms:ReEncryptFrom,kms:ReEncryptTo"
)
# What CloudWatch alarms and EventBridge get to publish to the stack's encrypted topics.
_KMS_PUBLISH = (
    "kms:Decrypt,kms:GenerateDataKey,kms:GenerateDataKeyPair,kms:GenerateDataKeyPairWithoutPlaintext,"
    "kms:GenerateDataKeyWithoutPlaintext"
)

_DISCOVER = (
    "cloudwatch:DescribeAlarms,ec2:DescribeVpcAttribute,ecr:DescribeRepositories,ecs:ListTasks,"
    "elasticache:DescribeCacheClusters,elasticache:DescribeCacheSubnetGroups,elasticfilesystem:DescribeMountTargets,"
    "logs:DescribeMetricFilters,rds:DescribeDBInstances,rds:DescribeDBParameterGroups,rds:DescribeDBSubnetGroups"
)
_EC2_CREATE = (
    "ec2:AllocateAddress,ec2:CreateFlowLogs,ec2:CreateInternetGateway,ec2:CreateNatGateway,ec2:CreateRouteTable,"
    "ec2:CreateSecurityGroup,ec2:CreateSubnet,ec2:CreateVpc,ec2:CreateVpcEndpoint"
)

ACCEPTED: dict[str, dict[str, str]] = {
    "deployer-policy": {
        _PM + _DEPLOYER_PM: "inherent: the deployer writes the stack's roles, key and bucket policies",
        _S3_ESCALATION.format("GetObject"): "inherent: it writes the bucket policy of the stack's bucket",
        _S3_ESCALATION.format("PutObject"): "inherent: it writes the bucket policy of the stack's bucket",
        "parliament:CREDENTIALS_EXPOSURE:MEDIUM:cognito-idp:describeuserpoolclient": "needed: the client secret",
        "parliament:RESOURCE_STAR:LOW:" + _DISCOVER: "look-ups that list or filter, granted on * only",
        "parliament:RESOURCE_STAR:LOW:" + _EC2_CREATE: "new resources: scoped by aws:RequestTag/Stack",
        "parliament:RESOURCE_STAR:LOW:acm:AddTagsToCertificate,acm:ImportCertificate": "new certificate: RequestTag",
        "parliament:RESOURCE_STAR:LOW:kms:TagResource": "new key: scoped by aws:RequestTag/Stack",
        "parliament:RESOURCE_STAR:LOW:backup:CreateBackupPlan": "new plan: scoped by aws:RequestTag/Stack",
    },
    "roles/security/templates/task_execution_policy.json.j2": {
        "cloudsplaining:CredentialsExposure:HIGH:ecr:GetAuthorizationToken": "inherent: ECS pulls with it",
        "parliament:CREDENTIALS_EXPOSURE:MEDIUM:ecr:getauthorizationtoken": "inherent: ECS pulls with it",
    },
    "roles/security/templates/task_policy.json.j2": {
        "parliament:MISMATCHED_TYPE_BUT_USABLE:LOW:Type mismatch: StringLike requires a value of type String "
        "but given Arn": "works (an ARN is a string); ArnLike would be the exact operator",
    },
    "roles/security/templates/efs_restore_policy.json.j2": {},
    "roles/security/templates/ecs_tasks_trust.json.j2": {_ASSUME_ROLE: "a trust policy: ECS tasks assume it"},
    "roles/vpc/templates/flow_log_trust.json.j2": {_ASSUME_ROLE: "a trust policy: flow logs assume it"},
    "roles/backup/templates/backup_trust.json.j2": {_ASSUME_ROLE: "a trust policy: AWS Backup assumes it"},
    "roles/security/templates/kms_key_policy.json.j2": {
        _PM + "kms:creategrant,kms:createkey,kms:putkeypolicy,kms:retiregrant,kms:revokegrant": "key policy: "
        "the account administers its key (AWS's default key policy)",
        "parliament:RESOURCE_STAR:LOW:" + _KMS_ALL: "in a key policy, * is the key itself",
        "parliament:RESOURCE_STAR:LOW:" + _KMS_USE: "in a key policy, * is the key itself",
        "parliament:RESOURCE_STAR:LOW:kms:CreateGrant," + _KMS_USE: "in a key policy, * is the key itself",
        "parliament:RESOURCE_STAR:LOW:" + _KMS_PUBLISH: "in a key policy, * is the key itself",
        "parliament:MISMATCHED_TYPE:MEDIUM:Type mismatch: ArnLike requires a value of type Arn but given "
        "String": "false positive: AWS documents ArnLike on kms:EncryptionContext:aws:logs:arn",
        "parliament:UNKNOWN_CONDITION_FOR_ACTION:MEDIUM:Unknown condition kms:EncryptionContext:aws:logs:arn for "
        "action kms:DescribeKey": "AWS's CloudWatch Logs example grants kms:Describe* with this condition",
        "parliament:UNKNOWN_CONDITION_FOR_ACTION:MEDIUM:Unknown condition kms:EncryptionContext:aws:logs:arn for "
        "action kms:DescribeCustomKeyStores": "AWS's CloudWatch Logs example grants kms:Describe* with it",
    },
    "roles/vpc/templates/flow_log_policy.json.j2": {},
    "roles/storage/templates/bucket_policy.json.j2": {},
}


@pytest.fixture(scope="module")
def policies():
    return iam_policy.collection_policies(**SAMPLE)


@pytest.fixture(scope="module")
def findings(policies):
    return {name: iam_policy.lint(policy, kind) for name, (kind, policy) in policies.items()}


def test_every_policy_of_the_collection_is_linted(policies):
    """Every policy-shaped template of the roles is in tools.iam_policy.ROLE_TEMPLATES."""
    from tools.iam_policy import REPO, ROLE_TEMPLATES

    templates = {
        str(p.relative_to(REPO))
        for p in REPO.glob("roles/*/templates/*.json.j2")
        if '"Statement"' in p.read_text() and '"Version": "2012-10-17"' in p.read_text()
    }
    assert templates <= set(ROLE_TEMPLATES), f"add to ROLE_TEMPLATES: {sorted(templates - set(ROLE_TEMPLATES))}"
    assert set(policies) == {"deployer-policy"} | {t for t in ROLE_TEMPLATES if (REPO / t).exists()}
    assert set(ROLE_TEMPLATES) | {"deployer-policy"} <= set(ACCEPTED), "give every policy its ACCEPTED entry"


@pytest.mark.parametrize("action", sorted(iam_policy.NEWER_THAN_PARLIAMENT))
def test_the_actions_left_out_of_parliament_are_real_and_still_unknown_to_it(action):
    """Each is an operation of botocore's model of its service (a real action), and
    parliament still reports it unknown (else it belongs back in the analysis)."""
    import botocore.session
    import parliament

    service, name = action.split(":")  # the services listed here are named alike in IAM and botocore
    assert name in botocore.session.get_session().get_service_model(service).operation_names
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(policy)).findings}
    assert "UNKNOWN_ACTION" in issues, f"parliament knows {action} now: drop it from NEWER_THAN_PARLIAMENT"


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_no_finding_beyond_the_accepted(name, policies, findings):
    if name not in policies:
        pytest.skip(f"{name} is not in the tree (yet)")
    found = set(findings[name])
    accepted = set(ACCEPTED[name])
    new = sorted(found - accepted)
    gone = sorted(accepted - found)
    assert not new, f"new findings in {name} (fix the policy, or accept in ACCEPTED and docs/iam/README.md): {new}"
    assert not gone, f"accepted findings of {name} that are gone (drop them from ACCEPTED and the README): {gone}"


def test_statements_on_any_resource_only_look_up_or_create_with_the_stack_tag(policies):
    """A deployer statement on Resource * is a look-up, a create under aws:RequestTag/Stack,
    or one of the few actions AWS grants on * only (named here)."""
    only_star = {"ecs:DeregisterTaskDefinition", "sns:Unsubscribe", "backup-storage:MountCapsule"}
    # CloudWatch Logs' vended log delivery (the cache's slow and engine logs): no resource-level permission.
    only_star |= {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:DescribeResourcePolicies",
        "logs:PutResourcePolicy",
    }
    for statement in policies["deployer-policy"][1]["Statement"]:
        if statement["Resource"] != "*":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        conditions = json.dumps(statement.get("Condition", {}))
        if statement["Sid"] == "DiscoverAccountWide":
            assert all(re.match(r"^[a-z0-9-]+:(Describe|List|Get)", a) for a in actions)
            assert "secretsmanager:GetSecretValue" not in actions
        else:
            assert (
                f'"aws:RequestTag/Stack": "{SAMPLE["stack"]}"' in conditions
                or '"elasticfilesystem:Encrypted": "true"' in conditions
                or set(actions) <= only_star
            ), statement["Sid"]


def test_the_linters_report_a_policy_that_allows_everything():
    """The self-check: the same lint on ``"Action": "*"`` reports findings of high severity."""
    found = iam_policy.lint(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    assert "parliament:PRIVILEGE_ESCALATION:HIGH:iam:createaccesskey" in found, found
    assert any(f.startswith("cloudsplaining:PrivilegeEscalation:HIGH:") for f in found), found
    assert any(f.startswith("cloudsplaining:ServiceWildcard:MEDIUM:") for f in found), found


def test_the_linters_report_an_unscoped_pass_role():
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}],
    }
    found = iam_policy.lint(policy)
    assert any(f.startswith("parliament:PRIVILEGE_ESCALATION:HIGH:") for f in found), found
    assert any(f.startswith("cloudsplaining:PrivilegeEscalation:HIGH:") for f in found), found


def test_render_checks_its_inputs():
    with pytest.raises(ValueError, match="--account"):
        iam_policy.render("openwebui-prod", "12345", "eu-west-1")
    with pytest.raises(ValueError, match="--stack"):
        iam_policy.render("Open WebUI", "123456789012", "eu-west-1")
    rendered = json.dumps(iam_policy.render(**SAMPLE))
    assert "<" not in rendered and "openwebui-prod" in rendered
