#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_metric_alarms
short_description: Manage a set of CloudWatch metric alarms in one run
version_added: 0.2.0
description:
  - Creates, updates or deletes many Amazon CloudWatch metric alarms in one module run. It makes one
    C(DescribeAlarms) call for all of them, then one C(PutMetricAlarm) per alarm that is new or differs
    and one C(DeleteAlarms) for those to remove. An alarm that already matches is not written.
  - M(amazon.aws.cloudwatch_metric_alarm) manages one alarm per run (a loop of 13 alarms is 13
    module runs); this module is for a layer that owns a whole set of alarms.
  - Alarms are identified by name. Each alarm's settings are compared field by field with what
    CloudWatch holds (dimensions as a mapping, actions as sets, the threshold as a number); the
    diff shows each alarm that changes, before and after.
  - Metric math alarms (C(Metrics)) and composite alarms are not managed.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  alarms:
    description: The alarms, one entry each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the alarm (unique in the account and region).
        type: str
        required: true
      state:
        description: Whether the alarm should exist. V(absent) removes it when it exists.
        type: str
        choices: [present, absent]
        default: present
      description:
        description: Description of the alarm (shown in the notification).
        type: str
        default: ""
      namespace:
        description: Namespace of the metric. Required when O(alarms[].state=present).
        type: str
      metric_name:
        description: Name of the metric. Required when O(alarms[].state=present).
        type: str
      statistic:
        description: Statistic of the metric. Required when O(alarms[].state=present).
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
      comparison:
        description: How the statistic is compared with O(alarms[].threshold). Required when O(alarms[].state=present).
        type: str
        choices:
          - GreaterThanOrEqualToThreshold
          - GreaterThanThreshold
          - LessThanThreshold
          - LessThanOrEqualToThreshold
      threshold:
        description: The value the statistic is compared with. Required when O(alarms[].state=present).
        type: float
      period:
        description: Length of one period, in seconds (10, 30, or a multiple of 60).
        type: int
        default: 300
      evaluation_periods:
        description: Number of periods over which the statistic is compared.
        type: int
        default: 1
      datapoints_to_alarm:
        description:
          - Number of breaching data points (of O(alarms[].evaluation_periods)) that fire the alarm.
          - Unset means all of them.
        type: int
      dimensions:
        description: Dimensions of the metric, name to value.
        type: dict
        default: {}
      unit:
        description: Unit of the metric; unset matches any unit.
        type: str
      treat_missing_data:
        description: How missing data points count.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
      alarm_actions:
        description: ARNs notified when the alarm goes to ALARM.
        type: list
        elements: str
        default: []
      ok_actions:
        description: ARNs notified when the alarm goes back to OK.
        type: list
        elements: str
        default: []
      insufficient_data_actions:
        description: ARNs notified when the alarm goes to INSUFFICIENT_DATA.
        type: list
        elements: str
        default: []
      actions_enabled:
        description: Whether the actions run.
        type: bool
        default: true
  tags:
    description:
      - Tags of every alarm of O(alarms) that should exist.
      - With O(purge_tags=true), tags of an alarm not listed here are removed.
    type: dict
    default: {}
  purge_tags:
    description: Whether to remove an alarm's tags that are not in O(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The alarms of a stack, to its topic (one module run)
  ajudadigital.openwebui.cloudwatch_metric_alarms:
    tags:
      Stack: prod
    alarms:
      - name: prod-ecs-cpu-high
        description: The tasks use more than 80 % CPU
        namespace: AWS/ECS
        metric_name: CPUUtilization
        statistic: Average
        comparison: GreaterThanThreshold
        threshold: 80
        period: 300
        evaluation_periods: 2
        dimensions: {ClusterName: prod, ServiceName: open-webui}
        alarm_actions: [arn:aws:sns:eu-west-1:123456789012:prod-alarms]
      - name: prod-cache-cpu-high
        state: absent
"""

RETURN = r"""
alarms:
  description: The alarms that exist after the run (in the order of O(alarms)), as CloudWatch describes them.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the alarm.
      type: str
      sample: prod-ecs-cpu-high
    arn:
      description: ARN of the alarm (empty for an alarm created in check mode).
      type: str
      sample: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prod-ecs-cpu-high
    alarm_actions:
      description: ARNs notified when the alarm goes to ALARM.
      type: list
      elements: str
      sample: [arn:aws:sns:eu-west-1:123456789012:prod-alarms]
created:
  description: Names of the alarms created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [prod-ecs-cpu-high]
updated:
  description: Names of the existing alarms whose settings or tags were changed.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the alarms removed.
  returned: always
  type: list
  elements: str
  sample: [prod-cache-cpu-high]
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# DescribeAlarms takes at most 100 names per call, DeleteAlarms at most 100.
BATCH = 100
# The options an alarm that should exist must have.
REQUIRED_WHEN_PRESENT = ["namespace", "metric_name", "statistic", "comparison", "threshold"]

