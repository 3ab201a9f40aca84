# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of cognito_user_pool_client's pure logic: views, requests, the secret."""

from __future__ import absolute_import, division, print_function

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import changed_keys
from ansible_collections.ajudadigital.openwebui.plugins.modules import cognito_user_pool_client as m

OPTIONS = dict((option, None) for option, _aws in m.FIELDS)
PARAMS = dict(
    OPTIONS,
    name="openwebui",
    generate_secret=True,
    allowed_oauth_flows=["code"],
    allowed_oauth_scopes=["openid", "email", "profile"],
    callback_urls=["https://chat.example.com/oauth/oidc/callback"],
    token_validity_units=dict(access_token="minutes", id_token=None, refresh_token=None),
    access_token_validity=60,
)
CLIENT = dict(
    UserPoolId="us-east-1_abc",
    ClientId="c1",
    ClientName="openwebui",
    ClientSecret="s3cr3t-value",
    AllowedOAuthFlows=["code"],
    AllowedOAuthScopes=["email", "openid", "profile"],
    AllowedOAuthFlowsUserPoolClient=True,
    CallbackURLs=["https://chat.example.com/oauth/oidc/callback"],
    LogoutURLs=["https://chat.example.com/auth"],
    AccessTokenValidity=60,
    TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
    AnalyticsConfiguration={"ApplicationId": "x"},
)


def changes(client=None, **params):
    return changed_keys(m.current_view(client or CLIENT), m.wanted_view(dict(PARAMS, **params)), m.LIST_FIELDS)


def test_same_settings_are_no_change_and_scopes_are_a_set():
    assert changes() == []
    assert changes(allowed_oauth_scopes=["profile", "openid", "email"]) == []


def test_differences_are_named():
    assert changes(callback_urls=["https://other/cb"]) == ["callback_urls"]
    assert changes(generate_secret=False) == ["generate_secret"]
    assert changes(token_validity_units=dict(access_token="hours")) == ["token_validity_units"]
    assert changes(allowed_oauth_flows=[]) == ["allowed_oauth_flows", "allowed_oauth_flows_user_pool_client"]


def test_the_secret_is_never_in_the_view_or_summary():
    assert "s3cr3t-value" not in repr(m.current_view(CLIENT))
    summary = m.summary(CLIENT)
    assert "s3cr3t-value" not in repr(summary) and summary["has_secret"] is True
    assert m.current_view(CLIENT)["generate_secret"] is True


def test_update_request_keeps_unmanaged_settings():
    request = m.update_request(CLIENT, dict(PARAMS, logout_urls=["https://chat.example.com/"]))
    assert request["ClientId"] == "c1" and request["UserPoolId"] == "us-east-1_abc"
    assert request["LogoutURLs"] == ["https://chat.example.com/"]
    assert request["AnalyticsConfiguration"] == {"ApplicationId": "x"}
    assert request["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"}
    assert request["AllowedOAuthFlowsUserPoolClient"] is True
    assert "ClientSecret" not in request and "GenerateSecret" not in request


def test_create_request():
    request = m.create_request("us-east-1_abc", PARAMS)
    assert request["GenerateSecret"] is True and request["ClientName"] == "openwebui"
    assert request["TokenValidityUnits"] == {"AccessToken": "minutes"}
    assert "LogoutURLs" not in request


def test_argument_problems():
    assert m.argument_problem(PARAMS) is None
    bad = dict(PARAMS, default_redirect_uri="https://b/cb")
    assert m.argument_problem(bad) == "default_redirect_uri must be one of callback_urls"
    assert m.argument_problem(dict(PARAMS, default_redirect_uri=PARAMS["callback_urls"][0])) is None
    assert m.argument_problem(dict(PARAMS, id_token_validity=0)) == "id_token_validity must be 1 or more, got 0"
