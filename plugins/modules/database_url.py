#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: database_url
short_description: Store the PostgreSQL URL that Open WebUI reads as DATABASE_URL in AWS Secrets Manager
version_added: 0.1.0
description:
  - Builds C(scheme://user:password@host:port/database?query) from its parts, the value
    that Open WebUI reads as E(DATABASE_URL) and E(PGVECTOR_DB_URL), and stores it as the
    string value of an AWS Secrets Manager secret, creating the secret when it does not exist.
  - The URL never leaves the module. It is not returned, not shown in the diff and not
    written into warnings or errors; only RV(url_redacted) (the password replaced by
    C(********)) is returned. Point the application at the secret (for example an ECS task
    definition's C(secrets) with RV(arn)).
  - The user, the password and the database name are percent-encoded with nothing left
    safe (C(urllib.parse.quote) with C(safe='')), so C(:), C(@), C(/), C(?), C(#), C(%),
    C(+), spaces and non-ASCII characters reach the server unchanged. C(quote_plus) is never
    used, because it would turn a C(+) into a space.
  - IPv6 addresses are put in brackets; query parameters are sorted by name and
    percent-encoded the same way.
  - Idempotent. The stored value is read (C(GetSecretValue)) and compared with the URL; the
    value is written (C(PutSecretValue)) only when it differs, or when O(kms_key_id) changes
    (so that the current value is encrypted with the new key). A secret scheduled for
    deletion is restored (C(RestoreSecret)) and then updated.
  - The secret is only ever created or updated; to delete it use
    M(community.aws.secretsmanager_secret) with O(community.aws.secretsmanager_secret#module:state=absent).
  - Bad input fails with an error that names the option, before any AWS call.
  - For an URL in memory (not stored), use the filter P(ajudadigital.openwebui.database_url#filter),
    which shares the assembly code.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  secret_name:
    description:
      - Name of the secret (not an ARN), up to 512 letters, digits and C(/_+=.@-).
    type: str
    required: true
  description:
    description:
      - Description of the secret. Left as it is when not given.
    type: str
  kms_key_id:
    description:
      - ARN, key ID or alias of the KMS key that encrypts the secret value.
      - When not given (or empty), a new secret uses the account's C(aws/secretsmanager) key
        and an existing secret keeps its key.
    type: str
  tags:
    description:
      - Tags of the secret, as a dictionary. Left as they are when not given.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove the tags of the secret that are not in O(tags). Has no effect when O(tags)
        is not given.
    type: bool
    default: true
  scheme:
    description:
      - URL scheme, with the SQLAlchemy driver suffix when one is wanted.
      - Open WebUI accepts C(postgresql) (psycopg2) for E(DATABASE_URL) and E(PGVECTOR_DB_URL).
    type: str
    default: postgresql
    choices:
      - postgresql
      - postgres
      - postgresql+psycopg
      - postgresql+psycopg2
      - postgresql+asyncpg
      - postgresql+pg8000
  user:
    description:
      - Name of the database role. Must not be empty or contain control characters.
    type: str
    required: true
  password:
    description:
      - Password of O(user). Left out of the URL when not given or empty. Must not contain
        control characters.
    type: str
  host:
    description:
      - Host name, IPv4 address or IPv6 address (bare or in brackets) of the server,
        for example the RDS endpoint address.
    type: str
    required: true
  port:
    description:
      - TCP port of the server, between 1 and 65535.
    type: int
    default: 5432
  database:
    description:
      - Name of the database. Must not be empty or contain control characters.
    type: str
    required: true
  query:
    description:
      - Query parameters appended to the URL, for example C(sslmode) and C(sslrootcert).
      - Keys are sorted; keys and values are percent-encoded with nothing left safe;
        booleans become C(true)/C(false).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs C(secretsmanager:DescribeSecret), C(GetSecretValue), C(CreateSecret), C(PutSecretValue),
    C(UpdateSecret), C(TagResource), C(UntagResource), C(RestoreSecret) on the secret, and the
    KMS permissions to encrypt and decrypt with O(kms_key_id).
  - The module's result holds no secret, but the task's arguments do (the password is
    masked by Ansible, the other parts are not secret); set C(no_log=true) on the task
    anyway, as for every task that handles a password.
  - Check mode reads the secret and reports what would change; it writes nothing.
  - Diff mode shows the description, the KMS key, the tags and whether the value changes,
    never the value.
  - Up to version 0.1.0 this module returned the URL as C(url) and stored nothing. Ansible's
    C(no_log) masking of the O(password) option replaced a password that needs no
    percent-encoding with C(********) inside that C(url), so a stored C(url) could not log in.
seealso:
  - plugin: ajudadigital.openwebui.database_url
    plugin_type: filter
  - module: community.aws.secretsmanager_secret
  - module: ajudadigital.openwebui.pgvector_extension
"""

EXAMPLES = r"""
- name: Store DATABASE_URL of Open WebUI in Secrets Manager
  ajudadigital.openwebui.database_url:
    secret_name: openwebui-prod/database-url
    description: DATABASE_URL and PGVECTOR_DB_URL of Open WebUI
    kms_key_id: "{{ stack_kms_key_arn }}"
    tags:
      Project: openwebui
    user: openwebui
    password: "{{ openwebui_db_password }}"
    host: "{{ rds_instance.endpoint.address }}"
    port: "{{ rds_instance.endpoint.port }}"
    database: openwebui
    query:
      sslmode: verify-full
      sslrootcert: /etc/ssl/certs/rds-global-bundle.pem
  register: openwebui_database_url
  no_log: true

- name: Show where the application will connect (without the password)
  ansible.builtin.debug:
    msg: "{{ openwebui_database_url.url_redacted }} is stored in {{ openwebui_database_url.arn }}"

- name: An IPv6 server and the psycopg 3 driver of SQLAlchemy, through the collection's AWS group
  ajudadigital.openwebui.database_url:
    secret_name: openwebui-dev/database-url
    scheme: postgresql+psycopg
    user: openwebui
    password: "p@ss:w/rd+ %"
    host: "2001:db8::10"
    database: openwebui
  # stores 'postgresql+psycopg://openwebui:p%40ss%3Aw%2Frd%2B%20%25@[2001:db8::10]:5432/openwebui'
  no_log: true
  module_defaults:
    group/ajudadigital.openwebui.aws:
      region: eu-west-1
"""

RETURN = r"""
arn:
  description: ARN of the secret (empty when check mode would create it).
  returned: always
  type: str
  sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:openwebui-prod/database-url-AbCdEf
name:
  description: Name of the secret.
  returned: always
  type: str
  sample: openwebui-prod/database-url
version_id:
  description:
    - ID of the secret version that holds the URL, the new one when the value was written
      (empty when check mode would write a new version).
  returned: always
  type: str
  sample: 1d5c3b2e-7f6a-4c1b-9e8d-0a1b2c3d4e5f
value_changed:
  description: Whether the stored value was (or in check mode would be) written.
  returned: always
  type: bool
  sample: false
url_redacted:
  description:
    - The URL with the password replaced by C(********), for display and logs.
  returned: always
  type: str
  sample: postgresql://openwebui:********@db.example.internal:5432/openwebui?sslmode=require
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
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import (
    DEFAULT_PORT,
    DEFAULT_SCHEME,
    SCHEMES,
    DatabaseUrlError,
    build_database_url,
)

# Names Secrets Manager accepts for a secret.
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# What the diff shows instead of the value.
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"


def check_secret_name(name):
    """An error message naming the option, or None."""
    if not SECRET_NAME.match(name or ""):
        return "database_url: option 'secret_name' must be 1 to 512 letters, digits or /_+=.@-, got %r" % (name,)
    return None


def same_kms_key(wanted, current):
    """Whether the key ``wanted`` (ARN, key ID or alias) is the key ``current`` that AWS reports."""
    if wanted is None:
        return True
    if not current:
        return False
    if wanted == current:
        return True
    # A key ID or an alias name against the ARN Secrets Manager may report, and the reverse.
    return current.endswith(":key/" + wanted) or current.endswith(":" + wanted) or wanted.endswith(":key/" + current)


def plan(current, wanted):
    """What to change on the secret ``current`` (None: missing) to reach ``wanted``.

    ``current``: description, kms_key_id, tags (dict), deleted (bool), value_matches (bool or None
    when unknown). ``wanted``: description, kms_key_id, tags (None: leave), purge_tags.
    Returns a dict of what to do; ``changed`` is their union.
    """
    if current is None:
        return dict(
            create=True,
            changed=True,
            restore=False,
            update=False,
            kms_changed=False,
            put_value=True,
            tags_add={},
            tags_remove=[],
        )
    kms_changed = not same_kms_key(wanted["kms_key_id"], current["kms_key_id"])
    description_changed = wanted["description"] is not None and wanted["description"] != (current["description"] or "")
    update = description_changed or kms_changed
    put_value = current["value_matches"] is not True or kms_changed
    tags_add, tags_remove = {}, []
    if wanted["tags"] is not None:
        tags_add, tags_remove = compare_aws_tags(current["tags"], wanted["tags"], wanted["purge_tags"])
    restore = bool(current["deleted"])
    changed = bool(restore or update or put_value or tags_add or tags_remove)
    return dict(
        create=False,
        changed=changed,
        restore=restore,
        update=update,
        kms_changed=kms_changed,
        put_value=put_value,
        tags_add=tags_add,
        tags_remove=tags_remove,
    )


def diff_of(current, wanted, todo):
    """The diff: description, KMS key, tags and whether the value changes, never the value."""
    before = {}
    if current is not None:
        before = dict(
            description=current["description"] or "",
            kms_key_id=current["kms_key_id"] or "",
            tags=current["tags"],
            value=HIDDEN,
        )
        if current["deleted"]:
            before["scheduled_for_deletion"] = True
    after = dict(
        description=wanted["description"] if wanted["description"] is not None else before.get("description", ""),
        kms_key_id=wanted["kms_key_id"] if wanted["kms_key_id"] is not None else before.get("kms_key_id", ""),
        tags=before.get("tags", {}) if wanted["tags"] is None else dict(wanted["tags"]),
        value=HIDDEN_CHANGED if todo["put_value"] else HIDDEN,
    )
    if wanted["tags"] is not None and not wanted["purge_tags"]:
        merged = dict(before.get("tags", {}))
        merged.update(wanted["tags"])
        after["tags"] = merged
    return dict(before=before, after=after)


def describe(client, module, name):
    try:
        return client.describe_secret(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe secret %s" % name)


def current_value(client, module, name):
    """(SecretString, VersionId) of the AWSCURRENT version, or (None, None) when it has none."""
    try:
        response = client.get_secret_value(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None, None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        # The error names the secret and the call only; it never holds the value.
        module.fail_json_aws(e, msg="Failed to read the value of secret %s" % name)
    return response.get("SecretString"), response.get("VersionId")


def call(module, what, name, function, **kwargs):
    try:
        return function(aws_retry=True, **kwargs)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to %s secret %s" % (what, name))


def ensure(client, module, name, url, wanted):
    found = describe(client, module, name)
    current = None
    version_id = ""
    if found is not None:
        current = dict(
            description=found.get("Description"),
            kms_key_id=found.get("KmsKeyId"),
            tags=boto3_tag_list_to_ansible_dict(found.get("Tags") or []),
            deleted=bool(found.get("DeletedDate")),
            value_matches=None,
        )
        if not current["deleted"]:
            value, version_id = current_value(client, module, name)
            current["value_matches"] = value == url
    todo = plan(current, wanted)
    arn = found["ARN"] if found else ""

    if not module.check_mode and todo["changed"]:
        if todo["create"]:
            kwargs = dict(Name=name, SecretString=url)
            if wanted["description"] is not None:
                kwargs["Description"] = wanted["description"]
            if wanted["kms_key_id"] is not None:
                kwargs["KmsKeyId"] = wanted["kms_key_id"]
            if wanted["tags"]:
                kwargs["Tags"] = ansible_dict_to_boto3_tag_list(wanted["tags"])
            response = call(module, "create", name, client.create_secret, **kwargs)
            arn, version_id = response["ARN"], response.get("VersionId", "")
        else:
            if todo["restore"]:
                call(module, "restore", name, client.restore_secret, SecretId=name)
                # The value of a secret scheduled for deletion cannot be read: compare it now.
                value, version_id = current_value(client, module, name)
                todo["put_value"] = value != url or todo["kms_changed"]
            if todo["update"]:
                kwargs = dict(SecretId=name)
                if wanted["description"] is not None:
                    kwargs["Description"] = wanted["description"]
                if wanted["kms_key_id"] is not None:
                    kwargs["KmsKeyId"] = wanted["kms_key_id"]
                call(module, "update", name, client.update_secret, **kwargs)
            if todo["put_value"]:
                response = call(
                    module, "write the value of", name, client.put_secret_value, SecretId=name, SecretString=url
                )
                version_id = response.get("VersionId", "")
            if todo["tags_remove"]:
                call(module, "untag", name, client.untag_resource, SecretId=name, TagKeys=todo["tags_remove"])
            if todo["tags_add"]:
                tags = ansible_dict_to_boto3_tag_list(todo["tags_add"])
                call(module, "tag", name, client.tag_resource, SecretId=name, Tags=tags)
    elif todo["put_value"]:
        version_id = ""  # check mode: a new version would hold the value

    result = dict(
        changed=todo["changed"], arn=arn, name=name, version_id=version_id or "", value_changed=todo["put_value"]
    )
    if module._diff:
        result["diff"] = diff_of(current, wanted, todo)
    return result


def main():
    argument_spec = dict(
        secret_name=dict(type="str", required=True),
        description=dict(type="str"),
        kms_key_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        scheme=dict(type="str", default=DEFAULT_SCHEME, choices=list(SCHEMES)),
        user=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        host=dict(type="str", required=True),
        port=dict(type="int", default=DEFAULT_PORT),
        database=dict(type="str", required=True),
        query=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    error = check_secret_name(params["secret_name"])
    if error:
        module.fail_json(msg=error, option="secret_name")
    try:
        built = build_database_url(
            scheme=params["scheme"],
            user=params["user"],
            password=params["password"],
            host=params["host"],
            port=params["port"],
            database=params["database"],
            query=params["query"],
        )
    except DatabaseUrlError as e:
        module.fail_json(msg=str(e), option=e.option)
    wanted = dict(
        description=params["description"],
        kms_key_id=params["kms_key_id"] or None,
        tags=params["tags"],
        purge_tags=params["purge_tags"],
    )

    client = aws_client(module, "secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    result = ensure(client, module, params["secret_name"], built["url"], wanted)
    # Only the redacted form leaves the module.
    module.exit_json(url_redacted=built["url_redacted"], **result)


if __name__ == "__main__":
    main()
