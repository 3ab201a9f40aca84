"""Day 2's rotate (``playbooks/rotate.yml``) on the session's deployed stack (xdist group
``local_stack``), with the real Open WebUI running in the local ECS.

Runs after the secret-leak test (file order: that test checks the deploy's own values) and
before test_served_stack.py and test_stack.py.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from tests.functional.conftest import LOCAL_STACK
from tests.functional.test_replication_groups import redis
from tests.functional.test_secret_leak import find_leaks, sensitive_values, stack_secrets
from tests.functional.test_served_stack import (
    _serving_checker,
    first_admin_token,
    running_tasks,
    service,
    stack_tls,
    urls,
)
from tests.functional.test_stack import changed_tasks
from tools.local_services import cache_nodes
from tools.make_local import recap

pytestmark = pytest.mark.xdist_group("local_stack")
APP_ROLE = "openwebui"  # inventories/local's database_app_user (the default)
FAST = ("-e", "ecs_service_wait_delay=2")


def secret(stack, name: str) -> str:
    return stack.client("secretsmanager").get_secret_value(SecretId=f"{LOCAL_STACK}/{name}")["SecretString"]


def versions(stack, name: str) -> int:
    return len(stack.client("secretsmanager").describe_secret(SecretId=f"{LOCAL_STACK}/{name}")["VersionIdsToStages"])


def database_url(stack) -> str:
    return secret(stack, "database-url")  # the URL itself (the task definition reads the whole secret)


def logins(url: str) -> tuple[str, str]:
    """(session_user, current_user) of a connection with the URL."""
    with psycopg.connect(url, connect_timeout=10) as conn:
        return conn.execute("SELECT session_user, current_user").fetchone()


def cognito_client(stack) -> tuple[str, str]:
    idp = stack.client("cognito-idp")
    (pool,) = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"].startswith(LOCAL_STACK)]
    (client,) = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    return pool["Id"], client["ClientId"]


def session(https: str, tls, token: str) -> int:
    """The status of the signed-in user's own record, with the token."""
    return httpx.get(f"{https}/api/v1/auths/", headers={"Authorization": f"Bearer {token}"}, verify=tls).status_code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("passwords", "rotate must name one or more of database, webui_secret_key, oauth_client_secret, redis_auth"),
        ("redis_auth,keys", "rotate must name one or more of"),
    ],
)
def test_rotate_yml_refuses_bad_input_before_any_change(local_stack, value, expected):
    before = {name: versions(local_stack, name) for name in ("database-url", "database-app", "webui-secret-key")}
    run = local_stack.playbook("playbooks/rotate.yml", "-e", f"rotate={value}")
    assert run.rc != 0 and expected in " ".join(run.output.split()), run.output[-2000:]
    assert {name: versions(local_stack, name) for name in before} == before


