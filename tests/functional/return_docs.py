"""Compare a module's result keys with the keys its RETURN documentation declares."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"
# Keys Ansible itself adds to every module result.
COMMON = {
    "action",
    "changed",
    "failed",
    "msg",
    "diff",
    "invocation",
    "warnings",
    "deprecations",
    "skipped",
    "exception",
}


def return_keys(module):
    """The top-level keys of the RETURN block of ``plugins/modules/<module>.py``."""
    tree = ast.parse((MODULES / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets):
            return set((yaml.safe_load(node.value.value) or {}).keys())
    raise AssertionError(f"{module} has no RETURN")


def undocumented(module, result):
    """Keys of a successful ``result`` that the module's RETURN does not document."""
    keys = {k for k in result if not k.startswith("_ansible") and k not in COMMON}
    return sorted(keys - return_keys(module))


def assert_documented(module, result):
    missing = undocumented(module, result)
    assert not missing, f"{module} returns keys its RETURN does not document: {missing}"
