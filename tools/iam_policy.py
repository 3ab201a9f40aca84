"""The deployer's IAM policy: render it for a stack, derive actions from a request log.

    python -m tools.iam_policy render --stack openwebui-prod --account 123456789012 --region eu-west-1
    python -m tools.iam_policy actions --request-log .local/run/emulator-requests.jsonl
    python -m tools.iam_policy check --request-log ... [--stack ...]   # actions the policy misses
    python -m tools.iam_policy lint                                       # every policy of the collection

``docs/iam/deployer-policy.json`` is the template: ``<stack>``, ``<account>``,
``<region>`` and ``<partition>`` stand for the stack name (``openwebui_stack_name``), the
AWS account ID, the region and the partition (``aws``, ``aws-cn``, ``aws-us-gov``).
``actions`` maps the local emulator's request log (one JSON line per request: the
signing service and the operation, see ``tools/local_services/emulator.py``) to IAM
actions; ``check`` lists those that no Allow statement of the policy names. ``lint``
runs parliament (with its community auditors) and cloudsplaining over the deployer
policy and every policy the roles write (rendered with sample values), and prints the
findings in the form that ``tests/functional/test_iam_policies.py`` allow-lists.

The whole policy is above IAM's 6,144-character limit of one managed policy:
``render --split-dir DIR`` writes it as several managed policies that each fit.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "docs" / "iam" / "deployer-policy.json"
# AWS limit of a managed policy: 6,144 characters, white space not counted.
MANAGED_POLICY_LIMIT = 6144

# As roles/preflight checks openwebui_stack_name: 3-28 characters, no "--", no trailing "-".
STACK_RE = re.compile(r"^(?!.*--)[a-z][a-z0-9-]{1,26}[a-z0-9]$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

# Signing name of a request (its credential scope) -> (IAM service prefix, botocore service).
SERVICES = {
    "monitoring": ("cloudwatch", "cloudwatch"),
    "tagging": ("tag", "resourcegroupstaggingapi"),
    "elasticfilesystem": ("elasticfilesystem", "efs"),
    "elasticloadbalancing": ("elasticloadbalancing", "elbv2"),
    "email": ("ses", "ses"),
}

# API operations whose IAM action has another name (service prefix: {operation: action}).
IAM_ACTION_OF = {
    "s3": {
        "HeadBucket": "ListBucket",
        "ListObjects": "ListBucket",
        "ListObjectsV2": "ListBucket",
        "ListObjectVersions": "ListBucketVersions",
        "HeadObject": "GetObject",
        "DeleteObjects": "DeleteObject",
        "GetBucketEncryption": "GetEncryptionConfiguration",
        "PutBucketEncryption": "PutEncryptionConfiguration",
        "DeleteBucketEncryption": "PutEncryptionConfiguration",
        "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
        "DeleteBucketLifecycle": "PutLifecycleConfiguration",
        "GetBucketLifecycle": "GetLifecycleConfiguration",
        "PutBucketLifecycle": "PutLifecycleConfiguration",
        "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
        "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
        "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
        "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
        "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
        "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
        "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
        "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
        "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
        "DeleteBucketTagging": "PutBucketTagging",
        "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
        "GetBucketReplication": "GetReplicationConfiguration",
        "GetBucketCors": "GetBucketCORS",
        "PutBucketCors": "PutBucketCORS",
        "GetBucketNotificationConfiguration": "GetBucketNotification",
        "PutBucketNotificationConfiguration": "PutBucketNotification",
    },
    # Free for every principal (no IAM action exists to grant or deny it).
    "sts": {"GetCallerIdentity": ""},
}


def render(stack: str, account: str, region: str, partition: str = "aws", template: Path = TEMPLATE) -> dict:
    """The template with its placeholders filled in, after checking the values."""
    for name, value, pattern in (("stack", stack, STACK_RE), ("account", account, ACCOUNT_RE)):
        if not pattern.match(value):
            raise ValueError(f"--{name} {value!r} does not match {pattern.pattern}")
    if not REGION_RE.match(region):
        raise ValueError(f"--region {region!r} is not an AWS region name")
    if partition not in PARTITIONS:
        raise ValueError(f"--partition must be one of {', '.join(PARTITIONS)}")
    text = template.read_text()
    for key, value in (("stack", stack), ("account", account), ("region", region), ("partition", partition)):
        text = text.replace(f"<{key}>", value)
    left = re.findall(r"<[a-z]+>", text)
    if left:
        raise ValueError(f"unknown placeholders in {template}: {sorted(set(left))}")
    return json.loads(text)


def policy_size(policy: dict) -> int:
    """Characters that count against IAM's size limit (white space is not counted)."""
    return len(re.sub(r"\s", "", json.dumps(policy)))


