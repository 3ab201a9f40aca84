"""The collections a checkout's ansible runs see: what ``requirements.yml`` installs, and no more.

A user installs this collection's dependencies with ``ansible-galaxy collection install -r
requirements.yml``. Here they come from the pinned ``ansible`` package instead (Galaxy is
out of reach), which ships some 50 collections. ``build(DIR)`` makes ``DIR`` the collection
path a user's install would give:

* ``DIR/ansible_collections/ajudadigital/openwebui``: this checkout;
* ``DIR/ansible_collections/<namespace>/<name>``: each collection ``requirements.yml``
  names, linked from the ``ansible`` package of the interpreter that runs ansible;
* and ansible.posix, for the tests only (``TEST_ONLY`` below).

``make venv`` builds ``.local/collections`` (ansible.cfg's ``collections_path``) for
``.venv``; the version matrix builds one per entry for its own ``ansible`` package
(tools/matrix.py). Runs that turn off ansible's scan of ``sys.path``
(``ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false``, as tools/ansible_strategy.py does with
mitogen) see only these collections: a module of a collection that requirements.yml does
not name fails there, as it would in a user's install.

``python -m tools.collections_path DIR``: build ``DIR`` for the running interpreter.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO / "requirements.yml"
NAMESPACE, NAME = "ajudadigital", "openwebui"
# What the tests need beside requirements.yml, never the roles: the tests read results
# through the json stdout callback, and ansible-core's ansible.builtin.json redirects to
# ansible.posix.json.
TEST_ONLY = ("ansible.posix",)


def required(requirements: Path = REQUIREMENTS) -> list[str]:
    """The collections requirements.yml names (``namespace.name``), in its order."""
    data = yaml.safe_load(requirements.read_text(encoding="utf-8")) or {}
    return [entry["name"] if isinstance(entry, dict) else str(entry) for entry in data.get("collections", [])]


def package_root(python_prefix: Path) -> Path:
    """The ``ansible_collections`` directory of the ``ansible`` package installed under a
    virtualenv (or any prefix) ``python_prefix``."""
    found = sorted(python_prefix.glob("lib/python3*/site-packages/ansible_collections"))
    if not found:
        raise SystemExit(f"no ansible_collections under {python_prefix}: is the ansible package installed there?")
    return found[-1]


def build(
    root: Path, python_prefix: Path | None = None, requirements: Path = REQUIREMENTS, strict: bool = True
) -> Path:
    """Make ``root`` the collection path described above; returns ``root``. Idempotent: links
    are replaced, and links of collections requirements.yml no longer names are removed.

    A collection that the ``ansible`` package lacks is an error; with ``strict=False`` it is
    left out (the version matrix: ansible 14 no longer bundles awx.awx, which only
    playbooks/awx.yml uses)."""
    source = package_root(Path(sys.prefix) if python_prefix is None else python_prefix)
    top = root / "ansible_collections"
    wanted = {(NAMESPACE, NAME): REPO}
    for fqcn in [*required(requirements), *TEST_ONLY]:
        namespace, name = fqcn.split(".", 1)
        target = source / namespace / name
        if not (target / "MANIFEST.json").is_file():
            if not strict:
                continue
            raise SystemExit(f"{fqcn} is named, and the ansible package at {source} does not have it")
        wanted[(namespace, name)] = target
    for link in top.glob("*/*"):
        if link.is_symlink() and (link.parent.name, link.name) not in wanted:
            link.unlink()
    for (namespace, name), target in wanted.items():
        link = top / namespace / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            if link.is_symlink() and link.resolve() == target.resolve():
                continue
            link.unlink()
        # Relative, as a checkout's own links are: a moved checkout (with its .venv) keeps them.
        link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)
    return root


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.collections_path DIR", file=sys.stderr)
        return 2
    root = build(Path(argv[0]).resolve())
    print(f"{root}: {NAMESPACE}.{NAME} (this checkout), {', '.join([*required(), *TEST_ONLY])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
