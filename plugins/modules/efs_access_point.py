#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: efs_access_point
short_description: Manage an access point of an EFS file system
version_added: 0.1.0
description:
  - Creates, updates the tags of, or deletes one access point of an Amazon EFS file system.
    M(community.aws.efs) manages file systems and mount targets but has no access points.
  - The access point is found by O(access_point_id), else by its C(Name) tag (O(name)) on the
    file system, else by its root directory path and POSIX user.
  - AWS cannot modify an access point except its tags. When an immutable setting differs
    (O(posix_user), O(path), O(creation_info)), the module fails naming the settings that differ,
    before any change, unless O(allow_replacement=true), in which case it deletes the access point and
    creates it again (RV(replaced)), which gives it a new ID (task definitions that name the old
    ID must be updated).
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  state:
    description: Whether the access point should exist.
    type: str
    choices: [present, absent]
    default: present
  file_system_id:
    description: ID of the EFS file system, for example V(fs-0123456789abcdef0).
    type: str
    required: true
  access_point_id:
    description: ID of an existing access point to manage; omit to find it by O(name) or O(path).
    type: str
  name:
    description:
      - Name of the access point (its C(Name) tag); it identifies the access point on the file system.
      - Overrides a C(Name) key in O(tags).
    type: str
  path:
    description: Directory of the file system that the access point exposes as its root.
    type: str
    default: /
  posix_user:
    description:
      - POSIX identity that every file system request through the access point uses.
      - Omit to let clients use their own identity.
    type: dict
    suboptions:
      uid:
        description: User ID.
        type: int
        required: true
      gid:
        description: Group ID.
        type: int
        required: true
      secondary_gids:
        description: Secondary group IDs.
        type: list
        elements: int
  creation_info:
    description:
      - Owner and permissions that EFS gives O(path) when it creates the directory on first use.
      - Without it, O(path) must exist already (or be C(/)).
    type: dict
    suboptions:
      owner_uid:
        description: User ID of the directory's owner.
        type: int
        required: true
      owner_gid:
        description: Group ID of the directory's owner.
        type: int
        required: true
      permissions:
        description: Permissions of the directory, in octal, for example V("0755").
        type: str
        required: true
  allow_replacement:
    description:
      - Whether the module may delete the access point and create a new one (with a new ID) when
        an immutable setting differs. Without it, such a difference fails the task, naming the settings.
      - Check mode and diff mode show the replacement (RV(replaced), C(diff)).
    type: bool
    default: false
  wait:
    description: Wait until a new access point is C(available).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 120
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Access point for Open WebUI's data directory (created on first use, owned by root)
  ajudadigital.openwebui.efs_access_point:
    file_system_id: fs-0123456789abcdef0
    name: openwebui-prod-data
    path: /openwebui
    posix_user:
      uid: 0
      gid: 0
    creation_info:
      owner_uid: 0
      owner_gid: 0
      permissions: "0750"
    tags:
      Stack: openwebui-prod
  register: access_point

- name: Remove it
  ajudadigital.openwebui.efs_access_point:
    file_system_id: fs-0123456789abcdef0
    name: openwebui-prod-data
    state: absent
"""

RETURN = r"""
access_point_id:
  description: ID of the access point (empty when absent, or when created in check mode).
  returned: always
  type: str
  sample: fsap-0123456789abcdef0
access_point_arn:
  description: ARN of the access point (empty when absent, or when created in check mode).
  returned: always
  type: str
  sample: arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0
replaced:
  description:
    - Whether the access point was (or in check mode would be) deleted and created again because
      an immutable setting differed (only with O(allow_replacement=true)).
  returned: always
  type: bool
  sample: false
replaced_settings:
  description: The immutable settings that differed, when RV(replaced) is true (else empty).
  returned: always
  type: list
  elements: str
  sample: [path]
