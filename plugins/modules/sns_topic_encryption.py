#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sns_topic_encryption
short_description: Set or remove the KMS key that encrypts an SNS topic
version_added: 0.1.0
description:
  - Sets the C(KmsMasterKeyId) attribute of an existing Amazon SNS topic (server-side encryption
    with a KMS key), or removes it. community.aws.sns_topic has no option for it.
  - The topic must exist (community.aws.sns_topic creates it); this module fails when it does not.
    It manages no tags, no subscriptions and no other attribute of the topic.
  - "How a change is detected: SNS keeps the value as it was given (a key ID, a key ARN, an alias
    name or an alias ARN). The module resolves the value it is given and the value the topic has
    through C(kms:DescribeKey) to key ARNs and compares those: O(kms_key_id=alias/openwebui-prod)
    on a topic that holds that key's ARN is no change. A value in the topic that does not resolve
    (a deleted key, or a key the caller may not describe) differs from any key. When it writes, the
    module writes O(kms_key_id) as given, so an alias keeps following its target as SNS resolves it."
  - The key must be an C(Enabled) symmetric encryption key (SNS supports no other); the module
    fails, naming O(kms_key_id), on a key that does not exist, is not enabled, or is asymmetric.
  - Publishers need C(kms:GenerateDataKey*) and C(kms:Decrypt) on the key, AWS services (CloudWatch
    alarms, EventBridge) through the key policy; without them an encrypted topic drops their messages.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  topic_arn:
    description: ARN of the SNS topic (C(arn:<partition>:sns:<region>:<account>:<name>)).
    type: str
    required: true
    aliases: [arn]
  kms_key_id:
    description:
      - The KMS key that encrypts the topic's messages, as a key ID, key ARN, alias name
        (C(alias/...)) or alias ARN. C(alias/aws/sns) is the AWS managed key of SNS.
      - An empty string removes the encryption.
    type: str
    required: true
    aliases: [kms_master_key_id]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the alarm topic
  community.aws.sns_topic:
    name: openwebui-prod-alarms
  register: topic

- name: Encrypt it with the stack's key
  ajudadigital.openwebui.sns_topic_encryption:
    topic_arn: "{{ topic.sns_arn }}"
    kms_key_id: alias/openwebui-prod

- name: Remove the encryption
  ajudadigital.openwebui.sns_topic_encryption:
    topic_arn: "{{ topic.sns_arn }}"
    kms_key_id: ""
"""

RETURN = r"""
topic_arn:
  description: ARN of the topic.
  returned: always
  type: str
  sample: arn:aws:sns:eu-west-1:123456789012:openwebui-prod-alarms
kms_master_key_id:
  description:
    - The topic's C(KmsMasterKeyId) (empty when the topic is not encrypted), as SNS keeps it.
    - In check mode, the value the topic would have.
  returned: always
  type: str
  sample: alias/openwebui-prod
