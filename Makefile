# ajudadigital.openwebui: the two commands of the README, and the gates behind them.
#   make local   create the pinned virtualenv, deploy the whole stack into local mode
#   make test    every test and gate (what CI runs)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COLLECTIONS := .local/collections
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

# pip, minus this machine's warnings about absent local index folders.
PIP_INSTALL = $(BIN)/python -m pip install --quiet --disable-pip-version-check
PIP_QUIET = 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)

.PHONY: local test checks matrix-checks molecule-matrix-deploy venv chromium lint docs-lint sanity units pytest \
	molecule molecule-all lock clean services-stop ee-context bench upgrade-drill matrix matrix-lock

local: venv
	$(BIN)/python -m tools.make_local $(if $(KEEP),--keep,)

# Two stages of two lanes each (-O prints each lane's output whole, when it ends). First the
# checks on .venv (lint, then sanity and units) beside the version matrix's sanity and units
# (ansible 13 and 14, tools/matrix.py), which use the core the checks leave idle; then pytest
# beside molecule and the matrix's deploy on ansible 14: all of these mostly wait on deploys
# into their own local services.
test: venv chromium
	$(MAKE) --no-print-directory -j2 -Otarget checks matrix-checks
	$(MAKE) --no-print-directory -j2 -Otarget pytest molecule-matrix-deploy
	@echo "make test: every gate passed"

# make test's lanes: each runs its parts in turn, and stops at the first that fails.
checks: venv
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory units

matrix-checks: venv
	$(BIN)/python -m tools.matrix --parts sanity,units

# At niceness 10 beside pytest, whose deployed-stack tests end last. With Linux's autogroup
# scheduling (on here) niceness only orders the processes of one session, and ansible's
# workers and the local services start sessions of their own: this yields little CPU.
molecule-matrix-deploy: venv
	nice -n 10 $(MAKE) --no-print-directory molecule
	nice -n 10 $(BIN)/python -m tools.matrix --parts deploy,rerun,verify

venv: $(VENV)/.installed $(COLLECTIONS)/.linked

$(VENV)/.installed: requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade 'pip==26.3' $(PIP_QUIET)
	$(PIP_INSTALL) -r requirements/dev.txt $(PIP_QUIET)
	touch $@

# Debian's Chromium, which the browser test drives (Playwright): installed when missing and
# this runs as root; otherwise that one test skips, saying how to install it.
chromium:
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed: the browser test will skip (sudo apt-get install chromium)"; fi; }

# ansible.cfg's collection path: this checkout as ajudadigital.openwebui, and the collections
# requirements.yml names, linked from .venv's ansible package (tools/collections_path.py).
$(COLLECTIONS)/.linked: $(VENV)/.installed requirements.yml tools/collections_path.py
	$(BIN)/python -m tools.collections_path $(COLLECTIONS)
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint
	$(BIN)/antsibull-changelog lint
	$(MAKE) --no-print-directory docs-lint

# The collection's plugin and role docs as Galaxy and the docsite render them. antsibull-docs
# copies the collection and its dependencies; GIT_CEILING_DIRECTORIES keeps it from taking
# the virtualenv's collections (inside this Git checkout, but ignored) for Git-tracked files.
docs-lint: venv
	GIT_CEILING_DIRECTORIES=$(CURDIR)/$(VENV) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

sanity: venv
	$(BIN)/python -m tools.ansible_test sanity

# ansible-test units has no boto3: the tests of module_utils/aws.py (boto3 clients) run in .venv too.
units: venv
	$(BIN)/python -m tools.ansible_test units
	PYTHONPATH=$(COLLECTIONS) $(BIN)/pytest -q -p no:cacheprovider tests/unit/plugins/module_utils/test_aws.py

# Three workers on this machine's two cores (the deploys wait on the emulator much of the
# time). The tests on the session's deployed stack (xdist_group "local_stack") stay together
# on one worker, in file order; so do the interrupted-deploy tests ("interrupted").
pytest: venv
	$(BIN)/pytest -n 3 --dist loadgroup --durations=15 --cpu-times=15

# `make test` (CI) runs these scenarios; `make molecule-all` runs every scenario in
# molecule/ (each deploys the layers below its role: 5-10 minutes on 2 cores), on demand:
# after changing a role, and before a release.
MOLECULE_CI ?= preflight database
molecule: venv
	$(BIN)/python -m tools.run_molecule $(MOLECULE_CI)

molecule-all: venv
	$(BIN)/python -m tools.run_molecule

# The deploy benchmark, on demand (not part of `make test`): the collection and the Terraform
# peer side by side in every run; writes bench/RESULTS.md and appends a line to its History.
#   make bench RUNS=5    (default 3 runs; BENCH_ARGS=--quick skips the pending phase and the
#                         Terraform peer, BENCH_ARGS=--no-terraform the peer only)
bench: venv
	$(BIN)/python -m bench $(if $(RUNS),--runs $(RUNS),) $(BENCH_ARGS)

# The upgrade drill, on demand (not part of `make test`): the stack deployed with the previous
# Open WebUI release (requirements/openwebui-app-previous.txt), a chat and a file written, then
# upgraded to the pinned one through the snapshot and the migration task, and both read back.
# Builds the previous release's app virtualenv first (another ~3 GB beside the pinned one's in
# ~/.cache/ajudadigital-openwebui/); then two full deploys into the drill's own local services.
upgrade-drill: venv
	$(BIN)/python -m tools.openwebui_app build --previous
	$(BIN)/python -m tools.openwebui_app build
	$(BIN)/pytest tests/drill/test_upgrade_drill.py -v -s --durations=5

# The rest of the supported range (make test runs it too): ansible 13 (ansible-core 2.20,
# Python 3.12) and ansible 14 (ansible-core 2.21, amazon.aws 11, Python 3.13), each in a pinned
# virtualenv built once per machine in ~/.cache/ajudadigital-openwebui/ (requirements/matrix-*.txt):
# sanity and units; on ansible 14 also a full local deploy (ansible's own linear strategy), a
# no-change re-run and verify.yml (both on mitogen). Prints the wall and CPU time of each part.
#   make matrix MATRIX=ansible14 MATRIX_PARTS=sanity,units    (one entry, some parts)
# Python 3.12/3.13: PYTHON312=/path/to/python3.12, else python3.12 on the PATH, else pyenv's.
matrix: venv
	$(BIN)/python -m tools.matrix $(if $(MATRIX),--entry $(MATRIX),) $(if $(MATRIX_PARTS),--parts $(MATRIX_PARTS),)

# Re-pin requirements/matrix-*.txt from requirements/matrix-*.in in scratch virtualenvs.
matrix-lock: venv
	$(BIN)/python -m tools.matrix lock

# Re-pin requirements/dev.txt from requirements/dev.in in a scratch virtualenv.
lock:
	rm -rf .local/lock-venv && $(PYTHON) -m venv .local/lock-venv
	.local/lock-venv/bin/pip install --quiet --upgrade 'pip==26.3'
	.local/lock-venv/bin/pip install --quiet -r requirements/dev.in
	.local/lock-venv/bin/pip freeze --exclude-editable > requirements/dev.txt

# The AWX execution environment's build context (context/); `ansible-builder build`
# then needs Docker or Podman, which this Makefile does not run.
ee-context: venv
	rm -rf dist context && $(BIN)/ansible-galaxy collection build --output-path dist
	$(BIN)/ansible-builder create --file execution-environment.yml --context context

services-stop:
	$(BIN)/python -m tools.local_services stop

clean: services-stop
	rm -rf .local tests/output .pytest_cache .ruff_cache dist context
