#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cognito_user_pool_domain
short_description: Manage the hosted UI domain of an Amazon Cognito user pool
version_added: 0.1.0
description:
  - Gives a Cognito user pool its domain for the hosted UI and the OAuth 2.0 endpoints, or
    removes it.
  - A prefix domain (a single DNS label, for example C(openwebui-prod-1a2b3c4d)) becomes
    C(https://<prefix>.auth.<region>.amazoncognito.com). Prefixes are unique across every
    AWS account of the region; one that another pool holds makes the module fail.
  - A custom domain (a DNS name, for example C(auth.example.com)) needs an ACM certificate in
    C(us-east-1) (O(certificate_arn)) and a DNS alias to RV(cloudfront_distribution).
  - A pool has at most one prefix domain. When the pool already has a different prefix
    domain, the module removes it and creates the wanted one. For a custom domain, a different
    O(certificate_arn) is updated in place.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  domain:
    description: The prefix (a single label of C(a-z), C(0-9) and C(-)) or the custom domain name.
    type: str
    required: true
  certificate_arn:
    description:
      - ARN of the ACM certificate (in C(us-east-1)) of a custom domain.
      - Required for a custom O(domain) with O(state=present); not allowed with a prefix.
    type: str
  state:
    description: Whether the domain should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ajudadigital.openwebui.cognito_user_pool_ref
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - A custom domain takes up to an hour to become C(ACTIVE); the module does not wait.
  - Check mode reports what would change and changes nothing; diff mode shows the domain
    before and after.
"""

EXAMPLES = r"""
- name: Hosted UI on a prefix domain
  ajudadigital.openwebui.cognito_user_pool_domain:
    user_pool_name: openwebui-prod-users
    domain: openwebui-prod-1a2b3c4d
  register: cognito_domain  # cognito_domain.domain_url == 'https://openwebui-prod-1a2b3c4d.auth.us-east-1.amazoncognito.com'

- name: Hosted UI on our own domain
  ajudadigital.openwebui.cognito_user_pool_domain:
    user_pool_name: openwebui-prod-users
    domain: auth.example.com
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-0000-0000-000000000000
"""

RETURN = r"""
domain:
  description: The domain (prefix or custom), empty when absent.
  returned: always
  type: str
  sample: openwebui-prod-1a2b3c4d
domain_url:
  description: Base URL of the hosted UI and the OAuth endpoints (empty when absent).
  returned: always
  type: str
  sample: https://openwebui-prod-1a2b3c4d.auth.us-east-1.amazoncognito.com
custom:
  description: Whether O(domain) is a custom domain.
  returned: always
  type: bool
  sample: false
user_pool_id:
  description: ID of the user pool (empty when it does not exist).
  returned: always
  type: str
  sample: us-east-1_AbCdEfGhI
cloudfront_distribution:
  description: The CloudFront name a custom domain's DNS record must point at (empty when not known).
  returned: always
  type: str
  sample: d111111abcdef8.cloudfront.net
status:
  description: Status of the domain (C(CREATING), C(ACTIVE), ...; empty when absent or in check mode).
  returned: always
  type: str
  sample: ACTIVE
"""

import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import exit_with_diff
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import pool_module
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import describe_user_pool
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import domain_url
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import is_custom_domain
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import missing_pool
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.cognito import resolve_user_pool_id

PREFIX_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_WORDS = ("aws", "amazon", "cognito")


def domain_problem(domain, certificate_arn, state):
    """Why the options cannot name a domain, or None."""
    if is_custom_domain(domain):
        if state == "present" and not certificate_arn:
            return "certificate_arn is required for the custom domain {0}".format(domain)
        return None
    if certificate_arn:
        return "certificate_arn is only for custom domains; {0!r} is a prefix".format(domain)
    if not PREFIX_RE.match(domain or ""):
        return (
            "domain prefix {0!r} must be 1-63 lower-case letters, digits or hyphens, "
            "not starting or ending with a hyphen".format(domain)
        )
    reserved = [word for word in RESERVED_WORDS if word in domain]
    if reserved:
        return "domain prefix {0!r} must not contain {1}".format(domain, " or ".join(reserved))
    return None


def view(description):
    """The domain as the diff shows it."""
    if not description:
        return {}
    result = {"domain": description.get("Domain"), "user_pool_id": description.get("UserPoolId")}
    certificate = (description.get("CustomDomainConfig") or {}).get("CertificateArn")
    if certificate:
        result["certificate_arn"] = certificate
    return result


def wanted(params, pool_id):
    result = {"domain": params["domain"], "user_pool_id": pool_id}
    if params.get("certificate_arn"):
        result["certificate_arn"] = params["certificate_arn"]
    return result


def describe_domain(conn, module, domain):
    """DescribeUserPoolDomain's description, or None (AWS answers an empty description for an unknown domain)."""
    try:
        description = conn.describe_user_pool_domain(aws_retry=True, Domain=domain).get("DomainDescription") or {}
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe user pool domain {0}".format(domain))
    return description if description.get("UserPoolId") else None


def delete_domain(conn, module, pool_id, domain):
    try:
        conn.delete_user_pool_domain(aws_retry=True, UserPoolId=pool_id, Domain=domain)
    except is_boto3_error_code("ResourceNotFoundException"):
        pass
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete user pool domain {0}".format(domain))


def exit_with(module, changed, pool_id, description, before, after, domain=""):
    description = description or {}
    name = description.get("Domain") or domain
    exit_with_diff(
        module,
        before,
        after,
        changed=changed,
        domain=name,
        domain_url=domain_url(name, module.region) if name else "",
        custom=is_custom_domain(module.params["domain"]),
        user_pool_id=pool_id or "",
        cloudfront_distribution=description.get("CloudFrontDistribution", ""),
        status=description.get("Status", ""),
    )


def ensure_present(conn, module, params, pool_id):
    domain = params["domain"]
    existing = describe_domain(conn, module, domain)
    if existing and existing["UserPoolId"] != pool_id:
        module.fail_json(
            msg="domain {0} belongs to another user pool ({1}); choose another domain".format(
                domain, existing["UserPoolId"]
            )
        )
    after = wanted(params, pool_id)
    before = view(existing)
    if existing:
        certificate = (existing.get("CustomDomainConfig") or {}).get("CertificateArn")
        if not params.get("certificate_arn") or certificate == params["certificate_arn"]:
            exit_with(module, False, pool_id, existing, before, before)
        if module.check_mode:
            exit_with(module, True, pool_id, existing, before, after)
        try:
            conn.update_user_pool_domain(
                aws_retry=True,
                UserPoolId=pool_id,
                Domain=domain,
                CustomDomainConfig={"CertificateArn": params["certificate_arn"]},
            )
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg="Failed to update the certificate of domain {0}".format(domain))
        exit_with(module, True, pool_id, describe_domain(conn, module, domain), before, after)

    # A pool has one prefix domain (and one custom domain): replace the old one of the same kind.
    pool = describe_user_pool(conn, module, pool_id) or {}
    old = pool.get("CustomDomain") if is_custom_domain(domain) else pool.get("Domain")
    if old and old != domain:
        before = view(describe_domain(conn, module, old)) or {"domain": old, "user_pool_id": pool_id}
    if module.check_mode:
        exit_with(module, True, pool_id, None, before, after, domain=domain)
    if old and old != domain:
        delete_domain(conn, module, pool_id, old)
    request = dict(UserPoolId=pool_id, Domain=domain)
    if params.get("certificate_arn"):
        request["CustomDomainConfig"] = {"CertificateArn": params["certificate_arn"]}
    try:
        conn.create_user_pool_domain(aws_retry=True, **request)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to create user pool domain {0}".format(domain))
    exit_with(module, True, pool_id, describe_domain(conn, module, domain), before, after, domain=domain)