def split(policy: dict, limit: int = MANAGED_POLICY_LIMIT) -> list[dict]:
    """The policy as several policies of whole statements, each within ``limit``, in order."""
    parts: list[dict] = []
    for statement in policy["Statement"]:
        if parts and policy_size({**parts[-1], "Statement": [*parts[-1]["Statement"], statement]}) <= limit:
            parts[-1]["Statement"].append(statement)
            continue
        part = {"Version": policy["Version"], "Statement": [statement]}
        if policy_size(part) > limit:
            raise ValueError(f"statement {statement.get('Sid')} alone is above {limit} characters")
        parts.append(part)
    return parts


# -- the policies the collection writes, rendered with sample values ----------------

# kind: identity (attached to a user or role), trust (a role's assume-role policy),
# resource (a key or bucket policy). Template -> kind.
ROLE_TEMPLATES = {
    "roles/security/templates/task_execution_policy.json.j2": "identity",
    "roles/security/templates/task_policy.json.j2": "identity",
    "roles/security/templates/efs_restore_policy.json.j2": "identity",
    "roles/security/templates/ecs_tasks_trust.json.j2": "trust",
    "roles/security/templates/kms_key_policy.json.j2": "resource",
    "roles/vpc/templates/flow_log_policy.json.j2": "identity",
    "roles/vpc/templates/flow_log_trust.json.j2": "trust",
    "roles/storage/templates/bucket_policy.json.j2": "resource",
    "roles/backup/templates/backup_trust.json.j2": "trust",
}


def sample_vars(stack: str, account: str, region: str, partition: str = "aws") -> dict:
    """What the role templates read: roles/common's names for the stack, and the looked-up facts."""
    import jinja2
    import yaml

    variables: dict = {"openwebui_stack_name": stack, "openwebui_aws_region": region}
    common = yaml.safe_load((REPO / "roles/common/defaults/main.yml").read_text())
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701 - JSON, not HTML
    for name, value in common.items():
        if isinstance(value, str) and "|" not in value:
            variables[name] = env.from_string(value).render(variables)
        elif isinstance(value, dict) and all(isinstance(v, str) and "|" not in v for v in value.values()):
            variables[name] = {key: env.from_string(v).render(variables) for key, v in value.items()}
    key = f"arn:{partition}:kms:{region}:{account}:key/0b7e1c55-5a1e-4c55-9f0e-5a3b1e2d7c11"
    for role in ("security", "storage", "backup"):
        variables[f"{role}__partition"] = partition
        variables[f"{role}__account"] = account
    # What the play's discovery step (roles/common/tasks/discover.yml) publishes.
    variables.update(common_account_id=account, common_partition=partition)
    variables.update(security_kms_key_arn=key, storage__kms_key_arn=key)
    return variables


