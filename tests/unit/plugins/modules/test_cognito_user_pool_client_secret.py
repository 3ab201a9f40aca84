# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of cognito_user_pool_client_secret's argument checks and listing."""

from __future__ import absolute_import, division, print_function

import datetime

from ansible_collections.ajudadigital.openwebui.plugins.modules import cognito_user_pool_client_secret as m

UTC = datetime.UTC


def params(**overrides):
    base = dict(client_id="c1", client_name=None, state="present", keep_client_secret_id=None)
    base.update(overrides)
    return base


def test_argument_checks_name_the_option():
    assert m.argument_problem(params()) is None
    assert m.argument_problem(params(state="pruned", keep_client_secret_id="c1--1")) is None
    assert "keep_client_secret_id" in m.argument_problem(params(state="pruned"))
    assert "only used with state=pruned" in m.argument_problem(params(keep_client_secret_id="c1--1"))
    assert "client_id" in m.argument_problem(params(client_id=""))
    assert m.argument_problem(params(client_id=None, client_name="openwebui")) is None
    assert "exactly one of client_id and client_name" in m.argument_problem(params(client_name="openwebui"))


def test_listed_never_holds_a_value():
    secret = {
        "ClientSecretId": "c1--1767225600000",
        "ClientSecretValue": "never-returned-by-the-module",
        "ClientSecretCreateDate": datetime.datetime(2026, 1, 1, tzinfo=UTC),
    }
    assert m.listed(secret) == {
        "client_secret_id": "c1--1767225600000",
        "client_secret_create_date": "2026-01-01T00:00:00+00:00",
    }


def test_secrets_sort_oldest_first():
    newer = {"ClientSecretId": "c1--2", "ClientSecretCreateDate": datetime.datetime(2026, 1, 2, tzinfo=UTC)}
    older = {"ClientSecretId": "c1--1", "ClientSecretCreateDate": datetime.datetime(2026, 1, 1, tzinfo=UTC)}
    assert sorted([newer, older], key=m.created_at) == [older, newer]
