"""The real Open WebUI on exactly the configuration the collection renders (docs/e2e.md).

The e2e tests share one deployment (module scope): the emulator, PostgreSQL + pgvector,
the stack's Redis (its cache cluster, a real Redis in run-tasks mode), an OIDC provider
standing in for Cognito, and Open WebUI started on
``deployed_environment()`` plus ``LOCAL_OVERRIDES`` only. They run in file order: the
first signup comes first. The app virtualenv is built on first use (many minutes; then
cached, see tools/openwebui_app.py); ``pytest -m 'not e2e'`` leaves them out.

``test_environment_from_task_definition*`` are quick: they check, against the emulator
alone, how a task definition is read back as ECS would.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import psycopg
import pytest

from tests.functional.conftest import LOCAL_STACK, PASSWORD_SPECIALS, DeployedStack, first_admin, master_dsn
from tests.functional.openwebui_contract import (
    DEREGISTRATION_DELAY,
    LOCAL_OVERRIDES,
    LOCAL_SUBSTITUTIONS,
    STOP_TIMEOUT,
    aws_client,
    database_url,
    environment_from_task_definition,
    expected_container,
    task_definition_of_service,
    with_local_overrides,
)
from tools.local_services import cache_nodes
from tools.local_services.util import free_port
from tools.openwebui_app import OpenWebUI, ensure_app_venv

# The tests on the session's deployed stack run on one xdist worker, in file order.
pytestmark = pytest.mark.xdist_group("local_stack")
DOMAIN = "openwebui.local.test"  # inventories/local
STACK = LOCAL_STACK
CLUSTER, SERVICE, CONTAINER = STACK, "open-webui", "open-webui"  # roles/ecs_service/vars/main.yml
DB_NAME, APP_USER = "openwebui", "openwebui"  # roles/database/defaults/main.yml
OIDC_USERS = {
    "alice": {"email": "alice@example.com", "name": "Alice Admin", "cognito:groups": ["Admins"]},
    "bob": {"email": "bob@example.com", "name": "Bob User", "cognito:groups": ["Users"]},
    # in no Cognito group: Cognito then leaves the claim out
    "carol": {"email": "carol@example.com", "name": "Carol New"},
    # in a group, but not of auth_allowed_domains (inventories/local: example.com)
    "mallory": {"email": "mallory@elsewhere.test", "name": "Mallory Outside", "cognito:groups": ["Users"]},
}


# -- reading a task definition back (emulator only) -----------------------------------
def test_environment_from_task_definition(emulator):
    """environment as is; secrets by Secrets Manager ARN (plain, JSON key, version stage) and SSM name."""
    aws_env = emulator.env()
    sm = aws_client(aws_env, "secretsmanager")
    ssm = aws_client(aws_env, "ssm")
    tricky = "p:%#?&+/@ w"
    plain = sm.create_secret(Name="unit/plain", SecretString=tricky)["ARN"]
    as_json = sm.create_secret(Name="unit/json", SecretString=json.dumps({"url": "postgresql://x", "n": 5}))["ARN"]
    staged = sm.create_secret(Name="unit/staged", SecretString="old")["ARN"]
    sm.put_secret_value(SecretId=staged, SecretString="new")  # AWSCURRENT=new, AWSPREVIOUS=old
    ssm.put_parameter(Name="/unit/param", Value="from-ssm", Type="SecureString")
    ecs = aws_client(aws_env, "ecs")
    ecs.register_task_definition(
        family="unit-td",
        containerDefinitions=[
            {
                "name": "app",
                "image": "example/app:1",
                "memory": 128,
                "environment": [{"name": "PLAIN", "value": "1"}, {"name": "EMPTY", "value": ""}],
                "secrets": [
                    {"name": "TRICKY", "valueFrom": plain},
                    {"name": "FROM_JSON", "valueFrom": f"{as_json}:url::"},
                    {"name": "JSON_NUMBER", "valueFrom": f"{as_json}:n::"},
                    {"name": "PREVIOUS", "valueFrom": f"{staged}::AWSPREVIOUS:"},
                    {"name": "CURRENT", "valueFrom": staged},
                    {"name": "PARAM", "valueFrom": "/unit/param"},
                ],
            },
            {
                "name": "sidecar",
                "image": "example/sidecar:1",
                "memory": 64,
                "environment": [{"name": "SIDE", "value": "x"}],
            },
        ],
    )
    assert environment_from_task_definition(aws_env, "unit-td") == {
        "PLAIN": "1",
        "EMPTY": "",
        "TRICKY": tricky,
        "FROM_JSON": "postgresql://x",
        "JSON_NUMBER": "5",
        "PREVIOUS": "old",
        "CURRENT": "new",
        "PARAM": "from-ssm",
    }
    assert environment_from_task_definition(aws_env, "unit-td:1", container="sidecar") == {"SIDE": "x"}

    # A service's current task definition, as the e2e test finds it.
    ecs.create_cluster(clusterName="unit-cluster")
    ecs.create_service(cluster="unit-cluster", serviceName="unit-svc", taskDefinition="unit-td", desiredCount=0)
    arn = task_definition_of_service(aws_env, "unit-cluster", "unit-svc")
    assert environment_from_task_definition(aws_env, arn)["PLAIN"] == "1"


def test_environment_from_task_definition_refuses_a_name_set_twice(emulator):
    aws_env = emulator.env()
    arn = aws_client(aws_env, "secretsmanager").create_secret(Name="unit/twice", SecretString="s")["ARN"]
    aws_client(aws_env, "ecs").register_task_definition(
        family="unit-twice",
        containerDefinitions=[
            {
                "name": "app",
                "image": "example/app:1",
                "memory": 128,
                "environment": [{"name": "X", "value": "plain"}],
                "secrets": [{"name": "X", "valueFrom": arn}],
            }
        ],
    )
    with pytest.raises(ValueError, match="X is set twice"):
        environment_from_task_definition(aws_env, "unit-twice")


def test_database_url_matches_the_collections_module_utils():
    """The hand-built URL is the one the collection's database_url module builds."""
    module_utils = pytest.importorskip("plugins.module_utils.database_url")
    password = "a" + PASSWORD_SPECIALS + "é"
    built = module_utils.build_database_url(user="app", password=password, host="db.example", port=5432, database="d")
    assert built["url"] == database_url("app", password, "db.example", 5432, "d")


