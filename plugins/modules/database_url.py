#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: database_url
short_description: Assemble the PostgreSQL URL that Open WebUI reads as DATABASE_URL
version_added: 0.1.0
description:
  - Builds C(scheme://user:password@host:port/database?query) from its parts, the value
    that Open WebUI reads as E(DATABASE_URL) and E(PGVECTOR_DB_URL).
  - The user, the password and the database name are percent-encoded with nothing left
    safe (C(urllib.parse.quote) with C(safe='')), so C(:), C(@), C(/), C(?), C(#), C(%),
    C(+), spaces and non-ASCII characters reach the server unchanged. C(quote_plus) is never
    used, because it would turn a C(+) into a space.
  - IPv6 addresses are put in brackets; query parameters are sorted by name and
    percent-encoded the same way.
  - The module runs on the controller or the target alike, makes no connection and changes
    nothing.
  - The same logic is available as the filter P(ajudadigital.openwebui.database_url#filter).
author:
  - Ajuda Digital platform team (@ajudadigital)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything; it returns the same URL in check mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: all
options:
  scheme:
    description:
      - URL scheme, with the SQLAlchemy driver suffix when one is wanted.
      - Open WebUI accepts C(postgresql) (psycopg2) for E(DATABASE_URL) and E(PGVECTOR_DB_URL).
    type: str
    default: postgresql
    choices:
      - postgresql
      - postgres
      - postgresql+psycopg
      - postgresql+psycopg2
      - postgresql+asyncpg
      - postgresql+pg8000
  user:
    description:
      - Name of the database role. Must not be empty or contain control characters.
    type: str
    required: true
  password:
    description:
      - Password of O(user). Left out of the URL when not given or empty.
      - The percent-encoded password is a different string from this option, so Ansible's
        own C(no_log) masking of this option does not hide it in RV(url). Always set
        C(no_log=true) on the task (see the examples).
    type: str
  host:
    description:
      - Host name, IPv4 address or IPv6 address (bare or in brackets) of the server,
        for example the RDS endpoint address.
    type: str
    required: true
  port:
    description:
      - TCP port of the server, between 1 and 65535.
    type: int
    default: 5432
  database:
    description:
      - Name of the database. Must not be empty or contain control characters.
    type: str
    required: true
  query:
    description:
      - Query parameters appended to the URL, for example C(sslmode) and C(sslrootcert).
      - Keys are sorted; keys and values are percent-encoded with nothing left safe;
        booleans become C(true)/C(false).
    type: dict
    default: {}
notes:
  - The returned RV(url) holds the password. Use C(no_log=true) on the task that calls this
    module and on every task that handles the registered result, and store the URL in a
    secret store (for example AWS Secrets Manager); show RV(url_redacted) instead.
  - The module never writes the password, encoded or not, into warnings or error messages;
    errors name the offending option only.
seealso:
  - plugin: ajudadigital.openwebui.database_url
    plugin_type: filter
  - module: ajudadigital.openwebui.pgvector_extension
"""

EXAMPLES = r"""
- name: Assemble DATABASE_URL for Open WebUI
  ajudadigital.openwebui.database_url:
    user: openwebui
    password: "{{ openwebui_db_password }}"
    host: "{{ rds_instance.endpoint.address }}"
    port: "{{ rds_instance.endpoint.port }}"
    database: openwebui
    query:
      sslmode: verify-full
      sslrootcert: /etc/ssl/certs/rds-global-bundle.pem
  register: openwebui_database_url
  no_log: true

- name: Show where the application will connect (without the password)
  ansible.builtin.debug:
    msg: "{{ openwebui_database_url.url_redacted }}"

- name: Store it in Secrets Manager
  amazon.aws.secretsmanager_secret:
    name: openwebui/database-url
    secret_type: string
    secret: "{{ openwebui_database_url.url }}"
  no_log: true

- name: An IPv6 server and the psycopg 3 driver of SQLAlchemy
  ajudadigital.openwebui.database_url:
    scheme: postgresql+psycopg
    user: openwebui
    password: "p@ss:w/rd+ %"
    host: "2001:db8::10"
    database: openwebui
  register: url  # url.url == 'postgresql+psycopg://openwebui:p%40ss%3Aw%2Frd%2B%20%25@[2001:db8::10]:5432/openwebui'
  no_log: true
"""

RETURN = r"""
url:
  description:
    - The URL, with the password percent-encoded. Treat it as a secret.
  returned: success
  type: str
  sample: postgresql://openwebui:s3cr%2Bt%20pw@db.example.internal:5432/openwebui?sslmode=require
url_redacted:
  description:
    - The same URL with the password replaced by C(********), for display and logs.
  returned: success
  type: str
  sample: postgresql://openwebui:********@db.example.internal:5432/openwebui?sslmode=require
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import (
    DEFAULT_PORT,
    DEFAULT_SCHEME,
    SCHEMES,
    DatabaseUrlError,
    build_database_url,
)


def main():
    argument_spec = dict(
        scheme=dict(type="str", default=DEFAULT_SCHEME, choices=list(SCHEMES)),
        user=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        host=dict(type="str", required=True),
        port=dict(type="int", default=DEFAULT_PORT),
        database=dict(type="str", required=True),
        query=dict(type="dict", default={}),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        result = build_database_url(
            scheme=module.params["scheme"],
            user=module.params["user"],
            password=module.params["password"],
            host=module.params["host"],
            port=module.params["port"],
            database=module.params["database"],
            query=module.params["query"],
        )
    except DatabaseUrlError as e:
        module.fail_json(msg=str(e), option=e.option)

    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
