#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pgvector_extension
short_description: Ensure the pgvector extension (C(vector)) in a PostgreSQL database
version_added: 0.1.0
description:
  - Creates, updates or drops the pgvector extension (C(vector)) in the database O(login_db),
    so that Open WebUI can run with E(PGVECTOR_CREATE_EXTENSION=false) and no superuser.
  - Goes beyond M(community.postgresql.postgresql_ext) for pgvector. It waits for a server that
    does not answer yet (a new RDS instance, O(wait_timeout)); enforces a minimum version
    (O(min_version)) and explains the upgrade path when the server cannot give it; updates an
    installed extension that is older than O(min_version); reports installed, previous, default
    and available versions; supports check and diff mode; and can grant an application role
    what Open WebUI needs (O(grant_role)).
  - Fails with a clear message when pgvector is not installed on the server, when the requested
    version is not available, when the login role lacks the privilege, or when the server cannot
    be reached.
author:
  - Ajuda Digital platform team (@ajudadigital)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ajudadigital.openwebui.postgres
attributes:
  check_mode:
    support: full
    details: Reports what it would run in RV(queries) and the version it would install; changes nothing.
  diff_mode:
    support: full
    details: Returns the version and schema of the extension before and after.
  platform:
    support: full
    platforms: posix
options:
  login_db:
    description:
      - Database to connect to, in which the extension is ensured (Open WebUI's database).
    type: str
    required: true
    aliases: [db]
  state:
    description:
      - V(present) creates the extension when it is missing (at O(version) or the server's default
        version), updates it to O(version) when one is given, and updates it to the server's default
        version when the installed one is older than O(min_version).
      - V(latest) creates it or updates it to the server's default version (the newest the server offers).
      - V(absent) drops it (see O(cascade)).
    type: str
    default: present
    choices: [present, absent, latest]
  version:
    description:
      - Exact version to create or update to, for example V(0.8.0). Cannot be used with O(state=latest).
      - pgvector cannot be downgraded in place; a lower version than the installed one fails.
    type: str
  min_version:
    description:
      - Lowest acceptable version. The module fails before changing anything when the server cannot
        offer it, with the upgrade path; with O(state=present) it updates an older installed extension.
      - For reference, HNSW indexes need 0.5.0, C(halfvec), C(sparsevec) and C(bit) vectors 0.7.0,
        iterative index scans 0.8.0.
    type: str
  schema:
    description:
      - Schema to create the extension in (it must exist). When the extension is installed in another
        schema, it is moved there (pgvector is relocatable).
      - Default is the first schema of the login role's C(search_path), normally C(public).
    type: str
  cascade:
    description:
      - With O(state=absent), also drop the objects that depend on the extension (tables' C(vector)
        columns, indexes). This destroys data.
      - With O(state=present) or O(state=latest), create the extensions that pgvector depends on (none today).
    type: bool
    default: false
  grant_role:
    description:
      - Application role (it must exist) to grant what Open WebUI needs to use pgvector without
        superuser and with E(PGVECTOR_CREATE_EXTENSION=false) - C(CONNECT) on the database, C(USAGE) and
        C(CREATE) on the extension's schema.
      - Only the privileges the role does not have yet are granted (checked with
        C(has_database_privilege) and C(has_schema_privilege)); the statements are reported in RV(queries).
    type: str
notes:
  - Creating pgvector needs a privileged login role. On Amazon RDS it must be a member of C(rds_superuser)
    (the master user is). On a self-managed server it must be a superuser, or, if the extension is marked
    trusted (PostgreSQL 13+), have C(CREATE) on the database. Updating or dropping it needs its owner or a superuser.
  - All changes of one run are made in one transaction.
seealso:
  - module: community.postgresql.postgresql_ext
  - module: ajudadigital.openwebui.database_url
  - name: pgvector
    description: Open-source vector similarity search for PostgreSQL.
    link: https://github.com/pgvector/pgvector
"""

EXAMPLES = r"""
- name: Ensure pgvector 0.7.0 or newer in Open WebUI's database, waiting for the new RDS instance
  ajudadigital.openwebui.pgvector_extension:
    login_host: "{{ database_endpoint }}"
    login_user: "{{ database_master_username }}"
    login_password: "{{ database_master_password }}"
    login_db: openwebui
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/rds-global-bundle.pem
    min_version: 0.7.0
    grant_role: openwebui
    wait_timeout: 600
  register: pgvector

- name: Show what happened
  ansible.builtin.debug:
    msg: "pgvector {{ pgvector.prev_version }} -> {{ pgvector.installed_version }} ({{ pgvector.queries }})"

- name: Update pgvector to the newest version the server offers (after an RDS engine upgrade)
  ajudadigital.openwebui.pgvector_extension:
    login_host: "{{ database_endpoint }}"
    login_user: postgres
    login_password: "{{ database_master_password }}"
    login_db: openwebui
    state: latest

- name: Pin an exact version in a dedicated schema
  ajudadigital.openwebui.pgvector_extension:
    login_host: db.example.internal
    login_password: "{{ database_master_password }}"
    login_db: openwebui
    version: 0.8.0
    schema: extensions

- name: Drop pgvector and every vector column (destroys data)
  ajudadigital.openwebui.pgvector_extension:
    login_host: db.example.internal
    login_password: "{{ database_master_password }}"
    login_db: scratch
    state: absent
    cascade: true
"""

RETURN = r"""
installed_version:
  description:
    - Version of the extension after the run (in check mode, the version it would have); null when absent.
  returned: always
  type: str
  sample: 0.8.0
prev_version:
  description: Version installed before the run; null when it was not installed.
  returned: always
  type: str
  sample: 0.7.4
default_version:
  description: The server's default version of pgvector (what O(state=latest) installs); null when not available.
  returned: always
  type: str
  sample: 0.8.0
available_versions:
  description:
    - Versions the server can create, and versions the installed extension can be updated to, sorted.
  returned: always
  type: list
  elements: str
  sample: [0.7.4, 0.8.0]
schema:
  description: Schema of the extension after the run (in check mode, the schema it would have); null when absent.
  returned: always
  type: str
  sample: public
queries:
  description: The statements run (in check mode, the statements that would have run).
  returned: always
  type: list
  elements: str
  sample: ['CREATE EXTENSION "vector" VERSION ''0.8.0''', 'GRANT CREATE ON SCHEMA "public" TO "openwebui"']
diff:
  description: Before and after, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {version: null, schema: null}, after: {version: 0.8.0, schema: public}}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.postgres import (
    HAS_PSYCOPG,
    PSYCOPG_IMPORT_ERROR,
    PostgresConnectionError,
    connect,
    describe_target,
    error_text,
    ident,
    is_privilege_error,
    postgres_argument_spec,
    sql,
    version_key,
)

