#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_flow_log
short_description: Manage a VPC flow log
version_added: 0.1.0
description:
  - Creates, updates the tags of, or deletes one flow log of a VPC, subnet or network interface.
  - A flow log is identified by the resource it watches and its destination (CloudWatch Logs
    log group or S3 bucket ARN). Neither amazon.aws nor community.aws has a module for flow logs.
  - AWS cannot modify a flow log except its tags. When an immutable setting of the flow log
    differs (O(traffic_type), O(deliver_logs_permission_arn), O(max_aggregation_interval),
    O(log_format)), the module fails naming the settings that differ, before any change, unless
    O(allow_replacement=true), in which case it deletes that flow log and creates a new one in its place
    (RV(replaced)), never a second flow log beside it.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  state:
    description: Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
  resource_id:
    description: ID of the VPC, subnet or network interface whose traffic is logged.
    type: str
    required: true
  resource_type:
    description: Type of O(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description: Which traffic is logged.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description: Where the records go.
    type: str
    choices: [cloud-watch-logs, s3]
    default: cloud-watch-logs
  log_group_name:
    description:
      - Name of the CloudWatch Logs log group.
      - Required when O(log_destination_type=cloud-watch-logs).
    type: str
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that lets the flow-logs service publish to the log group.
      - Required when O(log_destination_type=cloud-watch-logs) and O(state=present).
    type: str
  log_destination:
    description:
      - ARN of the S3 bucket (optionally with a folder), when O(log_destination_type=s3).
    type: str
  max_aggregation_interval:
    description: Longest interval, in seconds, over which a flow record is aggregated.
    type: int
    choices: [60, 600]
    default: 600
  log_format:
    description:
      - Fields of a record and their order; omit for the AWS default format.
      - When omitted, the log format of an existing flow log is not compared.
    type: str
  allow_replacement:
    description:
      - Whether the module may delete the flow log and create a new one (with a new ID) when an
        immutable setting differs. Without it, such a difference fails the task, naming the settings.
      - Check mode and diff mode show the replacement (RV(replaced), C(diff)).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all traffic of a VPC to CloudWatch Logs
  ajudadigital.openwebui.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /openwebui-prod/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/openwebui-prod-vpc-flow-logs
    max_aggregation_interval: 60
    tags:
      Stack: openwebui-prod

- name: Log only rejected traffic from now on, replacing that flow log
  ajudadigital.openwebui.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    traffic_type: REJECT
    log_group_name: /openwebui-prod/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/openwebui-prod-vpc-flow-logs
    max_aggregation_interval: 60
    allow_replacement: true

- name: Remove that flow log
  ajudadigital.openwebui.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /openwebui-prod/vpc-flow-logs
    state: absent
"""

RETURN = r"""
flow_log_id:
  description: ID of the flow log (empty when absent, or created in check mode).
  returned: always
  type: str
  sample: fl-0123456789abcdef0
replaced:
  description:
    - Whether the flow log was (or in check mode would be) deleted and created again because an
      immutable setting differed (only with O(allow_replacement=true)).
  returned: always
  type: bool
  sample: false
replaced_settings:
  description: The immutable settings that differed, when RV(replaced) is true (else empty).
  returned: always
  type: list
  elements: str
  sample: [traffic_type]
flow_log:
  description: The flow log as EC2 describes it, in snake case (empty when absent).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      returned: when present
    resource_id:
      description: ID of the watched resource.
      type: str
      returned: when present
    traffic_type:
      description: Logged traffic.
      type: str
      returned: when present
    log_destination_type:
      description: C(cloud-watch-logs) or C(s3).
      type: str
      returned: when present
    log_group_name:
      description: Log group name (CloudWatch Logs destination).
      type: str
      returned: when present
    deliver_logs_permission_arn:
      description: IAM role used for delivery.
      type: str
      returned: when present
    max_aggregation_interval:
      description: Aggregation interval in seconds.
      type: int
      returned: when present
    tags:
      description: Tags of the flow log.
      type: dict
      returned: when present
  sample:
    flow_log_id: fl-0123456789abcdef0
    resource_id: vpc-0123456789abcdef0
    traffic_type: ALL
    log_destination_type: cloud-watch-logs
    log_group_name: /openwebui-prod/vpc-flow-logs
    max_aggregation_interval: 60
    tags:
      Stack: openwebui-prod
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import ensure_ec2_tags
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Settings AWS cannot change on an existing flow log: a difference means replace it.
IMMUTABLE = ("traffic_type", "deliver_logs_permission_arn", "max_aggregation_interval", "log_format")


def destination_of(params):
    """The destination that identifies a flow log, from the module's parameters."""
    if params["log_destination_type"] == "s3":
        return params["log_destination"]
    return params["log_group_name"]


def destination_of_flow_log(flow_log):
    """The destination of a flow log returned by DescribeFlowLogs."""
    if flow_log.get("LogDestinationType", "cloud-watch-logs") == "s3":
        return flow_log.get("LogDestination")
    return flow_log.get("LogGroupName")


def matches(flow_log, params):
    """Whether an existing flow log is the one the parameters identify (resource + destination)."""
    return (
        flow_log.get("ResourceId") == params["resource_id"]
        and flow_log.get("LogDestinationType", "cloud-watch-logs") == params["log_destination_type"]
        and destination_of_flow_log(flow_log) == destination_of(params)
    )


def immutable_differences(flow_log, params):
    """Names of the settings that differ and that only a replacement can change."""
    current = {
        "traffic_type": flow_log.get("TrafficType"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval", 600),
        "log_format": flow_log.get("LogFormat"),
    }
    diffs = []
    for name in IMMUTABLE:
        wanted = params.get(name)
        if wanted is None:
            continue
        if params["log_destination_type"] == "s3" and name == "deliver_logs_permission_arn":
            continue
        if current[name] != wanted:
            diffs.append(name)
    return diffs


def create_request(params, tags):
    """Keyword arguments of CreateFlowLogs."""
    request = {
        "ResourceIds": [params["resource_id"]],
        "ResourceType": params["resource_type"],
        "TrafficType": params["traffic_type"],
        "LogDestinationType": params["log_destination_type"],
        "MaxAggregationInterval": params["max_aggregation_interval"],
    }
    if params["log_destination_type"] == "s3":
        request["LogDestination"] = params["log_destination"]
    else:
        request["LogGroupName"] = params["log_group_name"]
        request["DeliverLogsPermissionArn"] = params["deliver_logs_permission_arn"]
    if params.get("log_format"):
        request["LogFormat"] = params["log_format"]
    if tags:
        request["TagSpecifications"] = [{"ResourceType": "vpc-flow-log", "Tags": ansible_dict_to_boto3_tag_list(tags)}]
    return request


def summary(flow_log):
    """The flow log in snake case with its tags as a dict (empty dict when absent)."""
    if not flow_log:
        return {}
    result = camel_dict_to_snake_dict(dict(flow_log), ignore_list=["Tags"])
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
    result.pop("creation_time", None)
    return result


def describe_flow_logs(client, **params):
    """DescribeFlowLogs, every page, retried."""
    return paginate(client, "describe_flow_logs", **params)["FlowLogs"]


def find_flow_logs(client, module, params):
    """The flow logs of the resource to the destination, the best match first: the one with
    no immutable difference, else the oldest."""
    try:
        flow_logs = describe_flow_logs(client, Filters=[{"Name": "resource-id", "Values": [params["resource_id"]]}])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe flow logs")
    found = [flow_log for flow_log in flow_logs if matches(flow_log, params)]
    return sorted(
        found, key=lambda f: (bool(immutable_differences(f, params)), str(f.get("CreationTime", "")), f["FlowLogId"])
    )


def find_flow_log(client, module, params):
    found = find_flow_logs(client, module, params)
    return found[0] if found else None


def delete_flow_log(client, module, flow_log_id):
    try:
        result = client.delete_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to delete flow log {0}".format(flow_log_id))
    if result.get("Unsuccessful"):
        module.fail_json(msg="Failed to delete flow log {0}".format(flow_log_id), unsuccessful=result["Unsuccessful"])


def create_flow_log(client, module, params, tags):
    try:
        result = client.create_flow_logs(aws_retry=True, **create_request(params, tags))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to create flow log")
    if result.get("Unsuccessful") or not result.get("FlowLogIds"):
        module.fail_json(msg="Failed to create flow log", unsuccessful=result.get("Unsuccessful"))
    return result["FlowLogIds"][0]


def wanted_view(params, tags, current=None):
    """What the flow log should look like, for diff mode."""
    view = {
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": params["log_destination_type"],
        "max_aggregation_interval": params["max_aggregation_interval"],
    }
    if params["log_destination_type"] == "s3":
        view["log_destination"] = params["log_destination"]
    else:
        view["log_group_name"] = params["log_group_name"]
        view["deliver_logs_permission_arn"] = params["deliver_logs_permission_arn"]
    if params.get("log_format"):
        view["log_format"] = params["log_format"]
    view["tags"] = tags if tags is not None else (current or {}).get("tags", {})
    return view


def ensure_present(client, module, params):
    tags = params["tags"]
    existing = find_flow_log(client, module, params)
    before = summary(existing)
    changed = False
    flow_log_id = existing["FlowLogId"] if existing else ""
    differences = immutable_differences(existing, params) if existing else []

    if differences and not params["allow_replacement"]:
        module.fail_json(
            msg=(
                "Flow log {0} of {1} differs in settings AWS cannot change: {2}; set allow_replacement=true "
                "to delete it and create a new one"
            ).format(flow_log_id, params["resource_id"], ", ".join(differences)),
            immutable_differences=differences,
        )
    if differences:
        changed = True
        if not module.check_mode:
            delete_flow_log(client, module, flow_log_id)
        existing = None
        flow_log_id = ""
        if tags is None:
            tags = before.get("tags")

    if existing is None:
        changed = True
        if not module.check_mode:
            flow_log_id = create_flow_log(client, module, params, tags)
    elif tags is not None:
        changed |= ensure_ec2_tags(client, module, flow_log_id, tags=tags, purge_tags=params["purge_tags"])

    after_flow_log = find_flow_log(client, module, params) if changed and not module.check_mode else existing
    after = summary(after_flow_log) if not module.check_mode else wanted_view(params, tags, before)
    result = dict(
        changed=changed,
        flow_log_id=flow_log_id,
        flow_log=summary(after_flow_log),
        replaced=bool(differences),
        replaced_settings=differences,
    )
    if module._diff:
        result["diff"] = dict(before=before, after=after if changed else before)
    module.exit_json(**result)


def ensure_absent(client, module, params):
    found = find_flow_logs(client, module, params)
    if not found:
        module.exit_json(changed=False, flow_log_id="", flow_log={}, replaced=False, replaced_settings=[])
    existing = found[0]
    if not module.check_mode:
        # Every flow log of the resource to the destination is this module's (earlier releases
        # could leave one per traffic type).
        for flow_log in found:
            delete_flow_log(client, module, flow_log["FlowLogId"])
    result = dict(changed=True, flow_log_id=existing["FlowLogId"], flow_log={}, replaced=False, replaced_settings=[])
    if module._diff:
        result["diff"] = dict(before=summary(existing), after={})
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", choices=["VPC", "Subnet", "NetworkInterface"], default="VPC"),
        traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
        log_destination_type=dict(type="str", choices=["cloud-watch-logs", "s3"], default="cloud-watch-logs"),
        log_group_name=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        log_destination=dict(type="str"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        log_format=dict(type="str"),
        allow_replacement=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    required_if = [
        ("log_destination_type", "cloud-watch-logs", ["log_group_name"]),
        ("log_destination_type", "s3", ["log_destination"]),
    ]
    module = AnsibleAWSModule(argument_spec=argument_spec, required_if=required_if, supports_check_mode=True)
    params = module.params
    if (
        params["state"] == "present"
        and params["log_destination_type"] == "cloud-watch-logs"
        and not params["deliver_logs_permission_arn"]
    ):
        module.fail_json(msg="deliver_logs_permission_arn is required to deliver flow logs to CloudWatch Logs")

    client = aws_client(module, "ec2", retry_decorator=AWSRetry.jittered_backoff())
    if params["state"] == "present":
        ensure_present(client, module, params)
    else:
        ensure_absent(client, module, params)


if __name__ == "__main__":
    main()
