"""The local PostgreSQL behaves like an RDS PostgreSQL instance where the stack depends on it.

Against both flavours: TLS only (a connection without TLS gets PostgreSQL's refusal, as
RDS with ``rds.force_ssl=1``; the certificate verifies against the local CA for
127.0.0.1), a master user that is not a superuser (CREATEROLE, CREATEDB, member of
``rds_superuser``) and that can nonetheless do what the database role does on RDS:
create the app role, join it, give it a database and create pgvector there.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from tools.local_services.postgres import DEFAULT_FLAVOUR

REPO = Path(__file__).resolve().parents[2]
FLAVOURS = {"pgserver": ("16.", "0.6.2"), "embedded": ("18.", "0.8.")}


@pytest.fixture(params=sorted(FLAVOURS))
def server(request):
    return request.getfixturevalue(f"postgres_{request.param}")


def connect(info, **overrides):
    args = dict(host=info.host, port=info.port, user=info.user, password=info.password, dbname=info.database)
    args.update(sslmode="verify-full", sslrootcert=info.ca_file, autocommit=True, connect_timeout=10)
    args.update(overrides)
    return psycopg.connect(**args)


def test_the_default_flavour_is_the_major_version_prod_deploys(postgres_pgserver):
    prod = yaml.safe_load((REPO / "roles/database/defaults/main.yml").read_text())["database_engine_version"]
    for path in (REPO / "inventories/prod").rglob("*.yml"):
        prod = (yaml.safe_load(path.read_text()) or {}).get("database_engine_version", prod)
    assert DEFAULT_FLAVOUR == "pgserver"
    assert postgres_pgserver.server_version.split(".", maxsplit=1)[0] == str(prod).split(".", maxsplit=1)[0] == "16"


def test_versions_of_each_flavour(server):
    major, pgvector = FLAVOURS[server.flavour]
    assert server.server_version.startswith(major)
    assert server.pgvector_version.startswith(pgvector)


def test_a_connection_without_tls_is_refused(server):
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba.conf entry.*no encryption"):
        connect(server, sslmode="disable").close()


def test_tls_verifies_against_the_local_ca(server, tmp_path):
    with connect(server) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.info.parameter_status("server_version").startswith(server.server_version.split(".")[0])
    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        connect(server, sslrootcert=str(other_ca)).close()


def test_the_master_user_is_not_a_superuser(server):
    with connect(server) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, pg_has_role(current_user, 'rds_superuser', 'MEMBER')"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, True, True, True)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER SYSTEM SET work_mem = '8MB'")


def test_the_master_user_does_what_the_database_role_does_on_rds(server):
    app, database = "app_" + secrets.token_hex(4), "db_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(16)
    with connect(server) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(app), sql.Literal(password)))
        # PostgreSQL 16 (and RDS): the master user must join the role to give it a database.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(app)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(app), sql.Identifier(server.user)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(app)))
    try:
        with connect(server, dbname=database) as conn:
            conn.execute("CREATE EXTENSION vector")
            assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        with connect(server, user=app, password=password, dbname=database, sslmode="require") as conn:
            conn.execute("CREATE TABLE t (v vector(2))")
            conn.execute("INSERT INTO t VALUES ('[1,2]')")
    finally:
        with connect(server, user=server.admin_user, password=server.admin_password) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(app)))
