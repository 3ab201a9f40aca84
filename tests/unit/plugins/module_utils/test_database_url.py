# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the URL assembly shared by the database_url module and filter."""

from __future__ import absolute_import, division, print_function

from urllib.parse import unquote, urlsplit

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import (
    REDACTED,
    DatabaseUrlError,
    build_database_url,
    build_from_mapping,
    encode_query,
    normalize_host,
    normalize_port,
)

BASE = dict(user="openwebui", password="secret", host="db.example.internal", database="openwebui")


def build(**overrides):
    parts = dict(BASE)
    parts.update(overrides)
    return build_database_url(**parts)


def test_plain_url():
    result = build()
    assert result["url"] == "postgresql://openwebui:secret@db.example.internal:5432/openwebui"
    assert result["url_redacted"] == f"postgresql://openwebui:{REDACTED}@db.example.internal:5432/openwebui"


@pytest.mark.parametrize(
    "raw, encoded",
    [
        (":", "%3A"),
        ("%", "%25"),
        ("#", "%23"),
        ("?", "%3F"),
        ("&", "%26"),
        ("+", "%2B"),
        ("/", "%2F"),
        ("@", "%40"),
        (" ", "%20"),
        ("=", "%3D"),
        ("[]", "%5B%5D"),
        ("é", "%C3%A9"),
        ("密码", "%E5%AF%86%E7%A0%81"),
        ("🔑", "%F0%9F%94%91"),
        ("~-._", "~-._"),
    ],
)
@pytest.mark.parametrize("option", ["user", "password", "database"])
def test_each_special_character_is_percent_encoded(option, raw, encoded):
    value = f"a{raw}b"
    url = build(**{option: value})["url"]
    assert f"a{encoded}b" in url
    assert unquote(f"a{encoded}b") == value


def test_plus_and_space_survive():
    url = build(password="a+b c")["url"]
    assert ":a%2Bb%20c@" in url
    assert "+" not in url.split("@")[0].split("://")[1]


def test_all_specials_round_trip_through_urlsplit():
    password = ":%#?&+/@ p"
    url = build(user="u s@r", password=password, database="d/b?#")["url"]
    parts = urlsplit(url)
    assert unquote(parts.username) == "u s@r"
    assert unquote(parts.password) == password
    assert unquote(parts.path[1:]) == "d/b?#"
    assert parts.hostname == "db.example.internal"
    assert parts.port == 5432
    assert parts.query == ""


def test_no_password_leaves_it_out():
    for password in (None, ""):
        result = build(password=password)
        assert result["url"] == "postgresql://openwebui@db.example.internal:5432/openwebui"
        assert result["url_redacted"] == result["url"]


def test_redacted_form_hides_raw_and_encoded_password():
    result = build(password="p@ss word+")
    assert "p%40ss%20word%2B" in result["url"]
    assert "p@ss" not in result["url_redacted"] and "p%40ss" not in result["url_redacted"]


@pytest.mark.parametrize(
    "host, expected",
    [
        ("::1", "[::1]"),
        ("[::1]", "[::1]"),
        ("2001:DB8:0:0::10", "[2001:db8::10]"),
        ("10.0.1.5", "10.0.1.5"),
        ("localhost", "localhost"),
        ("mydb.abc123.eu-west-1.rds.amazonaws.com", "mydb.abc123.eu-west-1.rds.amazonaws.com"),
        ("db_1.internal.", "db_1.internal."),
    ],
)
def test_hosts(host, expected):
    assert normalize_host(host) == expected
    assert f"@{expected}:5432/" in build(host=host)["url"]


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"])
def test_schemes(scheme):
    assert build(scheme=scheme)["url"].startswith(scheme + "://")


def test_port_as_string_and_default():
    assert normalize_port(None) == 5432
    assert normalize_port("6543") == 6543
    assert build(port=1)["url"].endswith(":1/openwebui")
    assert build(port=65535)["url"].endswith(":65535/openwebui")


def test_query_parameters_sorted_and_encoded():
    url = build(query={"sslmode": "verify-full", "sslrootcert": "/etc/ssl/rds ca+.pem", "application_name": "a&b=c"})[
        "url"
    ]
    assert url.endswith("?application_name=a%26b%3Dc&sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Frds%20ca%2B.pem")


def test_query_booleans_and_numbers():
    assert encode_query({"a": True, "b": False, "c": 3}) == "a=true&b=false&c=3"
    assert encode_query({}) == ""
    assert encode_query(None) == ""


@pytest.mark.parametrize(
    "overrides, option, fragment",
    [
        (dict(host=""), "host", "must not be empty"),
        (dict(host=None), "host", "is required"),
        (dict(host="db example"), "host", "must be a host name"),
        (dict(host="db/x"), "host", "must be a host name"),
        (dict(host=" db"), "host", "white space"),
        (dict(host="fe80::1%eth0"), "host", "zone id"),
        (dict(host="[not-ipv6]"), "host", "must be a host name"),
        (dict(host="1:2:3"), "host", "must be a host name"),
        (dict(port=0), "port", "must be between 1 and 65535, got 0"),
        (dict(port=70000), "port", "must be between 1 and 65535, got 70000"),
        (dict(port=-1), "port", "must be between 1 and 65535"),
        (dict(port="abc"), "port", "must be an integer"),
        (dict(port=True), "port", "must be an integer"),
        (dict(scheme="mysql"), "scheme", "must be one of"),
        (dict(scheme="postgresql+unknown"), "scheme", "must be one of"),
        (dict(user=""), "user", "must not be empty"),
        (dict(user=None), "user", "is required"),
        (dict(user="a\nb"), "user", "control character (U+000A)"),
        (dict(password="a\x00b"), "password", "control character (U+0000)"),
        (dict(password="a\x7fb"), "password", "control character (U+007F)"),
        (dict(password="a\ud800b"), "password", "surrogate"),
        (dict(database="a\tb"), "database", "control character (U+0009)"),
        (dict(database=""), "database", "must not be empty"),
        (dict(host="db\r"), "host", "control character"),
        (dict(query={"sslmode": "a\nb"}), "query", "control character"),
        (dict(query={"sslmode": None}), "query", "has no value"),
        (dict(query=["sslmode"]), "query", "must be a dictionary"),
        (dict(user=["x"]), "user", "must be a string"),
    ],
)
def test_bad_input_names_the_option(overrides, option, fragment):
    with pytest.raises(DatabaseUrlError) as info:
        build(**overrides)
    message = str(info.value)
    assert info.value.option == option
    assert message.startswith(f"database_url: option '{option}' ")
    assert fragment in message


def test_messages_never_hold_the_secret_parts():
    for option in ("user", "password", "database"):
        value = f"s3cr3t-{option}\n"
        with pytest.raises(DatabaseUrlError) as info:
            build(**{option: value})
        assert "s3cr3t" not in str(info.value)


def test_error_message_example_from_the_docs():
    with pytest.raises(DatabaseUrlError) as info:
        build(port=70000)
    assert str(info.value) == "database_url: option 'port' must be between 1 and 65535, got 70000"


def test_build_from_mapping():
    assert build_from_mapping(dict(BASE))["url"] == build()["url"]
    with pytest.raises(DatabaseUrlError) as info:
        build_from_mapping(dict(BASE, hostname="x"))
    assert info.value.option == "hostname"
    with pytest.raises(DatabaseUrlError):
        build_from_mapping("not a dict")
