"""Every collection the roles, playbooks and module_defaults groups name is declared.

An execution environment (``ansible-builder`` reads ``requirements.yml``) or a Galaxy
install of this collection (``galaxy.yml`` ``dependencies``) holds only the collections
those files name; a role that calls a module, filter or lookup of any other collection
fails there with "couldn't resolve module/action", though it passed here, where the
``ansible`` package brings them all. This test reads the collection's own YAML the way
Ansible resolves names: a fully qualified ``namespace.collection.name`` (or
``group/namespace.collection.group``) whose ``namespace.collection`` is a collection the
``ansible`` package installs.
"""

from __future__ import annotations

import re
from pathlib import Path

import ansible_collections
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# Collections that need no declaration: ansible-core's own, and this one.
BUILTIN = {"ansible.builtin", "ansible.legacy", "ajudadigital.openwebui"}
FQCN = re.compile(r"(?<![\w.-])([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)(?![\w-])")


def installed_collections() -> set[str]:
    """Every collection on ``ansible_collections``' path (the ansible package's, this checkout's)."""
    return {
        f"{ns.name}.{coll.name}"
        for root in map(Path, ansible_collections.__path__)
        for ns in root.iterdir()
        if ns.is_dir() and not ns.name.startswith("_")
        for coll in ns.iterdir()
        if (coll / "MANIFEST.json").is_file() or (coll / "galaxy.yml").is_file()
    }


def yaml_sources() -> list[Path]:
    files = [REPO / "site.yml", REPO / "meta" / "runtime.yml"]
    for folder in ("roles", "playbooks"):
        files += sorted((REPO / folder).rglob("*.yml"))
    return files


def without_comments(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def collections_named(known: set[str]) -> dict[str, set[str]]:
    """``namespace.collection`` -> the files that name one of its plugins."""
    found: dict[str, set[str]] = {}
    for path in yaml_sources():
        for match in FQCN.finditer(without_comments(path.read_text())):
            name = f"{match[1]}.{match[2]}"
            if name in known and name not in BUILTIN:
                found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_the_scan_sees_what_the_roles_use():
    """The scan itself: it finds the collections the stack is built on, and no comment."""
    used = collections_named(installed_collections())
    assert {"amazon.aws", "community.aws", "community.postgresql", "community.crypto"} <= set(used)
    assert "community.postgresql" in {c for c, files in used.items() if any("roles/database" in f for f in files)}
    assert FQCN.search(without_comments("# see awx.example.com")) is None


@pytest.mark.parametrize(
    ("declared_in", "read"),
    [
        ("galaxy.yml", lambda doc: set(doc.get("dependencies") or {})),
        ("requirements.yml", lambda doc: {c["name"] for c in doc.get("collections") or []}),
    ],
)
def test_every_collection_used_is_declared(declared_in, read):
    declared = read(yaml.safe_load((REPO / declared_in).read_text()))
    used = collections_named(installed_collections())
    missing = {name: sorted(files) for name, files in used.items() if name not in declared}
    assert not missing, f"{declared_in} does not declare collections that are used: {missing}"