access_point:
  description: The access point as EFS describes it, in snake case (empty when absent).
  returned: always
  type: dict
  contains:
    access_point_id:
      description: ID of the access point.
      type: str
      returned: when present
    file_system_id:
      description: ID of the file system.
      type: str
      returned: when present
    name:
      description: Name (the C(Name) tag).
      type: str
      returned: when present
    life_cycle_state:
      description: C(creating), C(available), C(deleting) or C(error).
      type: str
      returned: when present
    posix_user:
      description: POSIX user (C(uid), C(gid), C(secondary_gids)).
      type: dict
      returned: when present
    root_directory:
      description: Root directory (C(path), C(creation_info)).
      type: dict
      returned: when present
    tags:
      description: Tags of the access point.
      type: dict
      returned: when present
  sample:
    access_point_id: fsap-0123456789abcdef0
    file_system_id: fs-0123456789abcdef0
    name: openwebui-prod-data
    life_cycle_state: available
    posix_user: {uid: 0, gid: 0}
    root_directory:
      path: /openwebui
      creation_info: {owner_uid: 0, owner_gid: 0, permissions: "0750"}
    tags:
      Name: openwebui-prod-data
      Stack: openwebui-prod
"""

import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def normalize_path(path):
    """A root directory path as EFS stores it: absolute, without a trailing slash."""
    path = "/" + (path or "/").strip("/")
    return path


def normalize_permissions(permissions):
    """Octal permissions as a 4-digit string ("755" and "0755" are the same)."""
    if permissions is None:
        return None
    return str(permissions).strip().rjust(4, "0")


def wanted_posix_user(params):
    """PosixUser of CreateAccessPoint, or None."""
    user = params.get("posix_user")
    if not user:
        return None
    result = {"Uid": user["uid"], "Gid": user["gid"]}
    if user.get("secondary_gids"):
        result["SecondaryGids"] = sorted(user["secondary_gids"])
    return result


def wanted_root_directory(params):
    """RootDirectory of CreateAccessPoint."""
    root = {"Path": normalize_path(params.get("path"))}
    info = params.get("creation_info")
    if info:
        root["CreationInfo"] = {
            "OwnerUid": info["owner_uid"],
            "OwnerGid": info["owner_gid"],
            "Permissions": normalize_permissions(info["permissions"]),
        }
    return root


def wanted_tags(params):
    """Tags to set: O(tags) with the Name tag from O(name); None when neither is given."""
    tags = params.get("tags")
    if tags is None and not params.get("name"):
        return None
    tags = dict(tags or {})
    if params.get("name"):
        tags["Name"] = params["name"]
    return tags


def current_posix_user(access_point):
    user = access_point.get("PosixUser")
    if not user:
        return None
    result = {"Uid": user.get("Uid"), "Gid": user.get("Gid")}
    if user.get("SecondaryGids"):
        result["SecondaryGids"] = sorted(user["SecondaryGids"])
    return result


def current_root_directory(access_point):
    root = access_point.get("RootDirectory") or {}
    result = {"Path": normalize_path(root.get("Path"))}
    info = root.get("CreationInfo")
    if info:
        result["CreationInfo"] = {
            "OwnerUid": info.get("OwnerUid"),
            "OwnerGid": info.get("OwnerGid"),
            "Permissions": normalize_permissions(info.get("Permissions")),
        }
    return result


def name_of(access_point):
    tags = boto3_tag_list_to_ansible_dict(access_point.get("Tags", []))
    return tags.get("Name") or access_point.get("Name")


def find_match(access_points, params):
    """The access points (of one file system) that the parameters designate."""
    live = [ap for ap in access_points if ap.get("LifeCycleState") not in ("deleting", "deleted")]
    if params.get("access_point_id"):
        return [ap for ap in live if ap.get("AccessPointId") == params["access_point_id"]]
    if params.get("name"):
        return [ap for ap in live if name_of(ap) == params["name"]]
    path = normalize_path(params.get("path"))
    user = wanted_posix_user(params)
    return [ap for ap in live if current_root_directory(ap)["Path"] == path and current_posix_user(ap) == user]


def immutable_differences(access_point, params):
    """Names of the options that differ and that only a replacement can change."""
    diffs = []
    if current_posix_user(access_point) != wanted_posix_user(params):
        diffs.append("posix_user")
    current_root = current_root_directory(access_point)
    wanted_root = wanted_root_directory(params)
    if current_root["Path"] != wanted_root["Path"]:
        diffs.append("path")
    if params.get("creation_info") and current_root.get("CreationInfo") != wanted_root.get("CreationInfo"):
        diffs.append("creation_info")
    return diffs


def create_request(params, tags):
    """Keyword arguments of CreateAccessPoint (botocore fills in the ClientToken)."""
    request = {"FileSystemId": params["file_system_id"], "RootDirectory": wanted_root_directory(params)}
    user = wanted_posix_user(params)
    if user:
        request["PosixUser"] = user
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def summary(access_point):
    """The access point in snake case with its tags as a dict (empty dict when absent)."""
    if not access_point:
        return {}
    result = camel_dict_to_snake_dict(dict(access_point), ignore_list=["Tags"])
    result["tags"] = boto3_tag_list_to_ansible_dict(access_point.get("Tags", []))
    result["name"] = name_of(access_point)
    result.pop("client_token", None)
    result.pop("response_metadata", None)
    return result


def wanted_view(params, tags):
    """What the access point should look like, for diff and check mode."""
    view = {
        "file_system_id": params["file_system_id"],
        "root_directory": camel_dict_to_snake_dict(wanted_root_directory(params)),
        "tags": tags or {},
    }
    user = wanted_posix_user(params)
    if user:
        view["posix_user"] = camel_dict_to_snake_dict(user)
    if tags and tags.get("Name"):
        view["name"] = tags["Name"]
    return view


def describe_access_points(client, **params):
    """DescribeAccessPoints, every page, retried."""
    return paginate(client, "describe_access_points", **params)["AccessPoints"]


def describe(client, module, file_system_id):
    try:
        return describe_access_points(client, FileSystemId=file_system_id)
    except is_boto3_error_code("FileSystemNotFound") as e:
        module.fail_json_aws(e, msg="EFS file system {0} does not exist".format(file_system_id))
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe the access points of {0}".format(file_system_id))


def find_access_point(client, module, params):
    matches = find_match(describe(client, module, params["file_system_id"]), params)
    if len(matches) > 1:
        module.fail_json(
            msg="{0} access points of {1} match; give access_point_id or a unique name".format(
                len(matches), params["file_system_id"]
            ),
            access_point_ids=[ap["AccessPointId"] for ap in matches],
        )
    return matches[0] if matches else None


def wait_available(client, module, params, access_point_id):
    deadline = time.time() + params["wait_timeout"]
    while True:
        try:
            found = client.describe_access_points(aws_retry=True, AccessPointId=access_point_id)["AccessPoints"]
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to describe access point {0}".format(access_point_id))
        state = found[0].get("LifeCycleState") if found else None
        if state == "available":
            return found[0]
        if state == "error" or time.time() >= deadline:
            module.fail_json(msg="Access point {0} is {1}, not available".format(access_point_id, state))
        time.sleep(3)


def delete_access_point(client, module, access_point_id):
    try:
        client.delete_access_point(aws_retry=True, AccessPointId=access_point_id)
    except is_boto3_error_code("AccessPointNotFound"):
        return
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete access point {0}".format(access_point_id))


def check_file_system(client, module, file_system_id):
    """Fail clearly, before creating, when the file system does not exist or is not available."""
    try:
        found = client.describe_file_systems(aws_retry=True, FileSystemId=file_system_id)["FileSystems"]
    except is_boto3_error_code("FileSystemNotFound"):
        found = []
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe EFS file system {0}".format(file_system_id))
    if not found:
        module.fail_json(msg="EFS file system {0} does not exist".format(file_system_id))
    if found[0].get("LifeCycleState") != "available":
        module.fail_json(
            msg="EFS file system {0} is {1}, not available".format(file_system_id, found[0].get("LifeCycleState"))
        )


def create_access_point(client, module, params, tags):
    try:
        return client.create_access_point(aws_retry=True, **create_request(params, tags))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to create an access point on {0}".format(params["file_system_id"]))


def update_tags(client, module, access_point_id, current, tags, purge_tags):
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    if not (to_set or to_unset) or module.check_mode:
        return bool(to_set or to_unset)
    try:
        if to_unset:
            client.untag_resource(aws_retry=True, ResourceId=access_point_id, TagKeys=to_unset)
        if to_set:
            client.tag_resource(aws_retry=True, ResourceId=access_point_id, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to update the tags of access point {0}".format(access_point_id))
    return True


def ensure_present(client, module, params):
    tags = wanted_tags(params)
    # Without O(tags), only the Name tag of O(name) is ensured; other tags are kept.
    purge_tags = params["purge_tags"] and params.get("tags") is not None
    existing = find_access_point(client, module, params)
    before = summary(existing)
    changed = False
    replaced = immutable_differences(existing, params) if existing else []

    if replaced and not params["allow_replacement"]:
        module.fail_json(
            msg=(
                "Access point {0} of {1} differs in settings AWS cannot change: {2}; set allow_replacement=true "
                "to delete it and create a new one (with a new ID)"
            ).format(existing["AccessPointId"], params["file_system_id"], ", ".join(replaced)),
            immutable_differences=replaced,
        )
    if replaced:
        changed = True
        if not module.check_mode:
            delete_access_point(client, module, existing["AccessPointId"])
        if tags is None:
            tags = before.get("tags")
        existing = None

    if existing is None:
        changed = True
        check_file_system(client, module, params["file_system_id"])
        if module.check_mode:
            after = wanted_view(params, tags)
            current = {}
        else:
            current = create_access_point(client, module, params, tags)
            if params["wait"]:
                current = wait_available(client, module, params, current["AccessPointId"])
            after = summary(current)
    else:
        current = existing
        if tags is not None and update_tags(
            client, module, existing["AccessPointId"], before["tags"], tags, purge_tags
        ):
            changed = True
            if not module.check_mode:
                current = find_access_point(client, module, dict(params, access_point_id=existing["AccessPointId"]))
        after = (
            summary(current)
            if not module.check_mode
            else dict(before, tags=tags if purge_tags else dict(before["tags"], **tags))
        )

    result = dict(
        changed=changed,
        access_point_id=(current or {}).get("AccessPointId", ""),
        access_point_arn=(current or {}).get("AccessPointArn", ""),
        access_point=summary(current),
        replaced=bool(replaced),
        replaced_settings=replaced,
    )
    if module._diff:
        result["diff"] = dict(before=before, after=after if changed else before)
    module.exit_json(**result)


def ensure_absent(client, module, params):
    existing = find_access_point(client, module, params)
    if existing is None:
        module.exit_json(
            changed=False,
            access_point_id="",
            access_point_arn="",
            access_point={},
            replaced=False,
            replaced_settings=[],
        )
    if not module.check_mode:
        delete_access_point(client, module, existing["AccessPointId"])
    result = dict(
        changed=True,
        access_point_id=existing["AccessPointId"],
        access_point_arn=existing.get("AccessPointArn", ""),
        access_point={},
        replaced=False,
        replaced_settings=[],
    )
    if module._diff:
        result["diff"] = dict(before=summary(existing), after={})
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        file_system_id=dict(type="str", required=True),
        access_point_id=dict(type="str"),
        name=dict(type="str"),
        path=dict(type="str", default="/"),
        posix_user=dict(
            type="dict",
            options=dict(
                uid=dict(type="int", required=True),
                gid=dict(type="int", required=True),
                secondary_gids=dict(type="list", elements="int"),
            ),
        ),
        creation_info=dict(
            type="dict",
            options=dict(
                owner_uid=dict(type="int", required=True),
                owner_gid=dict(type="int", required=True),
                permissions=dict(type="str", required=True),
            ),
        ),
        allow_replacement=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    info = params.get("creation_info")
    permissions = str(info["permissions"]) if info else ""
    if info and (len(permissions) > 4 or not all(c in "01234567" for c in permissions)):
        module.fail_json(msg="creation_info.permissions must be octal digits such as 0755")

    client = aws_client(module, "efs", retry_decorator=AWSRetry.jittered_backoff())
    if params["state"] == "present":
        ensure_present(client, module, params)
    else:
        ensure_absent(client, module, params)


if __name__ == "__main__":
    main()
