#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cognito_user_pool
short_description: Manage an Amazon Cognito user pool
version_added: 0.1.0
description:
  - Creates, updates or deletes an Amazon Cognito user pool, identified by its name.
  - AWS does not keep user pool names unique, so the module finds the pool by listing every
    pool of the region (C(ListUserPools), all pages); it fails when two pools have the name.
  - Manages the password policy, MFA (software token, TOTP), e-mail auto-verification, the
    sign-in attributes, account recovery, deletion protection, admin-only sign-up, the
    schema's basic attributes and the tags.
  - C(UpdateUserPool) resets every setting it is not given to its default, so an update
    sends the pool's current settings with the managed ones laid over them; settings this
    module does not manage (Lambda triggers, e-mail and SMS configuration, messages) are kept.
  - Neither amazon.aws nor community.aws has a Cognito module.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  name:
    description: Name of the user pool.
    type: str
    required: true
  state:
    description:
      - Whether the user pool should exist.
      - With V(absent), the pool is deleted with its users, groups, app clients and domains
        (the domains are deleted first, which AWS requires). Its users are data and cannot be
        recovered.
    type: str
    choices: [present, absent]
    default: present
  password_policy:
    description:
      - Password policy of the pool's users.
      - The defaults of the suboptions apply when the option is not given.
    type: dict
    suboptions:
      minimum_length:
        description: Minimum password length (6 to 99).
        type: int
        default: 12
      require_uppercase:
        description: Require an upper-case letter.
        type: bool
        default: true
      require_lowercase:
        description: Require a lower-case letter.
        type: bool
        default: true
      require_numbers:
        description: Require a digit.
        type: bool
        default: true
      require_symbols:
        description: Require a symbol.
        type: bool
        default: true
      temporary_password_validity_days:
        description: Days a temporary password set by an administrator stays valid (0 to 365).
        type: int
        default: 7
  mfa:
    description:
      - Multi-factor authentication. V(OPTIONAL) and V(ON) use software tokens (TOTP apps);
        the module turns software-token MFA on with them.
    type: str
    choices: ['OFF', 'OPTIONAL', 'ON']
    default: 'OPTIONAL'
  auto_verified_attributes:
    description: Attributes Cognito verifies by sending a code.
    type: list
    elements: str
    choices: [email, phone_number]
    default: [email]
  username_attributes:
    description:
      - Attributes users sign in with instead of a user name.
      - Fixed when the pool is created; a difference on an existing pool fails the module
        (a pool that does not report the setting is left as it is).
    type: list
    elements: str
    choices: [email, phone_number]
    default: [email]
  username_case_sensitive:
    description:
      - Whether user names are case sensitive.
      - Fixed when the pool is created; a difference on an existing pool fails the module
        (a pool that does not report the setting is left as it is).
    type: bool
    default: false
  account_recovery:
    description: How users recover their account, most preferred first.
    type: list
    elements: str
    choices: [verified_email, verified_phone_number, admin_only]
    default: [verified_email]
  deletion_protection:
    description:
      - Whether AWS refuses to delete the pool. Turn it on in production.
    type: bool
    default: false
  allow_admin_create_user_only:
    description: Whether only administrators can create users (no self sign-up).
    type: bool
    default: false
  schema:
    description:
      - Attributes of the pool's users, applied when the pool is created.
      - On an existing pool, a missing custom attribute is added (AWS can only add custom
        attributes); any other difference (a missing standard attribute, a different
        O(schema[].required) or O(schema[].attribute_data_type)) fails the module, because
        AWS cannot change it.
      - Names that are not standard OIDC attributes are custom attributes (C(custom:<name>)).
    type: list
    elements: dict
    default: [{name: email, required: true, mutable: true}]
    suboptions:
      name:
        description: Name of the attribute, without the C(custom:) prefix.
        type: str
        required: true
      attribute_data_type:
        description: Type of the attribute.
        type: str
        choices: [String, Number, DateTime, Boolean]
        default: String
      required:
        description: Whether every user must have it.
        type: bool
        default: false
      mutable:
        description: Whether it can change after sign-up.
        type: bool
        default: true
  force:
    description:
      - With O(state=absent), turn deletion protection off before deleting the pool.
      - Without it, deleting a protected pool fails.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Check mode reports what would change and changes nothing; diff mode shows the managed
    settings before and after.
  - Tags are set through C(UpdateUserPool) (C(UserPoolTags)).
