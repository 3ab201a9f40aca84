"""The container images local mode can run, and what a container of each is locally.

ECS pulls an image and runs its entry point in a container; local mode has no container
engine, so the task runner (``ecs_runner``) runs a process that stands in for it. An
image is one of:

* ``ghcr.io/open-webui/open-webui:<tag>`` (or ``:v<tag>``): the real Open WebUI of the
  PyPI release that the tag names, from the cached app virtualenv of that release
  (``tools/openwebui_app.py``). Local mode provides the release that
  ``requirements/openwebui-app.txt`` pins, and the previous one
  (``requirements/openwebui-app-previous.txt``) where its virtualenv was built (``make
  upgrade-drill`` builds it); another tag cannot be pulled. The image's
  command (``bash start.sh``) serves the app as the image does; another command (a
  one-off task's override, such as ``python -c ...``) runs with the release's Python and
  programs first on the ``PATH``, where the image has them.
* ``python:<tag>`` or ``public.ecr.aws/docker/library/python:<tag>`` with a tag of the
  form ``3[.x...][-variant]``: the container's ``entryPoint``/``command`` run by this
  machine's Python (a ``python``/``python3`` first word is that interpreter). For small
  test services.

Anything else fails to pull, as it would from a registry that does not have it:
:class:`PullError` carries ECS's ``CannotPullContainerError`` reason.

What differs from a container, for every image (``Launch``):

* each task gets its own loopback address (``127.77.x.y``) instead of a subnet address;
  a command argument ``0.0.0.0`` (bind every interface of the container) is that
  address, and ``localhost``/``127.0.0.1`` in a health-check command mean it too;
* the AWS SDK in the task reaches the emulator (``AWS_ENDPOINT_URL`` and dummy keys),
  where ECS gives it the task role's credentials and the real endpoints;
* a mount point is a local folder (the EFS volume's folder under the runner's state),
  which the Open WebUI image is told through ``DATA_DIR`` (its data directory
  ``/app/backend/data`` is where the task definition mounts EFS).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

OPENWEBUI_REPOSITORIES = ("ghcr.io/open-webui/open-webui",)
PYTHON_REPOSITORIES = ("python", "docker.io/library/python", "public.ecr.aws/docker/library/python")
OPENWEBUI_DATA_DIR = "/app/backend/data"  # the image's DATA_DIR (its Dockerfile)
OPENWEBUI_DEFAULT_COMMAND = ["bash", "start.sh"]  # the image's CMD (no ENTRYPOINT), in /app/backend

# What the official Open WebUI image sets in its Dockerfile and the PyPI package does not,
# plus what local mode needs because nothing in it reaches the internet.
OPENWEBUI_IMAGE_ENV = {
    "ENV": "prod",
    "SCARF_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "true",
    "ANONYMIZED_TELEMETRY": "false",
    # The image runs uvicorn on its own file layout; the wheel keeps its frontend inside
    # the package, which Open WebUI finds only with this switch.
    "FROM_INIT_PY": "true",
    # Local mode: no model backend. (No OFFLINE_MODE: the image does not set it, and it would
    # hide a task definition that lets Open WebUI ask Hugging Face at start; the hub is
    # unreachable here instead, see model_cache_env.)
    "ENABLE_OLLAMA_API": "false",
    "ENABLE_OPENAI_API": "false",
}
# The libraries Open WebUI imports at start that take most of its start's CPU (torch,
# transformers, sentence-transformers, pandas, langchain...): the task runner imports them
# once per image in a zygote and forks the app's process from it (``ecs_zygotes``). The
# second group is every other library ``open_webui.main`` imports, down to the submodules it
# names (measured with ``-X importtime``: 7.9 CPU s a start from the first group alone, 5.4
# with both). Left out: azure.storage.blob, which reads the whole environment at import (a
# zygote that did would serve no task), and chromadb (pydantic settings, the same).
OPENWEBUI_PRELOAD = (
    "sentence_transformers",
    "langchain_text_splitters",
    "langchain_core",
    "langsmith",
    "pandas",
    "fastapi",
    "sqlalchemy",
    "uvicorn",
    "pydantic",
    # the rest of what open_webui.main imports
    "aiohttp",
    "authlib.integrations.starlette_client",
    "azure.core.exceptions",
    "azure.identity",
    "black",
    "cryptography.fernet",
    "engineio",
    "google.cloud.storage",
    "jsonschema",
    "langchain_classic.retrievers",
    "ldap3",
    "loguru",
    "markdown",
    "mcp.shared.auth",
    "psycopg",
    "psycopg2",
    "pycrdt",
    "qrcode",
    "socketio",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.ext.asyncio",
    "starsessions.stores.redis",
    "typer",
    "validators",
)


class PullError(RuntimeError):
    """The image cannot be had; ``str()`` is the task's stopped reason."""


