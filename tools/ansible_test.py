"""Run ``ansible-test`` (sanity, units) on this checkout, offline-friendly.

ansible-test wants the collection at ``.../ansible_collections/ajudadigital/openwebui``
with the collections it depends on beside it, and bootstraps pip in its virtualenvs
with a script it would download from the internet. This helper

* copies the tracked and new (not ignored) files to
  ``.local/ansible-test/ansible_collections/ajudadigital/openwebui`` (``--root DIR``: to
  ``DIR/ansible_collections/...``, so that ``make matrix`` keeps a tree per entry);
* links amazon.aws, community.aws, ... from the ``ansible`` package beside it;
* provides the pip bootstrap script (``~/.ansible/test/cache/get_pip_<ver>.py``):
  ``ensurepip`` and then ``pip install`` from the package index;
* runs ``ansible-test <command> --venv --python <X.Y>`` there, with the ansible-test and
  the Python of the virtualenv it runs from (3.11 in ``.venv``).

    python -m tools.ansible_test [--root DIR] sanity [ansible-test args...]
    python -m tools.ansible_test [--root DIR] units [ansible-test args...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / ".local" / "ansible-test"
DEPENDENCIES = ["amazon/aws", "community/aws", "community/crypto", "community/postgresql"]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

PIP_BOOTSTRAP = '''\
"""Stand-in for get-pip.py (written by tools/ansible_test.py): the machine reaches the
package index but not the host that serves get-pip.py."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
'''


def pip_bootstrap() -> None:
    from ansible_test._internal.python_requirements import get_venv_packages

    class _Py:
        version = PYTHON

    version = get_venv_packages(_Py)["pip"]
    cache = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    if not cache.exists() or cache.read_text() != PIP_BOOTSTRAP:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(PIP_BOOTSTRAP)


def files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


def sync(root: Path) -> Path:
    """The collection's copy under ``root`` (returned), its dependencies linked beside it."""
    dest = root / "ansible_collections" / "ajudadigital" / "openwebui"
    if dest.exists():
        shutil.rmtree(dest)
    for rel in files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    # ansible-test reads this tree as a git repository would be read: give it one
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    import ansible_collections

    source = Path(next(iter(ansible_collections.__path__)))
    for dep in DEPENDENCIES:
        link = root / "ansible_collections" / dep
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source / dep)
    return dest


def main(argv: list[str]) -> int:
    root = ROOT
    if argv[:1] == ["--root"] and len(argv) > 1:
        root, argv = Path(argv[1]).resolve(), argv[2:]
    if not argv or argv[0] not in ("sanity", "units"):
        print(__doc__, file=sys.stderr)
        return 2
    pip_bootstrap()
    dest = sync(root)
    command, extra = argv[0], argv[1:]
    cmd = [str(Path(sys.executable).parent / "ansible-test"), command, "--venv", "--python", PYTHON, "--color", "no"]
    if command == "sanity":
        cmd += ["--skip-test", "shellcheck"] if shutil.which("shellcheck") is None else []
    cmd += extra
    env = dict(os.environ)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=dest, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
