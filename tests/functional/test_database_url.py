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
import secrets
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
    with psycopg.connect(
        host=info.host, port=info.port, user=info.user, password=info.password, dbname=info.database, autocommit=True
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
            query={"sslmode": "disable"},
        )["url"]
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_user, current_database()").fetchone() == (user, database)
    finally:
        admin_conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
        admin_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(user)))


LEAK_PLAYBOOK = """
- name: database_url with no_log
  hosts: localhost
  gather_facts: false
  vars:
    db_password: "{{ lookup('ansible.builtin.env', 'LEAK_TEST_PASSWORD') }}"
  tasks:
    - name: Assemble the URL with the module
      ajudadigital.openwebui.database_url:
        user: openwebui
        password: "{{ db_password }}"
        host: db.example.internal
        database: openwebui
        query:
          sslmode: require
      register: built
      no_log: NO_LOG

    - name: Assemble the URL with the filter
      ansible.builtin.set_fact:
        from_filter: >-
          {{ {'user': 'openwebui', 'password': db_password, 'host': 'db.example.internal',
              'database': 'openwebui', 'query': {'sslmode': 'require'}} | ajudadigital.openwebui.database_url }}
      no_log: NO_LOG

    - name: Module and filter agree
      ansible.builtin.assert:
        that:
          - built.url == from_filter
          - built.changed == false
      no_log: NO_LOG

    - name: Show the redacted URL
      ansible.builtin.debug:
        msg: "{{ built.url_redacted }}"
"""


def run_leak_playbook(ansible, tmp_path, password, no_log, verbosity):
    playbook = tmp_path / "leak.yml"
    playbook.write_text(LEAK_PLAYBOOK.replace("NO_LOG", "true" if no_log else "false"))
    env = {"LEAK_TEST_PASSWORD": password, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
    args = ["-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}"]
    if verbosity:
        args.append("-" + "v" * verbosity)
    return ansible.playbook(str(playbook), *args, env=env)


def test_no_leak_at_vvvv_with_no_log(ansible, tmp_path):
    password = "Leak+Test " + secrets.token_hex(6) + ":/@%é"
    encoded = quote(password, safe="")
    url = build_database_url(
        user="openwebui",
        password=password,
        host="db.example.internal",
        database="openwebui",
        query={"sslmode": "require"},
    )
    run = run_leak_playbook(ansible, tmp_path, password, no_log=True, verbosity=4)
    assert run.rc == 0, run.output[-3000:]
    output = run.output
    assert url["url_redacted"] in output, "the playbook did not run its tasks"
    assert password not in output
    assert encoded not in output
    assert url["url"] not in output
    for fragment in (password.split(" ")[1][:12], encoded.split("%20")[1][:12]):
        assert fragment not in output


def test_without_no_log_the_encoded_password_shows(ansible, tmp_path):
    """The control: why the docs insist on no_log - Ansible masks the option, not its encoding."""
    password = "Leak+Test " + secrets.token_hex(6)
    run = run_leak_playbook(ansible, tmp_path, password, no_log=False, verbosity=1)
    assert run.rc == 0, run.output[-3000:]
    assert quote(password, safe="") in run.output


def test_bad_input_through_ansible_names_the_option(ansible):
    run = ansible.module(MODULE, dict(user="u", password="x", host="db", database="d", port=70000))
    assert run.rc != 0
    assert run.result["msg"] == "database_url: option 'port' must be between 1 and 65535, got 70000"
    run = ansible.module(MODULE, dict(user="", password="x", host="db", database="d"))
    assert run.rc != 0 and run.result["msg"] == "database_url: option 'user' must not be empty"


def test_check_mode_changes_nothing(ansible):
    args = dict(user="openwebui", password="s3cret", host="::1", database="openwebui")
    run = ansible.module(MODULE, args, check=True)
    assert run.rc == 0 and run.result["changed"] is False
    assert run.result["url_redacted"] == "postgresql://openwebui:********@[::1]:5432/openwebui"
