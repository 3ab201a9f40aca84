"""ajudadigital.openwebui.database_url: property-based round trips and real logins, and no leak at -vvvv.

* every part survives SQLAlchemy's ``make_url`` and libpq's own URI parser, for arbitrary
  users, passwords, database names and query parameters (printable ASCII and unicode, no
  control characters: PostgreSQL refuses those);
* a sample logs in for real: a role with that password and a database with that name are
  created in ``postgres_embedded`` and psycopg 3 connects with nothing but the URL;
* a playbook at -vvvv that uses the module and the filter with ``no_log: true`` prints
  neither the password, nor its percent-encoded form, nor the URL.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import string
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import make_url

from tests.functional.return_docs import assert_documented, return_keys

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / ".local" / "collections"))

from ansible_collections.ajudadigital.openwebui.plugins.filter.database_url import database_url as url_filter  # noqa: E402
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import (  # noqa: E402
    build_database_url,
)

MODULE = "ajudadigital.openwebui.database_url"

# Printable ASCII and unicode: no control characters (Cc) and no lone surrogates (Cs).
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
# For real logins also no unassigned code points (Cn): SCRAM's SASLprep on the client (libpq)
# and on the server may know different Unicode versions. Names fit PostgreSQL's 63 bytes.
ASSIGNED = st.characters(exclude_categories=("Cc", "Cs", "Cn"))
NAME = st.text(ASSIGNED, min_size=1, max_size=20).filter(lambda s: len(s.encode()) <= 63)
PASSWORD = st.text(ASSIGNED, min_size=1, max_size=40)
SPECIALS = st.text(st.sampled_from([*list(":%#?&+/@ =[]!$'()*,;~\\\"<>{}|^`"), "é", "ß", "密", "🔑"]), min_size=1)

HOSTNAME = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){0,3}\Z")
HOST = st.one_of(HOSTNAME, st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
QUERY = st.dictionaries(TEXT, TEXT, max_size=3)


def expected_host(host: str) -> str:
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


@settings(max_examples=150, deadline=None)
@given(
    user=st.one_of(TEXT, SPECIALS),
    password=st.one_of(TEXT, SPECIALS),
    database=st.one_of(TEXT, SPECIALS),
    host=HOST,
    port=st.integers(1, 65535),
    query=QUERY,
    scheme=st.sampled_from(["postgresql", "postgresql+psycopg", "postgresql+psycopg2"]),
)
def test_sqlalchemy_make_url_gives_back_every_part(user, password, database, host, port, query, scheme):
    result = build_database_url(
        scheme=scheme, user=user, password=password, host=host, port=port, database=database, query=query
    )
    url = make_url(result["url"])
    assert url.drivername == scheme
    assert url.username == user
    assert url.password == password
    assert url.host == expected_host(host)
    assert url.port == port
    assert url.database == database
    assert dict(url.query) == query
    # The filter is the same code.
    parts = dict(scheme=scheme, user=user, password=password, host=host, port=port, database=database, query=query)
    assert url_filter(parts) == result["url"]
    # The redacted form holds neither the password nor its encoding (unless they are a substring of the rest).
    redacted = make_url(result["url_redacted"])
    assert redacted.password == "********"
    assert (redacted.username, redacted.host, redacted.database) == (user, url.host, database)


@settings(max_examples=100, deadline=None)
@given(user=st.one_of(TEXT, SPECIALS), password=st.one_of(TEXT, SPECIALS), database=st.one_of(TEXT, SPECIALS))
def test_libpq_parses_the_url_back(user, password, database):
    url = build_database_url(user=user, password=password, host="db.example.internal", database=database)["url"]
    parsed = conninfo_to_dict(url)
    assert (parsed["user"], parsed["password"], parsed["dbname"]) == (user, password, database)
    assert (parsed["host"], parsed["port"]) == ("db.example.internal", "5432")


def test_plus_and_space_are_not_quote_plus_encoded():
    url = build_database_url(user="a b", password="+ +", host="h", database="c+d")["url"]
    assert url == "postgresql://a%20b:%2B%20%2B@h:5432/c%2Bd"
    assert make_url(url).password == "+ +"


@pytest.fixture(scope="module")
def admin_conn(postgres_embedded):
    info = postgres_embedded
    # The superuser, for the test's own set-up (roles and databases of any name).
    with psycopg.connect(
        host=info.host,
        port=info.port,
        user=info.admin_user,
        password=info.admin_password,
        dbname=info.database,
        sslmode=info.sslmode,
        autocommit=True,
    ) as conn:
        yield conn


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(user=NAME, password=PASSWORD, database=NAME)
def test_real_login_with_the_url(postgres_embedded, admin_conn, user, password, database):
    info = postgres_embedded
    if user.lower().startswith("pg_"):
        reject()  # reserved role names
    exists = admin_conn.execute(
        "SELECT (SELECT count(*) FROM pg_roles WHERE rolname = %s) + (SELECT count(*) FROM pg_database "
        "WHERE datname = %s)",
        (user, database),
    ).fetchone()[0]
    if exists:
        reject()
    try:
        admin_conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password))
        )
    except psycopg.errors.ReservedName:
        reject()
    except psycopg.errors.InvalidParameterValue:  # e.g. role names PostgreSQL reserves ("public", "none")
        reject()
    try:
        admin_conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(user))
        )
        try:
            url = build_database_url(user=user, password=password, host=info.host, port=info.port, database=database)
            with psycopg.connect(url["url"], connect_timeout=10) as conn:
                row = conn.execute("SELECT current_user, current_database()").fetchone()
            assert row == (user, database)
        finally:
            admin_conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
    finally:
        admin_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(user)))


def test_real_login_with_every_special_character(postgres_embedded, admin_conn):
    info = postgres_embedded
    user, password, database = "u :%#?&+/@ é", "p :%#?&+/@ 密🔑'\"\\" + secrets.token_hex(4), "d :%#?&+/@ ß"
    admin_conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password)))
    admin_conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(user)))
    try:
        url = build_database_url(
            user=user,
            password=password,
            host=info.host,
            port=info.port,
            database=database,
            query={"sslmode": "require"},  # the server is TLS only, as RDS with rds.force_ssl
        )["url"]
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_user, current_database()").fetchone() == (user, database)
    finally:
        admin_conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
        admin_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(user)))


STORE_PLAYBOOK = """
- name: database_url stores the URL in Secrets Manager
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/ajudadigital.openwebui.aws: "{{ lookup('ansible.builtin.env', 'DBURL_CONNECTION') | from_json }}"
  vars:
    db:
      secret_name: "{{ lookup('ansible.builtin.env', 'DBURL_SECRET') }}"
      description: DATABASE_URL of the functional test
      tags:
        Project: functional
        Case: "{{ lookup('ansible.builtin.env', 'DBURL_SECRET') | replace('/', '-') }}"
      user: "{{ lookup('ansible.builtin.env', 'DBURL_USER') }}"
      password: "{{ lookup('ansible.builtin.env', 'DBURL_PASSWORD') }}"
      host: "{{ lookup('ansible.builtin.env', 'DBURL_HOST') }}"
      port: "{{ lookup('ansible.builtin.env', 'DBURL_PORT') | int }}"
      database: "{{ lookup('ansible.builtin.env', 'DBURL_DATABASE') }}"
      query:
        sslmode: require
  tasks:
    - name: Check mode, the secret missing
      ajudadigital.openwebui.database_url: "{{ db }}"
      check_mode: true
      register: checked
      no_log: NO_LOG

    - name: Store the URL
      ajudadigital.openwebui.database_url: "{{ db }}"
      register: stored
      no_log: NO_LOG

    - name: Store it again
      ajudadigital.openwebui.database_url: "{{ db }}"
      register: again
      no_log: NO_LOG

    - name: Check mode, another password
      ajudadigital.openwebui.database_url: "{{ db | combine({'password': db.password ~ 'x'}) }}"
      check_mode: true
      register: checked_other
      no_log: NO_LOG

    - name: Write the results (no secret in them) for the test
      ansible.builtin.copy:
        dest: "{{ lookup('ansible.builtin.env', 'DBURL_RESULTS') }}"
        content: "{{ results | to_json }}"
        mode: "0600"
      vars:
        results: {checked: "{{ checked }}", stored: "{{ stored }}", again: "{{ again }}", other: "{{ checked_other }}"}

    - name: Show the redacted URL
      ansible.builtin.debug:
        msg: "{{ stored.url_redacted }}"