"""

EXAMPLES = r"""
- name: User pool of Open WebUI (strong passwords, optional TOTP, e-mail sign-in)
  ajudadigital.openwebui.cognito_user_pool:
    name: openwebui-prod-users
    password_policy:
      minimum_length: 14
    mfa: OPTIONAL
    deletion_protection: true
    tags:
      Stack: openwebui-prod
  register: pool

- name: Open WebUI reads the pool's OIDC discovery document
  ansible.builtin.debug:
    msg: "{{ pool.openid_configuration_url }}"

- name: Delete the pool and its users (turns deletion protection off first)
  ajudadigital.openwebui.cognito_user_pool:
    name: openwebui-dev-users
    state: absent
    force: true
"""

RETURN = r"""
user_pool_id:
  description: ID of the pool (empty when absent, or created in check mode).
  returned: always
  type: str
  sample: us-east-1_AbCdEfGhI
user_pool_arn:
  description: ARN of the pool (empty when absent, or created in check mode).
  returned: always
  type: str
  sample: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEfGhI
issuer_url:
  description: OIDC issuer of the pool, C(https://cognito-idp.<region>.amazonaws.com/<pool id>) (empty when absent).
  returned: always
  type: str
  sample: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI
openid_configuration_url:
  description: The pool's OIDC discovery document (empty when absent).
  returned: always
  type: str
  sample: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI/.well-known/openid-configuration
user_pool:
  description:
    - The pool as C(DescribeUserPool) returns it, in snake case, with RV(user_pool.mfa) and RV(user_pool.tags).
    - Empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the pool.
      type: str
      returned: when present
    name:
      description: Name of the pool.
      type: str
      returned: when present
    arn:
      description: ARN of the pool.
      type: str
      returned: when present
    policies:
      description: Password policy.
      type: dict
      returned: when present
    mfa:
      description: MFA setting as C(GetUserPoolMfaConfig) reports it (C(OFF), C(OPTIONAL), C(ON)).
      type: str
      returned: when present
    deletion_protection:
      description: C(ACTIVE) or C(INACTIVE).
      type: str
      returned: when present
    domain:
      description: Prefix domain of the pool, when it has one.
      type: str
      returned: when present
    tags:
      description: Tags of the pool.
      type: dict
      returned: when present
  sample:
    id: us-east-1_AbCdEfGhI
    name: openwebui-prod-users
    mfa: OPTIONAL
    deletion_protection: ACTIVE
    tags:
      Stack: openwebui-prod
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import changed_keys
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import describe_user_pool
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import exit_with_diff
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import find_user_pool_id
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import issuer_url
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import merge_view
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import openid_configuration_url
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import wanted_tags

# Settings AWS fixes when the pool is created.
IMMUTABLE = ("username_attributes", "username_case_sensitive")
# Lists whose order carries no meaning.
UNORDERED = ("auto_verified_attributes", "username_attributes")
# Standard OIDC attributes of every user pool; any other schema name is a custom attribute.
STANDARD_ATTRIBUTES = (
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "sub",
    "updated_at",
    "website",
    "zoneinfo",
)
# DescribeUserPool keys that UpdateUserPool takes back (it resets what it is not given).
CARRIED_OVER = (
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "AccountRecoverySetting",
    "UserPoolTier",
)
PASSWORD_POLICY_KEYS = (
    ("minimum_length", "MinimumLength"),
    ("require_uppercase", "RequireUppercase"),
    ("require_lowercase", "RequireLowercase"),
    ("require_numbers", "RequireNumbers"),
    ("require_symbols", "RequireSymbols"),
    ("temporary_password_validity_days", "TemporaryPasswordValidityDays"),
)


def current_view(pool, mfa_config):
    """The managed settings of an existing pool, in the shape of wanted_view()."""
    policy = pool.get("Policies", {}).get("PasswordPolicy", {})
    recovery = pool.get("AccountRecoverySetting", {}).get("RecoveryMechanisms", [])
    software_token = (mfa_config.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled", False)
    return {
        "name": pool.get("Name"),
        "password_policy": dict((key, policy.get(aws)) for key, aws in PASSWORD_POLICY_KEYS),
        "mfa": mfa_config.get("MfaConfiguration", "OFF"),
        "software_token_mfa": bool(software_token),
        "auto_verified_attributes": list(pool.get("AutoVerifiedAttributes", [])),
        # None: not reported (then not compared; the emulator forgets both on UpdateUserPool)
        "username_attributes": list(pool["UsernameAttributes"]) if "UsernameAttributes" in pool else None,
        "username_case_sensitive": (pool.get("UsernameConfiguration") or {}).get("CaseSensitive"),
        "account_recovery": [m["Name"] for m in sorted(recovery, key=lambda m: m.get("Priority", 0))],
        "deletion_protection": pool.get("DeletionProtection", "INACTIVE") == "ACTIVE",
        "allow_admin_create_user_only": (pool.get("AdminCreateUserConfig") or {}).get(
            "AllowAdminCreateUserOnly", False
        ),
        "tags": dict(pool.get("UserPoolTags") or {}),
    }


def wanted_view(params, current_tags=None):
    """The managed settings the parameters ask for (None: not managed)."""
    return {
        "name": params["name"],
        "password_policy": dict(params["password_policy"]),
        "mfa": params["mfa"],
        "software_token_mfa": True if params["mfa"] != "OFF" else None,
        "auto_verified_attributes": list(params["auto_verified_attributes"]),
        "username_attributes": list(params["username_attributes"]),
        "username_case_sensitive": params["username_case_sensitive"],
        "account_recovery": list(params["account_recovery"]),
        "deletion_protection": params["deletion_protection"],
        "allow_admin_create_user_only": params["allow_admin_create_user_only"],
        "tags": wanted_tags(current_tags, params.get("tags"), params.get("purge_tags", True)),
    }


def password_policy_request(policy, current=None):
    """The PasswordPolicy of a request: the current one (if any) with the wanted values over it."""
    request = dict(current or {})
    for key, aws in PASSWORD_POLICY_KEYS:
        if policy.get(key) is not None:
            request[aws] = policy[key]
    return request


def recovery_request(mechanisms):
    return {"RecoveryMechanisms": [{"Priority": i + 1, "Name": name} for i, name in enumerate(mechanisms)]}


def schema_attribute(attribute):
    """One entry of CreateUserPool's / AddCustomAttributes' Schema."""
    return {
        "Name": attribute["name"],
        "AttributeDataType": attribute.get("attribute_data_type") or "String",
        "Required": bool(attribute.get("required")),
        "Mutable": attribute.get("mutable", True) is not False,
    }


def attribute_name_in_pool(name):
    """The name AWS gives an attribute: custom ones carry the ``custom:`` prefix."""
    if name in STANDARD_ATTRIBUTES or name.startswith("custom:"):
        return name
    return "custom:" + name


def schema_plan(schema, pool):
    """(custom attributes to add, descriptions of differences AWS cannot change)."""
    existing = dict((a["Name"], a) for a in pool.get("SchemaAttributes", []))
    to_add, problems = [], []
    for attribute in schema or []:
        name = attribute_name_in_pool(attribute["name"])
        current = existing.get(name)
        if current is None:
            if name.startswith("custom:"):
                to_add.append(dict(schema_attribute(attribute), Name=name[len("custom:") :]))
            else:
                problems.append("standard attribute {0} is not in the pool".format(name))
            continue
        wanted = schema_attribute(attribute)
        for key in ("AttributeDataType", "Required"):
            if current.get(key) is not None and current.get(key) != wanted[key]:
                problems.append("{0} of attribute {1} is {2!r}, not {3!r}".format(key, name, current[key], wanted[key]))
    return to_add, problems


def argument_problem(params):
    """What is wrong with the parameters (beyond the argument spec), or None."""
    policy = params["password_policy"]
    if not 6 <= policy["minimum_length"] <= 99:
        return "password_policy.minimum_length must be 6 to 99, got {0}".format(policy["minimum_length"])
    if not 0 <= policy["temporary_password_validity_days"] <= 365:
        return "password_policy.temporary_password_validity_days must be 0 to 365, got {0}".format(
            policy["temporary_password_validity_days"]
        )
    recovery = params["account_recovery"]
    if not recovery or len(set(recovery)) != len(recovery):
        return "account_recovery must list one or more different mechanisms"
    if "admin_only" in recovery and len(recovery) > 1:
        return "account_recovery: admin_only cannot be combined with other mechanisms"
    return None


def create_request(params):
    """Keyword arguments of CreateUserPool (MFA is set afterwards, with SetUserPoolMfaConfig)."""
    request = {
        "PoolName": params["name"],
        "Policies": {"PasswordPolicy": password_policy_request(params["password_policy"])},
        "DeletionProtection": "ACTIVE" if params["deletion_protection"] else "INACTIVE",
        "AutoVerifiedAttributes": list(params["auto_verified_attributes"]),
        "UsernameConfiguration": {"CaseSensitive": params["username_case_sensitive"]},
        "AccountRecoverySetting": recovery_request(params["account_recovery"]),
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": params["allow_admin_create_user_only"]},
    }
    if params["username_attributes"]:
        request["UsernameAttributes"] = list(params["username_attributes"])
    if params.get("schema"):
        request["Schema"] = [
            dict(schema_attribute(a), Name=attribute_name_in_pool(a["name"]).replace("custom:", "", 1))
            for a in params["schema"]
        ]
    if params.get("tags"):
        request["UserPoolTags"] = dict((k, str(v)) for k, v in params["tags"].items())
    return request


def update_request(pool, params, tags):
    """Keyword arguments of UpdateUserPool: the pool's current settings with the wanted ones over them."""
    request = dict((key, pool[key]) for key in CARRIED_OVER if pool.get(key) is not None)
    if "VerificationMessageTemplate" not in request:
        for key in ("SmsVerificationMessage", "EmailVerificationMessage", "EmailVerificationSubject"):
            if pool.get(key) is not None:
                request[key] = pool[key]
    admin = dict(request.get("AdminCreateUserConfig") or {})
    # Deprecated; AWS refuses it next to PasswordPolicy.TemporaryPasswordValidityDays.
    admin.pop("UnusedAccountValidityDays", None)
    admin["AllowAdminCreateUserOnly"] = params["allow_admin_create_user_only"]
    current_policy = (pool.get("Policies") or {}).get("PasswordPolicy")
    request.update(
        UserPoolId=pool["Id"],
        Policies=dict(
            pool.get("Policies") or {},
            PasswordPolicy=password_policy_request(params["password_policy"], current_policy),
        ),
        DeletionProtection="ACTIVE" if params["deletion_protection"] else "INACTIVE",
        AutoVerifiedAttributes=list(params["auto_verified_attributes"]),
        AccountRecoverySetting=recovery_request(params["account_recovery"]),
        AdminCreateUserConfig=admin,
        MfaConfiguration=params["mfa"],
    )
    if tags is not None:
        request["UserPoolTags"] = tags
    return request


def mfa_request(pool_id, mfa):
    request = {"UserPoolId": pool_id, "MfaConfiguration": mfa}
    request["SoftwareTokenMfaConfiguration"] = {"Enabled": mfa != "OFF"}
    return request


def get_mfa_config(client, module, pool_id):
    try:
        return client.get_user_pool_mfa_config(aws_retry=True, UserPoolId=pool_id)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to get the MFA configuration of user pool {0}".format(pool_id))


def set_mfa(client, module, pool_id, mfa):
    try:
        client.set_user_pool_mfa_config(aws_retry=True, **mfa_request(pool_id, mfa))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to set the MFA configuration of user pool {0}".format(pool_id))


def summary(pool, mfa_config):
    """The pool for the module's return: snake case, tags as they are, MFA from its own API."""
    if not pool:
        return {}
    result = camel_dict_to_snake_dict(dict(pool), ignore_list=["UserPoolTags"])
    result["tags"] = result.pop("user_pool_tags", {}) or {}
    result["mfa"] = (mfa_config or {}).get("MfaConfiguration", pool.get("MfaConfiguration", "OFF"))
    result.pop("mfa_configuration", None)
    return result


def exit_with(module, changed, pool, mfa_config, before, after):
    pool_id = (pool or {}).get("Id", "")
    result = dict(
        changed=changed,
        user_pool_id=pool_id,
        user_pool_arn=(pool or {}).get("Arn", ""),
        issuer_url=issuer_url(module.region, pool_id) if pool_id else "",
        openid_configuration_url=openid_configuration_url(module.region, pool_id) if pool_id else "",
        user_pool=summary(pool, mfa_config),
    )
    exit_with_diff(module, before, after, **result)


def ensure_present(client, module, params):
    pool_id = find_user_pool_id(client, module, params["name"])
    pool = describe_user_pool(client, module, pool_id) if pool_id else None

    if pool is None:
        after = wanted_view(params, {})
        after["tags"] = after["tags"] or {}
        if module.check_mode:
            exit_with(module, True, None, None, {}, after)
        try:
            pool = client.create_user_pool(aws_retry=True, **create_request(params))["UserPool"]
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to create user pool {0}".format(params["name"]))
        if params["mfa"] != "OFF":
            set_mfa(client, module, pool["Id"], params["mfa"])
        pool = describe_user_pool(client, module, pool["Id"])
        exit_with(module, True, pool, get_mfa_config(client, module, pool["Id"]), {}, after)

    mfa_config = get_mfa_config(client, module, pool["Id"])
    before = current_view(pool, mfa_config)
    wanted = wanted_view(params, before["tags"])
    for key in IMMUTABLE:
        if before[key] is None:
            wanted[key] = None
    changes = changed_keys(before, wanted, UNORDERED, exact=("tags",))
    fixed = [key for key in changes if key in IMMUTABLE]
    if fixed:
        module.fail_json(
            msg="user pool {0}: {1} cannot change after the pool is created (it has {2}); "
            "create a new pool to change them".format(
                params["name"], " and ".join(fixed), ", ".join("{0}={1!r}".format(k, before[k]) for k in fixed)
            )
        )
    to_add, problems = schema_plan(params.get("schema"), pool)
    if problems:
        module.fail_json(
            msg="user pool {0}: the schema cannot change after the pool is created: {1}".format(
                params["name"], "; ".join(problems)
            )
        )
    if to_add:
        changes.append("schema")
    after = merge_view(before, wanted)
    if wanted["tags"] is not None:
        after["tags"] = wanted["tags"]
    if not changes:
        exit_with(module, False, pool, mfa_config, before, before)
    if module.check_mode:
        exit_with(module, True, pool, mfa_config, before, after)

    if "mfa" in changes or "software_token_mfa" in changes:
        set_mfa(client, module, pool["Id"], params["mfa"])
    if [key for key in changes if key not in ("mfa", "software_token_mfa", "schema")]:
        try:
            client.update_user_pool(aws_retry=True, **update_request(pool, params, after["tags"]))
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to update user pool {0}".format(params["name"]))
    if to_add:
        try:
            client.add_custom_attributes(aws_retry=True, UserPoolId=pool["Id"], CustomAttributes=to_add)
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to add custom attributes to user pool {0}".format(params["name"]))
    pool = describe_user_pool(client, module, pool["Id"])
    exit_with(module, True, pool, get_mfa_config(client, module, pool["Id"]), before, after)


def delete_domains(client, module, pool):
    """Delete the pool's prefix and custom domains (AWS refuses to delete a pool that has one)."""
    for domain in (pool.get("Domain"), pool.get("CustomDomain")):
        if not domain:
            continue
        try:
            client.delete_user_pool_domain(aws_retry=True, UserPoolId=pool["Id"], Domain=domain)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to delete domain {0} of user pool {1}".format(domain, pool["Id"]))


def ensure_absent(client, module, params):
    pool_id = find_user_pool_id(client, module, params["name"])
    pool = describe_user_pool(client, module, pool_id) if pool_id else None
    if pool is None:
        exit_with(module, False, None, None, {}, {})
    mfa_config = get_mfa_config(client, module, pool["Id"])
    before = current_view(pool, mfa_config)
    protected = pool.get("DeletionProtection") == "ACTIVE"
    if protected and not params["force"]:
        module.fail_json(
            msg="user pool {0} ({1}) has deletion protection on; set force=true to turn it off "
            "and delete the pool with its users".format(params["name"], pool["Id"])
        )
    if module.check_mode:
        exit_with(module, True, None, None, before, {})
    if protected:
        unprotected = dict(params, deletion_protection=False)
        current = current_view(pool, mfa_config)
        unprotected.update(
            password_policy=current["password_policy"],
            mfa=current["mfa"],
            auto_verified_attributes=current["auto_verified_attributes"],
            account_recovery=current["account_recovery"],
            allow_admin_create_user_only=current["allow_admin_create_user_only"],
        )
        try:
            client.update_user_pool(aws_retry=True, **update_request(pool, unprotected, current["tags"]))
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to turn off deletion protection of user pool {0}".format(pool["Id"]))
    delete_domains(client, module, pool)
    try:
        client.delete_user_pool(aws_retry=True, UserPoolId=pool["Id"])
    except is_boto3_error_code("ResourceNotFoundException"):
        pass
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete user pool {0}".format(pool["Id"]))
    exit_with(module, True, None, None, before, {})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        password_policy=dict(
            type="dict",
            apply_defaults=True,
            no_log=False,
            options=dict(
                minimum_length=dict(type="int", default=12),
                require_uppercase=dict(type="bool", default=True),
                require_lowercase=dict(type="bool", default=True),
                require_numbers=dict(type="bool", default=True),
                require_symbols=dict(type="bool", default=True),
                temporary_password_validity_days=dict(type="int", default=7, no_log=False),
            ),
        ),
        mfa=dict(type="str", choices=["OFF", "OPTIONAL", "ON"], default="OPTIONAL"),
        auto_verified_attributes=dict(
            type="list", elements="str", choices=["email", "phone_number"], default=["email"]
        ),
        username_attributes=dict(type="list", elements="str", choices=["email", "phone_number"], default=["email"]),
        username_case_sensitive=dict(type="bool", default=False),
        account_recovery=dict(
            type="list",
            elements="str",
            choices=["verified_email", "verified_phone_number", "admin_only"],
            default=["verified_email"],
        ),
        deletion_protection=dict(type="bool", default=False),
        allow_admin_create_user_only=dict(type="bool", default=False),
        schema=dict(
            type="list",
            elements="dict",
            default=[dict(name="email", required=True, mutable=True)],
            options=dict(
                name=dict(type="str", required=True),
                attribute_data_type=dict(
                    type="str", choices=["String", "Number", "DateTime", "Boolean"], default="String"
                ),
                required=dict(type="bool", default=False),
                mutable=dict(type="bool", default=True),
            ),
        ),
        force=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problem = argument_problem(params)
    if problem:
        module.fail_json(msg=problem)

    client = aws_client(module, "cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
    if params["state"] == "present":
        ensure_present(client, module, params)
    else:
        ensure_absent(client, module, params)


if __name__ == "__main__":
    main()
