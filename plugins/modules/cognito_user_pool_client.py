#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cognito_user_pool_client
short_description: Manage an app client of an Amazon Cognito user pool
version_added: 0.1.0
description:
  - Creates, updates or deletes an app client of a Cognito user pool, identified by its
    name within the pool (the module fails when two clients of the pool have the name).
  - Manages the OAuth 2.0 settings a web application such as Open WebUI needs (flows, scopes,
    callback and sign-out URLs, identity providers), the token lifetimes and the client secret.
  - C(UpdateUserPoolClient) resets every setting it is not given to its default, so an update
    sends the client's current settings with the managed ones laid over them. An option left
    unset is not managed.
  - AWS cannot add or remove the secret of an existing client. When O(generate_secret)
    differs from the existing client, the module fails, before any change, unless
    O(allow_replacement=true), in which case it deletes the client and creates it again, which gives it
    a new RV(client_id) (and a new RV(client_secret)); RV(replaced) tells.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  name:
    description: Name of the app client.
    type: str
    required: true
  state:
    description: Whether the app client should exist.
    type: str
    choices: [present, absent]
    default: present
  generate_secret:
    description:
      - Whether the client has a secret (a confidential client, such as a server-side web app).
      - Changing it on an existing client needs O(allow_replacement=true), and replaces the client
        (new client ID and secret).
    type: bool
    default: false
  allow_replacement:
    description:
      - Whether the module may delete the client and create a new one (new client ID and secret)
        when O(generate_secret) differs from the existing client. Without it, such a difference
        fails the task, naming the setting.
      - Check mode and diff mode show the replacement (RV(replaced), C(diff)).
    type: bool
    default: false
  allowed_oauth_flows:
    description: OAuth 2.0 flows of the client; a non-empty list also turns the OAuth features of the client on.
    type: list
    elements: str
    choices: [code, implicit, client_credentials]
  allowed_oauth_scopes:
    description: OAuth scopes the client may ask for, for example C(openid), C(email), C(profile).
    type: list
    elements: str
  callback_urls:
    description: Allowed redirect (callback) URLs after sign-in.
    type: list
    elements: str
  logout_urls:
    description: Allowed redirect URLs after sign-out.
    type: list
    elements: str
  default_redirect_uri:
    description: Default redirect URL; one of O(callback_urls).
    type: str
  supported_identity_providers:
    description: Identity providers of the client, for example C(COGNITO) or the name of a federated provider.
    type: list
    elements: str
  explicit_auth_flows:
    description: Authentication flows besides OAuth, for example C(ALLOW_REFRESH_TOKEN_AUTH).
    type: list
    elements: str
  access_token_validity:
    description: Lifetime of access tokens, in O(token_validity_units.access_token).
    type: int
  id_token_validity:
    description: Lifetime of ID tokens, in O(token_validity_units.id_token).
    type: int
  refresh_token_validity:
    description: Lifetime of refresh tokens, in O(token_validity_units.refresh_token).
    type: int
  token_validity_units:
    description: Units of the token lifetimes (AWS defaults to hours for access and ID tokens, days for refresh tokens).
    type: dict
    suboptions:
      access_token:
        description: Unit of O(access_token_validity).
        type: str
        choices: [seconds, minutes, hours, days]
      id_token:
        description: Unit of O(id_token_validity).
        type: str
        choices: [seconds, minutes, hours, days]
      refresh_token:
        description: Unit of O(refresh_token_validity).
        type: str
        choices: [seconds, minutes, hours, days]
  prevent_user_existence_errors:
    description: V(ENABLED) hides whether a user exists in authentication errors.
    type: str
    choices: [ENABLED, LEGACY]
  enable_token_revocation:
    description: Whether refresh tokens can be revoked.
    type: bool
  read_attributes:
    description: User attributes the client can read.
    type: list
    elements: str
  write_attributes:
    description: User attributes the client can write.
    type: list
    elements: str
extends_documentation_fragment:
  - ajudadigital.openwebui.cognito_user_pool_ref
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - RV(client_secret) is a secret. Set C(no_log=true) on the task that calls this module and
    on every task that handles the registered result. The secret is never part of the diff
    or of RV(user_pool_client).
  - Check mode reports what would change and changes nothing; diff mode shows the managed
    settings before and after.
