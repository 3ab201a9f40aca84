#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stack_info
short_description: Find every ID the layers of a stack hand each other, in one run
version_added: 0.1.0
description:
  - Finds, in one module run, what the stack's layers make for each other - the account and
    partition, the VPC and its subnets by tier, security groups, KMS keys by alias, load balancers,
    target groups and secrets - so that a role that runs alone sees what a whole play sees.
  - The VPC and the subnets are found by the C(Stack) tag every resource of the stack carries (and
    the VPC's C(Name) tag, the subnets' C(Tier) tag); the other resources by the names given.
  - Read only. A name that does not exist, a key that is not C(Enabled) (pending deletion,
    disabled) and a secret scheduled for deletion are absent from the result, not an error.
  - Makes as few calls as it can - a service whose list of names is empty is not called at all,
    subnets and security groups are not looked up when the stack has no VPC, and every listing is
    paginated.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  stack:
    description:
      - The value of the C(Stack) tag of the stack's resources (the inventory's C(openwebui_stack_name)).
    type: str
    required: true
  vpc_name:
    description:
      - The C(Name) tag of the stack's VPC (the inventory's C(common_name_prefix)).
    type: str
    required: true
  kms_aliases:
    description:
      - KMS aliases to resolve, each starting with C(alias/).
    type: list
    elements: str
    default: []
  security_group_names:
    description:
      - Names of security groups in the stack's VPC that carry the stack's C(Stack) tag.
    type: list
    elements: str
    default: []
  load_balancer_names:
    description:
      - Names of Elastic Load Balancing v2 load balancers.
    type: list
    elements: str
    default: []
  target_group_names:
    description:
      - Names of Elastic Load Balancing v2 target groups.
    type: list
    elements: str
    default: []
  secret_names:
    description:
      - Names of Secrets Manager secrets. Their values are never read.
    type: list
    elements: str
    default: []
notes:
  - Load balancers, target groups, keys and secrets are found by name, which is unique in the
    account and region; their C(Stack) tag is not checked.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the stack's IDs once, at the start of the play
  ajudadigital.openwebui.stack_info:
    stack: "{{ openwebui_stack_name }}"
    vpc_name: "{{ common_name_prefix }}"
    kms_aliases: ["{{ common_kms_alias }}"]
    security_group_names:
      - "{{ common_name_prefix }}-alb"
      - "{{ common_name_prefix }}-app"
      - "{{ common_name_prefix }}-database"
    load_balancer_names: ["{{ common_name_prefix }}"]
    target_group_names: ["{{ common_name_prefix }}"]
    secret_names: ["{{ openwebui_stack_name }}/webui-secret-key"]
  register: stack

- name: Use what it found
  ansible.builtin.debug:
    msg: >-
      VPC {{ stack.vpc.id | default('(none)') }}, private subnets {{ stack.subnets.private }},
      key {{ stack.kms_keys[common_kms_alias] | default('(none)') }}
"""

RETURN = r"""
account_id:
  description: The account of the credentials in use.
  returned: always
  type: str
  sample: "123456789012"
partition:
  description: The partition of the credentials in use (C(aws), C(aws-cn), C(aws-us-gov)).
  returned: always
  type: str
  sample: aws
vpc:
  description:
    - The VPC tagged C(Stack=<stack>) and C(Name=<vpc_name>) that is C(pending) or C(available);
      an empty dict when there is none. More than one fails, listing their IDs.
  returned: always
  type: dict
  contains:
    id:
      description: The VPC's ID.
      type: str
      sample: vpc-0123456789abcdef0
    cidr_block:
      description: The VPC's primary IPv4 CIDR block.
      type: str
      sample: 10.40.0.0/16
subnets:
  description:
    - The IDs of the VPC's subnets tagged C(Stack=<stack>), by their C(Tier) tag, each list sorted
      by availability zone then ID. The three keys are always there (empty lists when there is no VPC).
  returned: always
  type: dict
  contains:
    public:
      description: The public subnets.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    private:
      description: The private subnets.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]
    database:
      description: The database subnets.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef4, subnet-0123456789abcdef5]
