# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ecs_cluster_settings module's pure logic (settings lists, argument checks)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import ecs_cluster_settings
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

SETTINGS = [{"name": "containerInsights", "value": "disabled"}]


def test_setting_value_reads_the_named_setting():
    assert ecs_cluster_settings.setting_value(SETTINGS) == "disabled"
    assert ecs_cluster_settings.setting_value([{"name": "other", "value": "x"}, *SETTINGS]) == "disabled"


@pytest.mark.parametrize("settings", [None, [], [{"name": "other", "value": "x"}]])
def test_setting_value_is_none_when_the_cluster_reports_none(settings):
    assert ecs_cluster_settings.setting_value(settings) is None


def test_with_setting_replaces_the_setting_and_keeps_the_others():
    other = {"name": "other", "value": "x"}
    updated = ecs_cluster_settings.with_setting([other, *SETTINGS], "enhanced")
    assert updated == [other, {"name": "containerInsights", "value": "enhanced"}]
    assert SETTINGS == [{"name": "containerInsights", "value": "disabled"}], "the input is not modified"
    assert ecs_cluster_settings.with_setting(None, "enabled") == [{"name": "containerInsights", "value": "enabled"}]


def test_settings_list_keeps_name_and_value_only():
    assert ecs_cluster_settings.settings_list([{"name": "containerInsights", "value": "enabled", "x": 1}]) == [
        {"name": "containerInsights", "value": "enabled"}
    ]
    assert ecs_cluster_settings.settings_list(None) == []


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def run_main(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        ecs_cluster_settings.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_a_bad_value_fails_before_any_aws_call(capsys, no_sdk_check):
    code, result = run_main(capsys, {"cluster": "stack", "container_insights": "on"})
    assert code == 1
    assert "container_insights" in result["msg"]
    assert "enhanced" in result["msg"]


def test_an_empty_cluster_fails_before_any_aws_call(capsys, no_sdk_check):
    code, result = run_main(capsys, {"cluster": " ", "container_insights": "enabled"})
    assert code == 1
    assert result["msg"] == "cluster must be the name or ARN of an ECS cluster, got an empty string"
