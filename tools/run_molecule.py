"""Run every molecule scenario against the local services.

Starts the AWS emulator and PostgreSQL once (``tools.local_services``), exports their
environment, and runs ``molecule test -s <scenario>`` for each scenario under
``molecule/`` (or those named on the command line); stops the services at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tools.local_services import REPO, LocalServices, install_signal_handlers


def scenarios(names: list[str]) -> list[str]:
    found = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
    return [n for n in found if not names or n in names]


def main(argv: list[str]) -> int:
    bin_dir = Path(sys.executable).parent
    services = LocalServices(REPO / ".local" / "molecule")
    install_signal_handlers(services)
    failed = []
    with services:
        env = dict(os.environ, **services.env())
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".local" / "collections")
        env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
        for name in scenarios(argv):
            print(f"\n==> molecule test -s {name}", flush=True)
            rc = subprocess.call([str(bin_dir / "molecule"), "test", "-s", name], cwd=REPO, env=env)
            if rc:
                failed.append(name)
    if failed:
        print(f"molecule: failed scenarios: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