security_groups:
  description: Group ID by name, for the requested names found in the VPC with the stack's tag.
  returned: always
  type: dict
  sample:
    openwebui-prod-app: sg-0123456789abcdef0
kms_keys:
  description: Key ARN by alias, for the requested aliases whose key is C(Enabled).
  returned: always
  type: dict
  sample:
    alias/openwebui-prod: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
load_balancers:
  description: The requested load balancers that exist, by name.
  returned: always
  type: dict
  sample:
    openwebui-prod:
      arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/openwebui-prod/50dc6c495c0c9188
      dns_name: openwebui-prod-1234567890.eu-west-1.elb.amazonaws.com
      canonical_hosted_zone_id: Z32O12XQLNTSW2
      arn_suffix: app/openwebui-prod/50dc6c495c0c9188
      idle_timeout: 600
  contains:
    arn:
      description: The load balancer's ARN.
      type: str
    dns_name:
      description: Its DNS name.
      type: str
    canonical_hosted_zone_id:
      description: The Route 53 hosted zone of its DNS name (for alias records).
      type: str
    arn_suffix:
      description: The part of the ARN after C(loadbalancer/), what CloudWatch calls its C(LoadBalancer) dimension.
      type: str
    idle_timeout:
      description:
        - Its C(idle_timeout.timeout_seconds) attribute, in seconds; null for a type that has
          no such attribute (network and gateway load balancers).
      type: int
target_groups:
  description: The requested target groups that exist, by name.
  returned: always
  type: dict
  sample:
    openwebui-prod:
      arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/openwebui-prod/73e2d6bc24d8a067
      arn_suffix: targetgroup/openwebui-prod/73e2d6bc24d8a067
  contains:
    arn:
      description: The target group's ARN.
      type: str
    arn_suffix:
      description: The part of the ARN after its last C(:), what CloudWatch calls its C(TargetGroup) dimension.
      type: str
secrets:
  description: Secret ARN by name, for the requested secrets that exist and are not scheduled for deletion.
  returned: always
  type: dict
  sample:
    openwebui-prod/webui-secret-key: arn:aws:secretsmanager:eu-west-1:123456789012:secret:openwebui-prod/webui-AbCdEf