def collection_policies(
    stack: str = "openwebui-prod", account: str = "123456789012", region: str = "eu-west-1"
) -> dict[str, tuple[str, dict]]:
    """Name -> (kind, policy) of every policy the collection writes, and the deployer's."""
    import jinja2

    env = jinja2.Environment(  # noqa: S701 - JSON, not HTML
        loader=jinja2.FileSystemLoader(str(REPO)), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    variables = sample_vars(stack, account, region)
    policies = {"deployer-policy": ("identity", render(stack, account, region))}
    for path, kind in ROLE_TEMPLATES.items():
        if (REPO / path).exists():  # a role still in the making may not have it yet
            policies[path] = (kind, json.loads(env.get_template(path).render(variables)))
    return policies


# Real actions that parliament's action list (its IAM data) does not know yet: one unknown
# action makes parliament skip its other checks of the whole policy, so they are left out of
# what it analyses. tests/functional/test_iam_policies.py checks that each is an operation of
# botocore's model and still unknown to parliament (drop it once parliament knows it).
NEWER_THAN_PARLIAMENT = frozenset(
    {
        "cognito-idp:AddUserPoolClientSecret",
        "cognito-idp:ListUserPoolClientSecrets",
        "cognito-idp:DeleteUserPoolClientSecret",
    }
)


def _without_newer_actions(policy: dict) -> dict:
    statements = []
    for statement in policy["Statement"]:
        actions = statement.get("Action")
        if isinstance(actions, list):
            statement = {**statement, "Action": [a for a in actions if a not in NEWER_THAN_PARLIAMENT]}
        statements.append(statement)
    return {**policy, "Statement": statements}


def lint(policy: dict, kind: str = "identity") -> list[str]:
    """Findings of parliament (community auditors on) and, for identity policies,
    cloudsplaining, as ``tool:issue:severity:detail`` strings (detail: the actions).
    The actions of NEWER_THAN_PARLIAMENT are left out of parliament's analysis."""
    import parliament

    if not getattr(parliament, "_openwebui_community_config", False):
        parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
        parliament._openwebui_community_config = True
    if kind == "trust":  # a trust policy's resource is the role itself: name it, as parliament wants one
        policy = {
            **policy,
            "Statement": [{**s, "Resource": "arn:aws:iam::123456789012:role/trusting"} for s in policy["Statement"]],
        }
    analysed = parliament.analyze_policy_string(
        json.dumps(_without_newer_actions(policy), indent=2), include_community_auditors=True, config=parliament.config
    )
    findings = []
    for finding in analysed.findings:
        finding = parliament.enhance_finding(finding)
        detail = finding.detail
        if not detail and isinstance(finding.location, dict):
            detail = finding.location.get("actions") or finding.location.get("type") or ""
        if isinstance(detail, list):
            detail = ",".join(sorted(json.dumps(d, sort_keys=True) if isinstance(d, dict) else d for d in detail))
        findings.append(f"parliament:{finding.issue}:{finding.severity}:{detail}")
    if kind == "identity":
        from cloudsplaining.command.scan_policy_file import scan_policy

        for issue, result in scan_policy(policy, {}).items():
            if isinstance(result, dict) and result.get("findings"):
                actions = sorted(
                    json.dumps(f, sort_keys=True) if isinstance(f, dict) else f for f in result["findings"]
                )
                findings.append(f"cloudsplaining:{issue}:{result['severity'].upper()}:{','.join(actions)}")
    return sorted(findings)


# -- request log -> IAM actions ------------------------------------------------------


@cache
def _rest_routes(botocore_service: str) -> list[tuple[str, re.Pattern, frozenset, str]]:
    """(method, path pattern, required query keys, operation) of a REST API, from botocore."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(botocore_service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/")
        path, _unused, query = uri.partition("?")
        regex = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                regex += ".+" if part.endswith("+}") else "[^/]+"
            else:
                regex += re.escape(part)
        keys = frozenset(q.split("=", 1)[0] for q in query.split("&") if q)
        routes.append((http.get("method", "GET"), re.compile(f"^{regex}/?$"), keys, name))
    return routes


def rest_operation(botocore_service: str, method: str, path: str, query: Iterable[str]) -> str:
    """The REST operation that a method, path and query keys name ('' if none)."""
    query = set(query)
    best = ("", -1, -1)
    for route_method, pattern, keys, name in _rest_routes(botocore_service):
        if route_method != method or not keys <= query or not pattern.match(path):
            continue
        score = (len(keys), len(pattern.pattern))
        if score > best[1:]:
            best = (name, *score)
    return best[0]


def iam_action(entry: dict) -> str:
    """IAM action of one request-log entry ('' when the request needs none)."""
    signing = entry.get("service", "")
    prefix, botocore_service = SERVICES.get(signing, (signing, signing))
    operation = entry.get("action", "")
    if " /" in operation:
        method, path = operation.split(" ", 1)
        operation = rest_operation(botocore_service, method, path, entry.get("query", []))
        if not operation:
            return f"{prefix}:?{entry['action']}"
    action = IAM_ACTION_OF.get(prefix, {}).get(operation, operation)
    return f"{prefix}:{action}" if action else ""


def actions_of(entries: Iterable[dict]) -> list[str]:
    return sorted({a for a in map(iam_action, entries) if a})


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def allowed_actions(policy: dict) -> list[str]:
    """Action patterns of the policy's Allow statements."""
    patterns = []
    for statement in policy["Statement"]:
        if statement.get("Effect") == "Allow":
            value = statement.get("Action", [])
            patterns += [value] if isinstance(value, str) else value
    return patterns


def missing(policy: dict, actions: Iterable[str]) -> list[str]:
    """Actions that no Allow statement of the policy names (resources and conditions aside)."""
    patterns = [p.lower() for p in allowed_actions(policy)]
    return sorted(a for a in actions if not any(fnmatch.fnmatchcase(a.lower(), p) for p in patterns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lint")
    for name in ("render", "check"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--stack", default="openwebui-local" if name == "check" else None, required=name == "render")
        cmd.add_argument("--account", default="123456789012" if name == "check" else None, required=name == "render")
        cmd.add_argument("--region", default="us-east-1" if name == "check" else None, required=name == "render")
        cmd.add_argument("--partition", default="aws", choices=PARTITIONS)
    sub.choices["render"].add_argument("--output", type=Path, help="write here instead of stdout")
    sub.choices["render"].add_argument("--split-dir", type=Path, help="write managed policies that fit IAM's limit")
    for name in ("actions", "check"):
        sub.choices.get(name) or sub.add_parser(name)
        sub.choices[name].add_argument("--request-log", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "actions":
        print("\n".join(actions_of(read_log(args.request_log))))
        return 0
    if args.command == "lint":
        for name, (kind, policy) in collection_policies().items():
            print(f"{name} ({kind})")
            print("".join(f"  {finding}\n" for finding in lint(policy, kind)) or "  no findings")
        return 0
    try:
        policy = render(args.stack, args.account, args.region, args.partition)
    except ValueError as e:
        parser.error(str(e))
    if args.command == "check":
        gaps = missing(policy, actions_of(read_log(args.request_log)))
        print("\n".join(gaps) if gaps else "every action of the log is allowed by the policy")
        return 1 if gaps else 0
    if args.split_dir:
        args.split_dir.mkdir(parents=True, exist_ok=True)
        for number, part in enumerate(split(policy), 1):
            path = args.split_dir / f"{args.stack}-deployer-{number}.json"
            path.write_text(json.dumps(part, indent=2) + "\n")
            print(f"{path} ({policy_size(part)} characters)")
        return 0
    text = json.dumps(policy, indent=2) + "\n"
    size = policy_size(policy)
    if size > MANAGED_POLICY_LIMIT:
        print(
            f"note: {size} characters, above the {MANAGED_POLICY_LIMIT} of one managed policy: attach it as"
            " several (--split-dir)",
            file=sys.stderr,
        )
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