"""

PRINTABLE = "".join(c for c in string.printable if c not in string.whitespace)
PASSWORDS = {
    "url-safe": "Secret123",
    "99-a": "a" * 99,
    "printable-ascii": PRINTABLE,
    "printable-ascii-and-space": "pass word " + PRINTABLE,
    "non-ascii": "pässwörd-密码-🔑",
    "long": ("x:%@/+ é密🔑" + PRINTABLE) * 9 + "y" * (1000 - 9 * (len(PRINTABLE) + 10)),
}
assert len(PASSWORDS["long"]) == 1000


@pytest.fixture(scope="module")
def aws(emulator):
    return emulator.client("secretsmanager"), emulator.module_connection()


def run_store_playbook(ansible, tmp_path, connection, secret, user, password, host, port, database, no_log=True):
    playbook = tmp_path / "store.yml"
    playbook.write_text(STORE_PLAYBOOK.replace("NO_LOG", "true" if no_log else "false"))
    results = tmp_path / "results.json"
    env = {
        "DBURL_CONNECTION": json.dumps(connection),
        "DBURL_SECRET": secret,
        "DBURL_USER": user,
        "DBURL_PASSWORD": password,
        "DBURL_HOST": host,
        "DBURL_PORT": str(port),
        "DBURL_DATABASE": database,
        "DBURL_RESULTS": str(results),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
    }
    args = ["-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", "-vvvv"]
    run = ansible.playbook(str(playbook), *args, env=env)
    assert run.rc == 0, run.output[-3000:]
    return run, json.loads(results.read_text())


@pytest.mark.parametrize("case", list(PASSWORDS))
def test_the_stored_url_logs_in(postgres_embedded, admin_conn, ansible, aws, tmp_path, case):
    secretsmanager, connection = aws
    info = postgres_embedded
    password = PASSWORDS[case]
    user, database, secret = f"dburl_{case.replace('-', '_')}", f"dburl_{case.replace('-', '_')}", f"dburl/{case}"
    admin_conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password)))
    admin_conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(user)))
    try:
        run, results = run_store_playbook(
            ansible, tmp_path, connection, secret, user, password, info.host, info.port, database, no_log=True
        )
        stored_url = secretsmanager.get_secret_value(SecretId=secret)["SecretString"]
        # Nothing but the stored URL: it logs in as the role, to its database.
        with psycopg.connect(stored_url, connect_timeout=10) as conn:
            assert conn.execute("SELECT current_user, current_database()").fetchone() == (user, database)
        assert make_url(stored_url).password == password

        checked, stored, again, other = (results[k] for k in ("checked", "stored", "again", "other"))
        assert checked["changed"] is True and checked["arn"] == "" and checked["version_id"] == ""
        assert stored["changed"] is True and stored["value_changed"] is True
        description = secretsmanager.describe_secret(SecretId=secret)
        assert stored["arn"] == description["ARN"] and stored["name"] == secret
        versions = secretsmanager.list_secret_version_ids(SecretId=secret)["Versions"]
        # Neither check mode run nor the second run wrote a version.
        assert [v["VersionId"] for v in versions] == [stored["version_id"]]
        assert again["changed"] is False and again["value_changed"] is False
        assert again["version_id"] == stored["version_id"] and again["arn"] == stored["arn"]
        assert other["changed"] is True and other["value_changed"] is True
        assert secretsmanager.get_secret_value(SecretId=secret)["SecretString"] == stored_url
        assert description["Description"] == "DATABASE_URL of the functional test"
        assert {t["Key"]: t["Value"] for t in description["Tags"]} == {
            "Project": "functional",
            "Case": f"dburl-{case}",
        }
        expected_redacted = f"postgresql://{user}:********@{info.host}:{info.port}/{database}?sslmode=require"
        for result in (checked, stored, again, other):
            assert "url" not in result
            assert result["url_redacted"] == expected_redacted

        output = run.output
        assert expected_redacted in output, "the playbook did not show the redacted URL"
        assert password not in output
        assert quote(password, safe="") not in output
        assert stored_url not in output
    finally:
        admin_conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
        admin_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(user)))


def test_no_secret_in_the_output_without_no_log(ansible, aws, tmp_path):
    """The module returns no secret: even a task without ``no_log`` shows none at -vvvv (the
    password option is masked by Ansible, the URL and the encoded password never leave)."""
    secretsmanager, connection = aws
    password = "Leak+Test " + secrets.token_hex(6) + ":/@%é"
    run, results = run_store_playbook(
        ansible,
        tmp_path,
        connection,
        "dburl/leak",
        "openwebui",
        password,
        "db.example.internal",
        5432,
        "openwebui",
        no_log=False,
    )
    stored_url = secretsmanager.get_secret_value(SecretId="dburl/leak")["SecretString"]
    assert make_url(stored_url).password == password
    output = run.output
    assert results["stored"]["url_redacted"] in output, "the playbook did not run its tasks"
    assert "invocation" in output, "the -vvvv output shows no module result"
    encoded = quote(password, safe="")
    assert password not in output
    assert encoded not in output
    assert stored_url not in output
    for fragment in (password.split(" ")[1][:12], encoded.split("%20")[1][:12]):
        assert fragment not in output


def test_changes_restore_and_diff(ansible, aws):
    secretsmanager, connection = aws
    name = "dburl/changes"
    base = dict(connection, secret_name=name, user="u", password="pw", host="db", database="d")
    base.update(description="first", tags={"A": "1", "B": "2"})
    run = ansible.module(MODULE, base, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"] == {
        "before": {},
        "after": {"description": "first", "kms_key_id": "", "tags": {"A": "1", "B": "2"}, "value": "(hidden, changed)"},
    }
    first = run.result["version_id"]
    assert_documented("database_url", run.result)
    assert return_keys("database_url") <= set(run.result), "a documented key is not returned"

    # Metadata only: a new description, one tag more without purging; the value stays.
    changed = dict(base, description="second", tags={"C": "3"}, purge_tags=False)
    run = ansible.module(MODULE, changed, diff=True, check=True)
    assert run.result["changed"] is True and run.result["value_changed"] is False
    assert run.result["diff"]["before"]["description"] == "first"
    assert run.result["diff"]["after"] == {
        "description": "second",
        "kms_key_id": "",
        "tags": {"A": "1", "B": "2", "C": "3"},
        "value": "(hidden)",
    }
    assert secretsmanager.describe_secret(SecretId=name)["Description"] == "first", "check mode wrote"
    run = ansible.module(MODULE, changed)
    assert run.result["changed"] is True and run.result["version_id"] == first
    described = secretsmanager.describe_secret(SecretId=name)
    assert described["Description"] == "second"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"A": "1", "B": "2", "C": "3"}
    # purge_tags (the default) removes the others.
    run = ansible.module(MODULE, dict(base, description="second", tags={"C": "3"}))
    assert run.result["changed"] is True
    assert {t["Key"] for t in secretsmanager.describe_secret(SecretId=name)["Tags"]} == {"C"}
    # Without tags nor description: left as they are, no change.
    run = ansible.module(MODULE, {k: v for k, v in base.items() if k not in ("tags", "description")})
    assert run.result["changed"] is False, run.output

    # A new password: a new version, the diff says so and never shows the value.
    run = ansible.module(MODULE, dict(base, password="pw2", description="second", tags={"C": "3"}), diff=True)
    assert run.result["changed"] is True and run.result["value_changed"] is True
    assert run.result["version_id"] != first
    assert run.result["diff"]["before"]["value"] == "(hidden)"
    assert run.result["diff"]["after"]["value"] == "(hidden, changed)"
    assert "pw2" not in json.dumps(run.result["diff"])
    assert make_url(secretsmanager.get_secret_value(SecretId=name)["SecretString"]).password == "pw2"

    # Scheduled for deletion: check mode reports a change and restores nothing; then restored, updated.
    secretsmanager.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    args = dict(base, password="pw3", description="second", tags={"C": "3"})
    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.result["changed"] is True
    assert run.result["diff"]["before"]["scheduled_for_deletion"] is True
    assert "DeletedDate" in secretsmanager.describe_secret(SecretId=name)
    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True and run.result["value_changed"] is True
    assert "DeletedDate" not in secretsmanager.describe_secret(SecretId=name)
    assert make_url(secretsmanager.get_secret_value(SecretId=name)["SecretString"]).password == "pw3"
    # Restored with the right value already: changed (restored), but no new version.
    secretsmanager.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    version = secretsmanager.describe_secret(SecretId=name)
    run = ansible.module(MODULE, args)
    assert run.result["changed"] is True and run.result["value_changed"] is False
    assert "DeletedDate" not in secretsmanager.describe_secret(SecretId=name)
    assert run.result["version_id"] == secretsmanager.get_secret_value(SecretId=name)["VersionId"]
    assert version["ARN"] == run.result["arn"]
    run = ansible.module(MODULE, args)
    assert run.result["changed"] is False


def test_kms_key(ansible, aws, emulator):
    secretsmanager, connection = aws
    kms = emulator.client("kms")
    first, second = (kms.create_key()["KeyMetadata"]["Arn"] for _index in range(2))
    name = "dburl/kms"
    args = dict(connection, secret_name=name, user="u", password="pw", host="db", database="d", kms_key_id=first)
    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert secretsmanager.describe_secret(SecretId=name)["KmsKeyId"] == first
    assert ansible.module(MODULE, args).result["changed"] is False
    # An empty kms_key_id leaves the key as it is.
    assert ansible.module(MODULE, dict(args, kms_key_id="")).result["changed"] is False
    # Another key: the value is written again, encrypted with it.
    run = ansible.module(MODULE, dict(args, kms_key_id=second), diff=True)
    assert run.result["changed"] is True and run.result["value_changed"] is True
    assert run.result["diff"]["before"]["kms_key_id"] == first and run.result["diff"]["after"]["kms_key_id"] == second
    assert secretsmanager.describe_secret(SecretId=name)["KmsKeyId"] == second
    assert ansible.module(MODULE, dict(args, kms_key_id=second)).result["changed"] is False


def test_bad_input_through_ansible_names_the_option(ansible, aws, emulator):
    connection = aws[1]
    base = dict(connection, secret_name="dburl/bad", user="u", password="x", host="db", database="d")
    before = len(emulator.requests())
    run = ansible.module(MODULE, dict(base, port=70000))
    assert run.rc != 0
    assert run.result["msg"] == "database_url: option 'port' must be between 1 and 65535, got 70000"
    run = ansible.module(MODULE, dict(base, user=""))
    assert run.rc != 0 and run.result["msg"] == "database_url: option 'user' must not be empty"
    run = ansible.module(MODULE, dict(base, password="x\x01y"))
    assert run.rc != 0
    assert run.result["msg"].startswith("database_url: option 'password' contains a control character (U+0001)")
    run = ansible.module(MODULE, dict(base, secret_name="arn:aws:secretsmanager:x"))
    assert run.rc != 0 and "option 'secret_name'" in run.result["msg"]
    assert len(emulator.requests()) == before, "bad input reached AWS"
