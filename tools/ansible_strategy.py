"""The persistent interpreter for local mode and the tests: mitogen's strategy (issue #16).

Each task of a stock ``ansible-playbook`` run starts a new Python for its module: about
1.4 s of CPU per module run here, most of it imports (boto3, botocore, amazon.aws). The
``mitogen`` package (pinned in requirements/dev.txt) has a strategy plugin that runs the
modules in one persistent interpreter per host: a no-change run of ``site.yml`` on the
local stack took 51 s instead of 97 s, and half the CPU.

``env()`` gives the two variables that turn it on (``ANSIBLE_STRATEGY_PLUGINS``,
``ANSIBLE_STRATEGY=mitogen_linear``), and ``ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false``
(``SCAN_SYS_PATH`` below). ``LocalServices.env()`` adds them, so ``make local``, the tests
and a shell that ran ``eval "$(python -m tools.local_services env)"`` use it. It stays
optional: the collection does not depend on it, ansible.cfg does not name it, and
``OPENWEBUI_MITOGEN=0`` (or no mitogen installed) leaves ansible's own ``linear`` strategy.
The version matrix's full deploy and re-run on ansible 14 (tools/matrix.py, in ``make
test``) run without it.

Not for one-module runs (``ansible -m``): starting mitogen costs more than it saves
there (2.6 s instead of 1.9 s), so the tests' ad hoc runs use ``linear``. ansible-core
2.19 prints a deprecation warning for every strategy plugin outside ``ansible.builtin``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

STRATEGY = "mitogen_linear"
# mitogen's planner lists every collection ansible can see before each module run: with the
# scan of sys.path, the ~50 of the ansible package (about 60 ms a run; 6 s of a 41 s no-change
# run of site.yml). Without it, the runs see the collection path only: this checkout and what
# requirements.yml names (tools/collections_path.py), as in a user's install.
SCAN_SYS_PATH = "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"
SWITCH = "OPENWEBUI_MITOGEN"  # "0": ansible's own linear strategy


def plugins_dir() -> Path | None:
    """The directory of mitogen's strategy plugins, or None when mitogen is not installed."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return Path(ansible_mitogen.__file__).resolve().parent / "plugins" / "strategy"


def env(environ: Mapping[str, str] | None = None, plugins: Path | None = None) -> dict[str, str]:
    """The variables that make ansible-playbook use mitogen (empty when off or not installed):
    this Python's mitogen, or the strategy plugins folder ``plugins`` (another virtualenv's)."""
    environ = os.environ if environ is None else environ
    if environ.get(SWITCH, "1") == "0":
        return {}
    found = plugins or plugins_dir()
    if found is None:
        return {}
    return {"ANSIBLE_STRATEGY_PLUGINS": str(found), "ANSIBLE_STRATEGY": STRATEGY, SCAN_SYS_PATH: "false"}
