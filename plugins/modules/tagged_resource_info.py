#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tagged_resource_info
short_description: Find resources of any service by their tags
version_added: 0.1.0
description:
  - Lists the resources of the region that carry the given tags, through the Resource Groups
    Tagging API (C(tag:GetResources)), in one paginated call whatever the service.
  - Neither amazon.aws nor community.aws has a module for it. Use it to find a resource that has
    no name to look it up by, such as a KMS key whose alias was never created because the run
    that created the key was killed.
  - The tagging API lists some resources for a while after their deletion (deleted NAT gateways,
    inactive ECS services, KMS keys pending deletion); check their state with the service's own
    C(*_info) module.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  tags:
    description:
      - Tags a resource must all carry. A value is one string, or a list of strings of which the
        tag must have one.
    type: dict
    required: true
  resource_types:
    description:
      - Only resources of these types, as C(service) or C(service:resourcetype), for example
        C(kms:key) or C(ec2:natgateway). All types when omitted.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the stack's KMS keys, with or without an alias
  ajudadigital.openwebui.tagged_resource_info:
    tags:
      Stack: openwebui-prod
    resource_types: [kms:key]
  register: stack_keys

- name: Every resource of two stacks
  ajudadigital.openwebui.tagged_resource_info:
    tags:
      Stack: [openwebui-dev, openwebui-staging]
"""

RETURN = r"""
resources:
  description: The matching resources, sorted by ARN.
  returned: always
  type: list
  elements: dict
  contains:
    resource_arn:
      description: ARN of the resource.
      type: str
      sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      description: All tags of the resource.
      type: dict
      sample:
        Stack: openwebui-prod
        Name: openwebui-prod
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# GetResources limits (AWS API reference): tag filters per call, values per filter.
MAX_TAG_FILTERS = 50
MAX_TAG_VALUES = 20


def tag_filters(tags):
    """The API's TagFilters for ``tags``, or an error message naming the option."""
    if not tags:
        return None, "tags must name at least one tag"
    if len(tags) > MAX_TAG_FILTERS:
        return None, "tags may name at most {0} tags, got {1}".format(MAX_TAG_FILTERS, len(tags))
    filters = []
    for key in sorted(tags):
        values = tags[key]
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            return None, "tags.{0} must be a string or a non-empty list of strings".format(key)
        if len(values) > MAX_TAG_VALUES:
            return None, "tags.{0} may list at most {1} values, got {2}".format(key, MAX_TAG_VALUES, len(values))
        filters.append(dict(Key=key, Values=values))
    return filters, None


def get_resources(client, **params):
    return paginate(client, "get_resources", **params)


def main():
    argument_spec = dict(
        tags=dict(type="dict", required=True),
        resource_types=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    filters, error = tag_filters(module.params["tags"])
    if error:
        module.fail_json(msg=error)

    params = dict(TagFilters=filters)
    if module.params["resource_types"]:
        params["ResourceTypeFilters"] = module.params["resource_types"]
    client = aws_client(module, "resourcegroupstaggingapi")
    try:
        found = get_resources(client, **params).get("ResourceTagMappingList", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to list the resources tagged {0}".format(module.params["tags"]))
    resources = [
        dict(resource_arn=r["ResourceARN"], tags=boto3_tag_list_to_ansible_dict(r.get("Tags", []))) for r in found
    ]
    module.exit_json(changed=False, resources=sorted(resources, key=lambda r: r["resource_arn"]))


if __name__ == "__main__":
    main()
