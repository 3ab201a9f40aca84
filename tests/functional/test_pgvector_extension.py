"""ajudadigital.openwebui.pgvector_extension against real PostgreSQL servers, through real ansible.

Two servers: ``postgres_embedded`` (PostgreSQL 18 + pgvector 0.8.x) and ``postgres_pgserver``
(PostgreSQL 16 + pgvector 0.6.2). Every test works in a fresh database of its own.

The bundled pgvector builds ship only the install script of their newest version
(``vector--0.8.6.sql`` / ``vector--0.6.2.sql``) plus the update scripts, so an older
version cannot be created there (``version: 0.5.1`` is "not available"). An extension
left behind by an older pgvector - what an RDS engine upgrade leaves - is reproduced by
rewinding ``pg_extension.extversion`` one release (the last update scripts are empty).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import sys
import threading
import time

import psycopg
import pytest
from psycopg import sql

MODULE = "ajudadigital.openwebui.pgvector_extension"
FLAVOURS = ["embedded", "pgserver"]


# -- helpers ---------------------------------------------------------------


def admin(info, dbname=None, **kwargs):
    """The test's own connection: the server's superuser (the module logs in as the
    master user, who is not one, as on RDS)."""
    return psycopg.connect(
        host=info.host,
        port=info.port,
        user=kwargs.pop("user", info.admin_user),
        password=kwargs.pop("password", info.admin_password),
        dbname=dbname or info.database,
        autocommit=True,
        **kwargs,
    )


def master(info, dbname=None):
    """A connection as the master user (not a superuser), the module's login."""
    return admin(info, dbname, user=info.user, password=info.password)


def login(info, db, **overrides):
    args = dict(
        login_host=info.host,
        login_port=info.port,
        login_user=info.user,
        login_password=info.password,
        login_db=db,
        # TLS only, as on RDS; the server's certificate checked against the local CA.
        ssl_mode="verify-full",
        ca_cert=info.ca_file,
        wait_timeout=5,
    )
    args.update(overrides)
    return args


class Play:
    """Several steps against one database in one ansible-playbook run (one ansible start-up, not one per step).

    Each step is a task with ``ignore_errors``; ``run()`` returns the result of every step.
    ``sql()`` steps read or change the database with community.postgresql.postgresql_query.
    """

    def __init__(self, ansible, tmp_path, info, db):
        self.ansible, self.tmp_path, self.info, self.db = ansible, tmp_path, info, db
        self.tasks = []

    def ext(self, check=False, diff=False, **args):
        task = {MODULE: login(self.info, self.db, **args), "check_mode": check, "diff": diff}
        return self._add(task)

    def sql(self, query):
        """A step of the test itself, as the server's superuser (e.g. to rewind the catalog)."""
        superuser = login(self.info, self.db, login_user=self.info.admin_user, login_password=self.info.admin_password)
        return self._add({"community.postgresql.postgresql_query": dict(superuser, query=query)})

    def version(self):
        return self.sql("SELECT extversion FROM pg_extension WHERE extname = 'vector'")

    def _add(self, task):
        for key in ("wait_timeout",):
            task.get("community.postgresql.postgresql_query", {}).pop(key, None)
        self.tasks.append(dict(task, name=f"step {len(self.tasks)}", ignore_errors=True))
        return len(self.tasks) - 1

    def run(self):
        playbook = self.tmp_path / "play.yml"
        playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": self.tasks}]))
        run = self.ansible.playbook(
            str(playbook),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            env={
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
                "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                "ANSIBLE_PIPELINING": "1",
            },
        )
        assert run.rc in (0, 2), run.output
        tasks = json.loads(run.stdout)["plays"][0]["tasks"]
        assert len(tasks) == len(self.tasks), run.output
        self.output = run.output
        return [Step(task["hosts"]["localhost"]) for task in tasks]


class Step(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))

    @property
    def ext_version(self):
        """For a version() step: the extension's version in the database (None when absent)."""
        rows = self["query_result"]
        return rows[0]["extversion"] if rows else None


