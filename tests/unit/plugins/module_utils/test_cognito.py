# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the Cognito module_utils: URLs, view comparison, tags, pool lookup."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.module_utils import cognito


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = params
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs["msg"])

    def exit_json(self, **kwargs):
        raise SystemExit(kwargs)

    def fail_json_aws(self, error, msg):
        raise AssertionError(msg)


class FakeClient:
    """ListUserPools in pages of two."""

    def __init__(self, pools):
        self.pools = pools
        self.calls = []

    def list_user_pools(self, aws_retry=False, MaxResults=60, NextToken=None):
        self.calls.append(NextToken)
        start = int(NextToken or 0)
        page = {"UserPools": self.pools[start : start + 2]}
        if start + 2 < len(self.pools):
            page["NextToken"] = str(start + 2)
        return page


def test_urls():
    assert (
        cognito.issuer_url("eu-west-1", "eu-west-1_Abc") == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
    )
    assert cognito.openid_configuration_url("eu-west-1", "eu-west-1_Abc").endswith(
        "/eu-west-1_Abc/.well-known/openid-configuration"
    )
    assert cognito.domain_url("stack-1a2b", "us-east-1") == "https://stack-1a2b.auth.us-east-1.amazoncognito.com"
    assert cognito.domain_url("auth.example.com", "us-east-1") == "https://auth.example.com"
    assert cognito.is_custom_domain("auth.example.com") and not cognito.is_custom_domain("stack-1a2b")


def test_changed_keys_ignores_unmanaged_and_unordered():
    current = {"a": 1, "scopes": ["openid", "email"], "flows": ["x", "y"], "policy": {"min": 12, "upper": True}}
    assert cognito.changed_keys(current, {"a": None, "scopes": ["email", "openid"]}, unordered=("scopes",)) == []
    assert cognito.changed_keys(current, {"flows": ["y", "x"]}) == ["flows"]
    # a wanted dict is a subset: keys it leaves out are not managed
    assert cognito.changed_keys(current, {"policy": {"min": 12}}) == []
    assert cognito.changed_keys(current, {"policy": {"min": 16}, "a": 2}) == ["a", "policy"]
    assert cognito.changed_keys(None, {"a": 1}) == ["a"]


def test_changed_keys_exact_dicts_catch_extra_keys():
    current = {"tags": {"Stack": "s", "Team": "t"}}
    assert cognito.changed_keys(current, {"tags": {"Stack": "s"}}) == []
    assert cognito.changed_keys(current, {"tags": {"Stack": "s"}}, exact=("tags",)) == ["tags"]
    assert cognito.changed_keys(current, {"tags": {"Stack": "s", "Team": "t"}}, exact=("tags",)) == []


def test_merge_view_lays_managed_values_over_current():
    current = {"a": 1, "policy": {"min": 12, "upper": True}, "b": [1]}
    merged = cognito.merge_view(current, {"a": None, "policy": {"min": 16}, "b": [2]})
    assert merged == {"a": 1, "policy": {"min": 16, "upper": True}, "b": [2]}
    assert current["policy"]["min"] == 12, "merge_view must not change its input"


def test_wanted_tags():
    assert cognito.wanted_tags({"a": "1"}, None, True) is None
    assert cognito.wanted_tags({"a": "1", "b": "2"}, {"a": "1"}, True) == {"a": "1"}
    assert cognito.wanted_tags({"a": "1", "b": "2"}, {"c": 3}, False) == {"a": "1", "b": "2", "c": "3"}
    assert cognito.wanted_tags({"aws:x": "1"}, {}, True) == {"aws:x": "1"}


def test_without_none():
    assert cognito.without_none({"a": None, "b": 0, "c": ""}) == {"b": 0, "c": ""}


def test_find_user_pool_id_pages_and_matches_exactly():
    pools = [{"Id": f"p{i}", "Name": f"pool-{i}"} for i in range(5)]
    client = FakeClient(pools)
    assert cognito.find_user_pool_id(client, FakeModule(), "pool-4") == "p4"
    assert client.calls == [None, "2", "4"]
    assert cognito.find_user_pool_id(FakeClient(pools), FakeModule(), "pool") is None


def test_find_user_pool_id_fails_on_duplicates():
    client = FakeClient([{"Id": "p1", "Name": "dup"}, {"Id": "p2", "Name": "other"}, {"Id": "p3", "Name": "dup"}])
    with pytest.raises(AssertionError, match="2 user pools are named 'dup' \\(p1, p3\\)"):
        cognito.find_user_pool_id(client, FakeModule(), "dup")


def test_missing_pool_reports_change_in_check_mode_only():
    with pytest.raises(SystemExit) as exit_info:
        cognito.missing_pool(FakeModule(check_mode=True, user_pool_name="p"), client_id="")
    assert exit_info.value.args[0] == {"changed": True, "client_id": ""}
    with pytest.raises(AssertionError, match="user pool 'p' does not exist"):
        cognito.missing_pool(FakeModule(user_pool_name="p"))
