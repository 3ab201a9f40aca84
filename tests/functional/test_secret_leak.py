"""Secrets never leak: a full local deploy at -vvv leaves no secret value anywhere.

The session's stack (the ``local_stack`` fixture: ``site.yml -i inventories/local -vvv``
into local services of its own, as ``make local`` runs it). Every value of the stack's Secrets Manager secrets (the
database passwords in their JSON secrets, DATABASE_URL, WEBUI_SECRET_KEY, the OAuth
client secret, the Redis URL...) is searched for, in every form it could take in text
(as is, percent-encoded, JSON-escaped, the password part of a URL), in:

* the whole ansible output (stdout + stderr) of every run on the stack so far (the
  first deploy at ``-vvv``; test_stack.py checks its own later runs);
* the emulator's request log and its server log;
* every file the run left in the local services' state directory, in ansible's
  temporary directories, in PostgreSQL's log, and under the repository (``.local``
  and the checkout), except the secret stores themselves: ``services.json`` (the local
  services' own credentials, mode 0600), PostgreSQL's data directory (the database
  keeps its roles' passwords, hashed) and the ``redis.conf`` of each emulated ElastiCache
  node (the server's own ACL: the AUTH token is the ``default`` user's password there, as
  ElastiCache keeps it on its nodes).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest
import yaml

from tools.local_services import LocalServices

# The tests on the session's deployed stack run on one xdist worker, in file order.
pytestmark = pytest.mark.xdist_group("local_stack")
REPO = Path(__file__).resolve().parents[2]
STACK = "openwebui-local"
# Shorter values are not searched for: they would match by chance (ports, "true", ...).
MIN_LENGTH = 8
# Keys of a JSON secret whose values are secret (username, host, port, dbname are not).
SECRET_KEYS = ("password", "secret", "key", "token", "url", "dsn")
# What the repository walk never enters (a run writes neither); symlinks such as
# .local/collections/.../openwebui (the checkout itself) are never followed.
REPO_SKIP = {".venv", ".git", "node_modules", "__pycache__"}


def sensitive_values(secret_string: str) -> set[str]:
    """The secret values inside one SecretString (plain, or JSON with secret keys)."""
    try:
        data = json.loads(secret_string)
    except ValueError:
        data = secret_string
    if isinstance(data, dict):
        values = {v for k, v in data.items() if isinstance(v, str) and any(word in k.lower() for word in SECRET_KEYS)}
    else:
        values = {secret_string}
    found = set(values)
    for value in values:
        # A URL's password, as written (percent-encoded) and decoded, is a secret by itself.
        password = urlsplit(value).password if "://" in value else None
        if password:
            found.update({password, unquote(password)})
    return {v for v in found if len(v) >= MIN_LENGTH}


def text_forms(value: str) -> set[str]:
    """How a value can appear in text: as is, percent-encoded, JSON-escaped."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), json.dumps(value)[1:-1]}
    return {f for f in forms if len(f) >= MIN_LENGTH}


def find_leaks(labels: dict[str, str], texts: dict[str, str | bytes]) -> list[tuple[str, str]]:
    """(where, label of the value) for every form of every value found in the texts.

    ``labels`` maps each secret value to what it is (a secret's name): the report names
    the secret, never shows it.
    """
    needles = {form: label for value, label in labels.items() for form in text_forms(value)}
    hits = []
    for where, text in texts.items():
        raw = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
        # Ansible prints results as YAML 80 columns wide: long strings are folded, at a
        # space (plain style) or anywhere with a trailing backslash (double-quoted style).
        unfolded = (raw, re.sub(rb"\\\n[ \t]*\\?", b"", raw), re.sub(rb"\n[ \t]+", b" ", raw))
        hits.extend((where, label) for form, label in needles.items() if any(form.encode() in hay for hay in unfolded))
    return sorted(set(hits))


