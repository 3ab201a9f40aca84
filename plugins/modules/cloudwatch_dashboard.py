#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
short_description: Manage a CloudWatch dashboard
version_added: 0.1.0
description:
  - Creates, replaces the body of, or deletes one Amazon CloudWatch dashboard. Neither
    amazon.aws nor community.aws has a module for dashboards.
  - The dashboard is identified by its name. Dashboards are global to the account (not regional);
    O(region) still selects the API endpoint.
  - The body is compared as parsed JSON, so a different key order or spacing is no change.
  - CloudWatch dashboards carry no tags.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  state:
    description: Whether the dashboard should exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the dashboard (up to 255 letters, digits, C(-) and C(_)).
    type: str
    required: true
    aliases: [dashboard_name]
  body:
    description:
      - The dashboard body, a JSON object with a C(widgets) list, as a dict or a JSON string
        (see the CloudWatch Dashboard Body Structure and Syntax).
      - Required when O(state=present).
    type: json
    aliases: [dashboard_body]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dashboard of the stack, from a template
  ajudadigital.openwebui.cloudwatch_dashboard:
    name: openwebui-prod
    body: "{{ lookup('ansible.builtin.template', 'dashboard.json.j2') }}"

- name: A dashboard with one text widget, given as a dict
  ajudadigital.openwebui.cloudwatch_dashboard:
    name: openwebui-notes
    body:
      widgets:
        - type: text
          x: 0
          y: 0
          width: 24
          height: 2
          properties:
            markdown: "Managed by Ansible: changes made in the console are overwritten."

- name: Remove it
  ajudadigital.openwebui.cloudwatch_dashboard:
    name: openwebui-notes
    state: absent
"""

RETURN = r"""
dashboard_name:
  description: Name of the dashboard.
  returned: always
  type: str
  sample: openwebui-prod
dashboard_arn:
  description: ARN of the dashboard (empty when absent, or created in check mode).
  returned: always
  type: str
  sample: arn:aws:cloudwatch::123456789012:dashboard/openwebui-prod
dashboard_body:
  description: The dashboard body, parsed (empty dict when absent).
  returned: always
  type: dict
  sample:
    widgets:
      - type: metric
        x: 0
        y: 0
        width: 12
        height: 6
        properties:
          metrics: [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", "app/openwebui-prod/0123456789abcdef"]]
          stat: Sum
          period: 300
validation_messages:
  description: Warnings CloudWatch returned about the body (the dashboard was still saved).
  returned: when the body was written
  type: list
  elements: dict
  sample: []
"""

import json
import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# What CloudWatch answers for a dashboard that does not exist (GetDashboard).
NOT_FOUND = ["ResourceNotFound", "ResourceNotFoundException"]
# Names CloudWatch accepts for a dashboard.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def parse_body(body):
    """The body as a dict, or an error message naming the option."""
    if isinstance(body, dict):
        parsed = body
    else:
        try:
            parsed = json.loads(to_text(body))
        except (TypeError, ValueError) as e:
            return None, "body must be a JSON object: {0}".format(e)
    if not isinstance(parsed, dict):
        return None, "body must be a JSON object with a 'widgets' list, got {0}".format(type(parsed).__name__)
    if not isinstance(parsed.get("widgets"), list):
        return None, "body must have a 'widgets' list"
    return parsed, None


def canonical(body):
    """The body as CloudWatch should store it: compact JSON with sorted keys."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def get_dashboard(client, module, name):
    """The dashboard (name, ARN, parsed body), or None when it does not exist."""
    try:
        response = client.get_dashboard(aws_retry=True, DashboardName=name)
    except is_boto3_error_code(NOT_FOUND):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to get dashboard {0}".format(name))
    try:
        body = json.loads(response.get("DashboardBody") or "{}")
    except ValueError:
        body = {"unparsable": response.get("DashboardBody")}
    return dict(name=response.get("DashboardName", name), arn=response.get("DashboardArn", ""), body=body)


def put_dashboard(client, module, name, body):
    try:
        response = client.put_dashboard(aws_retry=True, DashboardName=name, DashboardBody=canonical(body))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to put dashboard {0}".format(name))
    return response.get("DashboardValidationMessages", [])


def delete_dashboard(client, module, name):
    try:
        client.delete_dashboards(aws_retry=True, DashboardNames=[name])
    except is_boto3_error_code(NOT_FOUND):
        pass
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete dashboard {0}".format(name))


def ensure_present(client, module, name, body):
    existing = get_dashboard(client, module, name)
    before = existing["body"] if existing else {}
    changed = existing is None or existing["body"] != body
    result = dict(changed=changed, dashboard_name=name, dashboard_arn=existing["arn"] if existing else "")
    if changed and not module.check_mode:
        messages = put_dashboard(client, module, name, body)
        result["validation_messages"] = [
            dict(data_path=m.get("DataPath"), message=m.get("Message")) for m in messages or []
        ]
        for message in result["validation_messages"]:
            module.warn("Dashboard {0}: {1} ({2})".format(name, message["message"], message["data_path"]))
        current = get_dashboard(client, module, name)
        if current:
            result["dashboard_arn"] = current["arn"]
    result["dashboard_body"] = body
    if module._diff:
        result["diff"] = dict(before=before, after=body)
    module.exit_json(**result)


def ensure_absent(client, module, name):
    existing = get_dashboard(client, module, name)
    if existing is None:
        module.exit_json(changed=False, dashboard_name=name, dashboard_arn="", dashboard_body={})
    if not module.check_mode:
        delete_dashboard(client, module, name)
    result = dict(changed=True, dashboard_name=name, dashboard_arn=existing["arn"], dashboard_body={})
    if module._diff:
        result["diff"] = dict(before=existing["body"], after={})
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        body=dict(type="json", aliases=["dashboard_body"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not NAME_PATTERN.match(name):
        module.fail_json(msg="name must be 1 to 255 letters, digits, '-' or '_', got {0!r}".format(name))
    body = None
    if module.params["state"] == "present":
        body, error = parse_body(module.params["body"])
        if error:
            module.fail_json(msg=error)

    client = aws_client(module, "cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["state"] == "present":
        ensure_present(client, module, name, body)
    else:
        ensure_absent(client, module, name)


if __name__ == "__main__":
    main()