# -- the deployment -------------------------------------------------------------------
@dataclass
class Deployment:
    stack: DeployedStack
    superuser_dsn: str
    app: OpenWebUI
    env: dict[str, str]
    rendered: dict[str, str]
    task_definition: dict
    oidc_url: str
    redis: tuple[str, int]  # the primary of the stack's replication group (a real Redis behind TLS)
    state: dict

    @property
    def aws_env(self) -> dict[str, str]:
        return self.stack.aws_env

    @property
    def bucket(self) -> str:
        return self.rendered["S3_BUCKET_NAME"]

    @property
    def app_dsn(self) -> str:
        return psycopg.conninfo.make_conninfo(self.superuser_dsn, dbname=DB_NAME)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.app.url, timeout=120, **kwargs)


class UnreachableHub:
    """Hugging Face's hub as no task may need it: every request is answered 503, and counted."""

    def __init__(self):
        import http.server
        import threading

        self.requests: list[str] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _refuse(self):
                hub.requests.append(f"{self.command} {self.path}")
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = do_POST = _refuse

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> UnreachableHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class OidcProvider:
    """``oidc-provider-mock`` on 127.0.0.1: a stand-in for the Cognito user pool."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> OidcProvider:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.run_dir / "oidc.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            self.__exit__()
            raise RuntimeError(f"oidc-provider-mock did not start; see {self.run_dir / 'oidc.log'}")
        return self

    def set_user(self, sub: str, claims: dict) -> None:
        httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def app_venv():
    return ensure_app_venv()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, app_venv, local_stack):
    """Open WebUI on the task definition that site.yml registered (the local_stack fixture)."""
    root = tmp_path_factory.mktemp("e2e")
    aws_env = local_stack.aws_env
    arn = task_definition_of_service(aws_env, CLUSTER, SERVICE)
    task_definition = aws_client(aws_env, "ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
    rendered = environment_from_task_definition(aws_env, arn, container=CONTAINER)
    superuser_dsn = master_dsn(local_stack)  # RDS's master user (rds_superuser), a member of the app role
    elasticache = aws_client(aws_env, "elasticache")
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId=f"{STACK}-cache")["ReplicationGroups"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    redis = (endpoint["Address"], int(endpoint["Port"]))
    with OidcProvider(root / "oidc") as oidc, UnreachableHub() as hub:
        for sub, claims in OIDC_USERS.items():
            oidc.set_user(sub, claims)
        env = with_local_overrides(
            rendered,
            aws_endpoint_url=aws_env["AWS_ENDPOINT_URL"],
            aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
            data_dir=str(root / "data"),
            model_hub=str(app_venv / "hf-cache" / "hub"),
            oidc_discovery_url=f"{oidc.url}/.well-known/openid-configuration",
            hf_endpoint=hub.url,
            ca_bundle=str(cache_nodes.ca_bundle(local_stack.services.state_dir)),
        )
        (root / "data").mkdir()
        with OpenWebUI(root / "app", app_venv) as app:
            started = time.monotonic()
            app.start(env, timeout=900)
            print(f"Open WebUI answered /health after {time.monotonic() - started:.0f} s ({app.log_file})")
            yield Deployment(
                local_stack, superuser_dsn, app, env, rendered, task_definition, oidc.url, redis, {"hub": hub}
            )


def _admin_headers(deployment: Deployment) -> dict[str, str]:
    _first_admin(deployment)
    return {"Authorization": f"Bearer {deployment.state['admin_token']}"}


# -- what the rendered configuration must give ----------------------------------------
def _stack_facts(stack: DeployedStack) -> dict:
    """What the other layers made, read from the emulator (not from the roles' facts)."""
    idp = stack.client("cognito-idp")
    (pool,) = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == f"{STACK}-users"]
    pool = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    (client,) = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    elbv2 = stack.client("elbv2")
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    (balancer,) = [b for b in balancers if b["LoadBalancerName"].startswith(STACK)]
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"])["Attributes"]
    idle = int({a["Key"]: a["Value"] for a in attributes}["idle_timeout.timeout_seconds"])
    (group,) = [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith(STACK)]
    group_attributes = elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
    drain = int({a["Key"]: a["Value"] for a in group_attributes}["deregistration_delay.timeout_seconds"])
    secretsmanager = stack.client("secretsmanager")
    arns = {s["Name"]: s["ARN"] for s in secretsmanager.list_secrets(MaxResults=100)["SecretList"]}
    return {
        "cognito": {
            "client_id": client["ClientId"],
            "pool_id": pool["Id"],
            "hosted_ui": f"https://{pool['Domain']}.auth.{stack.aws_env['AWS_REGION']}.amazoncognito.com",
        },
        "idle_timeout": idle,
        "deregistration_delay": drain,
        "secret_arns": arns,
    }