EXTENSION = "vector"

# What each pgvector release brought that Open WebUI or its operators may rely on.
FEATURES = (
    ("0.5.0", "HNSW indexes"),
    ("0.7.0", "halfvec, sparsevec and bit vectors"),
    ("0.8.0", "iterative index scans"),
)

# Amazon RDS for PostgreSQL engine versions that first shipped a pgvector release.
RDS_RELEASES = (
    ("0.7.0", "16.3, 15.7, 14.12, 13.15"),
    ("0.8.0", "17.1, 16.5, 15.9, 14.14, 13.17"),
)


class ExtensionError(Exception):
    """A failure to report as the module's message."""


def read_state(cursor):
    """The extension as the server sees it now."""
    cursor.execute(
        "SELECT e.extversion, n.nspname FROM pg_catalog.pg_extension e "
        "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %s",
        (EXTENSION,),
    )
    row = cursor.fetchone()
    installed, schema = (row[0], row[1]) if row else (None, None)
    cursor.execute("SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = %s", (EXTENSION,))
    row = cursor.fetchone()
    default = row[0] if row else None
    cursor.execute("SELECT * FROM pg_catalog.pg_available_extension_versions WHERE name = %s", (EXTENSION,))
    columns = [c.name for c in cursor.description]
    rows = [dict((column, row[i]) for i, column in enumerate(columns)) for row in cursor.fetchall()]
    installable = set(r["version"] for r in rows)
    trusted = any(r.get("trusted") for r in rows)
    targets = set()
    if installed is not None and default is not None:
        cursor.execute(
            "SELECT target FROM pg_catalog.pg_extension_update_paths(%s) WHERE source = %s AND path IS NOT NULL",
            (EXTENSION, installed),
        )
        targets = set(r[0] for r in cursor.fetchall())
    return dict(
        installed=installed,
        schema=schema,
        default=default,
        installable=installable,
        update_targets=targets,
        trusted=trusted,
        available=sorted(installable | targets, key=version_key),
    )


def other_extensions(cursor, limit=30):
    cursor.execute("SELECT name FROM pg_catalog.pg_available_extensions ORDER BY name")
    names = [r[0] for r in cursor.fetchall()]
    shown = ", ".join(names[:limit]) + (" and %d more" % (len(names) - limit) if len(names) > limit else "")
    return shown or "none"


def feature_summary():
    return ", ".join("%s need %s" % (what, needs) for needs, what in FEATURES)