def older_version(info):
    """The release before the server's default one (an empty update script leads from it)."""
    with admin(info) as conn:
        return conn.execute(
            "SELECT source FROM pg_extension_update_paths('vector') WHERE target = "
            "(SELECT default_version FROM pg_available_extensions WHERE name = 'vector') "
            "AND path = source || '--' || target"
        ).fetchone()[0]


def rewind_sql(older):
    return f"UPDATE pg_extension SET extversion = '{older}' WHERE extname = 'vector'"  # noqa: S608 - a server value


def installed(info, db):
    with admin(info, db) as conn:
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return row[0] if row else None


def default_version(info):
    with admin(info) as conn:
        return conn.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'").fetchone()[0]


def new_role(info, password=None):
    name = "role_" + secrets.token_hex(4)
    password = password or secrets.token_urlsafe(12)
    with admin(info) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
    return name, password


@pytest.fixture(params=FLAVOURS)
def server(request):
    return request.getfixturevalue(f"postgres_{request.param}")


@pytest.fixture
def db(server):
    name = "t_" + secrets.token_hex(6)
    with master(server) as conn:  # as the stack's database: the master user's to use
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def embedded_db(postgres_embedded):
    name = "t_" + secrets.token_hex(6)
    with master(postgres_embedded) as conn:  # as the stack's database: the master user's to use
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with admin(postgres_embedded) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pgserver_db(postgres_pgserver):
    name = "t_" + secrets.token_hex(6)
    with master(postgres_pgserver) as conn:  # as the stack's database: the master user's to use
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with admin(postgres_pgserver) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- tests -----------------------------------------------------------------


@pytest.fixture
def play(ansible, tmp_path, server, db):
    return Play(ansible, tmp_path, server, db)


def test_create_in_check_mode_then_for_real_then_no_change(play, server):
    default = default_version(server)
    check = play.ext(check=True, diff=True)
    after_check = play.version()
    real = play.ext(diff=True)
    again = play.ext(state="latest", diff=True)
    r = play.run()

    assert not r[check].failed, r[check]
    assert r[check]["changed"] is True
    assert r[check]["queries"] == ['CREATE EXTENSION "vector"']
    assert r[check]["installed_version"] == default
    assert r[check]["prev_version"] is None
    assert r[check]["diff"] == {
        "before": {"version": None, "schema": None},
        "after": {"version": default, "schema": "public"},
    }
    assert r[after_check].ext_version is None, "check mode created the extension"

    assert r[real]["changed"] is True, r[real]
    assert r[real]["installed_version"] == default
    assert r[real]["default_version"] == default
    assert r[real]["available_versions"] == [default]
    assert r[real]["schema"] == "public"
    assert r[real]["diff"]["after"] == {"version": default, "schema": "public"}

    assert r[again]["changed"] is False, r[again]
    assert r[again]["queries"] == []
    assert r[again]["prev_version"] == r[again]["installed_version"] == default
    assert installed(server, play.db) == default


def test_latest_updates_an_older_extension(play, server):
    default, older = default_version(server), older_version(server)
    play.ext()
    play.sql(rewind_sql(older))
    present = play.ext()
    check = play.ext(state="latest", check=True, diff=True)
    after_check = play.version()
    latest = play.ext(state="latest")
    again = play.ext(state="latest")
    r = play.run()

    assert r[present]["changed"] is False, r[present]
    assert r[present]["installed_version"] == older
    assert r[present]["available_versions"] == [default]

    assert r[check]["changed"] is True, r[check]
    assert r[check]["queries"] == [f"ALTER EXTENSION \"vector\" UPDATE TO '{default}'"]
    assert r[check]["diff"]["before"]["version"] == older
    assert r[check]["diff"]["after"]["version"] == default
    assert r[after_check].ext_version == older, "check mode updated the extension"

    assert r[latest]["changed"] is True, r[latest]
    assert r[latest]["prev_version"] == older
    assert r[latest]["installed_version"] == default
    assert r[again]["changed"] is False
    assert installed(server, play.db) == default