"""

EXAMPLES = r"""
- name: App client of Open WebUI (authorization code flow, with a secret)
  ajudadigital.openwebui.cognito_user_pool_client:
    user_pool_name: openwebui-prod-users
    name: openwebui
    generate_secret: true
    allowed_oauth_flows: [code]
    allowed_oauth_scopes: [openid, email, profile]
    callback_urls: [https://chat.example.com/oauth/oidc/login/callback]
    logout_urls: [https://chat.example.com/auth]
    supported_identity_providers: [COGNITO]
    explicit_auth_flows: [ALLOW_REFRESH_TOKEN_AUTH]
    access_token_validity: 60
    id_token_validity: 60
    refresh_token_validity: 30
    token_validity_units:
      access_token: minutes
      id_token: minutes
      refresh_token: days
    prevent_user_existence_errors: ENABLED
    enable_token_revocation: true
  register: client
  no_log: true

- name: Keep the client secret in Secrets Manager
  amazon.aws.secretsmanager_secret:
    name: openwebui-prod/oauth-client-secret
    secret: "{{ client.client_secret }}"
  no_log: true
"""

RETURN = r"""
client_id:
  description: ID of the app client (empty when absent, or created in check mode).
  returned: always
  type: str
  sample: 1example23456789
client_secret:
  description:
    - B(Secret.) The client secret; empty when the client has none, is absent, or is created in check mode.
    - Register the result with C(no_log=true).
  returned: always
  type: str
  sample: VALUE_HIDDEN
user_pool_id:
  description: ID of the user pool (empty when it does not exist).
  returned: always
  type: str
  sample: us-east-1_AbCdEfGhI
created:
  description:
    - Whether the client was (or in check mode would be) created by this run. With RV(replaced), the
      runs whose RV(client_secret) is a new secret; after a rotation
      (M(ajudadigital.openwebui.cognito_user_pool_client_secret)) RV(client_secret) may be the deleted one.
  returned: always
  type: bool
  sample: false
replaced:
  description:
    - Whether the client was (or in check mode would be) deleted and created again because
      O(generate_secret) changed (only with O(allow_replacement=true)).
  returned: always
  type: bool
  sample: false
replaced_settings:
  description: The immutable settings that differed (C(generate_secret)), when RV(replaced) is true (else empty).
  returned: always
  type: list
  elements: str
  sample: [generate_secret]
recreated:
  description:
    - The same as RV(replaced), kept for compatibility; use RV(replaced).
  returned: always
  type: bool
  sample: false
user_pool_client:
  description:
    - The client as C(DescribeUserPoolClient) returns it, in snake case, without the secret (empty when absent).
  returned: always
  type: dict
  contains:
    client_id:
      description: ID of the client.
      type: str
      returned: when present
    client_name:
      description: Name of the client.
      type: str
      returned: when present
    callback_urls:
      description: Allowed callback URLs.
      type: list
      elements: str
      returned: when present
    allowed_o_auth_flows:
      description: OAuth flows.
      type: list
      elements: str
      returned: when present
    has_secret:
      description: Whether the client has a secret.
      type: bool
      returned: when present
  sample:
    client_id: 1example23456789
    client_name: openwebui
    callback_urls: [https://chat.example.com/oauth/oidc/login/callback]
    has_secret: true
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
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import find_client_id
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import resolve_user_pool_id

# option name -> DescribeUserPoolClient / UpdateUserPoolClient key
FIELDS = (
    ("allowed_oauth_flows", "AllowedOAuthFlows"),
    ("allowed_oauth_scopes", "AllowedOAuthScopes"),
    ("callback_urls", "CallbackURLs"),
    ("logout_urls", "LogoutURLs"),
    ("default_redirect_uri", "DefaultRedirectURI"),
    ("supported_identity_providers", "SupportedIdentityProviders"),
    ("explicit_auth_flows", "ExplicitAuthFlows"),
    ("access_token_validity", "AccessTokenValidity"),
    ("id_token_validity", "IdTokenValidity"),
    ("refresh_token_validity", "RefreshTokenValidity"),
    ("prevent_user_existence_errors", "PreventUserExistenceErrors"),
    ("enable_token_revocation", "EnableTokenRevocation"),
    ("read_attributes", "ReadAttributes"),
    ("write_attributes", "WriteAttributes"),
)
UNITS = (("access_token", "AccessToken"), ("id_token", "IdToken"), ("refresh_token", "RefreshToken"))
LIST_FIELDS = (
    "allowed_oauth_flows",
    "allowed_oauth_scopes",
    "callback_urls",
    "logout_urls",
    "supported_identity_providers",
    "explicit_auth_flows",
    "read_attributes",
    "write_attributes",
)
# DescribeUserPoolClient keys that UpdateUserPoolClient takes back (it resets what it is not given).
CARRIED_OVER = tuple(aws for _option, aws in FIELDS) + (  # noqa: RUF005 (Python 2 style of ansible modules)
    "TokenValidityUnits",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)


def current_view(client):
    """The managed settings of an existing client, in the shape of wanted_view() (never the secret)."""
    view = {"name": client.get("ClientName"), "generate_secret": bool(client.get("ClientSecret"))}
    for option, aws in FIELDS:
        value = client.get(aws)
        view[option] = list(value or []) if option in LIST_FIELDS else value
    units = client.get("TokenValidityUnits") or {}
    view["token_validity_units"] = dict((option, units.get(aws)) for option, aws in UNITS)
    view["allowed_oauth_flows_user_pool_client"] = bool(client.get("AllowedOAuthFlowsUserPoolClient"))
    return view


def wanted_view(params):
    """The managed settings the parameters ask for (None: not managed)."""
    view = {"name": params["name"], "generate_secret": params["generate_secret"]}
    for option, _aws in FIELDS:
        view[option] = params.get(option)
    units = params.get("token_validity_units")
    view["token_validity_units"] = None
    if units:
        view["token_validity_units"] = dict((k, v) for k, v in units.items() if v is not None) or None
    flows = params.get("allowed_oauth_flows")
    view["allowed_oauth_flows_user_pool_client"] = None if flows is None else bool(flows)
    return view


def settings_request(params, current=None):
    """The settings part of Create/UpdateUserPoolClient: current values (if any) with the wanted ones over them."""
    request = dict((key, current[key]) for key in CARRIED_OVER if (current or {}).get(key) is not None)
    for option, aws in FIELDS:
        if params.get(option) is not None:
            request[aws] = params[option]
    units = params.get("token_validity_units")
    if units:
        merged = dict(request.get("TokenValidityUnits") or {})
        for option, aws in UNITS:
            if units.get(option):
                merged[aws] = units[option]
        request["TokenValidityUnits"] = merged
    if params.get("allowed_oauth_flows") is not None:
        request["AllowedOAuthFlowsUserPoolClient"] = bool(params["allowed_oauth_flows"])
    return request


def argument_problem(params):
    """What is wrong with the parameters (beyond the argument spec), or None."""
    redirect, callbacks = params.get("default_redirect_uri"), params.get("callback_urls")
    if redirect and callbacks is not None and redirect not in callbacks:
        return "default_redirect_uri must be one of callback_urls"
    for option in ("access_token_validity", "id_token_validity", "refresh_token_validity"):
        if params.get(option) is not None and params[option] < 1:
            return "{0} must be 1 or more, got {1}".format(option, params[option])
    return None


def create_request(pool_id, params):
    request = settings_request(params)
    request.update(UserPoolId=pool_id, ClientName=params["name"], GenerateSecret=params["generate_secret"])
    return request


def update_request(client, params):
    request = settings_request(params, client)
    request.update(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], ClientName=params["name"])
    return request


def summary(client):
    """The client for the module's return: snake case, never the secret."""
    if not client:
        return {}
    public = dict((k, v) for k, v in client.items() if k != "ClientSecret")
    result = camel_dict_to_snake_dict(public)
    result["has_secret"] = bool(client.get("ClientSecret"))
    return result


def find_client(conn, module, pool_id, name):
    """DescribeUserPoolClient of the one client called ``name``, or None; fails when two share it."""
    client_id = find_client_id(conn, module, pool_id, name)
    return None if client_id is None else describe_client(conn, module, pool_id, client_id)


def describe_client(conn, module, pool_id, client_id):
    try:
        return conn.describe_user_pool_client(aws_retry=True, UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe app client {0}".format(client_id))


def create_client(conn, module, pool_id, params):
    try:
        return conn.create_user_pool_client(aws_retry=True, **create_request(pool_id, params))["UserPoolClient"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to create app client {0}".format(params["name"]))


def delete_client(conn, module, pool_id, client_id):
    try:
        conn.delete_user_pool_client(aws_retry=True, UserPoolId=pool_id, ClientId=client_id)
    except is_boto3_error_code("ResourceNotFoundException"):
        pass
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete app client {0}".format(client_id))


def exit_with(module, changed, pool_id, client, before, after, recreated=False, created=False):
    exit_with_diff(
        module,
        before,
        after,
        changed=changed,
        created=created,
        client_id=(client or {}).get("ClientId", ""),
        client_secret=(client or {}).get("ClientSecret", ""),
        user_pool_id=pool_id or "",
        replaced=recreated,
        replaced_settings=["generate_secret"] if recreated else [],
        recreated=recreated,
        user_pool_client=summary(client),
    )


def ensure_present(conn, module, params, pool_id):
    client = find_client(conn, module, pool_id, params["name"])
    wanted = wanted_view(params)
    if client is None:
        after = merge_view({}, wanted)
        if module.check_mode:
            exit_with(module, True, pool_id, None, {}, after, created=True)
        created = create_client(conn, module, pool_id, params)
        client = describe_client(conn, module, pool_id, created["ClientId"]) or created
        exit_with(module, True, pool_id, client, {}, after, created=True)

    before = current_view(client)
    changes = changed_keys(before, wanted, LIST_FIELDS)
    after = merge_view(before, wanted)
    if not changes:
        exit_with(module, False, pool_id, client, before, before)
    if "generate_secret" in changes and not params["allow_replacement"]:
        module.fail_json(
            msg=(
                "App client {0} ({1}) differs in a setting AWS cannot change: generate_secret; set "
                "allow_replacement=true to delete it and create a new one (new client ID and secret)"
            ).format(params["name"], client["ClientId"]),
            immutable_differences=["generate_secret"],
        )
    if "generate_secret" in changes:
        # AWS cannot add or remove a secret: replace the client, keeping its other settings.
        if module.check_mode:
            exit_with(module, True, pool_id, None, before, after, recreated=True)
        keep = dict(params)
        for option, aws in FIELDS:
            if keep.get(option) is None and client.get(aws) is not None:
                keep[option] = client[aws]
        delete_client(conn, module, pool_id, client["ClientId"])
        created = create_client(conn, module, pool_id, keep)
        client = describe_client(conn, module, pool_id, created["ClientId"]) or created
        exit_with(module, True, pool_id, client, before, after, recreated=True)
    if module.check_mode:
        exit_with(module, True, pool_id, client, before, after)
    try:
        conn.update_user_pool_client(aws_retry=True, **update_request(client, params))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to update app client {0}".format(params["name"]))
    client = describe_client(conn, module, pool_id, client["ClientId"])
    exit_with(module, True, pool_id, client, before, after)


def ensure_absent(conn, module, params, pool_id):
    client = find_client(conn, module, pool_id, params["name"]) if pool_id else None
    if client is None:
        exit_with(module, False, pool_id, None, {}, {})
    before = current_view(client)
    if not module.check_mode:
        delete_client(conn, module, pool_id, client["ClientId"])
    exit_with(module, True, pool_id, None, before, {})


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        generate_secret=dict(type="bool", default=False),
        allow_replacement=dict(type="bool", default=False),
        allowed_oauth_flows=dict(type="list", elements="str", choices=["code", "implicit", "client_credentials"]),
        allowed_oauth_scopes=dict(type="list", elements="str"),
        callback_urls=dict(type="list", elements="str"),
        logout_urls=dict(type="list", elements="str"),
        default_redirect_uri=dict(type="str"),
        supported_identity_providers=dict(type="list", elements="str"),
        explicit_auth_flows=dict(type="list", elements="str"),
        access_token_validity=dict(type="int", no_log=False),
        id_token_validity=dict(type="int", no_log=False),
        refresh_token_validity=dict(type="int", no_log=False),
        token_validity_units=dict(
            type="dict",
            no_log=False,
            options=dict(
                access_token=dict(type="str", choices=["seconds", "minutes", "hours", "days"]),
                id_token=dict(type="str", choices=["seconds", "minutes", "hours", "days"]),
                refresh_token=dict(type="str", choices=["seconds", "minutes", "hours", "days"]),
            ),
        ),
        prevent_user_existence_errors=dict(type="str", choices=["ENABLED", "LEGACY"]),
        enable_token_revocation=dict(type="bool"),
        read_attributes=dict(type="list", elements="str"),
        write_attributes=dict(type="list", elements="str"),
    )
    module = pool_module(argument_spec)
    params = module.params
    problem = argument_problem(params)
    if problem:
        module.fail_json(msg=problem)

    conn = aws_client(module, "cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
    pool_id = resolve_user_pool_id(conn, module)
    if params["state"] == "present":
        if pool_id is None:
            missing_pool(
                module,
                client_id="",
                client_secret="",
                user_pool_id="",
                created=False,
                replaced=False,
                replaced_settings=[],
                recreated=False,
                user_pool_client={},
            )
        ensure_present(conn, module, params, pool_id)
    else:
        ensure_absent(conn, module, params, pool_id)


if __name__ == "__main__":
    main()