def test_rotate_yml_rotates_three_secrets_with_no_downtime_and_prints_none(local_stack):
    """rotate=database,webui_secret_key,oauth_client_secret at -vvv, once:

    * the app answers ``/health/db`` (a query on the database) throughout: the running tasks
      keep their login until new tasks with the new one are healthy;
    * afterwards the old DATABASE_URL no longer logs in; the new one logs in as the app
      role's clone, whose session acts as the app role;
    * a session token signed with the old WEBUI_SECRET_KEY is refused, the administrator
      signs in again;
    * the Cognito app client holds only the new secret, the one Secrets Manager has;
    * no old or new value appears in the output;
    * ``site.yml --check --diff`` on the whole stack then reports no change (it would not undo
      the rotation) and shows no value."""
    https, tls = urls(local_stack)[443], stack_tls(local_stack)
    old_url, old_token = database_url(local_stack), first_admin_token(local_stack)
    old_values = stack_secrets(local_stack.services)
    old_oauth = secret(local_stack, "oauth-client-secret")
    assert logins(old_url)[0] == APP_ROLE
    tasks_before = {t["taskArn"] for t in running_tasks(local_stack)}

    stop, answers = threading.Event(), []
    # /health/db: the app answers it with a query on the database.
    checker = threading.Thread(target=_serving_checker, args=(https, tls, stop, answers, "/health/db"))
    checker.start()
    try:
        run = local_stack.playbook(
            "playbooks/rotate.yml", "-vvv", "-e", "rotate=database,webui_secret_key,oauth_client_secret", *FAST
        )
    finally:
        stop.set()
        checker.join(60)
    assert run.rc == 0, run.output[-4000:]
    assert answers and set(answers) == {200}, f"a request failed during the rotation: {sorted(set(map(str, answers)))}"
    assert "Rotating WEBUI_SECRET_KEY signs every user out" in run.stdout

    # No value, old or new, in the output.
    labels = {value: f"{name} (before)" for name, text in old_values.items() for value in sensitive_values(text)} | {
        value: name for name, text in stack_secrets(local_stack.services).items() for value in sensitive_values(text)
    }
    assert find_leaks(labels, {"rotate -vvv": run.output}) == []

    # The database: the old login no longer works; the new one acts as the app role.
    new_url = database_url(local_stack)
    assert new_url != old_url
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        logins(old_url)
    assert logins(new_url) == (f"{APP_ROLE}_clone", APP_ROLE)
    assert json.loads(secret(local_stack, "database-app"))["username"] == f"{APP_ROLE}_clone"

    # The service runs only new tasks, as many as before.
    after = running_tasks(local_stack)
    assert len(after) == len(tasks_before) and not tasks_before & {t["taskArn"] for t in after}
    assert service(local_stack)["deployments"][0]["rolloutState"] == "COMPLETED"

    # WEBUI_SECRET_KEY: the old session token is refused; signing in again works.
    assert session(https, tls, old_token) == 401
    assert session(https, tls, first_admin_token(local_stack)) == 200

    # The OAuth client secret: Cognito holds one secret, not the old one, and it is the stored one.
    pool_id, client_id = cognito_client(local_stack)
    idp = local_stack.client("cognito-idp")
    (remaining,) = idp.list_user_pool_client_secrets(UserPoolId=pool_id, ClientId=client_id)["ClientSecrets"]
    stored = secret(local_stack, "oauth-client-secret")
    assert stored != old_oauth and remaining["ClientSecretId"]

    # site.yml keeps what the rotation did: on the whole deployed stack, check mode reports no
    # change (and --diff, which shows before/after of what it compares, no secret value).
    check = local_stack.playbook("site.yml", "--check", "--diff")
    assert check.rc == 0, check.output[-3000:]
    assert changed_tasks(check.stdout) == [], "site.yml would undo a rotation, or change the deployed stack"
    assert recap(check.stdout)["localhost"]["changed"] == 0
    assert find_leaks(labels, {"check --diff": check.output}) == []
    assert database_url(local_stack) == new_url and secret(local_stack, "oauth-client-secret") == stored


