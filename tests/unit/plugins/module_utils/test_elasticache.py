# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ElastiCache modules' shared code (tags)."""

from __future__ import absolute_import, division, print_function

from unittest import mock

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.elasticache import (
    resource_tags,
    tag_changes,
    update_tags,
)

CURRENT = {"Stack": "openwebui", "Owner": "platform"}


def test_tag_changes_purge_or_keep():
    assert tag_changes(CURRENT, {"Stack": "openwebui", "Env": "prod"}, True) == (
        {"Env": "prod"},
        ["Owner"],
        {"Stack": "openwebui", "Env": "prod"},
    )
    assert tag_changes(CURRENT, {"Env": "prod"}, False) == ({"Env": "prod"}, [], dict(CURRENT, Env="prod"))


def test_tags_not_managed_change_nothing():
    assert tag_changes(CURRENT, None, True) == ({}, [], CURRENT)


def test_update_tags_removes_then_adds_and_says_whether_it_changed():
    client, module = mock.Mock(), mock.Mock()
    assert update_tags(client, module, "arn:rg", CURRENT, {"Stack": "openwebui", "Env": "prod"}, True, "it") is True
    client.remove_tags_from_resource.assert_called_once_with(aws_retry=True, ResourceName="arn:rg", TagKeys=["Owner"])
    client.add_tags_to_resource.assert_called_once_with(
        aws_retry=True, ResourceName="arn:rg", Tags=[{"Key": "Env", "Value": "prod"}]
    )
    client.reset_mock()
    assert update_tags(client, module, "arn:rg", CURRENT, dict(CURRENT), True, "it") is False
    assert not client.remove_tags_from_resource.called and not client.add_tags_to_resource.called


def test_resource_tags_of_a_resource_without_arn_are_none():
    client = mock.Mock()
    assert resource_tags(client, mock.Mock(), "", "it") == {}
    assert not client.list_tags_for_resource.called
    client.list_tags_for_resource.return_value = {"TagList": [{"Key": "Stack", "Value": "openwebui"}]}
    assert resource_tags(client, mock.Mock(), "arn:pg", "it") == {"Stack": "openwebui"}
