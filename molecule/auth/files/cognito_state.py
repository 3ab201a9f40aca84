"""Print what the emulator holds for a user pool name, as JSON (molecule verify/side_effect).

Independent of the collection's modules: plain boto3, AWS_* from the environment. Client
secrets are never printed, only their SHA-256 (``client_secret_sha256``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import boto3


def main(name: str) -> dict:
    idp = boto3.client("cognito-idp", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    pages = idp.get_paginator("list_user_pools").paginate(MaxResults=60)
    pools = []
    for pool_id in [p["Id"] for page in pages for p in page["UserPools"] if p["Name"] == name]:
        pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        mfa = idp.get_user_pool_mfa_config(UserPoolId=pool_id)
        clients = []
        for listed in idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]:
            client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=listed["ClientId"])["UserPoolClient"]
            secret = client.pop("ClientSecret", "")
            client["client_secret_sha256"] = hashlib.sha256(secret.encode()).hexdigest() if secret else ""
            clients.append(client)
        domain = {}
        if pool.get("Domain"):
            domain = idp.describe_user_pool_domain(Domain=pool["Domain"])["DomainDescription"]
        pools.append(
            {
                "id": pool_id,
                "arn": pool.get("Arn"),
                "password_policy": pool.get("Policies", {}).get("PasswordPolicy", {}),
                "deletion_protection": pool.get("DeletionProtection"),
                "username_attributes": pool.get("UsernameAttributes"),
                "auto_verified_attributes": pool.get("AutoVerifiedAttributes"),
                "tags": pool.get("UserPoolTags", {}),
                "mfa": mfa.get("MfaConfiguration"),
                "software_token_mfa": (mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled", False),
                "groups": idp.list_groups(UserPoolId=pool_id)["Groups"],
                "clients": clients,
                "domain": domain,
            }
        )
    return {"pools": pools}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), default=str))
