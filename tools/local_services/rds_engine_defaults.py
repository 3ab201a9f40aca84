"""Engine-default parameters of RDS for PostgreSQL, per DB parameter group family.

A faithful subset of what ``DescribeEngineDefaultParameters`` answers in AWS for the
families ``postgres14`` .. ``postgres17``: the parameters a platform team commonly
sets (TLS, logging, timeouts, memory, replication, audit), with AWS's ``DataType``,
``AllowedValues``, ``ApplyType``, ``IsModifiable`` and, where AWS has one, the
``ParameterValue`` (a parameter left at PostgreSQL's own default has none, as in
AWS). Used by ``moto_fixes.rds_parameter_groups_know_engine_defaults``.

Sources (AWS documentation):

* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Parameters.html
  (the RDS for PostgreSQL parameter list: names, types, apply types);
* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/ssl-certificate-rotation-postgresql.html:
  "By default, the rds.force_ssl parameter is set to 0 (off) for DB instances using
  PostgreSQL versions before 15. By default, rds.force_ssl is set to 1 (on) for DB
  instances using PostgreSQL version 15 and later major versions.";
* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
  (``ssl_min_protocol_version``: TLS 1.1, 1.2 and 1.3; default TLSv1.2);
* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.pgaudit.html
  (``pgaudit.log`` classes, ``pgaudit.role``; pgaudit in ``shared_preload_libraries``);
* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.html
  (``rds.log_retention_period``: 1440..10080 minutes, default 4320);
* https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.FeatureSupport.LogicalReplication.html
  (``rds.logical_replication``: static, default 0).

Not modelled: ``MinimumEngineVersion`` (AWS leaves it out for these parameters) and the
parameters of other engines (their families get no engine defaults: stock moto).
"""

from __future__ import annotations

import zoneinfo

_MAX_INT = "2147483647"
_LIBRARIES = (
    "auto_explain,orafce,pgaudit,pglogical,pg_bigm,pg_cron,pg_hint_plan,pg_prewarm,pg_similarity,"
    "pg_stat_statements,pg_tle,pg_transport,plprofiler"
)
_PGAUDIT_CLASSES = (
    "ddl,function,misc,misc_set,read,role,write,none,all,-ddl,-function,-misc,-misc_set,-read,-role,-write"
)


def _timezones() -> str:
    return ",".join(sorted(zoneinfo.available_timezones()))


def _param(name, description, data_type, allowed, apply_type="dynamic", value=None, source="engine-default", **extra):
    param = {
        "ParameterName": name,
        "Description": description,
        "Source": source,
        "ApplyType": apply_type,
        "DataType": data_type,
        "IsModifiable": extra.pop("modifiable", True),
        "ApplyMethod": "pending-reboot",
    }
    if allowed:
        param["AllowedValues"] = allowed
    if value is not None:
        param["ParameterValue"] = value
    return param


