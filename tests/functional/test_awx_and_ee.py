"""AWX job templates as code and the execution environment, tested offline.

No AWX runs here: the tests render the templates that playbooks/awx.yml would create
(`--tags awx_plan`), check the survey specs against AWX's survey schema, that every
template points at a playbook and a layer tag that exist, and build the EE context
with ``ansible-builder create``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# The survey spec as the AWX API accepts it (api/v2/job_templates/N/survey_spec/).
SURVEY_SCHEMA = {
    "type": "object",
    "required": ["name", "description", "spec"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "spec": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["question_name", "variable", "type", "required"],
                "additionalProperties": False,
                "properties": {
                    "question_name": {"type": "string", "minLength": 1},
                    "question_description": {"type": "string"},
                    "variable": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
                    "type": {
                        "enum": ["text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"]
                    },
                    "required": {"type": "boolean"},
                    "default": {},
                    "choices": {"type": "array", "items": {"type": "string"}},
                    "min": {"type": "integer"},
                    "max": {"type": "integer"},
                },
                "allOf": [
                    {
                        "if": {"properties": {"type": {"enum": ["multiplechoice", "multiselect"]}}},
                        "then": {"required": ["choices"]},
                    }
                ],
            },
        },
    },
}


@pytest.fixture(scope="module")
def templates(ansible):
    run = ansible.playbook("playbooks/awx.yml", "--tags", "awx_plan", env={"ANSIBLE_STDOUT_CALLBACK": "json"})
    assert run.rc == 0, run.output
    result = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result["awx_job_templates"]


def deploy_layers() -> list[str]:
    play = yaml.safe_load((REPO / "playbooks" / "deploy.yml").read_text())[0]
    return [role["tags"][0] for role in play["roles"]]


def test_awx_playbook_passes_syntax_check(ansible):
    run = ansible.playbook("playbooks/awx.yml", "--syntax-check")
    assert run.rc == 0, run.output


def test_one_template_per_layer_plus_site_destroy_and_operations_per_environment(templates):
    layers = deploy_layers()
    awx_vars = yaml.safe_load((REPO / "playbooks" / "vars" / "awx.yml").read_text())
    envs, operations = awx_vars["awx_environments"], awx_vars["awx_operations"]
    assert "status" in {o["name"] for o in operations}
    names = {t["name"] for t in templates}
    for env in envs:
        assert f"openwebui {env} site" in names
        assert f"openwebui {env} destroy" in names
        for layer in layers:
            assert f"openwebui {env} layer {layer}" in names
        for operation in operations:
            assert f"openwebui {env} {operation['name']}" in names
    assert len(templates) == len(envs) * (len(layers) + 2 + len(operations))


def test_every_template_points_at_what_exists(templates):
    layers = set(deploy_layers())
    for template in templates:
        assert (REPO / template["playbook"]).is_file(), template
        assert (REPO / "inventories" / template["inventory"].removeprefix("openwebui-") / "hosts.yml").is_file()
        if "job_tags" in template:
            assert template["job_tags"] in layers


def test_surveys_match_the_awx_schema_and_name_real_variables(templates):
    surveys = [t["survey"] for t in templates if "survey" in t]
    assert surveys
    for survey in surveys:
        jsonschema.validate(survey, SURVEY_SCHEMA)
        for question in survey["spec"]:
            if question["type"] == "multiplechoice":
                assert question["default"] in question["choices"]
            if question["type"] == "integer" and ("default" in question or question["required"]):
                assert question["min"] <= question["default"] <= question["max"]


def test_survey_schema_rejects_a_bad_spec():
    bad = {"name": "x", "description": "", "spec": [{"question_name": "q", "variable": "v", "type": "dropdown"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SURVEY_SCHEMA)


def test_ansible_builder_creates_a_complete_context(tmp_path):
    dist, context = tmp_path / "dist", tmp_path / "context"
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (tarball,) = dist.glob("ajudadigital-openwebui-*.tar.gz")
    with tarfile.open(tarball) as tar:
        members = tar.getnames()
    assert any(m.startswith("roles/") for m in members)
    assert not [m for m in members if m.startswith((".venv", ".local", "tools/", "tests/output", ".git/"))]

    workdir = tmp_path / "ee"
    workdir.mkdir()
    for name in ("execution-environment.yml", "requirements.yml", "bindep.txt"):
        shutil.copy(REPO / name, workdir / name)
    (workdir / "meta").mkdir()
    shutil.copy(REPO / "meta" / "ee-requirements.txt", workdir / "meta")
    shutil.copytree(dist, workdir / "dist")
    subprocess.run(
        [str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context)],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    build = context / "_build"
    assert "boto3" in (build / "requirements.txt").read_text()
    assert "psycopg" in (build / "requirements.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert {"amazon.aws", "community.aws"} <= {c["name"] for c in galaxy["collections"]}
    assert (build / "collections" / tarball.name).is_file()
    dockerfile = (context / "Dockerfile").read_text()
    assert "ansible-core==2.21.5" in dockerfile
    assert "ansible-galaxy collection install --offline" in dockerfile
