#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elasticache_replication_group_info
short_description: Read an ElastiCache (Redis OSS or Valkey) replication group
version_added: 0.2.0
description:
  - Reads an Amazon ElastiCache replication group with cluster mode disabled (C(DescribeReplicationGroups),
    C(DescribeCacheClusters) of its member clusters, C(ListTagsForResource)) and returns it in the shape
    M(ajudadigital.openwebui.elasticache_replication_group) returns, with its primary and reader endpoints.
  - Read only; a group that does not exist is not an error (RV(exists=false), RV(replication_group) empty).
  - Never returns the AUTH token.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  replication_group_id:
    description:
      - ID of the group (ElastiCache stores it in lower case).
    type: str
    required: true
    aliases: [id]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
seealso:
  - module: ajudadigital.openwebui.elasticache_replication_group
notes:
  - Supports check mode (it changes nothing in any mode).
"""

EXAMPLES = r"""
- name: Read the stack's replication group
  ajudadigital.openwebui.elasticache_replication_group_info:
    replication_group_id: openwebui-prod-cache
  register: cache

- name: Fail without TLS
  ansible.builtin.assert:
    that:
      - cache.exists
      - cache.replication_group.transit_encryption_enabled
"""

RETURN = r"""
exists:
  description: Whether the group exists.
  returned: always
  type: bool
  sample: true
replication_group:
  description:
    - The group as C(DescribeReplicationGroups) describes it, in snake case, with its tags as a dict and
      what the module reads from its primary cluster (C(engine_version), C(cache_parameter_group),
      C(security_group_ids), C(cache_subnet_group)) and its endpoints at the top level.
    - The same as M(ajudadigital.openwebui.elasticache_replication_group) returns. Empty when the group
      does not exist. Never holds the AUTH token.
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: ID of the group.
      type: str
      returned: when present
    arn:
      description: ARN of the group.
      type: str
      returned: when present
    status:
      description: C(creating), C(available), C(modifying), C(deleting), C(create-failed) or C(snapshotting).
      type: str
      returned: when present
    primary_endpoint:
      description: Address and port of the primary (read and write), empty while the group is created.
      type: dict
      returned: when present
      contains:
        address:
          description: DNS name.
          type: str
        port:
          description: Port.
          type: int
    reader_endpoint:
      description: Address and port that balance reads over the replicas, empty while the group is created.
      type: dict
      returned: when present
      contains:
        address:
          description: DNS name.
          type: str
        port:
          description: Port.
          type: int
    member_clusters:
      description: IDs of the clusters of the group.
      type: list
      elements: str
      returned: when present
    engine:
      description: C(redis) or C(valkey).
      type: str
      returned: when present
    engine_version:
      description: Engine version of the primary cluster.
      type: str
      returned: when present
    cache_node_type:
      description: Node type.
      type: str
      returned: when present
    cache_parameter_group:
      description: Name of the parameter group of the primary cluster.
      type: str
      returned: when present
    cache_subnet_group:
      description: Name of the subnet group.
      type: str
      returned: when present
    security_group_ids:
      description: IDs of the security groups of the primary cluster.
      type: list
      elements: str
      returned: when present
    automatic_failover:
      description: C(enabled), C(disabled), C(enabling) or C(disabling).
      type: str
      returned: when present
    multi_az:
      description: C(enabled) or C(disabled).
      type: str
      returned: when present
    transit_encryption_enabled:
      description: Whether connections are encrypted.
      type: bool
      returned: when present
    transit_encryption_mode:
      description: C(preferred) or C(required).
      type: str
      returned: when present
    at_rest_encryption_enabled:
      description: Whether data on disk is encrypted.
      type: bool
      returned: when present
    kms_key_id:
      description: ARN of the KMS key of the at-rest encryption.
      type: str
      returned: when present
    auth_token_enabled:
      description: Whether the group has an AUTH token (the token itself is never returned).
      type: bool
      returned: when present
    auth_token_last_modified_date:
      description: When the AUTH token last changed (a C(ROTATE) or C(SET)), ISO 8601.
      type: str
      returned: when the group has an AUTH token
    log_delivery_configurations:
      description:
        - The log deliveries (C(log_type), C(destination_type), C(destination_details), C(log_format),
          C(status)).
      type: list
      elements: dict
      returned: when present
    snapshot_retention_limit:
      description: Days that automatic snapshots are kept.
      type: int
      returned: when present
    tags:
      description: Tags of the group.
      type: dict
      returned: when present
  sample:
    replication_group_id: openwebui-prod-redis
    arn: arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:openwebui-prod-redis
    status: available
    primary_endpoint:
      address: master.openwebui-prod-redis.abc123.euw1.cache.amazonaws.com
      port: 6379
    reader_endpoint:
      address: replica.openwebui-prod-redis.abc123.euw1.cache.amazonaws.com
      port: 6379
    member_clusters: [openwebui-prod-redis-001, openwebui-prod-redis-002]
    engine: redis
    engine_version: 7.1.0
    cache_node_type: cache.t4g.small
    cache_parameter_group: openwebui-prod-redis7
    cache_subnet_group: openwebui-prod-redis
    security_group_ids: [sg-0123456789abcdef0]
    automatic_failover: enabled
    multi_az: enabled
    transit_encryption_enabled: true
    transit_encryption_mode: required
    at_rest_encryption_enabled: true
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    auth_token_enabled: true
    snapshot_retention_limit: 7
    tags:
      Stack: openwebui-prod
"""

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    describe_members,
    describe_replication_group,
    elasticache_client,
    replication_group_summary,
    replication_group_tags,
)
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    argument_spec = dict(replication_group_id=dict(type="str", required=True, aliases=["id"]))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    group_id = module.params["replication_group_id"].lower()
    client = elasticache_client(module)
    group = describe_replication_group(client, module, group_id)
    if not group:
        module.exit_json(changed=False, exists=False, replication_group={})
    members = describe_members(client, module, group)
    tags = replication_group_tags(client, module, group)
    module.exit_json(changed=False, exists=True, replication_group=replication_group_summary(group, members, tags))


if __name__ == "__main__":
    main()