"""

import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

TIERS = ("public", "private", "database")
# Names per DescribeLoadBalancers / DescribeTargetGroups call: the API reference allows 20 ARNs
# a call and gives no figure for names; they are kept to the same.
MAX_ELB_NAMES = 20
# Elastic Load Balancing v2: up to 32 alphanumerics and hyphens, no hyphen at either end.
ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
# KMS: alias/ then up to 250 letters, digits and /_-
KMS_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
# Secrets Manager: up to 512 of letters, digits and /_+=.@-
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# EC2 security group names: up to 255 characters.
MAX_GROUP_NAME = 255
LIST_OPTIONS = ("kms_aliases", "security_group_names", "load_balancer_names", "target_group_names", "secret_names")


def validate(params):
    """An error message naming the first bad option, or None."""
    for option in ("stack", "vpc_name"):
        if not params[option] or not params[option].strip():
            return "{0} must be a non-empty string".format(option)
    for option in LIST_OPTIONS:
        for index, value in enumerate(params[option]):
            if not value or not value.strip():
                return "{0}[{1}] must be a non-empty string".format(option, index)
    for index, alias in enumerate(params["kms_aliases"]):
        if not KMS_ALIAS.match(alias):
            return "kms_aliases[{0}] must be alias/<name> (letters, digits, /_-), got {1!r}".format(index, alias)
    for option in ("load_balancer_names", "target_group_names"):
        for index, name in enumerate(params[option]):
            if not ELB_NAME.match(name) or name.startswith("internal-"):
                return (
                    "{0}[{1}] must be 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen"
                    " nor starting with internal-, got {2!r}".format(option, index, name)
                )
    for index, name in enumerate(params["secret_names"]):
        if not SECRET_NAME.match(name):
            return "secret_names[{0}] must be 1 to 512 letters, digits and /_+=.@-, got {1!r}".format(index, name)
    for index, name in enumerate(params["security_group_names"]):
        if len(name) > MAX_GROUP_NAME:
            return "security_group_names[{0}] must be at most {1} characters".format(index, MAX_GROUP_NAME)
    return None


def unique(values):
    """``values`` without repeats, in their order."""
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def chunks(values, size):
    return [values[i : i + size] for i in range(0, len(values), size)]


def find_account(module):
    client = module.client("sts", retry_decorator=AWSRetry.jittered_backoff())
    try:
        identity = client.get_caller_identity(aws_retry=True)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to find the account of the credentials")
    return identity["Account"], identity["Arn"].split(":")[1]


def find_vpc(module, ec2, stack, vpc_name):
    filters = [
        dict(Name="tag:Stack", Values=[stack]),
        dict(Name="tag:Name", Values=[vpc_name]),
        dict(Name="state", Values=["pending", "available"]),
    ]
    try:
        vpcs = paginate(ec2, "describe_vpcs", Filters=filters).get("Vpcs", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to find the VPC of stack {0}".format(stack))
    if len(vpcs) > 1:
        module.fail_json(
            msg="vpc_name: more than one VPC is tagged Stack={0} and Name={1}: {2}".format(
                stack, vpc_name, ", ".join(sorted(v["VpcId"] for v in vpcs))
            )
        )
    if not vpcs:
        return {}
    return dict(id=vpcs[0]["VpcId"], cidr_block=vpcs[0]["CidrBlock"])


def find_subnets(module, ec2, stack, vpc_id):
    filters = [dict(Name="vpc-id", Values=[vpc_id]), dict(Name="tag:Stack", Values=[stack])]
    try:
        found = paginate(ec2, "describe_subnets", Filters=filters).get("Subnets", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to find the subnets of VPC {0}".format(vpc_id))
    by_tier = dict((tier, []) for tier in TIERS)
    for subnet in sorted(found, key=lambda s: (s["AvailabilityZone"], s["SubnetId"])):
        tier = boto3_tag_list_to_ansible_dict(subnet.get("Tags", [])).get("Tier")
        if tier in by_tier:
            by_tier[tier].append(subnet["SubnetId"])
    return by_tier


def find_security_groups(module, ec2, stack, vpc_id, names):
    filters = [
        dict(Name="vpc-id", Values=[vpc_id]),
        dict(Name="tag:Stack", Values=[stack]),
        dict(Name="group-name", Values=names),
    ]
    try:
        found = paginate(ec2, "describe_security_groups", Filters=filters).get("SecurityGroups", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to find the security groups of VPC {0}".format(vpc_id))
    return dict((g["GroupName"], g["GroupId"]) for g in found)


def find_kms_keys(module, names):
    client = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
    keys = {}
    for alias in names:
        try:
            key = client.describe_key(KeyId=alias, aws_retry=True)["KeyMetadata"]
        except is_boto3_error_code("NotFoundException"):
            continue
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to describe the KMS key of {0}".format(alias))
        if key.get("KeyState") == "Enabled":
            keys[alias] = key["Arn"]
    return keys


def describe_by_names(module, client, operation, result_key, not_found, names):
    """Every one of ``names`` that exists, in as few calls as the API allows: a missing name fails
    a call of several names, so such a call is made again one name at a time."""
    found = []
    for chunk in chunks(names, MAX_ELB_NAMES):
        try:
            found.extend(paginate(client, operation, Names=chunk).get(result_key, []))
            continue
        except is_boto3_error_code(not_found):
            if len(chunk) == 1:
                continue
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to describe {0}".format(", ".join(chunk)))
        for name in chunk:
            try:
                found.extend(paginate(client, operation, Names=[name]).get(result_key, []))
            except is_boto3_error_code(not_found):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                module.fail_json_aws(e, msg="Failed to describe {0}".format(name))
    return found


def find_load_balancers(module, elbv2, names):
    found = describe_by_names(module, elbv2, "describe_load_balancers", "LoadBalancers", "LoadBalancerNotFound", names)
    balancers = {}
    for lb in found:
        try:
            attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], aws_retry=True)
        except is_boto3_error_code("LoadBalancerNotFound"):
            continue  # deleted meanwhile
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to read the attributes of {0}".format(lb["LoadBalancerName"]))
        values = dict((a["Key"], a.get("Value")) for a in attributes.get("Attributes", []))
        idle = values.get("idle_timeout.timeout_seconds")
        balancers[lb["LoadBalancerName"]] = dict(
            arn=lb["LoadBalancerArn"],
            dns_name=lb.get("DNSName", ""),
            canonical_hosted_zone_id=lb.get("CanonicalHostedZoneId", ""),
            arn_suffix=lb["LoadBalancerArn"].split(":loadbalancer/", 1)[-1],
            idle_timeout=int(idle) if idle not in (None, "") else None,
        )
    return balancers


def find_target_groups(module, elbv2, names):
    found = describe_by_names(module, elbv2, "describe_target_groups", "TargetGroups", "TargetGroupNotFound", names)
    return dict(
        (tg["TargetGroupName"], dict(arn=tg["TargetGroupArn"], arn_suffix=tg["TargetGroupArn"].rsplit(":", 1)[-1]))
        for tg in found
    )


def find_secrets(module, names):
    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    secrets = {}
    for name in names:
        try:
            secret = client.describe_secret(SecretId=name, aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            continue
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to describe the secret {0}".format(name))
        if not secret.get("DeletedDate"):
            secrets[name] = secret["ARN"]
    return secrets


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        vpc_name=dict(type="str", required=True),
        kms_aliases=dict(type="list", elements="str", default=[]),
        security_group_names=dict(type="list", elements="str", default=[]),
        load_balancer_names=dict(type="list", elements="str", default=[]),
        target_group_names=dict(type="list", elements="str", default=[]),
        secret_names=dict(type="list", elements="str", default=[], no_log=False),  # names, not values
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate(params)
    if error:
        module.fail_json(msg=error)
    names = dict((option, unique(params[option])) for option in LIST_OPTIONS)

    account_id, partition = find_account(module)
    ec2 = module.client("ec2")
    vpc = find_vpc(module, ec2, params["stack"], params["vpc_name"])
    subnets = dict((tier, []) for tier in TIERS)
    security_groups = {}
    if vpc:
        subnets = find_subnets(module, ec2, params["stack"], vpc["id"])
        if names["security_group_names"]:
            security_groups = find_security_groups(
                module, ec2, params["stack"], vpc["id"], names["security_group_names"]
            )
    kms_keys = find_kms_keys(module, names["kms_aliases"]) if names["kms_aliases"] else {}
    load_balancers, target_groups = {}, {}
    if names["load_balancer_names"] or names["target_group_names"]:
        elbv2 = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
        if names["load_balancer_names"]:
            load_balancers = find_load_balancers(module, elbv2, names["load_balancer_names"])
        if names["target_group_names"]:
            target_groups = find_target_groups(module, elbv2, names["target_group_names"])
    secrets = find_secrets(module, names["secret_names"]) if names["secret_names"] else {}

    module.exit_json(
        changed=False,
        account_id=account_id,
        partition=partition,
        vpc=vpc,
        subnets=subnets,
        security_groups=security_groups,
        kms_keys=kms_keys,
        load_balancers=load_balancers,
        target_groups=target_groups,
        secrets=secrets,
    )


if __name__ == "__main__":
    main()