@pytest.mark.e2e
def test_task_definition_holds_the_contract_and_no_secret_value(deployment):
    """The registered task definition: exactly the contract's environment, secrets by ARN of
    the stack's secrets, the Fargate shape of seed 1, and no secret value in plain text."""
    facts = _stack_facts(deployment.stack)
    environment, secret_names = expected_container(
        stack=STACK,
        domain=DOMAIN,
        region=deployment.aws_env["AWS_REGION"],
        idle_timeout=facts["idle_timeout"],
        redis=True,  # inventories/local: 2 tasks, cache on
        cognito=facts["cognito"],
    )
    assert facts["idle_timeout"] >= 300, "streaming answers need an ALB idle timeout well above 60 s"
    td = deployment.task_definition
    (container,) = [c for c in td["containerDefinitions"] if c["name"] == CONTAINER]
    assert {e["name"]: e["value"] for e in container["environment"]} == environment
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        name: facts["secret_arns"][secret] for name, secret in secret_names.items()
    }
    assert (td["cpu"], td["memory"], td["networkMode"], td["requiresCompatibilities"]) == (
        "1024",
        "2048",
        "awsvpc",
        ["FARGATE"],
    )
    assert container["portMappings"][0]["containerPort"] == 8080
    assert "/health" in " ".join(container["healthCheck"]["command"])
    # draining long enough for a streamed answer: the target group's delay, then stopTimeout
    assert (facts["deregistration_delay"], container["stopTimeout"]) == (DEREGISTRATION_DELAY, STOP_TIMEOUT)
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    (volume,) = td["volumes"]
    efs = volume["efsVolumeConfiguration"]
    assert efs["transitEncryption"] == "ENABLED" and efs["authorizationConfig"]["accessPointId"].startswith("fsap-")
    # EFS is DATA_DIR, beside (not over) the image's /app/backend/data and the models in its cache/
    assert container["mountPoints"][0]["containerPath"] == deployment.rendered["DATA_DIR"] == "/app/data"
    # No secret value anywhere in the task definition, as registered.
    text = json.dumps(td)
    leaked = [name for name in secret_names if deployment.rendered[name] in text]
    assert leaked == [], f"secret values in the task definition: {leaked}"  # names only, never values
    password_leaked = deployment.stack.app_password in text
    assert not password_leaked, "the app role's password is in the task definition"