def upgrade_path(min_version, best, where):
    rds = (
        "; ".join(
            "pgvector %s came with RDS for PostgreSQL %s" % (release, engines)
            for release, engines in RDS_RELEASES
            if version_key(release) >= version_key(min_version)
        )
        or "see the pgvector versions of each engine version in the RDS documentation"
    )
    return (
        "pgvector %s or newer is required (min_version) but the server %s offers at most %s. For reference: %s. "
        "Upgrade path: on a self-managed server, install a newer pgvector package for this PostgreSQL major "
        "version (for example postgresql-NN-pgvector, or build pgvector from source) and run this module with "
        "state=latest; on Amazon RDS, upgrade the DB instance's engine version to one that ships pgvector %s or "
        "newer (%s), then run this module with state=latest."
        % (min_version, where, best or "nothing (pgvector is not installed)", feature_summary(), min_version, rds)
    )


def privilege_advice(login_user, trusted):
    return (
        "the login role '%s' lacks the privilege. On Amazon RDS the login role needs the rds_superuser role "
        "(the master user has it; GRANT rds_superuser TO %s). On a self-managed server it must be a superuser%s; "
        "updating or dropping the extension needs its owner or a superuser."
        % (
            login_user,
            login_user,
            " or, as pgvector is marked trusted here (PostgreSQL 13+), have CREATE on the database"
            if trusted
            else " (pgvector is not marked trusted on this server; for trusted extensions on PostgreSQL 13+, "
            "CREATE on the database is enough)",
        )
    )


def plan_extension(params, state, where):
    """Return (statements, after_version, after_schema) for the extension itself."""
    version = params["version"]
    min_version = params["min_version"]
    schema = params["schema"]
    installed = state["installed"]
    default = state["default"]
    statements = []

    if params["state"] == "absent":
        if installed is None:
            return statements, None, None
        stmt = sql.SQL("DROP EXTENSION {}").format(ident(EXTENSION))
        if params["cascade"]:
            stmt = sql.SQL("{} CASCADE").format(stmt)
        return [stmt], None, None

    if installed is None and default is None and not state["installable"]:
        raise ExtensionError(
            "the pgvector extension ('%s') is not available on the server %s: the pgvector package is not "
            "installed there (on Amazon RDS, use a PostgreSQL engine version that ships pgvector). "
            "Available extensions: %s." % (EXTENSION, where, params["_other_extensions"]())
        )

    offered = set(state["available"]) | ({default} if default else set())
    best = max(offered, key=version_key) if offered else None
    if min_version and (best is None or version_key(best) < version_key(min_version)):
        raise ExtensionError(upgrade_path(min_version, best, where))

    if installed is None:
        target = version or default
        if target is None or (min_version and version_key(target) < version_key(min_version)):
            target = best
        if target not in state["installable"]:
            raise ExtensionError(
                "pgvector version %s is not available on the server %s; available versions: %s (default %s)."
                % (target, where, ", ".join(state["available"]) or "none", default)
            )
        stmt = sql.SQL("CREATE EXTENSION {}").format(ident(EXTENSION))
        if schema:
            stmt = sql.SQL("{} WITH SCHEMA {}").format(stmt, ident(schema))
        if target != default:
            stmt = sql.SQL("{} VERSION {}").format(stmt, sql.Literal(target))
        if params["cascade"]:
            stmt = sql.SQL("{} CASCADE").format(stmt)
        return [stmt], target, schema or params["_current_schema"]()

    if version:
        target = version
    elif params["state"] == "latest" and default and version_key(default) > version_key(installed):
        target = default
    elif min_version and version_key(installed) < version_key(min_version):
        target = default if default and version_key(default) >= version_key(min_version) else best
    else:
        target = installed

    if target != installed:
        if target not in state["update_targets"]:
            if target in state["installable"] or target in state["available"]:
                detail = "pgvector cannot be downgraded in place"
            else:
                detail = "that version is not available on the server"
            raise ExtensionError(
                "pgvector cannot go from the installed version %s to %s on the server %s (%s); versions it can be "
                "updated to: %s; available versions: %s. To go down, drop it (state=absent, cascade=true destroys "
                "vector columns) and create it again."
                % (
                    installed,
                    target,
                    where,
                    detail,
                    ", ".join(sorted(state["update_targets"], key=version_key)) or "none",
                    ", ".join(state["available"]) or "none",
                )
            )
        statements.append(sql.SQL("ALTER EXTENSION {} UPDATE TO {}").format(ident(EXTENSION), sql.Literal(target)))
    after_schema = state["schema"]
    if schema and schema != state["schema"]:
        statements.append(sql.SQL("ALTER EXTENSION {} SET SCHEMA {}").format(ident(EXTENSION), ident(schema)))
        after_schema = schema
    return statements, target, after_schema


