# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the log_events module's pure logic (times, option checks, the request, which
events are kept). Against the emulator: tests/functional/test_log_events.py."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import log_events
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

NOW = 1796551200000  # 2026-12-06T10:00:00Z
PARAMS = dict(
    log_group_name="/stack/ecs/open-webui",
    start_time="10m",
    end_time=None,
    filter_pattern="",
    log_stream_name_prefix="",
    limit=200,
    keep="newest",
)


def test_now_is_the_time_the_tests_say():
    assert log_events.iso(NOW) == "2026-12-06T10:00:00.000Z"


@pytest.mark.parametrize(
    ("value", "ago_seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400), (" 5m ", 300)],
)
def test_a_duration_is_that_long_ago(value, ago_seconds):
    assert log_events.parse_time(value, NOW) == NOW - ago_seconds * 1000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-06T09:00:00Z", "2026-12-06T09:00:00.000Z"),
        ("2026-12-06T09:00:00.5Z", "2026-12-06T09:00:00.500Z"),
        ("2026-12-06T09:00:00,123456", "2026-12-06T09:00:00.123Z"),
        ("2026-12-06 09:00", "2026-12-06T09:00:00.000Z"),
        ("2026-12-06", "2026-12-06T00:00:00.000Z"),
        ("2026-12-06T11:00:00+02:00", "2026-12-06T09:00:00.000Z"),
        ("2026-12-06T04:30:00-0430", "2026-12-06T09:00:00.000Z"),
    ],
)
def test_an_iso_time_is_utc_unless_it_has_an_offset(value, expected):
    assert log_events.iso(log_events.parse_time(value, NOW)) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10", "neither a duration"),
        ("10 m", "neither a duration"),
        ("ten minutes", "neither a duration"),
        ("-5m", "neither a duration"),
        ("", "neither a duration"),
        (None, "neither a duration"),
        ("0m", "a duration of 0"),
        ("99999w", "a duration that reaches before 1970"),
        ("2026-13-01", "not a valid time (month must be in 1..12)"),
        ("2026-02-30T10:00", "not a valid time (day is out of range for month)"),
        ("1969-12-31T23:59:59Z", "a time before 1970"),
    ],
)
def test_a_bad_time_says_why(value, reason):
    with pytest.raises(ValueError) as info:
        log_events.parse_time(value, NOW)
    assert str(info.value).startswith(reason), str(info.value)


def test_good_options_have_no_problem_and_give_the_range():
    assert log_events.check_params(PARAMS, NOW) == ([], NOW - 600000, None)
    problems, start, end = log_events.check_params(dict(PARAMS, start_time="2h", end_time="1h"), NOW)
    assert (problems, start, end) == ([], NOW - 7200000, NOW - 3600000)
    assert log_events.check_params(dict(PARAMS, end_time=""), NOW) == ([], NOW - 600000, None)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"log_group_name": ""}, "log_group_name must be 1 to 512 letters"),
        ({"log_group_name": "a group"}, "log_group_name must be 1 to 512 letters"),
        ({"start_time": "yesterday"}, "start_time: 'yesterday' is neither a duration"),
        ({"end_time": "soon"}, "end_time: 'soon' is neither a duration"),
        (
            {"start_time": "1h", "end_time": "2h"},
            "end_time (2026-12-06T08:00:00.000Z) must be later than start_time (2026-12-06T09:00:00.000Z)",
        ),
        ({"filter_pattern": "x" * 1025}, "filter_pattern may have at most 1024 characters"),
        ({"log_stream_name_prefix": "a:b"}, "log_stream_name_prefix must be at most 512 characters"),
        ({"log_stream_name_prefix": "a*"}, "log_stream_name_prefix must be at most 512 characters"),
        ({"limit": 0}, "limit must be between 1 and 10000, got 0"),
        ({"limit": 10001}, "limit must be between 1 and 10000, got 10001"),
    ],
)
def test_each_bad_option_is_named(change, named):
    problems = log_events.check_params(dict(PARAMS, **change), NOW)[0]
    assert len(problems) == 1 and problems[0].startswith(named), problems


def test_the_request_sends_only_what_is_given():
    assert log_events.filter_request(PARAMS, 1, None) == {"logGroupName": "/stack/ecs/open-webui", "startTime": 1}
    params = dict(PARAMS, filter_pattern="?ERROR ?WARNING", log_stream_name_prefix="open-webui/")
    assert log_events.filter_request(params, 1, 2) == {
        "logGroupName": "/stack/ecs/open-webui",
        "startTime": 1,
        "endTime": 2,
        "filterPattern": "?ERROR ?WARNING",
        "logStreamNamePrefix": "open-webui/",
    }


def test_the_newest_or_the_oldest_are_kept_oldest_first():
    events = [1, 2, 3, 4, 5]
    assert log_events.kept(events, 2, "newest") == ([4, 5], True)
    assert log_events.kept(events, 2, "oldest") == ([1, 2], True)
    assert log_events.kept(events, 5, "newest") == (events, False)
    assert log_events.kept([], 5, "oldest") == ([], False)


def test_an_event_has_its_iso_time_stream_and_message_without_the_newline():
    event = {"timestamp": NOW + 7, "logStreamName": "p/c/abc", "message": "hello\r\n", "eventId": "1"}
    assert log_events.event_result(event) == {
        "timestamp": "2026-12-06T10:00:00.007Z",
        "log_stream_name": "p/c/abc",
        "message": "hello",
    }
    assert log_events.event_result({"timestamp": NOW, "message": "a\nb"})["message"] == "a\nb"


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def test_bad_options_fail_before_any_aws_call_naming_each(capsys, no_sdk_check):
    args = {"log_group_name": "/stack/app", "start_time": "ten minutes", "limit": 0, "region": "us-east-1"}
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        log_events.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert result["msg"].startswith("start_time: 'ten minutes' is neither a duration")
    assert result["msg"].endswith("; limit must be between 1 and 10000, got 0")
