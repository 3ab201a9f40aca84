# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Login options of the collection's PostgreSQL modules, named as community.postgresql names them.
    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host name or IP address of the PostgreSQL server, for example the RDS endpoint address.
      - Only TCP connections are made (no Unix socket).
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the server.
    type: int
    default: 5432
  login_user:
    description:
      - Role to log in as.
    type: str
    default: postgres
    aliases: [login]
  login_password:
    description:
      - Password of O(login_user). Never shown in messages or results.
    type: str
  login_db:
    description:
      - Database to connect to. Each module says whether it is required and what it is used for.
    type: str
  ssl_mode:
    description:
      - Whether and how a TLS connection is negotiated, as libpq's C(sslmode).
      - Use C(verify-full) with O(ca_cert) pointing to the RDS CA bundle in production.
      - See U(https://www.postgresql.org/docs/current/libpq-ssl.html).
    type: str
    default: prefer
    choices: [allow, disable, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - File with the certificate authority certificate(s) that the server's certificate must be
        signed by (libpq's C(sslrootcert)).
    type: path
    aliases: [ssl_rootcert]
  connect_timeout:
    description:
      - Seconds one connection attempt may take.
    type: int
    default: 10
  wait_timeout:
    description:
      - Seconds to keep trying while the server does not answer yet (connection refused or timed
        out, host name not resolvable yet, server starting up), as with a new RDS instance.
        Attempts are made about every 2 seconds.
      - Failures that waiting cannot cure (wrong password, unknown database, TLS refused) fail at once.
      - V(0) makes a single attempt.
    type: int
    default: 300
requirements:
  - psycopg >= 3.1 (psycopg 3) on the host that runs the module
notes:
  - The module logs in over TCP with password authentication, as on Amazon RDS.
  - Error messages name the host, port, database and role, never the password.
"""
