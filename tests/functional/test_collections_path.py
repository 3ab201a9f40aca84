"""``tools.collections_path``: the runs see this checkout and what requirements.yml names.

``make venv`` builds ``.local/collections`` with it; mitogen's runs (local mode, the tests)
turn off ansible's scan of ``sys.path`` (tools/ansible_strategy.py), so a collection that
requirements.yml leaves out is missing there, as in a user's install (issue #16).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tools import ansible_strategy, collections_path

REPO = Path(__file__).resolve().parents[2]

# community.docker is in the ansible package, and not in requirements.yml.
PLAYBOOK = """\
- name: One module of {fqcn}
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The module
      {module}:
        {args}
"""


def test_build_links_the_checkout_and_the_requirements(tmp_path):
    requirements = tmp_path / "requirements.yml"
    requirements.write_text("collections:\n  - name: amazon.aws\n  - name: community.general\n")
    root = collections_path.build(tmp_path / "c", requirements=requirements)
    top = root / "ansible_collections"
    assert sorted(f"{p.parent.name}.{p.name}" for p in top.glob("*/*")) == [
        "ajudadigital.openwebui",
        "amazon.aws",
        "ansible.posix",  # for the tests' json callback
        "community.general",
    ]
    assert (top / "ajudadigital" / "openwebui").resolve() == REPO
    assert (top / "amazon" / "aws").resolve() == (collections_path.package_root(Path(sys.prefix)) / "amazon" / "aws")
    assert not (top / "amazon" / "aws").readlink().is_absolute()

    # Again, with one collection fewer: its link goes, the others stay.
    requirements.write_text("collections:\n  - name: amazon.aws\n")
    collections_path.build(tmp_path / "c", requirements=requirements)
    assert sorted(f"{p.parent.name}.{p.name}" for p in top.glob("*/*")) == [
        "ajudadigital.openwebui",
        "amazon.aws",
        "ansible.posix",
    ]


def test_a_requirement_the_ansible_package_lacks_is_an_error(tmp_path):
    requirements = tmp_path / "requirements.yml"
    requirements.write_text("collections:\n  - name: nosuch.collection\n")
    with pytest.raises(SystemExit, match=r"nosuch\.collection is named"):
        collections_path.build(tmp_path / "c", requirements=requirements)
    # The version matrix's entries: what their ansible package lacks is left out.
    root = collections_path.build(tmp_path / "c", requirements=requirements, strict=False)
    assert sorted(f"{p.parent.name}.{p.name}" for p in (root / "ansible_collections").glob("*/*")) == [
        "ajudadigital.openwebui",
        "ansible.posix",
    ]


@pytest.mark.parametrize(
    ("module", "args", "found"),
    [
        ("community.general.read_csv", "path: /nonexistent.csv", True),  # in requirements.yml
        ("community.docker.docker_container_info", "name: nosuch", False),  # not in it
    ],
)
def test_mitogen_runs_see_only_the_requirements(tmp_path, ansible, module, args, found):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(fqcn=module.rsplit(".", 1)[0], module=module, args=args))
    run = ansible.playbook(str(playbook), "-i", "localhost,", "--check", env=ansible_strategy.env({}))
    missing = f"couldn't resolve module/action '{module}'"
    if found:
        assert missing not in run.output, run.output[-3000:]
        assert "/nonexistent.csv" in run.output, run.output[-3000:]  # the module ran, and failed on its input
    else:
        assert run.rc != 0
        assert missing in run.output, run.output[-3000:]