ALARM_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    description=dict(type="str", default=""),
    namespace=dict(type="str"),
    metric_name=dict(type="str"),
    statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
    comparison=dict(
        type="str",
        choices=[
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ],
    ),
    threshold=dict(type="float"),
    period=dict(type="int", default=300),
    evaluation_periods=dict(type="int", default=1),
    datapoints_to_alarm=dict(type="int"),
    dimensions=dict(type="dict", default={}),
    unit=dict(type="str"),
    treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"),
    alarm_actions=dict(type="list", elements="str", default=[]),
    ok_actions=dict(type="list", elements="str", default=[]),
    insufficient_data_actions=dict(type="list", elements="str", default=[]),
    actions_enabled=dict(type="bool", default=True),
)


def check_alarms(alarms):
    """An error message naming the option, or None."""
    seen = set()
    for index, alarm in enumerate(alarms):
        where = "alarms[{0}] ({1})".format(index, alarm["name"])
        if alarm["name"] in seen:
            return "{0}: the name appears more than once in alarms".format(where)
        seen.add(alarm["name"])
        if alarm["state"] != "present":
            continue
        missing = [key for key in REQUIRED_WHEN_PRESENT if alarm.get(key) is None]
        if missing:
            return "{0}: {1} required when state=present".format(where, ", ".join(missing))
        if alarm["period"] not in (10, 30) and (alarm["period"] < 60 or alarm["period"] % 60):
            return "{0}: period must be 10, 30 or a multiple of 60 seconds, got {1}".format(where, alarm["period"])
        if alarm["evaluation_periods"] < 1:
            return "{0}: evaluation_periods must be at least 1".format(where)
        datapoints = alarm.get("datapoints_to_alarm")
        if datapoints is not None and not 1 <= datapoints <= alarm["evaluation_periods"]:
            return "{0}: datapoints_to_alarm must be between 1 and evaluation_periods ({1})".format(
                where, alarm["evaluation_periods"]
            )
    return None


def desired_settings(alarm):
    """The settings of one alarm, in the shape compared with (and written to) CloudWatch."""
    settings = dict(
        AlarmName=alarm["name"],
        AlarmDescription=alarm["description"] or "",
        Namespace=alarm["namespace"],
        MetricName=alarm["metric_name"],
        Statistic=alarm["statistic"],
        ComparisonOperator=alarm["comparison"],
        Threshold=float(alarm["threshold"]),
        Period=alarm["period"],
        EvaluationPeriods=alarm["evaluation_periods"],
        Dimensions=dict((str(k), str(v)) for k, v in (alarm["dimensions"] or {}).items()),
        TreatMissingData=alarm["treat_missing_data"],
        AlarmActions=sorted(set(alarm["alarm_actions"])),
        OKActions=sorted(set(alarm["ok_actions"])),
        InsufficientDataActions=sorted(set(alarm["insufficient_data_actions"])),
        ActionsEnabled=alarm["actions_enabled"],
    )
    if alarm.get("datapoints_to_alarm") is not None:
        settings["DatapointsToAlarm"] = alarm["datapoints_to_alarm"]
    if alarm.get("unit"):
        settings["Unit"] = alarm["unit"]
    return settings


def current_settings(described):
    """The settings of an alarm as DescribeAlarms returns it, in the same shape as desired_settings."""
    settings = dict(
        AlarmName=described["AlarmName"],
        AlarmDescription=described.get("AlarmDescription") or "",
        Namespace=described.get("Namespace"),
        MetricName=described.get("MetricName"),
        Statistic=described.get("Statistic"),
        ComparisonOperator=described.get("ComparisonOperator"),
        Threshold=float(described["Threshold"]) if described.get("Threshold") is not None else None,
        Period=described.get("Period"),
        EvaluationPeriods=described.get("EvaluationPeriods"),
        Dimensions=dict((d["Name"], d["Value"]) for d in described.get("Dimensions") or []),
        TreatMissingData=described.get("TreatMissingData") or "missing",
        AlarmActions=sorted(set(described.get("AlarmActions") or [])),
        OKActions=sorted(set(described.get("OKActions") or [])),
        InsufficientDataActions=sorted(set(described.get("InsufficientDataActions") or [])),
        ActionsEnabled=described.get("ActionsEnabled", True),
    )
    if described.get("DatapointsToAlarm") is not None:
        settings["DatapointsToAlarm"] = described["DatapointsToAlarm"]
    if described.get("Unit"):
        settings["Unit"] = described["Unit"]
    return settings


def put_request(settings, tags):
    """PutMetricAlarm's parameters for the settings (and the tags, which count only on create)."""
    request = dict(settings)
    request["Dimensions"] = [dict(Name=k, Value=v) for k, v in sorted(settings["Dimensions"].items())]
    if tags:
        request["Tags"] = [dict(Key=k, Value=v) for k, v in sorted(tags.items())]
    return request


def tag_changes(current, desired, purge):
    """(tags to set, keys to remove) to go from the current tags to the desired ones."""
    to_set = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    return to_set, to_remove


def chunks(items):
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


