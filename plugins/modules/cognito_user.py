#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cognito_user
short_description: Manage a user of an Amazon Cognito user pool, its groups and whether it may sign in
version_added: 0.1.0
description:
  - Creates a user in a Cognito user pool as an administrator does (C(AdminCreateUser)). Cognito
    makes a temporary password and e-mails an invitation with it (unless O(send_invitation=false));
    the module never sees or returns a password.
  - Keeps the user's e-mail address (verified), its group memberships and whether it is enabled;
    O(enabled=false) disables the user (it can no longer sign in), the way to take someone's access away.
  - O(state=absent) deletes the user.
  - Check mode and diff mode.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  user_pool_id:
    description: ID of the user pool. Exactly one of O(user_pool_id) and O(user_pool_name).
    type: str
  user_pool_name:
    description: Name of the user pool (it must match exactly one pool).
    type: str
  username:
    description:
      - The user's name. In a pool whose users sign in with their e-mail address
        (C(UsernameAttributes=[email])), the e-mail address.
    type: str
    required: true
  email:
    description:
      - The user's e-mail address, marked verified (an administrator vouches for it). Defaults to
        O(username) when that is an e-mail address. Not managed when neither is one.
    type: str
  groups:
    description:
      - Groups the user belongs to (they must exist). Not managed when omitted.
    type: list
    elements: str
  purge_groups:
    description: Remove the user from the groups not in O(groups).
    type: bool
    default: false
  enabled:
    description: Whether the user may sign in (V(false) disables it). Not managed when omitted.
    type: bool
  send_invitation:
    description:
      - When the user is created, let Cognito e-mail the invitation with a temporary password.
        V(false) suppresses it (an administrator then sets a password with C(AdminSetUserPassword)).
    type: bool
    default: true
  state:
    description: Whether the user should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The first administrator, invited by e-mail, in the Admins group
  ajudadigital.openwebui.cognito_user:
    user_pool_name: openwebui-prod-users
    username: alice@example.com
    groups: [Admins]

- name: Take someone's access away
  ajudadigital.openwebui.cognito_user:
    user_pool_name: openwebui-prod-users
    username: bob@example.com
    enabled: false
"""

RETURN = r"""
user:
  description: The user (empty when it does not exist, or before check mode would create it).
  returned: always
  type: dict
  contains:
    username:
      description: The user's name in the pool (a UUID in a pool whose users sign in with their e-mail).
      type: str
      sample: 0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f
    sub:
      description: The user's subject (C(sub) claim).
      type: str
      sample: 0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f
    email:
      description: The user's e-mail address.
      type: str
      sample: alice@example.com
    status:
      description: C(FORCE_CHANGE_PASSWORD) until the invited user has set a password, then C(CONFIRMED).
      type: str
      sample: FORCE_CHANGE_PASSWORD
    enabled:
      description: Whether the user may sign in.
      type: bool
      sample: true
    groups:
      description: The groups the user belongs to, sorted.
      type: list
      elements: str
      sample: [Admins]
user_pool_id:
  description: ID of the user pool.
  returned: always
  type: str
  sample: us-east-1_AbCdEfGhI
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import exit_with_diff
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import missing_pool
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import pool_module
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import resolve_user_pool_id


def wanted_email(params):
    """The e-mail address to keep: ``email``, else ``username`` when it is one, else None."""
    if params.get("email"):
        return params["email"]
    return params["username"] if "@" in params["username"] else None


def check_params(params):
    problems = []
    if not params["username"].strip():
        problems.append("username must not be empty")
    email = wanted_email(params)
    if email is not None and (email.count("@") != 1 or not all(email.split("@"))):
        problems.append("email must be an e-mail address, got {0!r}".format(email))
    if params.get("purge_groups") and params.get("groups") is None:
        problems.append("purge_groups needs groups (the groups to keep)")
    return problems


def attributes(user):
    return dict((a["Name"], a["Value"]) for a in user.get("UserAttributes") or user.get("Attributes") or [])


def view(user, groups):
    """What the module returns of a user."""
    if not user:
        return {}
    attrs = attributes(user)
    return dict(
        username=user.get("Username", ""),
        sub=attrs.get("sub", ""),
        email=attrs.get("email", ""),
        status=user.get("UserStatus", ""),
        enabled=bool(user.get("Enabled", True)),
        groups=sorted(groups),
    )


def plan(current, groups, params):
    """(what changes, the user's view after): ``current`` is the view of the existing user."""
    after = dict(current)
    email = wanted_email(params)
    if email is not None:
        after["email"] = email
    if params.get("enabled") is not None:
        after["enabled"] = params["enabled"]
    if params.get("groups") is not None:
        wanted = set(params["groups"])
        after["groups"] = sorted(wanted if params.get("purge_groups") else wanted | set(groups))
    changes = sorted(k for k in after if after[k] != current.get(k))
    return changes, after


