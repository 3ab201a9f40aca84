# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the elasticache_parameter_group module's pure logic: values as ElastiCache stores
them, the name check, and which parameters are set or reset."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import elasticache_parameter_group as pg


@pytest.mark.parametrize(
    "value, stored", [(True, "yes"), (False, "no"), (10000, "10000"), ("allkeys-lru", "allkeys-lru"), (None, "")]
)
def test_values_are_strings(value, stored):
    assert pg.as_value(value) == stored


@pytest.mark.parametrize("name", ["openwebui-cache-redis7", "a", "A1-b2"])
def test_good_names(name):
    assert pg.option_problem(dict(name=name)) is None


@pytest.mark.parametrize("name", ["7redis", "a--b", "a-", "a_b", ""])
def test_bad_names_are_named(name):
    assert "name" in pg.option_problem(dict(name=name))


def test_changes_set_only_what_differs():
    current = {"slowlog-max-len": "128", "timeout": "0"}
    wanted = {"slowlog-max-len": "256", "timeout": "0", "maxmemory-policy": "allkeys-lru"}
    assert pg.changes(current, wanted, purge=False) == (
        [("maxmemory-policy", "allkeys-lru"), ("slowlog-max-len", "256")],
        [],
    )


def test_changes_purge_resets_the_others():
    assert pg.changes({"a": "1", "b": "2"}, {"a": "1"}, purge=True) == ([], ["b"])
    assert pg.changes({"a": "1", "b": "2"}, {"a": "1"}, purge=False) == ([], [])


def test_view_of_a_missing_group_is_empty():
    assert pg.view(None, {}, {}) == {}