def plan_grants(cursor, role, database, schema):
    """GRANT statements for the privileges ``role`` lacks (CONNECT, USAGE, CREATE)."""
    cursor.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (role,))
    if cursor.fetchone() is None:
        raise ExtensionError("grant_role: role '%s' does not exist; create it first" % role)
    statements = []
    cursor.execute("SELECT has_database_privilege(%s, %s, 'CONNECT')", (role, database))
    if not cursor.fetchone()[0]:
        statements.append(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(ident(database), ident(role)))
    cursor.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,))
    if cursor.fetchone() is None:
        # The schema comes into being with the extension in this run (check mode): grant both.
        missing = ["USAGE", "CREATE"]
    else:
        missing = []
        for privilege in ("USAGE", "CREATE"):
            cursor.execute("SELECT has_schema_privilege(%s, %s, %s)", (role, schema, privilege))
            if not cursor.fetchone()[0]:
                missing.append(privilege)
    if missing:
        statements.append(
            sql.SQL("GRANT {} ON SCHEMA {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in missing), ident(schema), ident(role)
            )
        )
    return statements


def main():
    argument_spec = postgres_argument_spec()
    argument_spec.update(
        login_db=dict(type="str", required=True, aliases=["db"]),
        state=dict(type="str", default="present", choices=["present", "absent", "latest"]),
        version=dict(type="str"),
        min_version=dict(type="str"),
        schema=dict(type="str"),
        cascade=dict(type="bool", default=False),
        grant_role=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)

    if not HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=PSYCOPG_IMPORT_ERROR)
    if params["state"] == "latest" and params["version"]:
        module.fail_json(msg="pgvector_extension: option 'version' cannot be used with state=latest")
    if params["state"] == "absent" and (params["version"] or params["min_version"]):
        module.warn("options 'version' and 'min_version' are ignored with state=absent")
    if (
        params["version"]
        and params["min_version"]
        and version_key(params["version"]) < version_key(params["min_version"])
    ):
        module.fail_json(
            msg="pgvector_extension: option 'version' (%s) is lower than option 'min_version' (%s)"
            % (params["version"], params["min_version"])
        )

    password = params["login_password"]
    where = describe_target(params)
    try:
        conn = connect(params)[0]
    except PostgresConnectionError as e:
        module.fail_json(msg=str(e), kind=e.kind)

    result = dict(changed=False, queries=[])
    try:
        cursor = conn.cursor()
        state = read_state(cursor)

        def current_schema():
            cursor.execute("SELECT current_schema()")
            return cursor.fetchone()[0] or "public"

        params["_other_extensions"] = lambda: other_extensions(cursor)
        params["_current_schema"] = current_schema

        if params["schema"] and params["state"] != "absent":
            cursor.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (params["schema"],))
            if cursor.fetchone() is None:
                raise ExtensionError(
                    "schema '%s' does not exist in database '%s'; create it first (community.postgresql."
                    "postgresql_schema)" % (params["schema"], params["login_db"])
                )

        statements, after_version, after_schema = plan_extension(params, state, where)
        if params["grant_role"] and params["state"] != "absent":
            statements += plan_grants(cursor, params["grant_role"], params["login_db"], after_schema)
        elif params["grant_role"]:
            module.warn("option 'grant_role' is ignored with state=absent")

        queries = [s.as_string(conn) for s in statements]
        if statements and not module.check_mode:
            with conn.transaction():
                for statement, text in [(statements[i], queries[i]) for i in range(len(statements))]:
                    try:
                        cursor.execute(statement)
                    except Exception as e:
                        if is_privilege_error(e):
                            raise ExtensionError(
                                "%s failed: %s: %s"
                                % (
                                    text,
                                    error_text(e, password),
                                    privilege_advice(params["login_user"], state["trusted"]),
                                )
                            ) from None
                        if getattr(e, "sqlstate", None) == "2BP01":
                            raise ExtensionError(
                                "%s failed: %s. Objects (vector columns, indexes) depend on pgvector; set "
                                "cascade=true to drop them too (this destroys data)" % (text, error_text(e, password))
                            ) from None
                        raise
            after = read_state(cursor)
            after_version, after_schema = after["installed"], after["schema"]
            available = after["available"]
        else:
            available = state["available"]

        result.update(
            changed=bool(statements),
            queries=queries,
            installed_version=after_version,
            prev_version=state["installed"],
            default_version=state["default"],
            available_versions=available,
            schema=after_schema,
        )
        if module._diff:
            result["diff"] = dict(
                before=dict(version=state["installed"], schema=state["schema"]),
                after=dict(version=after_version, schema=after_schema),
            )
    except ExtensionError as e:
        module.fail_json(msg="pgvector_extension: %s" % error_text(e, password), **result)
    except Exception as e:
        module.fail_json(
            msg="pgvector_extension: PostgreSQL error on %s: %s" % (where, error_text(e, password)), **result
        )
    finally:
        conn.close()

    module.exit_json(**result)


if __name__ == "__main__":
    main()