class Users:
    def __init__(self, module, conn, pool_id):
        self.module = module
        self.conn = conn
        self.pool_id = pool_id

    def call(self, what, operation, **kwargs):
        try:
            return getattr(self.conn, operation)(aws_retry=True, UserPoolId=self.pool_id, **kwargs)
        except is_boto3_error_code("ResourceNotFoundException") as e:
            group = kwargs.get("GroupName")
            if group:
                self.module.fail_json(
                    msg="groups: the user pool {0} has no group {1} (create it first)".format(self.pool_id, group)
                )
            self.module.fail_json_aws(e, msg="Failed to {0}".format(what))
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to {0}".format(what))

    def get(self, username):
        try:
            return self.conn.admin_get_user(aws_retry=True, UserPoolId=self.pool_id, Username=username)
        except is_boto3_error_code("UserNotFoundException"):
            return None
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to get user {0}".format(username))

    def groups(self, username):
        names, token = [], None
        while True:
            page = self.call(
                "list the groups of {0}".format(username),
                "admin_list_groups_for_user",
                Username=username,
                **(dict(NextToken=token) if token else {}),
            )
            names.extend(g["GroupName"] for g in page.get("Groups", []))
            token = page.get("NextToken")
            if not token:
                return names

    def create(self, params):
        email = wanted_email(params)
        request = dict(Username=params["username"])
        if email:
            request["UserAttributes"] = [dict(Name="email", Value=email), dict(Name="email_verified", Value="true")]
            request["DesiredDeliveryMediums"] = ["EMAIL"]
        if not params["send_invitation"]:
            request["MessageAction"] = "SUPPRESS"
        return self.call("create user {0}".format(params["username"]), "admin_create_user", **request)["User"]

    def apply(self, username, current, after):
        if after.get("email") != current.get("email"):
            self.call(
                "update the e-mail address of {0}".format(username),
                "admin_update_user_attributes",
                Username=username,
                UserAttributes=[dict(Name="email", Value=after["email"]), dict(Name="email_verified", Value="true")],
            )
        if after.get("enabled") != current.get("enabled"):
            operation = "admin_enable_user" if after["enabled"] else "admin_disable_user"
            self.call("{0} {1}".format(operation.split("_")[1], username), operation, Username=username)
        for group in sorted(set(after.get("groups", [])) - set(current.get("groups", []))):
            self.call(
                "add {0} to {1}".format(username, group), "admin_add_user_to_group", Username=username, GroupName=group
            )
        for group in sorted(set(current.get("groups", [])) - set(after.get("groups", []))):
            self.call(
                "remove {0} from {1}".format(username, group),
                "admin_remove_user_from_group",
                Username=username,
                GroupName=group,
            )


def ensure_present(module, users, params):
    username = params["username"]
    user = users.get(username)
    if user is None:
        blank = dict(username="", sub="", email="", status="", enabled=True, groups=[])
        _changes, after = plan(blank, [], params)
        if module.check_mode:
            exit_with_diff(module, {}, after, changed=True, user={}, user_pool_id=users.pool_id)
        users.create(params)
        user = users.get(username)
        current = view(user, [])
        users.apply(username, current, dict(after, email=current["email"]))
        user = users.get(username)
        exit_with_diff(
            module, {}, after, changed=True, user=view(user, users.groups(username)), user_pool_id=users.pool_id
        )

    current = view(user, users.groups(username))
    changes, after = plan(current, current["groups"], params)
    if not changes:
        exit_with_diff(module, current, current, changed=False, user=current, user_pool_id=users.pool_id)
    if module.check_mode:
        exit_with_diff(module, current, after, changed=True, user=current, user_pool_id=users.pool_id)
    users.apply(username, current, after)
    user = users.get(username)
    exit_with_diff(
        module, current, after, changed=True, user=view(user, users.groups(username)), user_pool_id=users.pool_id
    )


def ensure_absent(module, users, params):
    username = params["username"]
    user = users.get(username) if users.pool_id else None
    if user is None:
        exit_with_diff(module, {}, {}, changed=False, user={}, user_pool_id=users.pool_id or "")
    before = view(user, users.groups(username))
    if not module.check_mode:
        try:
            users.conn.admin_delete_user(aws_retry=True, UserPoolId=users.pool_id, Username=username)
        except is_boto3_error_code("UserNotFoundException"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to delete user {0}".format(username))
    exit_with_diff(module, before, {}, changed=True, user={}, user_pool_id=users.pool_id)


def main():
    argument_spec = dict(
        username=dict(type="str", required=True),
        email=dict(type="str"),
        groups=dict(type="list", elements="str"),
        purge_groups=dict(type="bool", default=False),
        enabled=dict(type="bool"),
        send_invitation=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = pool_module(argument_spec)
    problems = check_params(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    conn = aws_client(module, "cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
    pool_id = resolve_user_pool_id(conn, module)
    users = Users(module, conn, pool_id)
    if module.params["state"] == "present":
        if pool_id is None:
            missing_pool(module, user={}, user_pool_id="")
        ensure_present(module, users, module.params)
    else:
        ensure_absent(module, users, module.params)


if __name__ == "__main__":
    main()
