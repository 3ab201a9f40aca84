#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cognito_user_pool_group
short_description: Manage a group of an Amazon Cognito user pool
version_added: 0.1.0
description:
  - Creates, updates or deletes a group of a Cognito user pool.
  - The groups a user belongs to reach applications in the C(cognito:groups) claim of the
    tokens; Open WebUI maps them to its roles (E(OAUTH_ROLES_CLAIM=cognito:groups),
    E(OAUTH_ADMIN_ROLES), E(OAUTH_ALLOWED_ROLES)).
  - Deleting a group removes its members from it; the users themselves stay.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  name:
    description: Name of the group (case sensitive, as it appears in C(cognito:groups)).
    type: str
    required: true
  description:
    description: Description of the group; not managed when not given.
    type: str
  precedence:
    description:
      - Precedence of the group (0 or more; lower wins) when a user is in several groups
        with IAM roles; not managed when not given.
    type: int
  role_arn:
    description: ARN of the IAM role of the group's members (identity pools); not managed when not given.
    type: str
  state:
    description: Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ajudadigital.openwebui.cognito_user_pool_ref
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Check mode reports what would change and changes nothing; diff mode shows the group
    before and after.
"""

EXAMPLES = r"""
- name: The groups Open WebUI maps to its roles
  ajudadigital.openwebui.cognito_user_pool_group:
    user_pool_name: openwebui-prod-users
    name: "{{ item.name }}"
    description: "{{ item.description }}"
    precedence: "{{ item.precedence }}"
  loop:
    - {name: Admins, description: Open WebUI administrators, precedence: 0}
    - {name: Users, description: Open WebUI users, precedence: 10}
"""

RETURN = r"""
group:
  description: The group as C(GetGroup) returns it, in snake case (empty when absent, or created in check mode).
  returned: always
  type: dict
  contains:
    group_name:
      description: Name of the group.
      type: str
      returned: when present
    user_pool_id:
      description: ID of the user pool.
      type: str
      returned: when present
    description:
      description: Description.
      type: str
      returned: when present
    precedence:
      description: Precedence.
      type: int
      returned: when present
    role_arn:
      description: IAM role ARN.
      type: str
      returned: when present and set
  sample:
    group_name: Admins
    user_pool_id: us-east-1_AbCdEfGhI
    description: Open WebUI administrators
    precedence: 0
user_pool_id:
  description: ID of the user pool (empty when it does not exist).
  returned: always
  type: str
  sample: us-east-1_AbCdEfGhI
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import exit_with_diff
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import pool_module
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import changed_keys
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import merge_view
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import missing_pool
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import resolve_user_pool_id
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import without_none

FIELDS = (("description", "Description"), ("precedence", "Precedence"), ("role_arn", "RoleArn"))


def current_view(group):
    view = {"name": group.get("GroupName")}
    for option, aws in FIELDS:
        view[option] = group.get(aws)
    return view


def wanted_view(params):
    view = {"name": params["name"]}
    for option, _aws in FIELDS:
        view[option] = params.get(option)
    return view


def group_request(pool_id, params, current=None):
    """Keyword arguments of CreateGroup / UpdateGroup: current values (if any) with the wanted ones over them."""
    request = dict(UserPoolId=pool_id, GroupName=params["name"])
    for option, aws in FIELDS:
        value = params.get(option)
        if value is None and current:
            value = current.get(aws)
        if value is not None:
            request[aws] = value
    return request


def get_group(conn, module, pool_id, name):
    try:
        return conn.get_group(aws_retry=True, UserPoolId=pool_id, GroupName=name)["Group"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to get group {0} of user pool {1}".format(name, pool_id))


def summary(group):
    if not group:
        return {}
    result = camel_dict_to_snake_dict(dict(group))
    result.pop("creation_date", None)
    result.pop("last_modified_date", None)
    return result


def exit_with(module, changed, pool_id, group, before, after):
    exit_with_diff(module, before, after, changed=changed, group=summary(group), user_pool_id=pool_id or "")


def ensure_present(conn, module, params, pool_id):
    group = get_group(conn, module, pool_id, params["name"])
    wanted = wanted_view(params)
    if group is None:
        after = without_none(wanted)
        if module.check_mode:
            exit_with(module, True, pool_id, None, {}, after)
        try:
            group = conn.create_group(aws_retry=True, **group_request(pool_id, params))["Group"]
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to create group {0}".format(params["name"]))
        exit_with(module, True, pool_id, group, {}, after)

    before = without_none(current_view(group))
    changes = changed_keys(before, wanted)
    if not changes:
        exit_with(module, False, pool_id, group, before, before)
    after = merge_view(before, wanted)
    if module.check_mode:
        exit_with(module, True, pool_id, group, before, after)
    try:
        group = conn.update_group(aws_retry=True, **group_request(pool_id, params, group))["Group"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to update group {0}".format(params["name"]))
    exit_with(module, True, pool_id, group, before, after)


def ensure_absent(conn, module, params, pool_id):
    group = get_group(conn, module, pool_id, params["name"]) if pool_id else None
    if group is None:
        exit_with(module, False, pool_id, None, {}, {})
    if not module.check_mode:
        try:
            conn.delete_group(aws_retry=True, UserPoolId=pool_id, GroupName=params["name"])
        except is_boto3_error_code("ResourceNotFoundException"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to delete group {0}".format(params["name"]))
    exit_with(module, True, pool_id, None, without_none(current_view(group)), {})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        precedence=dict(type="int"),
        role_arn=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = pool_module(argument_spec)
    if module.params.get("precedence") is not None and module.params["precedence"] < 0:
        module.fail_json(msg="precedence must be 0 or more, got {0}".format(module.params["precedence"]))

    conn = aws_client(module, "cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
    pool_id = resolve_user_pool_id(conn, module)
    if module.params["state"] == "present":
        if pool_id is None:
            missing_pool(module, group={}, user_pool_id="")
        ensure_present(conn, module, module.params, pool_id)
    else:
        ensure_absent(conn, module, module.params, pool_id)


if __name__ == "__main__":
    main()
