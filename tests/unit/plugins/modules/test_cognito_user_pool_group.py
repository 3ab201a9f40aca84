# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of cognito_user_pool_group's views and requests."""

from __future__ import absolute_import, division, print_function

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import changed_keys
from ansible_collections.ajudadigital.openwebui.plugins.modules import cognito_user_pool_group as m

GROUP = {"GroupName": "Admins", "UserPoolId": "p", "Description": "Administrators", "Precedence": 0}


def test_unset_options_are_not_managed():
    params = dict(name="Admins", description=None, precedence=None, role_arn=None)
    assert changed_keys(m.current_view(GROUP), m.wanted_view(params)) == []


def test_precedence_zero_is_a_value():
    params = dict(name="Admins", description="Administrators", precedence=0, role_arn=None)
    assert changed_keys(m.current_view(dict(GROUP, Precedence=5)), m.wanted_view(params)) == ["precedence"]


def test_update_request_keeps_current_values():
    params = dict(name="Admins", description=None, precedence=3, role_arn=None)
    assert m.group_request("p", params, GROUP) == {
        "UserPoolId": "p",
        "GroupName": "Admins",
        "Description": "Administrators",
        "Precedence": 3,
    }
    assert m.group_request("p", params) == {"UserPoolId": "p", "GroupName": "Admins", "Precedence": 3}
