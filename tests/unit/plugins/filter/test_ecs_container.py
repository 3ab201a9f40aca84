# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ecs_service role's filters (ecs_container_definition, ecs_efs_volume,
ecs_carried_settings).

The expected hashes and carried settings were rendered with the role's Jinja before the
filters replaced it (roles/ecs_service/vars/main.yml and the task "Choose the inputs" of
tasks/present.yml, ansible-core 2.19, on the same inputs): a stack deployed before the
filters must keep its task definition revision.
"""

from __future__ import absolute_import, division, print_function

import copy
import hashlib
import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import to_json
from ansible_collections.ajudadigital.openwebui.plugins.filter.ecs_container import FilterModule

FILTERS = FilterModule().filters()
container_definition = FILTERS["ecs_container_definition"]
efs_volume = FILTERS["ecs_efs_volume"]
carried_settings = FILTERS["ecs_carried_settings"]
LABEL = "ajudadigital.openwebui.config-hash"
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sample/"

# -- "full": Redis, EFS, auth settings, extras with lower-case and non-ASCII text -------
ENVIRONMENT = {
    "VECTOR_DB": "pgvector",
    "PGVECTOR_CREATE_EXTENSION": "false",
    "PGVECTOR_INDEX_METHOD": "hnsw",
    "STORAGE_PROVIDER": "s3",
    "S3_BUCKET_NAME": "sample-files",
    "S3_REGION_NAME": "eu-west-1",
    "WEBUI_URL": "https://chat.example.org",
    "CORS_ALLOW_ORIGIN": "https://chat.example.org",
    "UVICORN_TIMEOUT_KEEP_ALIVE": "305",
    "WEBSOCKET_MANAGER": "redis",
    "OAUTH_CLIENT_ID": "1example23456789",
    "OAUTH_PROVIDER_NAME": "Cognito",
    "ENABLE_SIGNUP": "false",
    "WEBUI_NAME": "Ajuda Digital \u2013 Assistente",
    "a_lower_case_name": "1",
    "Zeta": "\u00e9",
}
SECRETS = {
    "DATABASE_URL": ARN + "database-url-AbCdEf",
    "PGVECTOR_DB_URL": ARN + "database-url-AbCdEf",
    "WEBUI_SECRET_KEY": ARN + "webui-secret-key-GhIjKl",
    "WEBSOCKET_REDIS_URL": ARN + "redis-url-MnOpQr",
    "REDIS_URL": ARN + "redis-url-MnOpQr",
    "OAUTH_CLIENT_SECRET": ARN + "oauth-client-secret-StUvWx",
}
EFS = {"file_system_id": "fs-0123456789abcdef0", "access_point_id": "fsap-0123456789abcdef0"}
SETTINGS = {
    "name": "open-webui",
    "image": "ghcr.io/open-webui/open-webui:v0.12.4",
    "port": 8080,
    "environment": ENVIRONMENT,
    "secrets": SECRETS,
    "mounts": {"data": "/app/backend/data"},
    "log": {"group": "/sample/ecs/open-webui", "region": "eu-west-1", "stream_prefix": "open-webui"},
    "health_check": {"path": "/health", "interval": 30, "timeout": 5, "retries": 3, "start_period": 180},
}
TASK = {
    "volumes": [efs_volume(EFS, name="data")],
    "cpu": 1024,
    "memory": 2048,
    "execution_role_arn": "arn:aws:iam::123456789012:role/sample-task-execution",
    "task_role_arn": "arn:aws:iam::123456789012:role/sample-task",
    "cpu_architecture": "X86_64",
}
FULL_HASH = "89b1bb6a1efc18ee"  # the Jinja's label for these inputs

# -- "minimal": one task (no Redis), no EFS, no auth layer, ENABLE_PERSISTENT_CONFIG=false,
# an ECR image by digest, ARM64 ----------------------------------------------------------
DIGEST = "sha256:" + "0123456789abcdef" * 4
MINIMAL_SETTINGS = {
    "name": "open-webui",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bare@" + DIGEST,
    "port": 8080,
    "environment": {
        "VECTOR_DB": "pgvector",
        "PGVECTOR_CREATE_EXTENSION": "false",
        "PGVECTOR_INDEX_METHOD": "hnsw",
        "STORAGE_PROVIDER": "s3",
        "S3_BUCKET_NAME": "bare-files",
        "S3_REGION_NAME": "us-east-1",
        "WEBUI_URL": "https://bare.example.org",
        "CORS_ALLOW_ORIGIN": "https://bare.example.org",
        "UVICORN_TIMEOUT_KEEP_ALIVE": "65",
        "ENABLE_PERSISTENT_CONFIG": "false",
    },
    "secrets": {
        "DATABASE_URL": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bare/database-url-AbCdEf",
        "PGVECTOR_DB_URL": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bare/database-url-AbCdEf",
        "WEBUI_SECRET_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bare/webui-secret-key-GhIjKl",
    },
    "mounts": {},
    "log": {"group": "/bare/ecs/open-webui", "region": "us-east-1", "stream_prefix": "open-webui"},
    "health_check": {"path": "/health", "interval": 30, "timeout": 5, "retries": 3, "start_period": 60},
}
MINIMAL_TASK = {
    "volumes": [],
    "cpu": 512,
    "memory": 1024,
    "execution_role_arn": "arn:aws:iam::123456789012:role/bare-task-execution",
    "task_role_arn": "arn:aws:iam::123456789012:role/bare-task",
    "cpu_architecture": "ARM64",
}
MINIMAL_HASH = "4ba94a1b5e4d5c91"  # the Jinja's label for these inputs
MINIMAL_CONTAINER = {
    "name": "open-webui",
    "image": MINIMAL_SETTINGS["image"],
    "essential": True,
    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
    "environment": [
        {"name": "CORS_ALLOW_ORIGIN", "value": "https://bare.example.org"},
        {"name": "ENABLE_PERSISTENT_CONFIG", "value": "false"},
        {"name": "PGVECTOR_CREATE_EXTENSION", "value": "false"},
        {"name": "PGVECTOR_INDEX_METHOD", "value": "hnsw"},
        {"name": "S3_BUCKET_NAME", "value": "bare-files"},
        {"name": "S3_REGION_NAME", "value": "us-east-1"},
        {"name": "STORAGE_PROVIDER", "value": "s3"},
        {"name": "UVICORN_TIMEOUT_KEEP_ALIVE", "value": "65"},
        {"name": "VECTOR_DB", "value": "pgvector"},
        {"name": "WEBUI_URL", "value": "https://bare.example.org"},
    ],
    "secrets": [
        {"name": "DATABASE_URL", "valueFrom": MINIMAL_SETTINGS["secrets"]["DATABASE_URL"]},
        {"name": "PGVECTOR_DB_URL", "valueFrom": MINIMAL_SETTINGS["secrets"]["PGVECTOR_DB_URL"]},
        {"name": "WEBUI_SECRET_KEY", "valueFrom": MINIMAL_SETTINGS["secrets"]["WEBUI_SECRET_KEY"]},
    ],
    "mountPoints": [],
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/bare/ecs/open-webui",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "open-webui",
        },
    },
    "healthCheck": {
        "command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 60,
    },
    "dockerLabels": {LABEL: MINIMAL_HASH},
}


def _jinja_hash(container, task):
    """The label as the role's Jinja computed it: ``to_json(sort_keys=true) | hash('sha256')``."""
    base = {k: v for k, v in container.items() if k != "dockerLabels"}
    payload = [
        base,
        task["volumes"],
        str(task["cpu"]),
        str(task["memory"]),
        task["execution_role_arn"],
        task["task_role_arn"],
        task["cpu_architecture"],
    ]
    return hashlib.sha256(to_json(payload, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def test_the_label_is_the_hash_the_jinja_gave():
    assert container_definition(SETTINGS, **TASK)["dockerLabels"] == {LABEL: FULL_HASH}
    assert container_definition(MINIMAL_SETTINGS, **MINIMAL_TASK)["dockerLabels"] == {LABEL: MINIMAL_HASH}


def test_the_container_is_what_the_jinja_rendered():
    assert container_definition(MINIMAL_SETTINGS, **MINIMAL_TASK) == MINIMAL_CONTAINER


def test_the_hash_is_of_ansibles_to_json_text():
    """Ansible's to_json (json.dumps' ", " / ": " separators, ASCII escapes) of the same list:
    compact separators or raw UTF-8 would give other hashes (the full sample has non-ASCII)."""
    container = container_definition(SETTINGS, **TASK)
    assert _jinja_hash(container, TASK) == FULL_HASH
    base = {k: v for k, v in container.items() if k != "dockerLabels"}
    payload = [base, TASK["volumes"], "1024", "2048", *list(TASK.values())[3:]]
    for other in (dict(separators=(",", ":")), dict(ensure_ascii=False)):
        text = json.dumps(payload, sort_keys=True, **other)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] != FULL_HASH


def test_environment_and_secrets_are_sorted_by_name_ignoring_case():
    container = container_definition(SETTINGS, **TASK)
    names = [item["name"] for item in container["environment"]]
    assert names[0] == "a_lower_case_name" and names[-1] == "Zeta"
    assert names == sorted(ENVIRONMENT, key=str.lower)
    assert [item["name"] for item in container["secrets"]] == sorted(SECRETS)
    assert {item["name"]: item["valueFrom"] for item in container["secrets"]} == SECRETS
    assert {item["name"]: item["value"] for item in container["environment"]} == ENVIRONMENT


def test_mounts_volumes_and_strings_for_numbers():
    container = container_definition(SETTINGS, **TASK)
    assert container["mountPoints"] == [
        {"sourceVolume": "data", "containerPath": "/app/backend/data", "readOnly": False}
    ]
    # A port or start period given as text (a template's result) is the same number.
    as_text = dict(SETTINGS, port="8080", health_check=dict(SETTINGS["health_check"], start_period="180"))
    task_as_text = {**TASK, "cpu": "1024", "memory": "2048"}
    assert container_definition(as_text, **task_as_text) == container


@pytest.mark.parametrize(
    "change",
    [
        lambda s, t: s["environment"].update(S3_BUCKET_NAME="other-files"),
        lambda s, t: s["secrets"].update(REDIS_URL=ARN + "redis-url-Changed"),
        lambda s, t: s.update(image="ghcr.io/open-webui/open-webui:v0.12.5"),
        lambda s, t: s["health_check"].update(start_period=120),
        lambda s, t: s.update(stop_timeout=120),
        lambda s, t: s.update(mounts={}),
        lambda s, t: t.update(volumes=[]),
        lambda s, t: t.update(cpu=2048),
        lambda s, t: t.update(memory=4096),
        lambda s, t: t.update(execution_role_arn=t["execution_role_arn"] + "-2"),
        lambda s, t: t.update(task_role_arn=t["task_role_arn"] + "-2"),
        lambda s, t: t.update(cpu_architecture="ARM64"),
    ],
)
def test_any_change_changes_the_hash(change):
    settings, task = copy.deepcopy(SETTINGS), copy.deepcopy(TASK)
    change(settings, task)
    assert container_definition(settings, **task)["dockerLabels"][LABEL] != FULL_HASH


def test_stop_timeout_is_the_containers_stop_timeout():
    """stop_timeout becomes stopTimeout (a number, also from text); without it the container
    (and so the label of a stack deployed before) is what it was."""
    assert "stopTimeout" not in container_definition(SETTINGS, **TASK)
    container = container_definition(dict(SETTINGS, stop_timeout=120), **TASK)
    assert container["stopTimeout"] == 120
    assert {k: v for k, v in container.items() if k not in ("stopTimeout", "dockerLabels")} == {
        k: v for k, v in container_definition(SETTINGS, **TASK).items() if k != "dockerLabels"
    }
    assert container_definition(dict(SETTINGS, stop_timeout="120"), **TASK) == container
    assert container["dockerLabels"][LABEL] == _jinja_hash(container, TASK)
    assert container_definition(dict(SETTINGS, stop_timeout=60), **TASK)["dockerLabels"] != container["dockerLabels"]


def test_efs_volume():
    assert efs_volume(EFS, name="data") == {
        "name": "data",
        "efsVolumeConfiguration": {
            "fileSystemId": "fs-0123456789abcdef0",
            "rootDirectory": "/",
            "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
        },
    }


@pytest.mark.parametrize(
    "settings, task, argument",
    [
        (dict(SETTINGS, environment=[{"name": "A", "value": "b"}]), TASK, "environment must be a dictionary"),
        (dict(SETTINGS, environment={"DEBUG": 1}), TASK, "environment[DEBUG] must be a string"),
        (dict(SETTINGS, secrets={"DATABASE_URL": None}), TASK, "secrets[DATABASE_URL] must be a string"),
        (dict(SETTINGS, environment={"": "x"}), TASK, "environment has a name that is not"),
        (dict(SETTINGS, port="http"), TASK, "port must be an integer"),
        (dict(SETTINGS, port=True), TASK, "port must be an integer"),
        (dict(SETTINGS, image=None), TASK, "image must be a string"),
        (dict(SETTINGS, mounts=["data"]), TASK, "mounts must be a dictionary"),
        (dict(SETTINGS, log={"group": "g", "region": "r"}), TASK, "log needs stream_prefix"),
        (dict(SETTINGS, helth_check={}), TASK, "unknown keys helth_check"),
        (dict(SETTINGS, stop_timeout="two minutes"), TASK, "stop_timeout must be an integer"),
        (dict(SETTINGS, stop_timeout=None), TASK, "stop_timeout must be an integer"),
        ({k: v for k, v in SETTINGS.items() if k != "image"}, TASK, "the input needs image"),
        (SETTINGS, dict(TASK, volumes={"name": "data"}), "volumes must be a list"),
        (SETTINGS, dict(TASK, volumes=[{"name": object()}]), "volumes[0].name holds a object"),
        (SETTINGS, dict(TASK, cpu=[1024]), "cpu must be an integer or a string"),
        (SETTINGS, {k: v for k, v in TASK.items() if k != "task_role_arn"}, "task_role_arn are required"),
        (SETTINGS, dict(TASK, cpu_arch="ARM64"), "unknown keyword arguments cpu_arch"),
    ],
)
def test_container_errors_name_the_argument(settings, task, argument):
    with pytest.raises(AnsibleFilterError) as info:
        container_definition(settings, **task)
    assert str(info.value).startswith("ecs_container_definition: ")
    assert argument in str(info.value)


def test_a_secret_value_is_not_in_the_error():
    with pytest.raises(AnsibleFilterError) as info:
        container_definition(dict(SETTINGS, environment={"TOKEN": b"s3cr3t-value"}), **TASK)
    assert "s3cr3t" not in str(info.value)


@pytest.mark.parametrize(
    "efs, argument",
    [
        ("fs-0123", "the input must be a dictionary"),
        ({"file_system_id": "fs-0123"}, "the input needs access_point_id"),
        (dict(EFS, file_system_id=None), "file_system_id must be a string"),
    ],
)
def test_efs_volume_errors_name_the_argument(efs, argument):
    with pytest.raises(AnsibleFilterError) as info:
        efs_volume(efs)
    assert str(info.value).startswith("ecs_efs_volume: ")
    assert argument in str(info.value)


# -- ecs_carried_settings: the registered results of community.aws.ecs_taskdefinition_info --
OWNED = ["VECTOR_DB", "WEBUI_URL", "DATABASE_URL", "REDIS_URL", "WEBUI_NAME"]  # the role's names + the extras
FOUND = {
    "changed": False,
    "failed": False,
    "family": "sample-open-webui",
    "revision": 7,
    "container_definitions": [
        {"name": "sidecar", "image": "busybox", "environment": [{"name": "SIDECAR_ONLY", "value": "x"}]},
        {
            "name": "open-webui",
            "image": "ghcr.io/open-webui/open-webui:v0.12.4",
            "environment": [
                {"name": "VECTOR_DB", "value": "pgvector"},
                {"name": "WEBUI_URL", "value": "https://chat.example.org"},
                {"name": "OAUTH_CLIENT_ID", "value": "1example23456789"},
                {"name": "ENABLE_SIGNUP", "value": "false"},
                {"name": "WEBUI_NAME", "value": "Ajuda Digital"},
                {
                    "name": "OPENID_PROVIDER_URL",
                    "value": "https://cognito-idp.example/.well-known/openid-configuration",
                },
            ],
            "secrets": [
                {"name": "DATABASE_URL", "value_from": ARN + "database-url-AbCdEf"},
                {"name": "OAUTH_CLIENT_SECRET", "value_from": ARN + "oauth-client-secret-StUvWx"},
                {"name": "REDIS_URL", "value_from": ARN + "redis-url-MnOpQr"},
            ],
            "docker_labels": {LABEL: FULL_HASH},
        },
    ],
    "volumes": [
        {"name": "scratch", "host": {}},
        {
            "name": "data",
            "efs_volume_configuration": {
                "file_system_id": "fs-0123456789abcdef0",
                "root_directory": "/",
                "transit_encryption": "ENABLED",
                "authorization_config": {"access_point_id": "fsap-0123456789abcdef0", "iam": "ENABLED"},
            },
        },
    ],
}
NOTHING = {"found": False, "environment": {}, "secrets": {}, "file_system_id": "", "access_point_id": ""}


@pytest.mark.parametrize(
    "result, expected",
    [
        (
            FOUND,
            {
                "found": True,
                "environment": {
                    "OAUTH_CLIENT_ID": "1example23456789",
                    "ENABLE_SIGNUP": "false",
                    "OPENID_PROVIDER_URL": "https://cognito-idp.example/.well-known/openid-configuration",
                },
                "secrets": {"OAUTH_CLIENT_SECRET": ARN + "oauth-client-secret-StUvWx"},
                "file_system_id": "fs-0123456789abcdef0",
                "access_point_id": "fsap-0123456789abcdef0",
            },
        ),
        (
            {"changed": False, "family": "sample-open-webui", "container_definitions": [{"name": "open-webui"}]},
            dict(NOTHING, found=True),
        ),
        (
            {"family": "f", "volumes": [{"name": "data", "efs_volume_configuration": {"file_system_id": "fs-1"}}]},
            dict(NOTHING, found=True, file_system_id="fs-1"),
        ),
        ({"changed": False, "failed": False}, NOTHING),  # no such family: the module returns no keys of it
        ({"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}, NOTHING),
        ({"changed": False, "skipped": True, "family": "f", "volumes": FOUND["volumes"]}, NOTHING),
    ],
)
def test_carried_settings_as_the_jinja_chose_them(result, expected):
    assert carried_settings(result, container="open-webui", volume="data", owned=OWNED) == expected


def test_carried_settings_of_another_container_and_volume():
    carried = carried_settings(FOUND, container="sidecar", volume="scratch", owned=[])
    assert carried == dict(NOTHING, found=True, environment={"SIDECAR_ONLY": "x"})


def test_a_variable_set_to_nothing_is_carried_empty():
    result = {"family": "f", "container_definitions": [{"name": "open-webui", "environment": [{"name": "EMPTY"}]}]}
    assert carried_settings(result, owned=[])["environment"] == {"EMPTY": ""}


@pytest.mark.parametrize(
    "result, options, argument",
    [
        ("sample-open-webui", {}, "the input (the result of community.aws.ecs_taskdefinition_info) must be"),
        ({"family": "f", "container_definitions": {"name": "open-webui"}}, {}, "container_definitions must be a list"),
        ({"family": "f", "container_definitions": ["open-webui"]}, {}, "container_definitions[0] must be a dict"),
        (
            {"family": "f", "container_definitions": [{"name": "open-webui", "environment": [{"value": "x"}]}]},
            {},
            "environment[0] has no name",
        ),
        (
            {"family": "f", "container_definitions": [{"name": "open-webui", "secrets": [{"name": "S"}]}]},
            {},
            "secrets[0] has no value_from",
        ),
        ({"family": "f", "volumes": [{"name": "data", "efs_volume_configuration": "fs-1"}]}, {}, "efs_volume_config"),
        (FOUND, {"owned": "VECTOR_DB"}, "owned must be a list"),
        (FOUND, {"owned": [1]}, "owned[0] must be a string"),
        (FOUND, {"container": None}, "container must be a string"),
    ],
)
def test_carried_settings_errors_name_the_argument(result, options, argument):
    with pytest.raises(AnsibleFilterError) as info:
        carried_settings(result, **options)
    assert str(info.value).startswith("ecs_carried_settings: ")
    assert argument in str(info.value)