def redis_accepts(stack, url: str, token: str) -> bool:
    """Whether the replication group's primary (the URL's host and port, over TLS with the
    emulator's ElastiCache CA) accepts ``AUTH <token>``."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(cache_nodes.ca_file(stack.services.state_dir)))
    return redis((parts.hostname, parts.port), ("AUTH", token), context=context) == ["OK"]


def tasks_hold_token(stack, url: str, token: str, serving: set[str], stop: threading.Event, checks: list) -> None:
    """While a task of ``serving`` runs, asks every 0.5 s whether the group still takes ``token``
    (the one those tasks started with); each answer in ``checks``."""
    ecs = stack.services.client("ecs")
    while not stop.is_set():
        arns = set(ecs.list_tasks(cluster=LOCAL_STACK, serviceName="open-webui")["taskArns"])
        if not arns & serving:
            return
        checks.append(redis_accepts(stack, url, token))
        time.sleep(0.5)


@pytest.mark.parametrize("stopped", ["after its ROTATE", "after its URL"])
def test_rotate_yml_finishes_a_redis_rotation_stopped_before_its_set(local_stack, stopped):
    """A redis_auth rotation stopped between its ROTATE and its SET, then run again. AWS keeps
    the two newest tokens: a ROTATE on a group with two removes the older, which the running
    tasks may hold. Stopped

    * ``after its ROTATE``: its token stored and added to the group, its URL not stored: the
      rotation goes on with that token (no second ROTATE), stores the URL, restarts, SETs;
    * ``after its URL``: the URL stored too, the service not restarted (its tasks hold the
      token before): the service restarts onto the URL first, then a whole new rotation runs
      (a new token generated, ROTATE, the token and URL stored, the service restarted onto
      it, SET): this case is also the test of an uninterrupted rotation.

    The token the running tasks started with stays valid as long as one of them runs, /health
    answers 200 throughout, at the end only the stored token (the URL's: rediss:// to the same
    primary) is valid, only new tasks run, and no token is in the output."""
    elasticache, secrets_manager = local_stack.client("elasticache"), local_stack.client("secretsmanager")
    group_id = f"{LOCAL_STACK}-cache"
    url, in_use = secret(local_stack, "redis-url"), secret(local_stack, "redis-auth-token")
    assert urlsplit(url).password == in_use
    # The stopped rotation: its token stored, then ROTATE (both valid), and maybe its URL.
    stopped_token = "Stopped" + secrets.token_hex(20)
    secrets_manager.put_secret_value(SecretId=f"{LOCAL_STACK}/redis-auth-token", SecretString=stopped_token)
    elasticache.modify_replication_group(
        ReplicationGroupId=group_id, AuthToken=stopped_token, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    deadline = time.monotonic() + 120
    while (
        elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]["Status"]
        != "available"
    ):
        assert time.monotonic() < deadline, "the group stayed modifying"
        time.sleep(1)
    if stopped == "after its URL":
        secrets_manager.put_secret_value(
            SecretId=f"{LOCAL_STACK}/redis-url", SecretString=url.replace(f":{in_use}@", f":{stopped_token}@")
        )
    assert redis_accepts(local_stack, url, in_use) and redis_accepts(local_stack, url, stopped_token)
    serving = {t["taskArn"] for t in running_tasks(local_stack)}

    https, tls = urls(local_stack)[443], stack_tls(local_stack)
    stop, answers, checks = threading.Event(), [], []
    checkers = [
        threading.Thread(target=_serving_checker, args=(https, tls, stop, answers, "/health")),
        threading.Thread(target=tasks_hold_token, args=(local_stack, url, in_use, serving, stop, checks)),
    ]
    for checker in checkers:
        checker.start()
    try:
        run = local_stack.playbook("playbooks/rotate.yml", "-e", "rotate=redis_auth", *FAST)
    finally:
        stop.set()
        for checker in checkers:
            checker.join(60)
    assert run.rc == 0, run.output[-4000:]
    assert answers and set(answers) == {200}, f"a request failed during the rotation: {sorted(set(map(str, answers)))}"
    assert checks and all(checks), "the token of the running tasks was refused while they ran"

    final_url, final_token = secret(local_stack, "redis-url"), secret(local_stack, "redis-auth-token")
    old_parts, new_parts = urlsplit(url), urlsplit(final_url)
    assert (new_parts.scheme, new_parts.hostname, new_parts.port, new_parts.path, new_parts.password) == (
        "rediss",
        old_parts.hostname,
        old_parts.port,
        old_parts.path,
        final_token,
    )
    assert not [token for token in (in_use, stopped_token, final_token) if token in run.output], "a token was printed"
    if stopped == "after its ROTATE":
        assert final_token == stopped_token, "the stopped rotation's token was not the one it went on with"
    else:
        assert final_token not in (in_use, stopped_token)
        assert len(final_token) == 64 and final_token.isalnum(), "not a token of the role's generator"
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    assert group["AuthTokenEnabled"] is True
    assert [redis_accepts(local_stack, final_url, t) for t in (final_token, in_use)] == [True, False]
    assert stopped_token == final_token or not redis_accepts(local_stack, final_url, stopped_token)
    after = running_tasks(local_stack)
    assert len(after) == len(serving) and not serving & {t["taskArn"] for t in after}
