# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of tagged_resource_info's tag filters (the API calls are tested on the emulator)."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import tagged_resource_info


def test_a_string_is_one_value_and_keys_are_sorted():
    filters, error = tagged_resource_info.tag_filters({"Stack": "s", "Name": ["a", "b"]})
    assert error is None
    assert filters == [{"Key": "Name", "Values": ["a", "b"]}, {"Key": "Stack", "Values": ["s"]}]


@pytest.mark.parametrize(
    "tags, message",
    [
        ({}, "tags must name at least one tag"),
        ({"Stack": None}, "tags.Stack must be a string or a non-empty list of strings"),
        ({"Stack": {"a": 1}}, "tags.Stack must be a string or a non-empty list of strings"),
        ({"Stack": [str(n) for n in range(21)]}, "tags.Stack may list at most 20 values, got 21"),
        ({str(n): "v" for n in range(51)}, "tags may name at most 50 tags, got 51"),
    ],
)
def test_bad_tags_are_named(tags, message):
    assert tagged_resource_info.tag_filters(tags) == (None, message)