def read_files(root: Path, *, skip: set[str] = frozenset(), newer_than_ns: int = 0) -> dict[str, bytes]:
    """Every regular file below root (no symlinks followed), optionally only the new ones."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in skip and str(Path(dirpath, d)) not in skip]
        for name in filenames:
            path = Path(dirpath, name)
            if str(path) in skip or name in skip or path.is_symlink() or not path.is_file():
                continue
            try:
                if path.stat().st_mtime_ns <= newer_than_ns:
                    continue
                files[str(path)] = path.read_bytes()
            except OSError:
                continue
    return files


def test_the_search_finds_a_planted_secret(tmp_path):
    """The search can fail: a planted value is found, in each form, and ignored forms are not."""
    database = json.dumps({"username": "openwebui_admin", "password": "pl@nted/p4ss word", "port": 5432})
    url = "postgresql://openwebui:s3cr%2Fet%40value@db.example.internal:5432/openwebui"
    redis = "redis://cache.internal:6379/0"
    values = sensitive_values(database) | sensitive_values(url) | sensitive_values(redis)
    assert values == {"pl@nted/p4ss word", url, "s3cr%2Fet%40value", "s3cr/et@value", redis}

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "plain.log").write_text("ok: password=pl@nted/p4ss word\n")
    (scratch / "encoded.log").write_text("url: postgresql://u:pl%40nted%2Fp4ss%20word@h/db\n")
    (scratch / "clean.log").write_text("username openwebui_admin port 5432 host cache.internal:6379\n")
    (scratch / "redis.log").write_text(f"REDIS_URL={redis}\n")
    # Folded at its space, as ansible's YAML output (80 columns) folds long strings.
    long_secret = "x" * 30 + " " + "y" * 30
    for style, name in ((None, "folded-plain.log"), ('"', "folded-quoted.log")):
        folded = yaml.dump({"msg": f"token {long_secret} end"}, width=40, default_style=style)
        assert long_secret not in folded
        (scratch / name).write_text(folded)
    values.add(long_secret)
    hits = find_leaks(dict.fromkeys(values, "planted"), read_files(scratch))
    assert {Path(where).name for where, _label in hits} == {
        "plain.log",
        "encoded.log",
        "redis.log",
        "folded-plain.log",
        "folded-quoted.log",
    }
    assert {label for _where, label in hits} == {"planted"}


def stack_secrets(services: LocalServices) -> dict[str, str]:
    client = services.client("secretsmanager")
    names = [s["Name"] for page in client.get_paginator("list_secrets").paginate() for s in page["SecretList"]]
    return {
        name: client.get_secret_value(SecretId=name)["SecretString"] for name in names if name.startswith(f"{STACK}/")
    }


def collect_labels(services: LocalServices) -> dict[str, str]:
    """Every secret value of the stack (and its parts) -> the name to report instead of it."""
    secrets = stack_secrets(services)
    labels = {value: name for name, text in secrets.items() for value in sensitive_values(text)}
    if "postgres" in services.state:  # the one local PostgreSQL's login stands in for the RDS master's
        labels[services.state["postgres"]["password"]] = "local PostgreSQL superuser"
    assert len(secrets) >= 4, f"too few secrets of the stack: {sorted(secrets)}"
    assert len(labels) >= 4, "too few secret values collected"
    for name in ("database-url", "webui-secret-key", "database-app", "oauth-client-secret", "webui-admin-password"):
        assert f"{STACK}/{name}" in secrets
    return labels


def test_a_full_deploy_leaks_no_secret(local_stack):
    """The first deploy of the session's stack ran at -vvv (the local_stack fixture)."""
    services = local_stack.services
    labels = collect_labels(services)
    assert local_stack.app_password in labels  # the seeded one, with every URL-special character

    texts: dict[str, str | bytes] = {}
    for index, run in enumerate(local_stack.runs):
        texts |= {f"ansible run {index} stdout": run.stdout, f"ansible run {index} stderr": run.stderr}
    # At -vvv (and only there) the results show each module's arguments ("invocation:").
    assert "\n    invocation:\n" in texts["ansible run 0 stdout"], "the deploy did not run at -vvv"
    # The RDS instance's server (rds_servers): its log and files, not its data directory (nor
    # the snapshots' copies of it), which hold the roles' SCRAM verifiers, never a password.
    rds_home = services.state_dir / "rds"
    run_root = rds_home / "run-root"
    servers_root = Path(run_root.read_text(encoding="utf-8")) if run_root.exists() else rds_home / "run"
    binary = {str(path) for path in servers_root.glob("instances/*/data")} | {str(servers_root / "pginstall")}
    # The emulated ElastiCache nodes' own configuration (their ACL holds the AUTH token).
    node_configs = {str(path) for path in (services.state_dir / "cache").glob("*/*/redis.conf")}
    assert not (services.state_dir / "cache").exists() or node_configs, "no node configuration where expected"
    skip = {str(services.state_file), str(rds_home / "snapshots"), *node_configs}
    texts |= read_files(services.state_dir, skip=skip)
    texts |= read_files(local_stack.ansible_tmp)
    texts |= read_files(servers_root, skip=binary)
    texts |= read_files(REPO, skip=REPO_SKIP, newer_than_ns=local_stack.started_ns)
    assert str(services.request_log) in texts
    assert any(where.endswith("postgres.log") for where in texts), sorted(texts)

    leaks = find_leaks(labels, texts)
    assert leaks == [], f"secret values found: {leaks}"
