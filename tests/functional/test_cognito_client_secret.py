"""ajudadigital.openwebui.cognito_user_pool_client_secret against the local emulator.

A rotation: check mode adds nothing, ``present`` adds a secret Cognito generates (two listed,
the new value returned once), a third is Cognito's LimitExceededException, ``pruned`` keeping
the new one deletes the old (check mode deletes nothing), and a second ``pruned`` changes
nothing. The emulator's fix ``cognito_app_client_secret_rotation`` gives moto the API.
"""

from __future__ import annotations

import re

import pytest

from tests.functional.return_docs import assert_documented

MODULE = "ajudadigital.openwebui.cognito_user_pool_client_secret"
POOL = "functional-client-secrets"
# The calls that change a client's secrets (check mode must make none).
WRITES = {"AddUserPoolClientSecret", "DeleteUserPoolClientSecret"}


def run(ansible, args, **kwargs):
    result = ansible.module(MODULE, args, **kwargs)
    assert result.rc == 0, result.output
    return result.result


def fail(ansible, args, **kwargs):
    result = ansible.module(MODULE, args, **kwargs)
    assert result.rc != 0, result.output
    return result.result


@pytest.fixture(scope="module")
def confidential(emulator):
    """A user pool with an app client created with a secret (boto3), and the module's connection."""
    idp = emulator.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName=POOL)["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="openwebui", GenerateSecret=True)
    return dict(
        idp=idp,
        pool_id=pool_id,
        client_id=client["UserPoolClient"]["ClientId"],
        args=dict(emulator.module_connection(), user_pool_id=pool_id, client_id=client["UserPoolClient"]["ClientId"]),
    )


def secret_ids(confidential) -> list[str]:
    listed = confidential["idp"].list_user_pool_client_secrets(
        UserPoolId=confidential["pool_id"], ClientId=confidential["client_id"]
    )
    return [secret["ClientSecretId"] for secret in listed["ClientSecrets"]]


def writes_since(emulator, count: int) -> list[str]:
    """The secret-changing calls the emulator received after its first ``count`` requests."""
    return [r["action"] for r in emulator.requests()[count:] if r["action"] in WRITES]


def test_rotation(ansible, emulator, confidential):
    args = confidential["args"]
    (old,) = secret_ids(confidential)

    # check mode: reports the change, adds nothing
    seen = len(emulator.requests())
    out = run(ansible, args, check=True, diff=True)
    assert out["changed"] is True and out["client_secret"] == "" and out["client_secret_id"] == ""
    assert out["diff"]["before"] == {"client_secret_ids": [old]}
    assert len(out["diff"]["after"]["client_secret_ids"]) == 2
    assert writes_since(emulator, seen) == [] and secret_ids(confidential) == [old]

    # add: two secrets listed, the new value returned (and never in client_secrets)
    out = run(ansible, args)
    assert_documented("cognito_user_pool_client_secret", out)
    assert out["changed"] is True
    new = out["client_secret_id"]
    assert re.fullmatch(r"[\w+]{24,64}", out["client_secret"])
    assert secret_ids(confidential) == [old, new]
    assert [s["client_secret_id"] for s in out["client_secrets"]] == [old, new]
    assert all(set(s) == {"client_secret_id", "client_secret_create_date"} for s in out["client_secrets"])
    assert out["client_secret"] not in repr(out["client_secrets"])
    assert (out["user_pool_id"], out["client_id"]) == (confidential["pool_id"], confidential["client_id"])

    # a third: Cognito's limit, named; in check mode too
    for check in (False, True):
        out = fail(ansible, args, check=check)
        assert "LimitExceededException" in out["msg"] and "2 client secrets" in out["msg"], out["msg"]
        assert old in out["msg"] and new in out["msg"]
    assert secret_ids(confidential) == [old, new]

    # pruned, keeping the new one: check mode deletes nothing
    prune = dict(args, state="pruned", keep_client_secret_id=new)
    seen = len(emulator.requests())
    out = run(ansible, prune, check=True)
    assert out["changed"] is True and out["deleted_client_secret_ids"] == [old]
    assert [s["client_secret_id"] for s in out["client_secrets"]] == [new]
    assert writes_since(emulator, seen) == [] and secret_ids(confidential) == [old, new]

    out = run(ansible, prune, diff=True)
    assert_documented("cognito_user_pool_client_secret", out)
    assert out["changed"] is True and out["deleted_client_secret_ids"] == [old]
    assert out["diff"] == {"before": {"client_secret_ids": [old, new]}, "after": {"client_secret_ids": [new]}}
    assert [s["client_secret_id"] for s in out["client_secrets"]] == [new]
    assert secret_ids(confidential) == [new]

    # again, the client named by its name: nothing to delete
    seen = len(emulator.requests())
    by_name = {k: v for k, v in prune.items() if k != "client_id"} | {"client_name": "openwebui"}
    out = run(ansible, by_name)
    assert out["changed"] is False and out["deleted_client_secret_ids"] == []
    assert out["client_id"] == confidential["client_id"]
    assert writes_since(emulator, seen) == [] and secret_ids(confidential) == [new]


def test_bad_input_names_the_option(ansible, emulator, confidential):
    args = confidential["args"]
    before = secret_ids(confidential)

    out = fail(ansible, dict(args, state="pruned"))
    assert "keep_client_secret_id" in out["msg"]
    out = fail(ansible, dict(args, keep_client_secret_id=before[0]))
    assert "keep_client_secret_id is only used with state=pruned" in out["msg"]
    unknown = confidential["client_id"] + "--1"
    out = fail(ansible, dict(args, state="pruned", keep_client_secret_id=unknown))
    assert "keep_client_secret_id" in out["msg"] and unknown in out["msg"] and before[0] in out["msg"]
    out = fail(ansible, dict(args, client_id="functionalnosuchclient"))
    assert "client_id 'functionalnosuchclient'" in out["msg"]
    by_name = {k: v for k, v in args.items() if k != "client_id"} | {"client_name": "functional-no-such-client"}
    assert "client_name 'functional-no-such-client'" in fail(ansible, by_name)["msg"]
    assert "exactly one of client_id and client_name" in fail(ansible, dict(args, client_name="openwebui"))["msg"]
    assert secret_ids(confidential) == before

    # a client without a secret (a public client) gets none
    public = confidential["idp"].create_user_pool_client(UserPoolId=confidential["pool_id"], ClientName="public")
    out = fail(ansible, dict(args, client_id=public["UserPoolClient"]["ClientId"]))
    assert "public client" in out["msg"]

    # a pool named by name that does not exist
    missing = dict(emulator.module_connection(), user_pool_name="functional-no-such-pool", client_id="x")
    assert "does not exist" in fail(ansible, missing)["msg"]
