# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Code the collection's ElastiCache modules share (elasticache_replication_group,
elasticache_parameter_group):

* the ElastiCache client, with retries that also wait out a resource that is busy (the
  error codes each module names: ``InvalidReplicationGroupState``, ...);
* a resource's tags by its ARN (ListTagsForResource) as a dict, and their update
  (``compare_aws_tags``: RemoveTagsFromResource, then AddTagsToResource).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def elasticache_client(module, busy_error_codes=()):
    """The module's ElastiCache client; its calls (``aws_retry=True``) are retried with jittered
    backoff, also on ``busy_error_codes`` (a resource in a state that refuses the call for now)."""
    return module.client(
        "elasticache",
        retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=list(busy_error_codes)),
    )


def resource_tags(client, module, arn, what):
    """The tags of the resource ``arn`` as a dict ({} for a resource without an ARN yet); fails
    naming ``what`` (such as ``replication group cache``)."""
    if not arn:
        return {}
    try:
        tags = client.list_tags_for_resource(aws_retry=True, ResourceName=arn).get("TagList", [])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to read the tags of {0}".format(what))
    return boto3_tag_list_to_ansible_dict(tags)


def tag_changes(current, wanted, purge):
    """(tags to set, tag keys to remove, the tags afterwards) to go from ``current`` to ``wanted``
    (None: tags not managed); with ``purge``, the tags not in ``wanted`` go."""
    if wanted is None:
        return {}, [], dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    after = dict((key, value) for key, value in current.items() if key not in to_unset)
    after.update(to_set)
    return to_set, to_unset, after


def update_tags(client, module, arn, current, wanted, purge, what):
    """Make the tags of the resource ``arn`` ``wanted`` (see ``tag_changes``); returns whether
    any changed. Fails naming ``what``."""
    to_set, to_unset, _after = tag_changes(current, wanted, purge)
    try:
        if to_unset:
            client.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=to_unset)
        if to_set:
            client.add_tags_to_resource(aws_retry=True, ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to update the tags of {0}".format(what))
    return bool(to_set or to_unset)
