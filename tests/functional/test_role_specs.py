"""Each role's ``meta/argument_specs.yml`` agrees with its ``defaults/main.yml`` (pure Python, fast).

* every variable of ``defaults/main.yml`` is an option of the ``main`` entry point;
* every option of ``main`` that the role owns (named ``<role>_...``) and that has a
  ``default`` is in ``defaults/main.yml`` (stack-wide inputs such as ``openwebui_tags`` come
  from the inventory; their spec default documents the ``| default()`` the templates apply);
* the two values are equal (Jinja-templated defaults: the raw strings);
* except a Jinja-templated default of an option that is not a string (a bool, an int, a
  dict; `raw` takes anything): Galaxy's role schema refuses it as a spec ``default`` (it is not of the option's
  type), so the spec leaves ``default`` out and a description line names the expression.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


def roles_with_specs():
    return sorted(p.parent.parent.name for p in ROLES.glob("*/meta/argument_specs.yml"))


def load(path):
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


def spec_and_defaults(role):
    spec = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options") or {}
    defaults = load(ROLES / role / "defaults" / "main.yml")
    return spec, defaults


def templated(option, value):
    """Whether the role default is a Jinja expression for an option of a non-string type."""
    return isinstance(value, str) and "{{" in value and option.get("type", "str") not in ("str", "raw")


def description_lines(option):
    description = option.get("description") or []
    return [description] if isinstance(description, str) else description


def same(spec_default, value):
    """Equal as YAML values; a spec default of the option's type compared as YAML parses both."""
    if isinstance(spec_default, str) or isinstance(value, str):
        return str(spec_default) == str(value) and type(spec_default) is type(value)
    return spec_default == value


@pytest.mark.parametrize("role", roles_with_specs())
def test_every_default_is_in_the_spec(role):
    spec, defaults = spec_and_defaults(role)
    missing = sorted(set(defaults) - set(spec))
    assert not missing, f"roles/{role}: defaults/main.yml variables missing from meta/argument_specs.yml: {missing}"


@pytest.mark.parametrize("role", roles_with_specs())
def test_every_spec_default_is_in_the_defaults(role):
    spec, defaults = spec_and_defaults(role)
    missing = sorted(
        name
        for name, option in spec.items()
        if name.startswith(role + "_") and "default" in option and name not in defaults
    )
    assert not missing, f"roles/{role}: options with a spec default missing from defaults/main.yml: {missing}"


@pytest.mark.parametrize("role", roles_with_specs())
def test_spec_defaults_match_the_defaults(role):
    spec, defaults = spec_and_defaults(role)
    drift = {}
    for name, value in defaults.items():
        option = spec.get(name)
        if option is None:
            continue  # reported by test_every_default_is_in_the_spec
        if templated(option, value):
            expression = " ".join(value.split())
            if "default" in option:
                drift[name] = (option["default"], "<a templated non-string default: not a spec default>")
            elif not any(f"Default: C({expression})" in line for line in description_lines(option)):
                drift[name] = ("<no 'Default: C(...)' line in the description>", expression)
        elif "default" not in option:
            drift[name] = ("<no default in spec>", value)
        elif not same(option["default"], value):
            drift[name] = (option["default"], value)
    assert not drift, f"roles/{role}: spec default != defaults/main.yml (spec, defaults): {drift}"