class Alarms(object):
    def __init__(self, module):
        self.module = module
        self.client = aws_client(module, "cloudwatch", retry_decorator=AWSRetry.jittered_backoff())

    def describe(self, names):
        """Name -> the metric alarm as DescribeAlarms returns it, for those of names that exist."""
        found = {}
        for batch in chunks(sorted(names)):
            try:
                pages = paginate(self.client, "describe_alarms", AlarmNames=batch, AlarmTypes=["MetricAlarm"])
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to describe the alarms")
            for alarm in pages.get("MetricAlarms", []):
                found[alarm["AlarmName"]] = alarm
        return found

    def tags(self, arn):
        try:
            response = self.client.list_tags_for_resource(aws_retry=True, ResourceARN=arn)
        except is_boto3_error_code("ResourceNotFoundException"):
            return {}
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to list the tags of {0}".format(arn))
        return dict((t["Key"], t["Value"]) for t in response.get("Tags", []))

    def put(self, settings, tags):
        try:
            self.client.put_metric_alarm(aws_retry=True, **put_request(settings, tags))
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to put the alarm {0}".format(settings["AlarmName"]))

    def retag(self, arn, to_set, to_remove):
        try:
            if to_set:
                tags = [dict(Key=k, Value=v) for k, v in sorted(to_set.items())]
                self.client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=tags)
            if to_remove:
                self.client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=to_remove)
        except (BotoCoreError, ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to tag {0}".format(arn))

    def delete(self, names):
        for batch in chunks(sorted(names)):
            try:
                self.client.delete_alarms(aws_retry=True, AlarmNames=batch)
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to delete the alarms {0}".format(", ".join(batch)))


def plan(alarms, existing):
    """(to create, to update, to delete): names, from the desired alarms and the existing ones."""
    create, update, delete = [], [], []
    for alarm in alarms:
        name = alarm["name"]
        if alarm["state"] == "absent":
            if name in existing:
                delete.append(name)
        elif name not in existing:
            create.append(name)
        elif current_settings(existing[name]) != desired_settings(alarm):
            update.append(name)
    return create, update, delete


def summary(settings, arn):
    """What the module returns for one alarm."""
    return dict(
        name=settings["AlarmName"],
        arn=arn,
        description=settings["AlarmDescription"],
        namespace=settings["Namespace"],
        metric_name=settings["MetricName"],
        statistic=settings["Statistic"],
        comparison=settings["ComparisonOperator"],
        threshold=settings["Threshold"],
        period=settings["Period"],
        evaluation_periods=settings["EvaluationPeriods"],
        dimensions=settings["Dimensions"],
        treat_missing_data=settings["TreatMissingData"],
        alarm_actions=settings["AlarmActions"],
        ok_actions=settings["OKActions"],
        insufficient_data_actions=settings["InsufficientDataActions"],
        actions_enabled=settings["ActionsEnabled"],
    )


def main():
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", required=True, options=ALARM_OPTIONS),
        tags=dict(type="dict", default={}),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    alarms = module.params["alarms"]
    error = check_alarms(alarms)
    if error:
        module.fail_json(msg=error)
    tags = dict((str(k), str(v)) for k, v in module.params["tags"].items())

    api = Alarms(module)
    existing = api.describe([a["name"] for a in alarms])
    create, update, delete = plan(alarms, existing)

    # Tags: compared for every alarm that stays (a tag change alone is an update).
    retag, current_tags = {}, {}
    for alarm in alarms:
        name = alarm["name"]
        if alarm["state"] == "present" and name in existing:
            current_tags[name] = api.tags(existing[name]["AlarmArn"])
            changes = tag_changes(current_tags[name], tags, module.params["purge_tags"])
            if changes[0] or changes[1]:
                retag[name] = changes
    updated = [a["name"] for a in alarms if a["name"] in update or a["name"] in retag]

    if not module.check_mode:
        for alarm in alarms:
            name = alarm["name"]
            if name in create or name in update:
                api.put(desired_settings(alarm), tags if name in create else None)
            if name in retag:
                api.retag(existing[name]["AlarmArn"], *retag[name])
        if delete:
            api.delete(delete)

    after = api.describe([a["name"] for a in alarms if a["state"] == "present"]) if not module.check_mode else {}
    result_alarms = []
    for alarm in alarms:
        if alarm["state"] != "present":
            continue
        name = alarm["name"]
        arn = (after.get(name) or existing.get(name) or {}).get("AlarmArn", "")
        result_alarms.append(summary(desired_settings(alarm), arn))

    result = dict(
        changed=bool(create or updated or delete),
        alarms=result_alarms,
        created=create,
        updated=updated,
        deleted=delete,
    )
    if module._diff:
        changing = set(create) | set(updated) | set(delete)
        before, after_diff = {}, {}
        for alarm in alarms:
            name = alarm["name"]
            if name not in changing:
                continue
            if name in existing:
                before[name] = summary(current_settings(existing[name]), existing[name]["AlarmArn"])
                before[name]["tags"] = current_tags.get(name, {})
            if alarm["state"] == "present":
                after_diff[name] = summary(desired_settings(alarm), existing.get(name, {}).get("AlarmArn", ""))
                kept = current_tags.get(name, {}) if not module.params["purge_tags"] else {}
                after_diff[name]["tags"] = dict(kept, **tags)
        result["diff"] = dict(before=before, after=after_diff)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
