# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the aws_time filter."""

from __future__ import absolute_import, division, print_function

import datetime

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ajudadigital.openwebui.plugins.filter.aws_time import FilterModule

aws_time = FilterModule().filters()["aws_time"]


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-07T06:30:00.250000+00:00",
        "2026-12-07T06:30:00.25Z",
        "2026-12-07T07:30:00.250+01:00",
        "2026-12-07T01:30:00.250000-0500",
        "2026-12-07 06:30:00.250000+00:00",
        datetime.datetime(2026, 12, 7, 6, 30, 0, 250000, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 7, 6, 30, 0, 250000),
    ],
)
def test_the_same_moment_whatever_its_offset_and_precision(value):
    expected = (
        datetime.datetime(2026, 12, 7, 6, 30, 0, 250000, tzinfo=datetime.UTC)
        - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    ).total_seconds()
    assert aws_time(value) == expected


def test_sub_second_order_is_kept():
    assert aws_time("2026-12-07T06:30:00+00:00") < aws_time("2026-12-07T06:30:00.000001+00:00")
    assert aws_time("2026-12-07T06:30:00.9+01:00") < aws_time("2026-12-07T05:30:01+00:00")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_date_is_the_epoch(value):
    assert aws_time(value) == 0.0


def test_seconds_pass_through():
    assert aws_time(1796625000) == 1796625000.0


@pytest.mark.parametrize("value", ["yesterday", "2026-12-07", "2026-12-07T06:30:00+0"])
def test_anything_else_is_refused_naming_the_format(value):
    with pytest.raises(AnsibleFilterError, match="ISO 8601"):
        aws_time(value)