@pytest.mark.e2e
def test_database_url_percent_encodes_the_password(deployment):
    """DATABASE_URL as the database role stored it: every URL-special character of the app
    role's password encoded, so that the URL logs in (Open WebUI's /health/db proves it too)."""
    rds = aws_client(deployment.aws_env, "rds")
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=f"{LOCAL_STACK}-postgres")["DBInstances"]
    endpoint = instance["Endpoint"]
    # As in prod, the stored URL asks for TLS (RDS's server takes nothing else).
    url = database_url(APP_USER, deployment.stack.app_password, endpoint["Address"], endpoint["Port"], DB_NAME)
    url += "?sslmode=require"
    assert set(PASSWORD_SPECIALS) <= set(deployment.stack.app_password)
    # Compared as booleans: a failing assertion must not print the URLs (they hold the password).
    encoded_as_quote = deployment.rendered["DATABASE_URL"] == url
    assert encoded_as_quote, "DATABASE_URL is not the URL with every part quote(part, safe='')-encoded"
    same_for_pgvector = deployment.rendered["PGVECTOR_DB_URL"] == url
    assert same_for_pgvector, "PGVECTOR_DB_URL differs from the encoded DATABASE_URL"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (APP_USER,)


@pytest.mark.e2e
def test_the_app_runs_on_the_rendered_environment_only(deployment):
    """The process got the rendered environment plus LOCAL_OVERRIDES and LOCAL_SUBSTITUTIONS only."""
    rendered, env = deployment.rendered, deployment.env
    process_basics = {"PATH", "HOME", "LANG", "TMPDIR"}
    assert set(deployment.app.env) == set(rendered) | set(LOCAL_OVERRIDES) | process_basics
    assert all(deployment.app.env[k] == v for k, v in env.items())
    assert {k for k in rendered if rendered[k] != env[k]} == set(LOCAL_SUBSTITUTIONS)
    assert not {"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ENDPOINT_URL"} & set(rendered)


@pytest.mark.e2e
def test_health_endpoints(deployment):
    with deployment.client() as client:
        for path in ("/health", "/health/db", "/ready"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert response.json() == {"status": True}


@pytest.mark.e2e
def test_keep_alive_outlasts_uvicorns_default(deployment):
    """UVICORN_TIMEOUT_KEEP_ALIVE reaches uvicorn: an idle connection survives its 5 s default."""
    assert int(deployment.rendered["UVICORN_TIMEOUT_KEEP_ALIVE"]) > _stack_facts(deployment.stack)["idle_timeout"]
    conn = http.client.HTTPConnection("127.0.0.1", deployment.app.port, timeout=10)
    try:
        conn.request("GET", "/health")
        first = conn.getresponse()
        assert (first.status, first.read()) == (200, b'{"status":true}')
        sock = conn.sock
        time.sleep(7)  # past uvicorn's default keep-alive of 5 s
        conn.request("GET", "/health")  # a closed connection raises RemoteDisconnected here
        second = conn.getresponse()
        assert (second.status, second.read()) == (200, b'{"status":true}')
        assert conn.sock is sock, "the connection was not kept alive"
    finally:
        conn.close()


def _first_admin(deployment: Deployment) -> dict:
    """Sign the first administrator in (once): the account the migration task made."""
    if "admin" not in deployment.state:
        admin = first_admin(deployment.stack)
        with deployment.client() as client:
            response = client.post(
                "/api/v1/auths/signin", json={"email": admin["email"], "password": admin["password"]}
            )
        assert response.status_code == 200, response.text
        deployment.state["admin"] = response.json()
        deployment.state["admin_token"] = response.json()["token"]
    return deployment.state["admin"]


@pytest.mark.e2e
def test_the_first_admin_is_the_chosen_one_and_nobody_can_sign_up_to_be_it(deployment):
    """On the empty database the migration task made auth_admin_email the admin, with the
    password kept in Secrets Manager: signing up (which would have made the first account
    admin, even with ENABLE_SIGNUP=false while the login form is on) is refused."""
    admin = first_admin(deployment.stack)
    assert _first_admin(deployment)["role"] == "admin"
    with deployment.client() as client:
        me = client.get("/api/v1/auths/", headers=_admin_headers(deployment))
        signup = client.post(
            "/api/v1/auths/signup",
            json={"name": "Early Bird", "email": "early@example.com", "password": "Early-bird-pass-1!"},
        )
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["name"], me.json()["role"]) == (admin["email"], "Administrator", "admin")
    assert signup.status_code == 403, signup.text


