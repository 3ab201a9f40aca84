# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the database_url filter."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ajudadigital.openwebui.plugins.filter.database_url import FilterModule
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.database_url import build_database_url

database_url = FilterModule().filters()["database_url"]

PARTS = dict(user="open webui", password="a+b c/%", host="db.example.internal", database="open/webui")


def test_filter_is_the_shared_logic():
    assert database_url(PARTS) == build_database_url(**PARTS)["url"]
    assert database_url(PARTS) == "postgresql://open%20webui:a%2Bb%20c%2F%25@db.example.internal:5432/open%2Fwebui"


def test_keyword_arguments_and_override():
    assert database_url({}, **PARTS) == database_url(PARTS)
    assert database_url(PARTS, port=6543, scheme="postgresql+psycopg").startswith("postgresql+psycopg://")
    assert ":6543/" in database_url(PARTS, port="6543")


def test_redact():
    assert (
        database_url(PARTS, redact=True) == "postgresql://open%20webui:********@db.example.internal:5432/open%2Fwebui"
    )


def test_ipv6_and_query():
    url = database_url(dict(PARTS, host="::1", query={"sslmode": "require"}))
    assert "@[::1]:5432/" in url and url.endswith("?sslmode=require")


@pytest.mark.parametrize(
    "parts, option",
    [
        (dict(PARTS, port=70000), "port"),
        (dict(PARTS, host=""), "host"),
        (dict(PARTS, user=""), "user"),
        (dict(PARTS, scheme="mysql"), "scheme"),
        (dict(PARTS, password="x\ny"), "password"),
        (dict(PARTS, sslmode="require"), "sslmode"),
    ],
)
def test_errors_are_filter_errors_naming_the_option(parts, option):
    with pytest.raises(AnsibleFilterError) as info:
        database_url(parts)
    assert f"option '{option}'" in str(info.value)
    assert "a+b c" not in str(info.value)


def test_non_dict_input():
    with pytest.raises(AnsibleFilterError) as info:
        database_url("db.example.internal")
    assert "must be a dictionary" in str(info.value)
