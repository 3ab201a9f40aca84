# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``ajudadigital.openwebui.database_url`` filter (documented in database_url.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import (
    DatabaseUrlError,
    build_from_mapping,
)


def database_url(parts=None, redact=False, **options):
    """Return the URL of ``parts`` (a dict) updated with ``options`` (keyword arguments)."""
    if parts is None:
        parts = {}
    if not isinstance(parts, dict):
        raise AnsibleFilterError(
            "database_url: the filter's input must be a dictionary (scheme, user, password, host, port, "
            "database, query), got %s" % type(parts).__name__
        )
    merged = dict(parts)
    merged.update(options)
    try:
        result = build_from_mapping(merged)
    except DatabaseUrlError as e:
        raise AnsibleFilterError(str(e)) from None
    return result["url_redacted" if redact else "url"]


class FilterModule(object):
    def filters(self):
        return {"database_url": database_url}
