"""``tools.ansible_strategy``: local mode and the tests run ansible-playbook with mitogen.

The strategy is optional (issue #16): ``OPENWEBUI_MITOGEN=0`` turns it off, and the
version matrix's deploy on ansible 14 (tools/matrix.py, in ``make test``) runs the whole
stack without it.
"""

from __future__ import annotations

from tools import ansible_strategy
from tools.local_services import LocalServices

# ansible-core's deprecation warning when a strategy plugin outside ansible.builtin runs.
NOT_BUILTIN_STRATEGY = "strategy plugins not included in ansible.builtin"

PLAYBOOK = """\
- name: Two tasks on the persistent interpreter
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: A module
      ansible.builtin.ping:
    - name: Another, with a loop
      ansible.builtin.command: echo {{ item }}
      loop: [1, 2]
      changed_when: false
"""


def test_on_unless_switched_off():
    found = ansible_strategy.env({})
    assert found["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (ansible_strategy.plugins_dir() / "mitogen_linear.py").is_file()
    assert ansible_strategy.env({"OPENWEBUI_MITOGEN": "0"}) == {}


def test_local_services_env_turns_it_on(tmp_path):
    services = LocalServices(tmp_path)
    services.state = {
        "aws_endpoint_url": "http://127.0.0.1:1",
        "aws_region": "us-east-1",
        "aws_access_key_id": "a",
        "aws_secret_access_key": "b",
    }
    assert services.env()["ANSIBLE_STRATEGY"] == "mitogen_linear"


def test_a_playbook_runs_with_mitogen(tmp_path, ansible):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    run = ansible.playbook(str(playbook), "-i", "localhost,", env=ansible_strategy.env({}))
    assert run.rc == 0, run.output[-3000:]
    assert NOT_BUILTIN_STRATEGY in run.output  # mitogen_linear was loaded
    assert "ok=2" in run.stdout
    linear = ansible.playbook(str(playbook), "-i", "localhost,", env={"ANSIBLE_STRATEGY": "linear"})
    assert linear.rc == 0, linear.output[-3000:]
    assert NOT_BUILTIN_STRATEGY not in linear.output
