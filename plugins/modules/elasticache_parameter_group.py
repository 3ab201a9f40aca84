#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elasticache_parameter_group
short_description: Manage an ElastiCache cache parameter group of any family
version_added: 0.2.0
description:
  - Creates, updates or deletes an Amazon ElastiCache cache parameter group, of any family that ElastiCache
    knows (C(redis7), C(valkey7), C(valkey8), ...). M(community.aws.elasticache_parameter_group) accepts
    families up to C(redis6.x) only, has no tags and no diff.
  - On an existing group, the module compares the values of the parameters given in O(parameters) with the
    group's (C(DescribeCacheParameters)) and calls C(ModifyCacheParameterGroup) only with those that differ.
    Parameters that O(parameters) does not name are left as they are, unless O(purge_parameters=true),
    which resets the ones set by the user (C(Source=user)) to the family's default.
  - The family of an existing group cannot change; a different O(family) fails the task before any change.
  - Check mode makes no change and reports what would change. Diff mode gives the family, description,
    user-set parameters and tags before and after.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  state:
    description: Whether the parameter group should exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the parameter group, a letter first, then letters, digits and single hyphens. ElastiCache
        stores it in lower case.
    type: str
    required: true
  family:
    description:
      - Family of the group, for example V(redis7) or V(valkey8). Required to create the group; it cannot
        change on an existing group.
    type: str
  description:
    description: Description of the group. Used on creation (AWS cannot change it); defaults to the name.
    type: str
  parameters:
    description:
      - Parameter names and their values (as strings; numbers and booleans are turned into strings,
        booleans into C(yes)/C(no)).
    type: dict
    default: {}
  purge_parameters:
    description: Whether the user-set parameters that O(parameters) does not name are reset to their default.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The parameter group of the stack's Redis 7
  ajudadigital.openwebui.elasticache_parameter_group:
    name: openwebui-prod-cache-redis7
    family: redis7
    description: Redis of openwebui-prod
    parameters:
      slowlog-log-slower-than: 10000
      notify-keyspace-events: ""
    tags:
      Stack: openwebui-prod

- name: Delete it (no cluster may use it)
  ajudadigital.openwebui.elasticache_parameter_group:
    name: openwebui-prod-cache-redis7
    state: absent
"""

RETURN = r"""
parameter_group:
  description: The group as ElastiCache describes it (empty when absent, and when check mode would create it).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      returned: when present
    family:
      description: Family of the group.
      type: str
      returned: when present
    description:
      description: Description of the group.
      type: str
      returned: when present
    arn:
      description: ARN of the group.
      type: str
      returned: when present
    parameters:
      description: The parameters set by the user (C(Source=user)) and their values.
      type: dict
      returned: when present
    tags:
      description: Tags of the group.
      type: dict
      returned: when present
  sample:
    name: openwebui-prod-cache-redis7
    family: redis7
    description: Redis of openwebui-prod
    arn: arn:aws:elasticache:eu-west-1:123456789012:parametergroup:openwebui-prod-cache-redis7
    parameters:
      slowlog-log-slower-than: "10000"
    tags:
      Stack: openwebui-prod
changed_parameters:
  description: The parameters that were (in check mode would be) set or reset.
  returned: always
  type: list
  elements: str
  sample: [slowlog-log-slower-than]
"""

import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import elasticache_client
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import resource_tags
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import tag_changes
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import update_tags
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

NAME = re.compile(r"^[A-Za-z](?:-?[A-Za-z0-9])*$")
# ModifyCacheParameterGroup and ResetCacheParameterGroup take at most 20 parameters per call.
BATCH = 20


def as_value(value):
    """A parameter value as ElastiCache stores it (a string; booleans as yes/no)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def option_problem(params):
    """What is wrong with the options, before any AWS call (None when nothing)."""
    if not NAME.match(params["name"]) or len(params["name"]) > 255:
        return "name {0!r} must be a letter, then letters, digits and single hyphens, not ending with one".format(
            params["name"]
        )
    return None


def changes(current, wanted, purge):
    """(to set: [(name, value)], to reset: [name]) that bring the user-set parameters ``current`` to ``wanted``."""
    to_set = sorted((name, value) for name, value in wanted.items() if current.get(name) != value)
    to_reset = sorted(name for name in current if name not in wanted) if purge else []
    return to_set, to_reset


def view(group, parameters, tags):
    """The managed settings of a described group (for the diff and the result)."""
    if not group:
        return {}
    return dict(
        name=group["CacheParameterGroupName"],
        family=group["CacheParameterGroupFamily"],
        description=group.get("Description", ""),
        arn=group.get("ARN", ""),
        parameters=parameters,
        tags=tags,
    )