def _cookie_attributes(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the response's Set-Cookie of ``name``: lower-case names -> values ('' for a flag)."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            return {key.lower(): value for key, _sep, value in (a.partition("=") for a in attributes)}
    names = [header.split("=", 1)[0] for header in response.headers.get_list("set-cookie")]
    raise AssertionError(f"no Set-Cookie of {name} (cookies set: {names})")


@pytest.mark.e2e
def test_a_session_lasts_jwt_expires_in_in_a_secure_cookie(deployment):
    """JWT_EXPIRES_IN (auth_jwt_expires_in, 1d) is the session's lifetime (a fresh database seeds
    it from the environment), and WEBUI_AUTH_COOKIE_SECURE marks the sign-in cookie Secure: the
    site is https://<domain>, so a browser sends it over TLS only."""
    assert deployment.rendered["JWT_EXPIRES_IN"] == "1d"
    _first_admin(deployment)
    admin = first_admin(deployment.stack)
    signin = {"email": admin["email"], "password": admin["password"]}
    with deployment.client() as client:
        before = int(time.time())
        response = client.post("/api/v1/auths/signin", json=signin)
        after = int(time.time())
    assert response.status_code == 200, response.text
    day = 24 * 3600
    assert before + day <= response.json()["expires_at"] <= after + day, (before, response.json()["expires_at"])
    cookie = _cookie_attributes(response, "token")
    assert "secure" in cookie and "httponly" in cookie, cookie
    assert cookie["max-age"] == str(day), cookie


@pytest.mark.e2e
def test_upload_limits_reach_the_app(deployment):
    """RAG_FILE_MAX_SIZE (MB) and RAG_FILE_MAX_COUNT reach the app (the web UI reads both from
    /api/config); a file over the size is refused by the server (413) and not kept."""
    max_size, max_count = int(deployment.rendered["RAG_FILE_MAX_SIZE"]), int(deployment.rendered["RAG_FILE_MAX_COUNT"])
    assert (max_size, max_count) == (50, 10)
    with deployment.client(headers=_admin_headers(deployment)) as client:
        config = client.get("/api/config").json()
        assert (config["file"]["max_size"], config["file"]["max_count"]) == (max_size, max_count)
        assert config["features"]["enable_websocket"] is True  # ENABLE_WEBSOCKET_SUPPORT=true
        too_big = b"x" * (max_size * 1024 * 1024 + 1)
        response = client.post(
            "/api/v1/files/", params={"process": "false"}, files={"file": ("too-big.txt", too_big, "text/plain")}
        )
    assert response.status_code == 413, response.text[:500]
    assert f"{max_size} MB" in response.text
    objects = aws_client(deployment.aws_env, "s3").list_objects_v2(Bucket=deployment.bucket).get("Contents", [])
    assert not [o["Key"] for o in objects if o["Key"].endswith("too-big.txt")]


@pytest.mark.e2e
def test_tables_belong_to_the_app_role_with_an_hnsw_index(deployment):
    with psycopg.connect(deployment.app_dsn) as conn:
        app_role = APP_USER
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone() == (False,)
        owners = dict(conn.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"))
        for table in ("user", "auth", "chat", "file", "knowledge", "config", "alembic_version", "document_chunk"):
            assert owners.get(table) == app_role, (table, owners.get(table))
        assert set(owners.values()) == {app_role}
        (indexdef,) = conn.execute(
            "SELECT indexdef FROM pg_indexes"
            " WHERE tablename = 'document_chunk' AND indexname = 'idx_document_chunk_vector'"
        ).fetchone()
        assert "USING hnsw" in indexdef
        # the extension is the master user's (PGVECTOR_CREATE_EXTENSION=false)
        (ext_owner,) = conn.execute(
            "SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'vector'"
        ).fetchone()
        assert ext_owner != app_role


@pytest.mark.e2e
def test_uploaded_file_lands_in_s3_and_is_retrieved(deployment):
    marker = f"zebra-{secrets.token_hex(4)}"
    text = (
        f"The Ajuda Digital pilot keeps its filing cabinet code {marker} in the third drawer.\n"
        "Nothing else in this note matters.\n"
    )
    with deployment.client(headers=_admin_headers(deployment)) as client:
        response = client.post(
            "/api/v1/files/",
            params={"process": "true", "process_in_background": "false"},
            files={"file": ("pilot-note.txt", text.encode(), "text/plain")},
        )
        assert response.status_code == 200, response.text
        file = response.json()
        file_id = file["id"]
        assert file["path"].startswith(f"s3://{deployment.bucket}/"), file["path"]

        keys = [
            o["Key"] for o in aws_client(deployment.aws_env, "s3").list_objects_v2(Bucket=deployment.bucket)["Contents"]
        ]
        assert any(file_id in key for key in keys), keys

        response = client.post(
            "/api/v1/retrieval/query/doc",
            json={"collection_name": f"file-{file_id}", "query": "Where is the filing cabinet code kept?", "k": 3},
        )
        assert response.status_code == 200, response.text
        documents = [doc for docs in response.json()["documents"] for doc in docs]
        assert any(marker in doc for doc in documents), documents

    with psycopg.connect(deployment.app_dsn) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM document_chunk WHERE collection_name = %s", (f"file-{file_id}",)
        ).fetchone()
        assert count >= 1


@pytest.mark.e2e
def test_websocket_manager_uses_redis(deployment):
    """WEBSOCKET_MANAGER=redis: the app keeps its shared state in the stack's Redis (the primary
    of the replication group), which the service's tasks share. Open WebUI reached it with the
    rendered rediss:// URL: over TLS, with the AUTH token."""
    assert deployment.rendered["WEBSOCKET_REDIS_URL"].startswith("rediss://:")
    token = urlparse(deployment.rendered["REDIS_URL"]).password
    keys = _redis_command(deployment, ("AUTH", token), ("KEYS", "*"))
    assert keys, "Open WebUI wrote nothing to the Redis of WEBSOCKET_REDIS_URL / REDIS_URL"


def _redis_command(deployment: Deployment, *commands: tuple[str, ...]) -> list[str]:
    """Commands in RESP over TLS (the emulator's ElastiCache CA; no Redis client in the test venv);
    returns the last one's list reply (the ones before must answer +OK)."""
    payload = b"".join(
        (f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)).encode() for args in commands
    )
    context = ssl.create_default_context(cafile=str(cache_nodes.ca_file(deployment.stack.services.state_dir)))
    raw = socket.create_connection(deployment.redis, timeout=5)
    with context.wrap_socket(raw, server_hostname=deployment.redis[0]) as conn:
        conn.sendall(payload)
        reader = conn.makefile("rb")
        for _command in commands[:-1]:
            assert reader.readline().decode().strip() == "+OK"
        header = reader.readline().decode().strip()
        assert header.startswith("*"), header
        items = []
        for _index in range(int(header[1:])):
            length = int(reader.readline().decode().strip()[1:])
            items.append(reader.read(length + 2)[:-2].decode())
        return items


