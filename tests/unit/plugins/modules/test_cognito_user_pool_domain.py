# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of cognito_user_pool_domain's argument checks and views."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import cognito_user_pool_domain as m


@pytest.mark.parametrize(
    "domain, certificate, state, problem",
    [
        ("openwebui-prod-1a2b3c4d", None, "present", None),
        ("auth.example.com", "arn:aws:acm:us-east-1:1:certificate/x", "present", None),
        ("auth.example.com", None, "absent", None),
        ("auth.example.com", None, "present", "certificate_arn is required"),
        ("prefix", "arn:aws:acm:us-east-1:1:certificate/x", "present", "only for custom domains"),
        ("-prefix", None, "present", "must be 1-63 lower-case"),
        ("Prefix", None, "present", "must be 1-63 lower-case"),
        ("x" * 64, None, "present", "must be 1-63 lower-case"),
        ("my-aws-login", None, "present", "must not contain aws"),
        ("cognito-amazon", None, "present", "must not contain amazon or cognito"),
    ],
)
def test_domain_problem(domain, certificate, state, problem):
    found = m.domain_problem(domain, certificate, state)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_views():
    description = {
        "Domain": "auth.example.com",
        "UserPoolId": "p",
        "CustomDomainConfig": {"CertificateArn": "arn:c"},
        "Status": "ACTIVE",
    }
    assert m.view(description) == {"domain": "auth.example.com", "user_pool_id": "p", "certificate_arn": "arn:c"}
    assert m.view({}) == {}
    assert m.wanted({"domain": "x", "certificate_arn": None}, "p") == {"domain": "x", "user_pool_id": "p"}