def describe_group(client, module, name):
    try:
        groups = client.describe_cache_parameter_groups(aws_retry=True, CacheParameterGroupName=name)
    except is_boto3_error_code("CacheParameterGroupNotFound"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe cache parameter group {0}".format(name))
    return (groups.get("CacheParameterGroups") or [None])[0]


def user_parameters(client, module, name):
    """The parameters of the group set by the user, by name."""
    values = {}
    try:
        pages = paginate(client, "describe_cache_parameters", CacheParameterGroupName=name, Source="user")
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to read the parameters of cache parameter group {0}".format(name))
    for parameter in pages.get("Parameters", []):
        values[parameter["ParameterName"]] = parameter.get("ParameterValue", "")
    return values


def group_tags(client, module, group):
    return resource_tags(client, module, group["ARN"], "cache parameter group {0}".format(group["ARN"]))


def apply_parameters(client, module, name, to_set, to_reset):
    try:
        for start in range(0, len(to_set), BATCH):
            client.modify_cache_parameter_group(
                aws_retry=True,
                CacheParameterGroupName=name,
                ParameterNameValues=[
                    dict(ParameterName=key, ParameterValue=value) for key, value in to_set[start : start + BATCH]
                ],
            )
        for start in range(0, len(to_reset), BATCH):
            client.reset_cache_parameter_group(
                aws_retry=True,
                CacheParameterGroupName=name,
                ParameterNameValues=[dict(ParameterName=key) for key in to_reset[start : start + BATCH]],
            )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to set the parameters of cache parameter group {0}".format(name))


def ensure_present(client, module, name):
    params = module.params
    wanted = dict((key, as_value(value)) for key, value in (params["parameters"] or {}).items())
    group = describe_group(client, module, name)
    result = dict(changed=False, parameter_group={}, changed_parameters=[])
    if group is None:
        if not params.get("family"):
            module.fail_json(msg="family is required to create cache parameter group {0}".format(name))
        after = dict(
            name=name,
            family=params["family"],
            description=params.get("description") or name,
            parameters=wanted,
            tags=params.get("tags") or {},
        )
        result.update(changed=True, changed_parameters=sorted(wanted))
        if module._diff:
            result["diff"] = dict(before={}, after=after)
        if module.check_mode:
            module.exit_json(msg="would create cache parameter group {0}".format(name), **result)
        request = dict(
            CacheParameterGroupName=name,
            CacheParameterGroupFamily=params["family"],
            Description=after["description"],
        )
        if after["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(after["tags"])
        try:
            group = client.create_cache_parameter_group(aws_retry=True, **request)["CacheParameterGroup"]
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to create cache parameter group {0}".format(name))
        apply_parameters(client, module, name, sorted(wanted.items()), [])
        result["parameter_group"] = view(
            group, user_parameters(client, module, name), group_tags(client, module, group)
        )
        module.exit_json(**result)

    if params.get("family") and params["family"] != group["CacheParameterGroupFamily"]:
        module.fail_json(
            msg="cache parameter group {0} is of family {1}, not {2}; the family cannot change: delete the group "
            "(no cluster may use it) or choose another name".format(
                name, group["CacheParameterGroupFamily"], params["family"]
            )
        )
    current = user_parameters(client, module, name)
    tags = group_tags(client, module, group)
    to_set, to_reset = changes(current, wanted, params["purge_parameters"])
    after_parameters = dict((key, value) for key, value in current.items() if key not in to_reset)
    after_parameters.update(to_set)
    _tag_set, _tag_unset, after_tags = tag_changes(tags, params.get("tags"), params["purge_tags"])
    before = view(group, current, tags)
    after = dict(before, parameters=after_parameters, tags=after_tags)
    changed = bool(to_set or to_reset or after_tags != tags)
    result.update(changed=changed, changed_parameters=sorted([key for key, value in to_set] + to_reset))
    if changed and not module.check_mode:
        apply_parameters(client, module, name, to_set, to_reset)
        if after_tags != tags:
            update_tags(
                client,
                module,
                group["ARN"],
                tags,
                params["tags"],
                params["purge_tags"],
                "cache parameter group {0}".format(group["ARN"]),
            )
        after = view(group, user_parameters(client, module, name), group_tags(client, module, group))
    result["parameter_group"] = after if not module.check_mode else before
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


def ensure_absent(client, module, name):
    group = describe_group(client, module, name)
    result = dict(changed=False, parameter_group={}, changed_parameters=[])
    if group is None:
        module.exit_json(**result)
    result["changed"] = True
    if module._diff:
        before = view(group, user_parameters(client, module, name), group_tags(client, module, group))
        result["diff"] = dict(before=before, after={})
    if not module.check_mode:
        try:
            client.delete_cache_parameter_group(aws_retry=True, CacheParameterGroupName=name)
        except is_boto3_error_code("CacheParameterGroupNotFound"):
            result["changed"] = False
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to delete cache parameter group {0}".format(name))
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str", required=True),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict", default={}),
        purge_parameters=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problem = option_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    name = module.params["name"].lower()
    client = elasticache_client(module, ["InvalidCacheParameterGroupState"])
    if module.params["state"] == "present":
        ensure_present(client, module, name)
    else:
        ensure_absent(client, module, name)


if __name__ == "__main__":
    main()
