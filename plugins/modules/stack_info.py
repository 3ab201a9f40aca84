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
  - Also, on request, what the layers would otherwise each look up in a module run of their own - the
    region's availability zones, the stack's Elastic IPs, cache clusters, the image an ECS service runs
    and log groups.
  - The VPC, the subnets and the Elastic IPs are found by the C(Stack) tag every resource of the stack
    carries (and the VPC's C(Name) tag, the subnets' C(Tier) tag, the addresses' C(Name) tag); the
    other resources by the names given.
  - Read only. A name that does not exist, a key that is not C(Enabled) (pending deletion,
    disabled) and a secret scheduled for deletion are absent from the result, not an error.
  - Makes as few calls as it can - a service whose list of names is empty is not called at all,
    subnets and security groups are not looked up when the stack has no VPC, and every listing is
    paginated.
  - Makes its calls concurrently (a few at a time, from clients made before the first call); the
    result does not depend on the order in which they answer.
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
  availability_zones:
    description:
      - Whether to list the region's availability zones (C(available), of type C(availability-zone)).
    type: bool
    default: false
  elastic_ips:
    description:
      - Whether to list the Elastic IPs tagged with the stack's C(Stack) tag.
    type: bool
    default: false
  cache_cluster_ids:
    description:
      - IDs of ElastiCache clusters.
    type: list
    elements: str
    default: []
  ecs_cluster:
    description:
      - The ECS cluster of O(ecs_service_names).
      - Required when O(ecs_service_names) is not empty.
    type: str
  ecs_service_names:
    description:
      - Names of services of O(ecs_cluster) whose task definition and images to read.
    type: list
    elements: str
    default: []
  log_group_names:
    description:
      - Names of CloudWatch Logs log groups.
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
    availability_zones: true
    elastic_ips: true
    cache_cluster_ids: ["{{ common_name_prefix }}-redis"]
    ecs_cluster: "{{ common_name_prefix }}"
    ecs_service_names: [open-webui]
    log_group_names: ["/ecs/{{ common_name_prefix }}"]
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
subnet_zones:
  description: The availability zone of each subnet of RV(subnets), by subnet ID.
  returned: always
  type: dict
  sample:
    subnet-0123456789abcdef2: eu-west-1a
availability_zones:
  description:
    - The names of the region's C(available) zones of type C(availability-zone), sorted; an empty list
      unless O(availability_zones) is true.
  returned: always
  type: list
  elements: str
  sample: [eu-west-1a, eu-west-1b, eu-west-1c]
elastic_ips:
  description:
    - Allocation ID by C(Name) tag, for the Elastic IPs tagged C(Stack=<stack>) that have a C(Name) tag
      (the lowest allocation ID when more than one has the same name); empty unless O(elastic_ips) is true.
  returned: always
  type: dict
  sample:
    openwebui-prod-nat-eu-west-1a: eipalloc-0123456789abcdef0
cache_clusters:
  description: Status by cluster ID, for the requested ElastiCache clusters that exist (whatever their status).
  returned: always
  type: dict
  sample:
    openwebui-prod-redis: available
ecs_services:
  description: The requested ECS services that exist and are C(ACTIVE), by name.
  returned: always
  type: dict
  sample:
    open-webui:
      arn: arn:aws:ecs:eu-west-1:123456789012:service/openwebui-prod/open-webui
      task_definition: arn:aws:ecs:eu-west-1:123456789012:task-definition/openwebui-prod-open-webui:7
      images:
        open-webui: ghcr.io/open-webui/open-webui:v0.6.5
  contains:
    arn:
      description: The service's ARN.
      type: str
    task_definition:
      description: The ARN of the task definition the service runs (its primary deployment's).
      type: str
    images:
      description:
        - The image of each container of that task definition, by container name; empty when the task
          definition is gone.
      type: dict
log_groups:
  description: Log group ARN by name, for the requested log groups that exist.
  returned: always
  type: dict
  sample:
    /ecs/openwebui-prod: arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/openwebui-prod
"""

import re
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

TIERS = ("public", "private", "database")
# Calls in flight at once: the reads are independent and each mostly waits for its answer.
WORKERS = 8
# Names per DescribeLoadBalancers / DescribeTargetGroups call: the API reference allows 20 ARNs
# a call and gives no figure for names; they are kept to the same.
MAX_ELB_NAMES = 20
# Services per DescribeServices call.
MAX_ECS_SERVICES = 10
# Elastic Load Balancing v2: up to 32 alphanumerics and hyphens, no hyphen at either end.
ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
# KMS: alias/ then up to 250 letters, digits and /_-
KMS_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
# Secrets Manager: up to 512 of letters, digits and /_+=.@-
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# EC2 security group names: up to 255 characters.
MAX_GROUP_NAME = 255
LIST_OPTIONS = (
    "kms_aliases",
    "security_group_names",
    "load_balancer_names",
    "target_group_names",
    "secret_names",
    "cache_cluster_ids",
    "ecs_service_names",
    "log_group_names",
)


class Failure(Exception):
    """A read that failed: raised in a worker thread, reported by the main thread (one module
    result, the first failure in the order of the result's keys)."""

    def __init__(self, msg, error=None):
        super(Failure, self).__init__(msg)
        self.msg = msg
        self.error = error


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
    if params["ecs_service_names"] and not (params["ecs_cluster"] or "").strip():
        return "ecs_cluster must be a non-empty string when ecs_service_names is given"
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


def services_needed(params, names):
    """The AWS services the options ask about (a client is made for each, and only for them)."""
    needed = ["sts", "ec2"]
    for service, option in (
        ("kms", "kms_aliases"),
        ("secretsmanager", "secret_names"),
        ("elasticache", "cache_cluster_ids"),
        ("ecs", "ecs_service_names"),
        ("logs", "log_group_names"),
    ):
        if names[option]:
            needed.append(service)
    if names["load_balancer_names"] or names["target_group_names"]:
        needed.append("elbv2")
    return needed


def make_clients(module, services):
    """A client of each service, in this (the main) thread: clients are thread-safe, sessions
    are not. They share the process's botocore data loader (module_utils/aws.py), so the data
    files are read once for all of them."""
    return dict((service, aws_client(module, service, AWSRetry.jittered_backoff())) for service in services)


def find_account(sts):
    try:
        identity = sts.get_caller_identity(aws_retry=True)
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to find the account of the credentials", e) from e
    return identity["Account"], identity["Arn"].split(":")[1]


def find_vpc(ec2, stack, vpc_name):
    filters = [
        dict(Name="tag:Stack", Values=[stack]),
        dict(Name="tag:Name", Values=[vpc_name]),
        dict(Name="state", Values=["pending", "available"]),
    ]
    try:
        vpcs = paginate(ec2, "describe_vpcs", Filters=filters).get("Vpcs", [])
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to find the VPC of stack {0}".format(stack), e) from e
    if len(vpcs) > 1:
        raise Failure(
            "vpc_name: more than one VPC is tagged Stack={0} and Name={1}: {2}".format(
                stack, vpc_name, ", ".join(sorted(v["VpcId"] for v in vpcs))
            )
        )
    if not vpcs:
        return {}
    return dict(id=vpcs[0]["VpcId"], cidr_block=vpcs[0]["CidrBlock"])


def subnets_by_tier(found):
    """The IDs of ``found`` (DescribeSubnets' subnets) by their Tier tag, each list sorted by zone
    then ID, and the zone of each of them."""
    by_tier = dict((tier, []) for tier in TIERS)
    zones = {}
    for subnet in sorted(found, key=lambda s: (s["AvailabilityZone"], s["SubnetId"])):
        tier = boto3_tag_list_to_ansible_dict(subnet.get("Tags", [])).get("Tier")
        if tier in by_tier:
            by_tier[tier].append(subnet["SubnetId"])
            zones[subnet["SubnetId"]] = subnet["AvailabilityZone"]
    return by_tier, zones


def find_subnets(ec2, stack, vpc_id):
    filters = [dict(Name="vpc-id", Values=[vpc_id]), dict(Name="tag:Stack", Values=[stack])]
    try:
        found = paginate(ec2, "describe_subnets", Filters=filters).get("Subnets", [])
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to find the subnets of VPC {0}".format(vpc_id), e) from e
    return subnets_by_tier(found)


def find_security_groups(ec2, stack, vpc_id, names):
    filters = [
        dict(Name="vpc-id", Values=[vpc_id]),
        dict(Name="tag:Stack", Values=[stack]),
        dict(Name="group-name", Values=names),
    ]
    try:
        found = paginate(ec2, "describe_security_groups", Filters=filters).get("SecurityGroups", [])
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to find the security groups of VPC {0}".format(vpc_id), e) from e
    return dict((g["GroupName"], g["GroupId"]) for g in sorted(found, key=lambda g: (g["GroupName"], g["GroupId"])))


def find_kms_key(kms, alias):
    """The key's ARN when it is Enabled, else None."""
    try:
        key = kms.describe_key(KeyId=alias, aws_retry=True)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        raise Failure("Failed to describe the KMS key of {0}".format(alias), e) from e
    return key["Arn"] if key.get("KeyState") == "Enabled" else None


def describe_by_names(client, operation, result_key, not_found, names):
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
            raise Failure("Failed to describe {0}".format(", ".join(chunk)), e) from e
        for name in chunk:
            try:
                found.extend(paginate(client, operation, Names=[name]).get(result_key, []))
            except is_boto3_error_code(not_found):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                raise Failure("Failed to describe {0}".format(name), e) from e
    return found


def find_load_balancers(elbv2, names):
    found = describe_by_names(elbv2, "describe_load_balancers", "LoadBalancers", "LoadBalancerNotFound", names)
    balancers = {}
    for lb in found:
        try:
            attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], aws_retry=True)
        except is_boto3_error_code("LoadBalancerNotFound"):
            continue  # deleted meanwhile
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            raise Failure("Failed to read the attributes of {0}".format(lb["LoadBalancerName"]), e) from e
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


def find_target_groups(elbv2, names):
    found = describe_by_names(elbv2, "describe_target_groups", "TargetGroups", "TargetGroupNotFound", names)
    return dict(
        (tg["TargetGroupName"], dict(arn=tg["TargetGroupArn"], arn_suffix=tg["TargetGroupArn"].rsplit(":", 1)[-1]))
        for tg in found
    )


def find_secret(secretsmanager, name):
    """The secret's ARN unless it is missing or scheduled for deletion, else None."""
    try:
        secret = secretsmanager.describe_secret(SecretId=name, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        raise Failure("Failed to describe the secret {0}".format(name), e) from e
    return None if secret.get("DeletedDate") else secret["ARN"]


def find_zones(ec2):
    filters = [dict(Name="state", Values=["available"]), dict(Name="zone-type", Values=["availability-zone"])]
    try:
        zones = ec2.describe_availability_zones(Filters=filters, aws_retry=True).get("AvailabilityZones", [])
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to list the availability zones", e) from e
    return sorted(z["ZoneName"] for z in zones)


def addresses_by_name(addresses):
    """Allocation ID by Name tag (the lowest allocation ID of a name that more than one has)."""
    by_name = {}
    for address in sorted(addresses, key=lambda a: a.get("AllocationId", "")):
        name = boto3_tag_list_to_ansible_dict(address.get("Tags", [])).get("Name")
        if name and address.get("AllocationId") and name not in by_name:
            by_name[name] = address["AllocationId"]
    return dict(sorted(by_name.items()))


def find_elastic_ips(ec2, stack):
    try:
        found = ec2.describe_addresses(Filters=[dict(Name="tag:Stack", Values=[stack])], aws_retry=True)
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to find the Elastic IPs of stack {0}".format(stack), e) from e
    return addresses_by_name(found.get("Addresses", []))


def find_cache_cluster(elasticache, cluster_id):
    """The cluster's status, or None when there is no such cluster."""
    try:
        found = elasticache.describe_cache_clusters(CacheClusterId=cluster_id, aws_retry=True)
    except is_boto3_error_code("CacheClusterNotFound"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        raise Failure("Failed to describe the cache cluster {0}".format(cluster_id), e) from e
    clusters = found.get("CacheClusters", [])
    return clusters[0].get("CacheClusterStatus", "") if clusters else None


def find_ecs_services(ecs, cluster, names):
    """The ACTIVE services of ``names`` in ``cluster``: ARN, task definition and its images."""
    services = []
    for chunk in chunks(names, MAX_ECS_SERVICES):
        try:
            services.extend(ecs.describe_services(cluster=cluster, services=chunk, aws_retry=True).get("services", []))
        except is_boto3_error_code("ClusterNotFoundException"):
            return {}
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            message = "Failed to describe the services {0} of cluster {1}".format(", ".join(chunk), cluster)
            raise Failure(message, e) from e
    images = {}
    found = {}
    for service in services:
        if service.get("status") != "ACTIVE":
            continue
        arn = service.get("taskDefinition", "")
        if arn and arn not in images:
            images[arn] = task_definition_images(ecs, arn)
        found[service["serviceName"]] = dict(arn=service["serviceArn"], task_definition=arn, images=images.get(arn, {}))
    return dict((name, found[name]) for name in names if name in found)


def task_definition_images(ecs, arn):
    try:
        definition = ecs.describe_task_definition(taskDefinition=arn, aws_retry=True)["taskDefinition"]
    except is_boto3_error_code(["ClientException", "InvalidParameterException"]):
        return {}  # gone (deregistered and deleted)
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        raise Failure("Failed to describe the task definition {0}".format(arn), e) from e
    return dict((c["name"], c.get("image", "")) for c in definition.get("containerDefinitions", []))


def find_log_group(logs, name):
    """The log group's ARN, or None when there is no log group of that name."""
    try:
        found = paginate(logs, "describe_log_groups", logGroupNamePrefix=name).get("logGroups", [])
    except (BotoCoreError, ClientError) as e:
        raise Failure("Failed to describe the log group {0}".format(name), e) from e
    for group in found:
        if group.get("logGroupName") == name:
            return group.get("arn", "")
    return None


def present(futures):
    """Value by name from futures by name, in their order, leaving out the None values."""
    values = [(name, future.result()) for name, future in futures]
    return dict((name, value) for name, value in values if value is not None)


def discover(pool, clients, params, names):
    """Every read, submitted to ``pool`` as soon as what it needs is known; the result in a fixed
    shape and order, whatever the order in which the reads end."""
    stack = params["stack"]
    ec2 = clients["ec2"]
    account = pool.submit(find_account, clients["sts"])
    vpc_read = pool.submit(find_vpc, ec2, stack, params["vpc_name"])
    zones = pool.submit(find_zones, ec2) if params["availability_zones"] else None
    elastic_ips = pool.submit(find_elastic_ips, ec2, stack) if params["elastic_ips"] else None
    kms = [(a, pool.submit(find_kms_key, clients["kms"], a)) for a in names["kms_aliases"]]
    lbs = tgs = None
    if names["load_balancer_names"]:
        lbs = pool.submit(find_load_balancers, clients["elbv2"], names["load_balancer_names"])
    if names["target_group_names"]:
        tgs = pool.submit(find_target_groups, clients["elbv2"], names["target_group_names"])
    secrets = [(n, pool.submit(find_secret, clients["secretsmanager"], n)) for n in names["secret_names"]]
    caches = [(c, pool.submit(find_cache_cluster, clients["elasticache"], c)) for c in names["cache_cluster_ids"]]
    ecs = None
    if names["ecs_service_names"]:
        ecs = pool.submit(find_ecs_services, clients["ecs"], params["ecs_cluster"], names["ecs_service_names"])
    log_groups = [(n, pool.submit(find_log_group, clients["logs"], n)) for n in names["log_group_names"]]

    account_id, partition = account.result()
    vpc = vpc_read.result()
    subnets, subnet_zones, security_groups = dict((tier, []) for tier in TIERS), {}, {}
    if vpc:
        subnet_read = pool.submit(find_subnets, ec2, stack, vpc["id"])
        group_read = None
        if names["security_group_names"]:
            group_read = pool.submit(find_security_groups, ec2, stack, vpc["id"], names["security_group_names"])
        subnets, subnet_zones = subnet_read.result()
        security_groups = group_read.result() if group_read else {}
    return dict(
        account_id=account_id,
        partition=partition,
        vpc=vpc,
        subnets=subnets,
        security_groups=security_groups,
        kms_keys=present(kms),
        load_balancers=lbs.result() if lbs else {},
        target_groups=tgs.result() if tgs else {},
        secrets=present(secrets),
        subnet_zones=subnet_zones,
        availability_zones=zones.result() if zones else [],
        elastic_ips=elastic_ips.result() if elastic_ips else {},
        cache_clusters=present(caches),
        ecs_services=ecs.result() if ecs else {},
        log_groups=present(log_groups),
    )


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        vpc_name=dict(type="str", required=True),
        kms_aliases=dict(type="list", elements="str", default=[]),
        security_group_names=dict(type="list", elements="str", default=[]),
        load_balancer_names=dict(type="list", elements="str", default=[]),
        target_group_names=dict(type="list", elements="str", default=[]),
        secret_names=dict(type="list", elements="str", default=[], no_log=False),  # names, not values
        availability_zones=dict(type="bool", default=False),
        elastic_ips=dict(type="bool", default=False),
        cache_cluster_ids=dict(type="list", elements="str", default=[]),
        ecs_cluster=dict(type="str"),
        ecs_service_names=dict(type="list", elements="str", default=[]),
        log_group_names=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate(params)
    if error:
        module.fail_json(msg=error)
    names = dict((option, unique(params[option])) for option in LIST_OPTIONS)
    clients = make_clients(module, services_needed(params, names))

    pool = ThreadPoolExecutor(max_workers=WORKERS)
    try:
        result = discover(pool, clients, params, names)
    except Failure as failure:
        pool.shutdown(wait=True)
        if failure.error is None:
            module.fail_json(msg=failure.msg)
        module.fail_json_aws(failure.error, msg=failure.msg)
    pool.shutdown(wait=True)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
