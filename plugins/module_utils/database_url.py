# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Assembly of the PostgreSQL URL that Open WebUI reads as DATABASE_URL / PGVECTOR_DB_URL.

Shared by the ``ajudadigital.openwebui.database_url`` module and filter.

User, password and database are percent-encoded with nothing left safe
(``quote(x, safe='')``), never with ``quote_plus``: a ``+`` or a space in a
password must reach the server unchanged. Error messages never contain the
user, the password or the database name, only the option's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import unicodedata

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for the import sanity test
    from urllib import quote, urlencode  # type: ignore

SCHEMES = (
    "postgresql",
    "postgres",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
    "postgresql+pg8000",
)

OPTIONS = ("scheme", "user", "password", "host", "port", "database", "query")

DEFAULT_SCHEME = "postgresql"
DEFAULT_PORT = 5432
REDACTED = "********"

# One DNS label (letters, digits, hyphen; underscores are tolerated as many private
# zones use them); a host name is one or more labels separated by dots.
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


class DatabaseUrlError(ValueError):
    """Bad input; ``option`` names the offending option, the message never holds a secret."""

    def __init__(self, option, message):
        self.option = option
        super(DatabaseUrlError, self).__init__("database_url: option '%s' %s" % (option, message))


def _text(option, value, required=True):
    """Check that ``value`` is usable text: not empty, no control character, valid unicode."""
    if value is None:
        if required:
            raise DatabaseUrlError(option, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DatabaseUrlError(option, "must be a string, got %s" % type(value).__name__)
    value = str(value)
    if value == "":
        if required:
            raise DatabaseUrlError(option, "must not be empty")
        return None
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cc":
            raise DatabaseUrlError(
                option, "contains a control character (U+%04X) at position %d" % (ord(char), position)
            )
        if category == "Cs":
            raise DatabaseUrlError(option, "contains a lone surrogate at position %d (not valid unicode)" % position)
    return value


def _encode(value):
    return quote(value.encode("utf-8"), safe="")


def normalize_scheme(scheme):
    scheme = _text("scheme", DEFAULT_SCHEME if scheme is None else scheme)
    if scheme not in SCHEMES:
        raise DatabaseUrlError("scheme", "must be one of %s, got '%s'" % (", ".join(SCHEMES), scheme))
    return scheme


def normalize_port(port):
    if port is None or port == "":
        return DEFAULT_PORT
    if isinstance(port, bool):
        raise DatabaseUrlError("port", "must be an integer, got %r" % port)
    if isinstance(port, float) and port.is_integer():
        port = int(port)
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port.strip())
    if not isinstance(port, int):
        raise DatabaseUrlError("port", "must be an integer, got %r" % (port,))
    if not 1 <= port <= 65535:
        raise DatabaseUrlError("port", "must be between 1 and 65535, got %d" % port)
    return port


def normalize_host(host):
    """Return the host as it goes into the URL: IPv6 in brackets (compressed), names as given."""
    host = _text("host", host)
    stripped = host.strip()
    if stripped != host:
        raise DatabaseUrlError("host", "must not start or end with white space, got %r" % host)
    bracketed = host.startswith("[") and host.endswith("]")
    candidate = host[1:-1] if bracketed else host
    if ":" in candidate or bracketed:
        if "%" in candidate:
            raise DatabaseUrlError("host", "must not hold an IPv6 zone id, got '%s'" % host)
        try:
            address = ipaddress.IPv6Address(candidate)
        except ValueError:
            raise DatabaseUrlError("host", "must be a host name, an IPv4 or an IPv6 address, got '%s'" % host) from None
        return "[%s]" % address.compressed
    try:
        return str(ipaddress.IPv4Address(candidate))
    except ValueError:
        pass
    name = candidate[:-1] if candidate.endswith(".") else candidate
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise DatabaseUrlError("host", "must be a host name, an IPv4 or an IPv6 address, got '%s'" % host)
    return candidate


def encode_query(query):
    """``key=value&...`` with keys sorted, both sides percent-encoded with nothing safe."""
    if query is None:
        return ""
    if not isinstance(query, dict):
        raise DatabaseUrlError("query", "must be a dictionary, got %s" % type(query).__name__)
    pairs = []
    for key in sorted(query, key=str):
        value = query[key]
        key_text = _text("query", key)
        if value is None:
            raise DatabaseUrlError("query", "parameter '%s' has no value" % key_text)
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((key_text, _text("query", value)))
    return urlencode(pairs, quote_via=quote, safe="")


def build_database_url(scheme=None, user=None, password=None, host=None, port=None, database=None, query=None):
    """Return ``{'url': ..., 'url_redacted': ...}``; raise DatabaseUrlError on bad input.

    ``password`` None or empty leaves the password out of the URL.
    """
    scheme = normalize_scheme(scheme)
    user = _text("user", user)
    password = _text("password", password, required=False)
    host = normalize_host(host)
    port = normalize_port(port)
    database = _text("database", database)
    query_string = encode_query(query)

    def assemble(secret):
        userinfo = _encode(user)
        if secret is not None:
            userinfo += ":" + secret
        url = "%s://%s@%s:%d/%s" % (scheme, userinfo, host, port, _encode(database))
        if query_string:
            url += "?" + query_string
        return url

    return {
        "url": assemble(None if password is None else _encode(password)),
        "url_redacted": assemble(None if password is None else REDACTED),
    }


def build_from_mapping(parts):
    """The filter's entry: ``parts`` is a dict holding some of OPTIONS."""
    if not isinstance(parts, dict):
        raise DatabaseUrlError("input", "must be a dictionary of %s" % ", ".join(OPTIONS))
    unknown = sorted(str(key) for key in parts if key not in OPTIONS)
    if unknown:
        raise DatabaseUrlError(unknown[0], "is not known; use %s" % ", ".join(OPTIONS))
    return build_database_url(**dict((key, parts[key]) for key in parts))