def _common() -> list[dict]:
    boolean = "0,1"
    return [
        _param(
            "archive_command",
            "Sets the shell command that will be called to archive a WAL file.",
            "string",
            "",
            value="/etc/rds/dbbin/pgscripts/rds_wal_archive %p",
            source="system",
            modifiable=False,
        ),
        _param("autovacuum", "Starts the autovacuum subprocess.", "boolean", boolean, value="1"),
        _param(
            "client_encoding",
            "Sets the clients character set encoding.",
            "string",
            "BIG5,EUC_CN,EUC_JP,EUC_JIS_2004,EUC_KR,EUC_TW,GB18030,GBK,ISO_8859_5,ISO_8859_6,ISO_8859_7,"
            "ISO_8859_8,JOHAB,KOI8R,KOI8U,LATIN1,LATIN2,LATIN3,LATIN4,LATIN5,LATIN6,LATIN7,LATIN8,LATIN9,"
            "LATIN10,MULE_INTERNAL,SJIS,SHIFT_JIS_2004,SQL_ASCII,UHC,UTF8,WIN866,WIN874,WIN1250,WIN1251,"
            "WIN1252,WIN1253,WIN1254,WIN1255,WIN1256,WIN1257,WIN1258",
            value="UTF8",
        ),
        _param(
            "effective_cache_size",
            "Sets the planner's assumption about the size of the disk cache.",
            "integer",
            f"1-{_MAX_INT}",
            value="{DBInstanceClassMemory/16384}",
            source="system",
        ),
        _param(
            "idle_in_transaction_session_timeout",
            "Sets the maximum allowed duration of any idling transaction.",
            "integer",
            f"0-{_MAX_INT}",
        ),
        _param(
            "lock_timeout",
            "Sets the maximum allowed duration (in milliseconds) of any wait for a lock.",
            "integer",
            f"0-{_MAX_INT}",
        ),
        _param(
            "log_autovacuum_min_duration",
            "Sets the minimum execution time above which autovacuum actions will be logged.",
            "integer",
            f"-1-{_MAX_INT}",
            value="10000",
        ),
        _param("log_connections", "Logs each successful connection.", "boolean", boolean),
        _param("log_disconnections", "Logs end of a session, including duration.", "boolean", boolean),
        _param("log_error_verbosity", "Sets the verbosity of logged messages.", "string", "terse,default,verbose"),
        _param("log_lock_waits", "Logs long lock waits.", "boolean", boolean),
        _param(
            "log_min_duration_statement",
            "Sets the minimum execution time above which statements will be logged.",
            "integer",
            f"-1-{_MAX_INT}",
        ),
        _param(
            "log_min_error_statement",
            "Causes all statements generating error at or above this level to be logged.",
            "string",
            "debug5,debug4,debug3,debug2,debug1,info,notice,warning,error,log,fatal,panic",
        ),
        _param(
            "log_rotation_age",
            "Automatic log file rotation will occur after N minutes.",
            "integer",
            "1-1440",
            value="60",
        ),
        _param("log_statement", "Sets the type of statements logged.", "string", "none,ddl,mod,all"),
        _param(
            "log_temp_files",
            "Log the use of temporary files larger than this number of kilobytes.",
            "integer",
            f"-1-{_MAX_INT}",
        ),
        _param(
            "maintenance_work_mem",
            "Sets the maximum memory to be used for maintenance operations.",
            "integer",
            f"1024-{_MAX_INT}",
            value="GREATEST({DBInstanceClassMemory*1024/63963136},65536)",
            source="system",
        ),
        _param(
            "max_connections",
            "Sets the maximum number of concurrent connections.",
            "integer",
            "6-262143",
            apply_type="static",
            value="LEAST({DBInstanceClassMemory/9531392},5000)",
            source="system",
        ),
        _param("password_encryption", "Encrypt passwords.", "string", "md5,scram-sha-256", value="scram-sha-256"),
        _param(
            "pg_stat_statements.track",
            "Selects which statements are tracked by pg_stat_statements.",
            "string",
            "all,none,top",
        ),
        _param(
            "pgaudit.log",
            "Specifies which classes of statements will be logged by session audit logging.",
            "list",
            _PGAUDIT_CLASSES,
        ),
        _param("pgaudit.role", "Specifies the master role to use for object audit logging.", "string", ""),
        _param(
            "random_page_cost",
            "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.",
            "float",
            "0-2147483647",
        ),
        _param(
            "rds.extensions",
            "List of extensions available for use.",
            "list",
            "",
            source="system",
            value="address_standardizer,amcheck,aws_commons,aws_lambda,aws_s3,bloom,btree_gin,btree_gist,"
            "citext,cube,dblink,dict_int,earthdistance,fuzzystrmatch,hstore,intarray,isn,lo,ltree,"
            "pg_buffercache,pg_cron,pg_hint_plan,pg_partman,pg_stat_statements,pg_trgm,pgaudit,pgcrypto,"
            "pgrowlocks,pgstattuple,plpgsql,postgis,postgres_fdw,tablefunc,tsm_system_rows,unaccent,"
            "uuid-ossp,vector",
            modifiable=False,
        ),
        _param("rds.force_ssl", "Force SSL connections.", "boolean", boolean, value="1", source="system"),
        _param(
            "rds.log_retention_period",
            "Amazon RDS for PostgreSQL will delete PostgreSQL logs that are older than N minutes.",
            "integer",
            "1440-10080",
            value="4320",
            source="system",
        ),
        _param(
            "rds.logical_replication",
            "Enables logical decoding.",
            "boolean",
            boolean,
            apply_type="static",
            value="0",
            source="system",
        ),
        _param(
            "rds.restrict_password_commands",
            "restricts password-related commands to members of rds_password",
            "boolean",
            boolean,
            apply_type="static",
        ),
        _param("search_path", "Sets the schema search order for names that are not schema-qualified.", "string", ""),
        _param(
            "shared_buffers",
            "Sets the number of shared memory buffers used by the server.",
            "integer",
            "16-1073741823",
            apply_type="static",
            value="{DBInstanceClassMemory/32768}",
            source="system",
        ),
        _param(
            "shared_preload_libraries",
            "Lists shared libraries to preload into server.",
            "list",
            _LIBRARIES,
            apply_type="static",
            value="pg_stat_statements",
            source="system",
        ),
        _param("ssl", "Enables SSL connections.", "boolean", boolean, value="1", source="system", modifiable=False),
        _param(
            "ssl_min_protocol_version",
            "Sets the minimum SSL/TLS protocol version to use.",
            "string",
            "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3",
            value="TLSv1.2",
            source="system",
        ),
        _param("statement_timeout", "Sets the maximum allowed duration of any statement.", "integer", f"0-{_MAX_INT}"),
        _param("tcp_keepalives_idle", "Time between issuing TCP keepalives.", "integer", f"0-{_MAX_INT}"),
        _param(
            "timezone",
            "Sets the time zone for displaying and interpreting time stamps.",
            "string",
            _timezones(),
            value="UTC",
        ),
        _param(
            "track_io_timing",
            "Collects timing statistics on database IO activity.",
            "boolean",
            boolean,
            value="1",
            source="system",
        ),
        _param("work_mem", "Sets the maximum memory to be used for query workspaces.", "integer", f"64-{_MAX_INT}"),
    ]


def _family(version: int) -> list[dict]:
    params = _common()
    if version < 15:  # AWS: rds.force_ssl defaults to 0 before PostgreSQL 15 (see the module docstring)
        for param in params:
            if param["ParameterName"] == "rds.force_ssl":
                param["ParameterValue"] = "0"
    return sorted(params, key=lambda p: p["ParameterName"])


FAMILIES: dict[str, list[dict]] = {f"postgres{version}": _family(version) for version in (14, 15, 16, 17)}
