# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the efs_access_point module's pure logic (matching, replacement, requests)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import efs_access_point
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

PARAMS = dict(
    file_system_id="fs-1",
    access_point_id=None,
    name="stack-data",
    path="/openwebui",
    posix_user=dict(uid=1000, gid=1000, secondary_gids=None),
    creation_info=dict(owner_uid=1000, owner_gid=1000, permissions="0750"),
    tags=dict(Stack="stack"),
    purge_tags=True,
)

EXISTING = dict(
    AccessPointId="fsap-1",
    AccessPointArn="arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1",
    FileSystemId="fs-1",
    ClientToken="token",
    Name="stack-data",
    LifeCycleState="available",
    PosixUser=dict(Uid=1000, Gid=1000),
    RootDirectory=dict(Path="/openwebui", CreationInfo=dict(OwnerUid=1000, OwnerGid=1000, Permissions="750")),
    Tags=[{"Key": "Name", "Value": "stack-data"}, {"Key": "Stack", "Value": "stack"}],
)


def test_paths_and_permissions_are_normalized():
    assert efs_access_point.normalize_path("openwebui/") == "/openwebui"
    assert efs_access_point.normalize_path("/") == "/"
    assert efs_access_point.normalize_path(None) == "/"
    assert efs_access_point.normalize_permissions("750") == "0750"
    assert efs_access_point.normalize_permissions("0750") == "0750"


def test_matches_by_name_tag():
    other = dict(EXISTING, AccessPointId="fsap-2", Tags=[{"Key": "Name", "Value": "other"}], Name="other")
    assert efs_access_point.find_match([EXISTING, other], PARAMS) == [EXISTING]
    assert efs_access_point.find_match([other], PARAMS) == []


def test_matches_by_id_before_name():
    params = dict(PARAMS, access_point_id="fsap-1", name="renamed")
    assert efs_access_point.find_match([EXISTING], params) == [EXISTING]


def test_without_name_matches_path_and_user():
    params = dict(PARAMS, name=None)
    assert efs_access_point.find_match([EXISTING], params) == [EXISTING]
    assert efs_access_point.find_match([EXISTING], dict(params, path="/other")) == []
    assert efs_access_point.find_match([EXISTING], dict(params, posix_user=None)) == []


def test_deleting_access_points_are_ignored():
    assert efs_access_point.find_match([dict(EXISTING, LifeCycleState="deleting")], PARAMS) == []


def test_equal_settings_need_no_replacement():
    assert efs_access_point.immutable_differences(EXISTING, PARAMS) == []


def test_immutable_differences_are_named():
    params = dict(
        PARAMS,
        path="/elsewhere",
        posix_user=dict(uid=0, gid=0, secondary_gids=None),
        creation_info=dict(owner_uid=0, owner_gid=0, permissions="0700"),
    )
    assert efs_access_point.immutable_differences(EXISTING, params) == ["posix_user", "path", "creation_info"]


def test_unset_creation_info_is_not_a_difference():
    assert efs_access_point.immutable_differences(EXISTING, dict(PARAMS, creation_info=None)) == []


def test_create_request_carries_name_tag_and_creation_info():
    request = efs_access_point.create_request(PARAMS, efs_access_point.wanted_tags(PARAMS))
    assert request["FileSystemId"] == "fs-1"
    assert request["PosixUser"] == {"Uid": 1000, "Gid": 1000}
    assert request["RootDirectory"] == {
        "Path": "/openwebui",
        "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
    }
    assert sorted(request["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "Name", "Value": "stack-data"},
        {"Key": "Stack", "Value": "stack"},
    ]
    assert "ClientToken" not in request


def test_wanted_tags():
    assert efs_access_point.wanted_tags(dict(PARAMS, tags=None)) == {"Name": "stack-data"}
    assert efs_access_point.wanted_tags(dict(PARAMS, tags=None, name=None)) is None
    assert efs_access_point.wanted_tags(dict(PARAMS, tags={"Name": "x"}))["Name"] == "stack-data"


def test_summary_is_snake_case_with_tag_dict():
    result = efs_access_point.summary(EXISTING)
    assert result["access_point_id"] == "fsap-1"
    assert result["root_directory"]["path"] == "/openwebui"
    assert result["tags"] == {"Name": "stack-data", "Stack": "stack"}
    assert result["name"] == "stack-data"
    assert "client_token" not in result
    assert efs_access_point.summary(None) == {}


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def test_bad_permissions_fail_before_any_aws_call(capsys, no_sdk_check):
    args = dict(file_system_id="fs-1", creation_info=dict(owner_uid=0, owner_gid=0, permissions="rwx"))
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        efs_access_point.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert "creation_info.permissions" in result["msg"]


def test_missing_file_system_id_fails(capsys, no_sdk_check):
    with patch_module_args(dict(name="x")), pytest.raises(SystemExit) as info:
        efs_access_point.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert "file_system_id" in result["msg"]
