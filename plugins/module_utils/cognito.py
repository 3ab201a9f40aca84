# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Code the collection's Cognito modules share.

* finding a user pool by name (AWS does not keep pool names unique: ListUserPools is
  paginated and the name must match exactly one pool), and a pool's id from either
  ``user_pool_id`` or ``user_pool_name``;
* comparing a resource's current settings with the wanted ones: both are plain
  snake_case "views" of the same shape, a wanted value of ``None`` means "not managed",
  and the lists named as unordered compare as sets;
* the URLs that Cognito derives from a pool id or a domain;
* an app client's id from its name (names are not unique either);
* the module object of a module that works inside a pool, and its exit with a diff.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# Options every module that works inside a user pool takes to name that pool.
USER_POOL_OPTIONS = dict(
    user_pool_id=dict(type="str"),
    user_pool_name=dict(type="str"),
)
USER_POOL_MUTUALLY_EXCLUSIVE = [("user_pool_id", "user_pool_name")]
USER_POOL_REQUIRED_ONE_OF = [("user_pool_id", "user_pool_name")]


def pool_module(argument_spec):
    """The AnsibleAWSModule of a module that works inside a user pool: its own options plus
    exactly one of ``user_pool_id`` / ``user_pool_name``; check mode supported."""
    spec = dict(argument_spec)
    spec.update(USER_POOL_OPTIONS)
    return AnsibleAWSModule(
        argument_spec=spec,
        mutually_exclusive=USER_POOL_MUTUALLY_EXCLUSIVE,
        required_one_of=USER_POOL_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )


def find_client_id(conn, module, pool_id, name):
    """The ID of the one app client of the pool called ``name``, or None; fails when two share it
    (AWS does not keep client names unique)."""
    request = dict(UserPoolId=pool_id, MaxResults=60)
    matches = []
    try:
        while True:
            page = conn.list_user_pool_clients(aws_retry=True, **request)
            matches.extend(c["ClientId"] for c in page.get("UserPoolClients", []) if c.get("ClientName") == name)
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the app clients of user pool {0}".format(pool_id))
    if len(matches) > 1:
        module.fail_json(
            msg="{0} app clients of user pool {1} are named {2!r}: {3}".format(
                len(matches), pool_id, name, ", ".join(sorted(matches))
            )
        )
    return matches[0] if matches else None


def exit_with_diff(module, before, after, **result):
    """``exit_json(**result)``, with ``diff`` (``before``/``after``) in diff mode."""
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


# -- URLs -------------------------------------------------------------------------------
def issuer_url(region, user_pool_id):
    """The OIDC issuer of a user pool (``iss`` of its tokens)."""
    return "https://cognito-idp.{0}.amazonaws.com/{1}".format(region, user_pool_id)


def openid_configuration_url(region, user_pool_id):
    """The pool's OIDC discovery document (Open WebUI's ``OPENID_PROVIDER_URL``)."""
    return issuer_url(region, user_pool_id) + "/.well-known/openid-configuration"


def is_custom_domain(domain):
    """A custom domain is a DNS name (has a dot); a prefix domain is a single label."""
    return "." in (domain or "")


def domain_url(domain, region):
    """Base URL of the hosted UI / OAuth endpoints for a prefix or custom domain."""
    if is_custom_domain(domain):
        return "https://{0}".format(domain)
    return "https://{0}.auth.{1}.amazoncognito.com".format(domain, region)


# -- comparing views --------------------------------------------------------------------
def _normalise(value, unordered):
    if isinstance(value, list) and unordered:
        try:
            return sorted(value)
        except TypeError:
            return sorted(value, key=repr)
    return value


def _matches(current, wanted, unordered):
    """Whether ``current`` already satisfies ``wanted`` (a wanted dict is a subset)."""
    if wanted is None:
        return True
    if isinstance(wanted, dict):
        if not isinstance(current, dict):
            return False
        return all(_matches(current.get(key), value, False) for key, value in wanted.items())
    return _normalise(current, unordered) == _normalise(wanted, unordered)


def changed_keys(current, wanted, unordered=(), exact=()):
    """Names of the keys of ``wanted`` whose value differs in ``current``, sorted.

    ``None`` in ``wanted`` means "not managed" (never a difference); a wanted dict is
    compared key by key (keys it leaves out are not managed) unless its key is named in
    ``exact`` (tags: a key too many is a difference); lists named in ``unordered``
    compare as sets, the others in order.
    """
    current = current or {}
    changed = []
    for key, value in wanted.items():
        if value is None:
            continue
        if key in exact:
            if current.get(key) != value:
                changed.append(key)
        elif not _matches(current.get(key), value, key in unordered):
            changed.append(key)
    return sorted(changed)


def merge_view(current, wanted):
    """``current`` with every managed value of ``wanted`` laid over it (the "after" of a diff)."""
    merged = dict(current or {})
    for key, value in wanted.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_view(merged[key], value)
        else:
            merged[key] = value
    return merged


def without_none(data):
    """A copy of ``data`` (dict) without the keys whose value is None."""
    return dict((key, value) for key, value in data.items() if value is not None)


# -- finding things -----------------------------------------------------------------------
def list_user_pools(client, module):
    """Every user pool of the account and region (ListUserPools, all pages)."""
    pools = []
    request = dict(MaxResults=60)
    try:
        while True:
            page = client.list_user_pools(aws_retry=True, **request)
            pools.extend(page.get("UserPools", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list user pools")
    return pools


def find_user_pool_id(client, module, name):
    """The id of the one user pool called ``name``, or None; fails when two pools share it."""
    matches = [pool["Id"] for pool in list_user_pools(client, module) if pool.get("Name") == name]
    if len(matches) > 1:
        module.fail_json(
            msg="{0} user pools are named {1!r} ({2}); name the pool by user_pool_id instead".format(
                len(matches), name, ", ".join(sorted(matches))
            )
        )
    return matches[0] if matches else None


def describe_user_pool(client, module, user_pool_id):
    """DescribeUserPool's ``UserPool``, or None when the pool does not exist."""
    try:
        return client.describe_user_pool(aws_retry=True, UserPoolId=user_pool_id)["UserPool"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe user pool {0}".format(user_pool_id))


def resolve_user_pool_id(client, module):
    """The pool that ``user_pool_id`` / ``user_pool_name`` names, or None when it does not exist."""
    params = module.params
    if params.get("user_pool_id"):
        pool = describe_user_pool(client, module, params["user_pool_id"])
        return pool["Id"] if pool else None
    return find_user_pool_id(client, module, params["user_pool_name"])


def missing_pool(module, **empty_result):
    """The named user pool does not exist (state=present).

    In check mode the pool is taken to be one that an earlier task would create: the
    module reports a change with ``empty_result``. Otherwise it fails, naming the pool.
    """
    params = module.params
    which = params.get("user_pool_id") or params.get("user_pool_name")
    if module.check_mode:
        module.exit_json(changed=True, **empty_result)
    module.fail_json(msg="user pool {0!r} does not exist; create it first (cognito_user_pool)".format(which))


def wanted_tags(current, tags, purge_tags):
    """The complete tag set a resource should end with (None: tags are not managed)."""
    if tags is None:
        return None
    current = dict(current or {})
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    result = dict((key, value) for key, value in current.items() if key not in to_unset)
    result.update((key, str(value)) for key, value in to_set.items())
    return result
