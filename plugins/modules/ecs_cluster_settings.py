#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_cluster_settings
short_description: Set the Container Insights setting of an ECS cluster
version_added: 0.1.0
description:
  - Sets the C(containerInsights) setting of an existing Amazon ECS cluster through
    C(UpdateClusterSettings). community.aws.ecs_cluster has no option for the cluster's settings.
  - The cluster must exist and be C(ACTIVE) (community.aws.ecs_cluster creates it); this module
    fails when it does not. It manages no tags, capacity providers or other cluster attribute.
  - The current value comes from C(DescribeClusters) with C(include=[SETTINGS]). A cluster that
    reports no C(containerInsights) setting (its value came from the account default) is set once.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  cluster:
    description: Name or ARN of the ECS cluster.
    type: str
    required: true
    aliases: [name, cluster_name]
  container_insights:
    description:
      - CloudWatch Container Insights on the cluster. V(enhanced) is Container Insights with
        enhanced observability (task and container level metrics); V(enabled) the standard one.
      - Overrides the account's default (C(PutAccountSetting) C(containerInsights)) for this cluster.
    type: str
    required: true
    choices: [enabled, enhanced, disabled]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the cluster
  community.aws.ecs_cluster:
    name: openwebui-prod
    state: present

- name: Turn Container Insights on (the metrics the running-tasks alarm reads)
  ajudadigital.openwebui.ecs_cluster_settings:
    cluster: openwebui-prod
    container_insights: enabled
"""

RETURN = r"""
cluster_name:
  description: Name of the cluster.
  returned: always
  type: str
  sample: openwebui-prod
cluster_arn:
  description: ARN of the cluster.
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:cluster/openwebui-prod
container_insights:
  description: The cluster's C(containerInsights) setting (in check mode, the value it would have).
  returned: always
  type: str
  sample: enabled
settings:
  description: The cluster's settings, as ECS reports them (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the setting.
      type: str
      sample: containerInsights
    value:
      description: Its value.
      type: str
      sample: enabled
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

SETTING = "containerInsights"


def setting_value(settings, name=SETTING):
    """The value of setting ``name`` in an ECS ``settings`` list, or None when it is not there."""
    for setting in settings or []:
        if setting.get("name") == name:
            return setting.get("value")
    return None


def with_setting(settings, value, name=SETTING):
    """``settings`` with ``name`` set to ``value`` (added when missing), the others unchanged."""
    updated = [dict(s) for s in settings or [] if s.get("name") != name]
    return [*updated, dict(name=name, value=value)]


def settings_list(settings):
    """Settings as the module returns them (name and value only)."""
    return [dict(name=s.get("name"), value=s.get("value")) for s in settings or []]


def get_cluster(client, module, cluster):
    """The ACTIVE (or PROVISIONING) cluster, with its settings; fails when it does not exist."""
    try:
        response = client.describe_clusters(aws_retry=True, clusters=[cluster], include=["SETTINGS"])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe ECS cluster {0}".format(cluster))
    found = [c for c in response.get("clusters", []) if c.get("status") not in ("INACTIVE", "DEPROVISIONING")]
    if not found:
        status = [c.get("status") for c in response.get("clusters", [])] or ["MISSING"]
        module.fail_json(
            msg="cluster {0}: no such ECS cluster ({1}); create it first (community.aws.ecs_cluster)".format(
                cluster, status[0]
            )
        )
    return found[0]


def update_settings(client, module, cluster, settings):
    try:
        return client.update_cluster_settings(aws_retry=True, cluster=cluster, settings=settings)["cluster"]
    except is_boto3_error_code("ClusterNotFoundException"):
        module.fail_json(
            msg="cluster {0}: no such ECS cluster; create it first (community.aws.ecs_cluster)".format(cluster)
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to update the settings of ECS cluster {0}".format(cluster))


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True, aliases=["name", "cluster_name"]),
        container_insights=dict(type="str", required=True, choices=["enabled", "enhanced", "disabled"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params["cluster"].strip():
        module.fail_json(msg="cluster must be the name or ARN of an ECS cluster, got an empty string")
    wanted = module.params["container_insights"]
    client = aws_client(module, "ecs", retry_decorator=AWSRetry.jittered_backoff())

    cluster = get_cluster(client, module, module.params["cluster"].strip())
    current = setting_value(cluster.get("settings"))
    changed = current != wanted
    settings = cluster.get("settings") or []
    if changed:
        settings = with_setting(settings, wanted)
        if not module.check_mode:
            updated = update_settings(client, module, cluster["clusterArn"], [dict(name=SETTING, value=wanted)])
            # UpdateClusterSettings answers with the cluster and its settings; read them back if it did not.
            settings = (updated or {}).get("settings") or get_cluster(client, module, cluster["clusterArn"]).get(
                "settings"
            )

    result = dict(
        changed=changed,
        cluster_name=cluster.get("clusterName"),
        cluster_arn=cluster.get("clusterArn"),
        container_insights=setting_value(settings) or "",
        settings=settings_list(settings),
    )
    if module._diff:
        result["diff"] = dict(before=dict(container_insights=current or ""), after=dict(container_insights=wanted))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