def test_min_version_updates_an_installed_older_extension(ansible, tmp_path, postgres_embedded, embedded_db):
    info = postgres_embedded
    default, older = default_version(info), older_version(info)
    play = Play(ansible, tmp_path, info, embedded_db)
    play.ext()
    play.sql(rewind_sql(older))
    update = play.ext(min_version=default)
    r = play.run()
    assert r[update]["changed"] is True, r[update]
    assert (r[update]["prev_version"], r[update]["installed_version"]) == (older, default)


def test_min_version_the_server_cannot_give_explains_the_upgrade_path(
    ansible, tmp_path, postgres_pgserver, pgserver_db
):
    play = Play(ansible, tmp_path, postgres_pgserver, pgserver_db)
    run = play.ext(min_version="0.7.0")
    after = play.version()
    r = play.run()
    assert r[run].failed
    msg = r[run]["msg"]
    assert "0.7.0" in msg and "offers at most 0.6.2" in msg
    assert "halfvec" in msg and "iterative index scans need 0.8.0" in msg
    assert "RDS" in msg and "engine version" in msg and "state=latest" in msg
    assert r[after].ext_version is None


def test_version_not_available_lists_the_available_ones(play, server):
    default = default_version(server)
    run = play.ext(version="0.5.1")
    after = play.version()
    r = play.run()
    assert r[run].failed
    assert "version 0.5.1 is not available" in r[run]["msg"]
    assert f"available versions: {default}" in r[run]["msg"]
    assert r[after].ext_version is None


def test_absent_in_check_mode_then_for_real(play, server):
    play.ext()
    check = play.ext(state="absent", check=True, diff=True)
    after_check = play.version()
    real = play.ext(state="absent")
    again = play.ext(state="absent")
    r = play.run()

    assert r[check]["changed"] is True, r[check]
    assert r[check]["queries"] == ['DROP EXTENSION "vector"']
    assert r[check]["diff"]["after"] == {"version": None, "schema": None}
    assert r[after_check].ext_version == default_version(server)
    assert r[real]["changed"] is True and r[real]["installed_version"] is None, r[real]
    assert r[again]["changed"] is False and r[again]["queries"] == []


def test_absent_with_dependent_objects_needs_cascade(ansible, tmp_path, postgres_embedded, embedded_db):
    play = Play(ansible, tmp_path, postgres_embedded, embedded_db)
    play.ext()
    play.sql("CREATE TABLE items (id int, embedding vector(3))")
    refused = play.ext(state="absent")
    after_refused = play.version()
    cascaded = play.ext(state="absent", cascade=True)
    r = play.run()
    assert r[refused].failed and "cascade=true" in r[refused]["msg"]
    assert r[after_refused].ext_version is not None
    assert r[cascaded]["queries"] == ['DROP EXTENSION "vector" CASCADE'], r[cascaded]
    assert installed(postgres_embedded, embedded_db) is None


def test_schema_option_creates_and_moves(ansible, tmp_path, postgres_embedded, embedded_db):
    play = Play(ansible, tmp_path, postgres_embedded, embedded_db)
    play.sql("CREATE SCHEMA extensions")
    # Moving the extension needs to own its objects: those of an extension created as
    # trusted belong to the bootstrap superuser, so this test logs in as the superuser.
    superuser = dict(login_user=postgres_embedded.admin_user, login_password=postgres_embedded.admin_password)
    create = play.ext(schema="extensions", **superuser)
    move = play.ext(schema="public", **superuser)
    missing = play.ext(schema="nope", **superuser)
    r = play.run()
    assert r[create]["schema"] == "extensions", r[create]
    assert r[create]["queries"] == ['CREATE EXTENSION "vector" WITH SCHEMA "extensions"']
    assert r[move]["queries"] == ['ALTER EXTENSION "vector" SET SCHEMA "public"'], r[move]
    assert r[move]["schema"] == "public"
    assert r[missing].failed and "schema 'nope' does not exist" in r[missing]["msg"]