# -- sign-in through the OIDC provider (Cognito's place) ------------------------------
def _oidc_login(deployment: Deployment, sub: str) -> tuple[httpx.Response, dict]:
    """Follow the login as a browser would; the callback host is https://<domain>, so call it on 127.0.0.1."""
    with deployment.client() as app, httpx.Client(timeout=30) as browser:
        login = app.get("/oauth/oidc/login")
        assert login.status_code == 302, login.text
        # The OAuth state is in the session cookie, Secure (WEBUI_SESSION_COOKIE_SECURE): a browser
        # sends it back to https://<domain> only. This client talks http to 127.0.0.1, where httpx's
        # cookie jar holds a Secure cookie back, so the callback gets it by hand.
        assert "secure" in _cookie_attributes(login, "owui-session")
        session = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        authorize = urlparse(login.headers["location"])
        query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        assert authorize.geturl().startswith(f"{deployment.oidc_url}/oauth2/authorize?"), authorize.geturl()
        # The mock's consent form: pick the user (sub) and authorize.
        consent = browser.post(authorize.geturl(), data={"sub": sub, "action": "authorize"})
        assert consent.status_code in (302, 303), consent.text
        callback = urlparse(consent.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == query["redirect_uri"]
        done = app.get(
            callback.path, params=dict(parse_qs(callback.query, keep_blank_values=True)), headers={"Cookie": session}
        )
        return done, query


@pytest.mark.e2e
def test_oidc_login_redirect(deployment):
    with deployment.client() as app:
        login = app.get("/oauth/oidc/login")
    assert login.status_code == 302, login.text
    location = urlparse(login.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{deployment.oidc_url}/oauth2/authorize"
    assert query["client_id"] == [deployment.rendered["OAUTH_CLIENT_ID"]]
    # the callback route 0.12.4 keeps (/oauth/oidc/callback is marked legacy in its main.py)
    assert query["redirect_uri"] == [f"https://{DOMAIN}/oauth/oidc/login/callback"]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()


@pytest.mark.e2e
@pytest.mark.parametrize(("sub", "role"), [("alice", "admin"), ("bob", "user"), ("carol", "pending")])
def test_oidc_login_maps_cognito_groups_to_roles(deployment, sub, role):
    """Role from the cognito:groups claim (the first user is the password admin, who is admin anyway);
    a new user in no group gets DEFAULT_USER_ROLE (pending) and waits for an admin."""
    _first_admin(deployment)
    done, _query = _oidc_login(deployment, sub)
    assert done.status_code in (302, 303, 307), done.text
    assert done.headers["location"].startswith(f"https://{DOMAIN}/"), done.headers["location"]
    token = done.cookies.get("token")
    assert token, done.headers
    assert "secure" in _cookie_attributes(done, "token")  # WEBUI_AUTH_COOKIE_SECURE
    with deployment.client() as app:
        me = app.get("/api/v1/auths/", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert (me.json()["email"], me.json()["role"]) == (OIDC_USERS[sub]["email"], role)
    with psycopg.connect(deployment.app_dsn) as conn:
        rows = conn.execute('SELECT role FROM "user" WHERE email = %s', (OIDC_USERS[sub]["email"],)).fetchall()
    assert rows == [(role,)]


@pytest.mark.e2e
def test_oidc_login_refuses_an_email_domain_not_allowed(deployment):
    """OAUTH_ALLOWED_DOMAINS (auth_allowed_domains): a user of the provider, in an allowed group,
    whose e-mail domain is not listed is sent back to the sign-in page with an error, without a
    session and without an account."""
    assert deployment.rendered["OAUTH_ALLOWED_DOMAINS"] == "example.com"
    _first_admin(deployment)
    done, _query = _oidc_login(deployment, "mallory")
    assert done.status_code in (302, 303, 307), done.text
    location = urlparse(done.headers["location"])
    assert (location.path, "error" in parse_qs(location.query)) == ("/auth", True), done.headers["location"]
    assert not done.cookies.get("token")
    with psycopg.connect(deployment.app_dsn) as conn:
        rows = conn.execute('SELECT role FROM "user" WHERE email = %s', (OIDC_USERS["mallory"]["email"],)).fetchall()
    assert rows == []


@pytest.mark.e2e
def test_the_app_started_and_embedded_without_asking_hugging_face(deployment):
    """Runs after the upload and retrieval tests (file order): the model came from the image's
    cache, and not one request reached the hub (RAG_EMBEDDING_MODEL_AUTO_UPDATE=false; with
    0.12.4's default, true, every start asks the hub for the model's latest revision)."""
    assert deployment.rendered["RAG_EMBEDDING_MODEL_AUTO_UPDATE"] == "false"
    assert "OFFLINE_MODE" not in deployment.env and "HF_HUB_OFFLINE" not in deployment.env
    with deployment.client() as client:
        assert client.get("/health").status_code == 200
    assert deployment.state["hub"].requests == []