def ensure_absent(conn, module, params, pool_id):
    domain = params["domain"]
    existing = describe_domain(conn, module, domain)
    if not existing or existing["UserPoolId"] != pool_id:
        exit_with(module, False, pool_id, None, {}, {})
    if not module.check_mode:
        delete_domain(conn, module, existing["UserPoolId"], domain)
    exit_with_diff(
        module,
        view(existing),
        {},
        changed=True,
        domain="",
        domain_url="",
        custom=is_custom_domain(domain),
        user_pool_id=existing["UserPoolId"],
        cloudfront_distribution="",
        status="",
    )


def main():
    argument_spec = dict(
        domain=dict(type="str", required=True),
        certificate_arn=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = pool_module(argument_spec)
    params = module.params
    problem = domain_problem(params["domain"], params.get("certificate_arn"), params["state"])
    if problem:
        module.fail_json(msg=problem)

    conn = aws_client(module, "cognito-idp", retry_decorator=AWSRetry.jittered_backoff())
    pool_id = resolve_user_pool_id(conn, module)
    if params["state"] == "present":
        if pool_id is None:
            missing_pool(
                module,
                domain=params["domain"],
                domain_url=domain_url(params["domain"], module.region),
                custom=is_custom_domain(params["domain"]),
                user_pool_id="",
                cloudfront_distribution="",
                status="",
            )
        ensure_present(conn, module, params, pool_id)
    else:
        ensure_absent(conn, module, params, pool_id)


if __name__ == "__main__":
    main()