def test_role_without_privilege_gets_the_privilege_message(play, server):
    role, password = new_role(server)
    run = play.ext(login_user=role, login_password=password)
    r = play.run()
    assert r[run].failed
    msg = r[run]["msg"]
    assert "permission denied" in msg
    assert "rds_superuser" in msg and "superuser" in msg and "CREATE on the database" in msg
    assert password not in json.dumps(r[run])
    assert installed(server, play.db) is None


def test_grant_role_lets_the_app_role_use_pgvector_without_superuser(play, server):
    db = play.db
    app, app_password = new_role(server)
    with admin(server, db) as conn:
        conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(db)))
    with pytest.raises(psycopg.OperationalError):
        admin(server, db, user=app, password=app_password).close()

    check = play.ext(grant_role=app, check=True)
    real = play.ext(grant_role=app)
    again = play.ext(grant_role=app)
    missing = play.ext(grant_role="no_such_role")
    r = play.run()

    expected = [
        'CREATE EXTENSION "vector"',
        f'GRANT CONNECT ON DATABASE "{db}" TO "{app}"',
        f'GRANT CREATE ON SCHEMA "public" TO "{app}"',  # USAGE on public is granted to PUBLIC
    ]
    assert r[check]["queries"] == expected, r[check]
    assert r[real]["changed"] is True and r[real]["queries"] == expected, r[real]
    assert r[again]["changed"] is False and r[again]["queries"] == [], r[again]
    assert r[missing].failed and "role 'no_such_role' does not exist" in r[missing]["msg"]

    # What Open WebUI does with PGVECTOR_CREATE_EXTENSION=false, as the app role.
    with admin(server, db, user=app, password=app_password) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] is False
        conn.execute("CREATE TABLE document_chunk (id text PRIMARY KEY, vector vector(3), collection_name text)")
        conn.execute("CREATE INDEX idx_document_chunk_vector ON document_chunk USING hnsw (vector vector_cosine_ops)")
        conn.execute("INSERT INTO document_chunk VALUES ('a', '[1,2,3]', 'c'), ('b', '[3,2,1]', 'c')")
        nearest = conn.execute("SELECT id FROM document_chunk ORDER BY vector <=> '[1,2,2.9]' LIMIT 1").fetchone()
        assert nearest == ("a",)


def test_closed_port_fails_fast_with_host_and_port(ansible, postgres_embedded):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    run = ansible.module(MODULE, login(postgres_embedded, "postgres", login_port=port, wait_timeout=3))
    elapsed = time.monotonic() - started
    assert run.rc != 0
    msg = run.result["msg"]
    assert f"127.0.0.1:{port}" in msg and "Connection refused" in msg and "wait_timeout=3" in msg
    assert run.result["kind"] == "unreachable"
    assert postgres_embedded.password not in run.output
    assert elapsed < 20


def test_wrong_password_fails_at_once_without_the_password(ansible, postgres_embedded):
    wrong = "Wr0ng-" + secrets.token_hex(8)
    started = time.monotonic()
    run = ansible.module(MODULE, login(postgres_embedded, "postgres", login_password=wrong, wait_timeout=60))
    assert run.rc != 0 and run.result["kind"] == "auth"
    assert "password authentication failed" in run.result["msg"]
    assert wrong not in run.output
    assert time.monotonic() - started < 20


@contextlib.contextmanager
def delayed_proxy(target_port, delay):
    """Listen on a free port only after ``delay`` seconds, then forward to ``target_port``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = threading.Event()

    def pipe(src, dst):
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def serve():
        if stop.wait(delay):
            return
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    client = server.accept()[0]
                except TimeoutError:
                    continue
                upstream = socket.create_connection(("127.0.0.1", target_port))
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)


def test_waits_for_a_server_that_answers_late(ansible, postgres_embedded, embedded_db):
    info = postgres_embedded
    with delayed_proxy(info.port, delay=5) as port:
        started = time.monotonic()
        run = ansible.module(MODULE, login(info, embedded_db, login_port=port, wait_timeout=60))
        elapsed = time.monotonic() - started
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert elapsed >= 4.5
    assert installed(info, embedded_db) == default_version(info)