@dataclass
class Launch:
    """How to start one container locally."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # the image's own environment
    # container path -> environment variable that points the program at the local folder
    data_dir_env: dict[str, str] = field(default_factory=dict)
    # modules to import in a zygote the process may be forked from (``argv`` is then
    # ``<python> -m MODULE ...``); empty: always a new process
    preload: tuple[str, ...] = ()


def split_image(image: str) -> tuple[str, str]:
    """``repo:tag`` -> (repo, tag); ``repo@sha256:..`` -> (repo, digest); no tag -> latest."""
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = image.rsplit(":", 1)
        return repo, tag
    return image, "latest"


def _pull_error(image: str, why: str = "not found") -> PullError:
    repo, tag = split_image(image)
    return PullError(
        f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
        f"{repo}:{tag}: {repo}:{tag}: {why}"
    )


def openwebui_version(tag: str) -> str | None:
    """``v0.12.4`` / ``0.12.4`` -> ``0.12.4``; anything else (``main``, a digest) -> None."""
    match = re.fullmatch(r"v?(\d+\.\d+\.\d+)", tag)
    return match.group(1) if match else None


def resolve(
    image: str,
    *,
    address: str,
    port: int,
    command: list[str] | None,
    entry_point: list[str] | None,
    app_venvs: dict[str, Path],
) -> Launch:
    """The launch of ``image`` for a task at ``address``; ``app_venvs``: Open WebUI
    version -> its virtualenv. Raises PullError for an image local mode cannot provide."""
    repo, tag = split_image(image)
    if repo in OPENWEBUI_REPOSITORIES:
        version = openwebui_version(tag)
        venv = app_venvs.get(version or "")
        if venv is None:
            raise _pull_error(image)
        from tools.openwebui_app import model_cache_env, uvicorn_argv

        env = {**OPENWEBUI_IMAGE_ENV, **model_cache_env(venv)}
        # The image's programs (its Python's) come first on the PATH, for every command.
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
        argv = [*(entry_point or []), *(command or [])]
        if not argv or argv == OPENWEBUI_DEFAULT_COMMAND:
            return Launch(uvicorn_argv(venv, address, port), env, {OPENWEBUI_DATA_DIR: "DATA_DIR"}, OPENWEBUI_PRELOAD)
        # Another command (a one-off task's override): run by the image's Python.
        preload: tuple[str, ...] = ()
        if argv[0] in ("python", "python3") or re.fullmatch(r"python3\.\d+", argv[0]):
            argv[0] = str(venv / "bin" / "python")
            preload = OPENWEBUI_PRELOAD if argv[1:2] == ["-c"] else ()  # the migration: from the zygote
        return Launch(argv, env, {OPENWEBUI_DATA_DIR: "DATA_DIR"}, preload)
    if repo in PYTHON_REPOSITORIES and re.fullmatch(r"3(\.\d+)*(-[a-z0-9.-]+)?", tag):
        argv = [*(entry_point or []), *(command or [])] or ["python3"]
        if argv[0] in ("python", "python3") or re.fullmatch(r"python3\.\d+", argv[0]):
            argv[0] = sys.executable
        return Launch([address if arg == "0.0.0.0" else arg for arg in argv])  # noqa: S104 - a container's any-address
    raise _pull_error(image)