kms_key_arn:
  description:
    - ARN of the key that O(kms_master_key_id) resolves to (empty when the topic is not encrypted,
      or when the topic's value does not resolve).
  returned: always
  type: str
  sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# arn:<partition>:sns:<region>:<account>:<topic name> (a FIFO topic's name ends in .fifo).
TOPIC_ARN = re.compile(r"^arn:[a-z0-9-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
# What KMS answers for a key or alias that does not exist, or that the caller may not describe.
KEY_NOT_USABLE = ["NotFoundException", "AccessDeniedException", "InvalidArnException"]


def topic_arn_problem(arn):
    """An error message naming the option when ``arn`` is not an SNS topic ARN, else None."""
    if not TOPIC_ARN.match(arn or ""):
        return "topic_arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got {0!r}".format(
            arn
        )
    return None


def key_problem(kms_key_id, metadata):
    """Why SNS could not use this key (an error message naming the option), or None."""
    state = metadata.get("KeyState")
    if state != "Enabled":
        return "kms_key_id {0}: the key {1} is {2}, not Enabled: SNS could not encrypt with it".format(
            kms_key_id, metadata.get("Arn"), state
        )
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
    if metadata.get("KeyUsage") != "ENCRYPT_DECRYPT" or spec not in (None, "SYMMETRIC_DEFAULT"):
        return "kms_key_id {0}: the key {1} is {2} {3}; SNS supports symmetric encryption keys only".format(
            kms_key_id, metadata.get("Arn"), spec, metadata.get("KeyUsage")
        )
    return None


def needs_change(current, current_arn, wanted_arn):
    """Whether the topic's key must be written: ``current`` is its ``KmsMasterKeyId`` ('' when
    not encrypted) and ``current_arn`` the key it resolves to ('' when it resolves to none);
    ``wanted_arn`` the key asked for ('' for no encryption). A value that resolves to no key
    is rewritten (or removed) whatever is asked."""
    if current and not current_arn:
        return True
    return current_arn != wanted_arn


def state_of(value, key_arn):
    """The before/after of the diff."""
    return dict(kms_master_key_id=value, kms_key_arn=key_arn)


def get_topic_key(client, module, topic_arn):
    """The topic's ``KmsMasterKeyId`` ('' when not encrypted); fails when the topic does not exist."""
    try:
        attributes = client.get_topic_attributes(aws_retry=True, TopicArn=topic_arn)["Attributes"]
    except is_boto3_error_code("NotFound"):
        module.fail_json(
            msg="topic_arn {0}: no such SNS topic; create it first (community.aws.sns_topic)".format(topic_arn)
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to get the attributes of SNS topic {0}".format(topic_arn))
    return attributes.get("KmsMasterKeyId") or ""


def describe_key(kms, module, key_id):
    """The key's metadata, or None when KMS does not know it (or the caller may not describe it)."""
    try:
        return kms.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code(KEY_NOT_USABLE):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe KMS key {0}".format(key_id))


def wanted_key_arn(kms, module, kms_key_id):
    """ARN of the key ``kms_key_id`` names ('' for no key); fails naming the option when SNS cannot use it."""
    if not kms_key_id:
        return ""
    try:
        metadata = kms.describe_key(aws_retry=True, KeyId=kms_key_id)["KeyMetadata"]
    except is_boto3_error_code(KEY_NOT_USABLE) as e:
        module.fail_json(
            msg="kms_key_id {0}: no KMS key found, or no permission to describe it (kms:DescribeKey: {1})".format(
                kms_key_id, e.response.get("Error", {}).get("Message", e)
            )
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe KMS key {0}".format(kms_key_id))
    problem = key_problem(kms_key_id, metadata)
    if problem:
        module.fail_json(msg=problem)
    return metadata["Arn"]


def main():
    argument_spec = dict(
        topic_arn=dict(type="str", required=True, aliases=["arn"]),
        kms_key_id=dict(type="str", required=True, aliases=["kms_master_key_id"], no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    topic_arn = module.params["topic_arn"]
    kms_key_id = (module.params["kms_key_id"] or "").strip()
    problem = topic_arn_problem(topic_arn)
    if problem:
        module.fail_json(msg=problem)

    retry = AWSRetry.jittered_backoff()
    sns = aws_client(module, "sns", retry_decorator=retry)
    kms = aws_client(module, "kms", retry_decorator=retry)

    current = get_topic_key(sns, module, topic_arn)
    current_metadata = describe_key(kms, module, current) if current else None
    current_arn = current_metadata["Arn"] if current_metadata else ""
    wanted_arn = wanted_key_arn(kms, module, kms_key_id)

    changed = needs_change(current, current_arn, wanted_arn)
    before = state_of(current, current_arn)
    after = state_of(kms_key_id, wanted_arn) if changed else before
    if changed and not module.check_mode:
        try:
            sns.set_topic_attributes(
                aws_retry=True, TopicArn=topic_arn, AttributeName="KmsMasterKeyId", AttributeValue=kms_key_id
            )
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to set the KMS key of SNS topic {0}".format(topic_arn))
        after = state_of(get_topic_key(sns, module, topic_arn), wanted_arn)

    result = dict(changed=changed, topic_arn=topic_arn, **after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
