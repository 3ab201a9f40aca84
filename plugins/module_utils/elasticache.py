# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Code the collection's ElastiCache modules share (elasticache_replication_group,
elasticache_parameter_group):

* the ElastiCache client, with retries that also wait out a resource that is busy (the
  error codes each module names: ``InvalidReplicationGroupState``, ...);
* a resource's tags by its ARN (ListTagsForResource) as a dict, and their update
  (``compare_aws_tags``: RemoveTagsFromResource, then AddTagsToResource);
* reading a replication group (cluster mode disabled): the group, its member clusters, its
  tags, and the summary both replication group modules return (``replication_group``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def elasticache_client(module, busy_error_codes=()):
    """The module's ElastiCache client; its calls (``aws_retry=True``) are retried with jittered
    backoff, also on ``busy_error_codes`` (a resource in a state that refuses the call for now)."""
    return aws_client(
        module,
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


# -- replication groups ----------------------------------------------------------------------------


def primary_member(group, members):
    """The member cluster that is the primary (the first member when none says so); {} when none."""
    primary_ids = [
        member.get("CacheClusterId")
        for node_group in group.get("NodeGroups") or []
        for member in node_group.get("NodeGroupMembers") or []
        if member.get("CurrentRole") == "primary"
    ]
    for member in members:
        if member.get("CacheClusterId") in primary_ids:
            return member
    return members[0] if members else {}


def endpoints(group):
    """The primary and reader endpoints ({address, port}; {} while there is none) of the group's node group."""
    node_group = (group.get("NodeGroups") or [{}])[0]
    result = []
    for key in ("PrimaryEndpoint", "ReaderEndpoint"):
        endpoint = node_group.get(key) or {}
        result.append(dict(address=endpoint["Address"], port=endpoint.get("Port")) if endpoint.get("Address") else {})
    return result


def replication_group_summary(group, members, tags):
    """The group in snake case, with its tags as a dict, its endpoints and its primary's settings ({} when absent)."""
    if not group:
        return {}
    group = dict(group)
    group.pop("ResponseMetadata", None)
    result = camel_dict_to_snake_dict(group)
    primary = primary_member(group, members)
    result["primary_endpoint"], result["reader_endpoint"] = endpoints(group)
    result["tags"] = tags or {}
    result["engine"] = group.get("Engine") or primary.get("Engine")
    result["engine_version"] = primary.get("EngineVersion")
    result["cache_parameter_group"] = (primary.get("CacheParameterGroup") or {}).get("CacheParameterGroupName")
    result["cache_subnet_group"] = primary.get("CacheSubnetGroupName")
    result["security_group_ids"] = [sg["SecurityGroupId"] for sg in primary.get("SecurityGroups") or []]
    return result


def describe_replication_group(client, module, group_id):
    """The group (DescribeReplicationGroups), or None when ElastiCache does not know it."""
    try:
        groups = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe replication group {0}".format(group_id))
    return groups[0] if groups else None


def describe_members(client, module, group):
    """The member clusters of the group (a member not described yet is left out)."""
    members = []
    for cluster_id in group.get("MemberClusters") or []:
        try:
            members.extend(client.describe_cache_clusters(aws_retry=True, CacheClusterId=cluster_id)["CacheClusters"])
        except is_boto3_error_code("CacheClusterNotFound"):
            continue
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to describe cache cluster {0}".format(cluster_id))
    return members


def replication_group_tags(client, module, group):
    """The group's tags as a dict."""
    return resource_tags(
        client, module, group.get("ARN"), "replication group {0}".format(replication_group_id_of(group))
    )


def replication_group_id_of(group):
    return group.get("ReplicationGroupId")
