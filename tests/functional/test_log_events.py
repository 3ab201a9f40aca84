"""log_events against the local emulator: a log group with streams and events of different ages,
read by time range, pattern, stream prefix and limit; check mode; a missing group; bad options
that fail before any AWS call."""

from __future__ import annotations

import datetime
import time

import pytest

MODULE = "ajudadigital.openwebui.log_events"
GROUP = "/functional-log-events/ecs/open-webui"
TASK_A, TASK_B = "open-webui/open-webui/0a1b2c3d", "open-webui/open-webui/4e5f6a7b"
MIGRATE = "migrate/open-webui/8c9d0e1f"


def iso(milliseconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def milliseconds(text: str) -> int:
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def aws(emulator):
    """The group: two hours ago a migration's lines; in the last minutes two tasks' lines, interleaved."""
    now = int(time.time() * 1000)
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=GROUP)
    streams = {
        MIGRATE: [(now - 7200_000, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.")],
        TASK_A: [
            (now - 240_000, "INFO:     Started server process [7]"),
            (now - 180_000, "ERROR: database timeout\n"),
            (now - 60_000, 'INFO:     10.0.1.5:40000 - "GET /health HTTP/1.1" 200 OK'),
        ],
        TASK_B: [
            (now - 200_000, "INFO:     Started server process [8]"),
            (now - 120_000, "WARNING: slow request"),
            (now - 30_000, 'INFO:     10.0.2.5:40000 - "GET /api/config HTTP/1.1" 200 OK'),
        ],
    }
    for stream, events in streams.items():
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        logs.put_log_events(
            logGroupName=GROUP, logStreamName=stream, logEvents=[{"timestamp": t, "message": m} for t, m in events]
        )
    return dict(connection=emulator.module_connection(), now=now, emulator=emulator)


def read(ansible, aws, check=False, **args):
    run = ansible.module(MODULE, dict(aws["connection"], log_group_name=GROUP, **args), check=check)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    return run.result


def lines(result) -> list[tuple[str, str]]:
    return [(e["log_stream_name"].rsplit("/", 1)[-1], e["message"]) for e in result["events"]]


def test_the_last_minutes_of_every_stream_oldest_first_with_iso_times(ansible, aws):
    result = read(ansible, aws, start_time="10m")
    assert lines(result) == [
        ("0a1b2c3d", "INFO:     Started server process [7]"),
        ("4e5f6a7b", "INFO:     Started server process [8]"),
        ("0a1b2c3d", "ERROR: database timeout"),  # without its newline
        ("4e5f6a7b", "WARNING: slow request"),
        ("0a1b2c3d", 'INFO:     10.0.1.5:40000 - "GET /health HTTP/1.1" 200 OK'),
        ("4e5f6a7b", 'INFO:     10.0.2.5:40000 - "GET /api/config HTTP/1.1" 200 OK'),
    ]
    assert result["events"][0]["timestamp"] == iso(aws["now"] - 240_000)
    assert result["events"][0]["log_stream_name"] == TASK_A
    assert result["truncated"] is False
    assert result["log_group_name"] == GROUP and result["end_time"] == ""
    assert result["start_time"].endswith("Z")


def test_a_longer_range_reaches_the_older_stream_and_an_end_time_cuts_the_newer(ansible, aws):
    assert len(read(ansible, aws, start_time="3h")["events"]) == 7
    result = read(ansible, aws, start_time="1d", end_time="150s")
    assert [m for _stream, m in lines(result)] == [
        "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
        "INFO:     Started server process [7]",
        "INFO:     Started server process [8]",
        "ERROR: database timeout",
    ]
    assert abs(milliseconds(result["end_time"]) - (time.time() * 1000 - 150_000)) < 60_000
    start = iso(aws["now"] - 190_000)  # an ISO time
    assert [m for _stream, m in lines(read(ansible, aws, start_time=start, end_time=iso(aws["now"] - 100_000)))] == [
        "ERROR: database timeout",
        "WARNING: slow request",
    ]


def test_a_filter_pattern_and_a_stream_prefix(ansible, aws):
    assert [m for _stream, m in lines(read(ansible, aws, start_time="1h", filter_pattern="?ERROR ?WARNING"))] == [
        "ERROR: database timeout",
        "WARNING: slow request",
    ]
    assert lines(read(ansible, aws, start_time="1h", filter_pattern='"GET /health"')) == [
        ("0a1b2c3d", 'INFO:     10.0.1.5:40000 - "GET /health HTTP/1.1" 200 OK')
    ]
    assert read(ansible, aws, start_time="1h", filter_pattern="nothing-like-this")["events"] == []
    only_b = read(ansible, aws, start_time="1d", log_stream_name_prefix="open-webui/open-webui/4e")
    assert {stream for stream, _message in lines(only_b)} == {"4e5f6a7b"} and len(only_b["events"]) == 3
    migrate = read(ansible, aws, start_time="1d", log_stream_name_prefix="migrate/", filter_pattern="alembic")
    assert [e["log_stream_name"] for e in migrate["events"]] == [MIGRATE]


def test_a_limit_keeps_the_newest_or_the_oldest_and_says_so(ansible, aws):
    newest = read(ansible, aws, start_time="10m", limit=2)
    assert [m for _stream, m in lines(newest)] == [
        'INFO:     10.0.1.5:40000 - "GET /health HTTP/1.1" 200 OK',
        'INFO:     10.0.2.5:40000 - "GET /api/config HTTP/1.1" 200 OK',
    ]
    assert newest["truncated"] is True
    oldest = read(ansible, aws, start_time="10m", limit=2, keep="oldest")
    assert [m for _stream, m in lines(oldest)] == [
        "INFO:     Started server process [7]",
        "INFO:     Started server process [8]",
    ]
    assert oldest["truncated"] is True
    assert read(ansible, aws, start_time="10m", limit=6, keep="oldest")["truncated"] is False


def test_check_mode_reads_the_same(ansible, aws):
    assert (
        read(ansible, aws, check=True, start_time="10m", limit=3)["events"]
        == read(ansible, aws, start_time="10m", limit=3)["events"]
    )


def test_a_missing_group_fails_naming_the_option(ansible, aws):
    run = ansible.module(MODULE, dict(aws["connection"], log_group_name="/functional-log-events/none", start_time="1h"))
    assert run.rc != 0
    assert run.result["msg"] == "log_group_name: no log group /functional-log-events/none"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start_time": "ten minutes"}, "start_time: 'ten minutes' is neither a duration"),
        ({"start_time": "10m", "end_time": "20m"}, "end_time ("),
        ({"start_time": "10m", "limit": 0}, "limit must be between 1 and 10000, got 0"),
        ({"start_time": "2026-02-30"}, "start_time: '2026-02-30' is not a valid time"),
    ],
)
def test_bad_options_fail_before_any_aws_call(ansible, aws, args, message):
    before = len(aws["emulator"].requests())
    run = ansible.module(MODULE, dict(aws["connection"], log_group_name=GROUP, **args))
    assert run.rc != 0
    assert run.result["msg"].startswith(message), run.result["msg"]
    assert len(aws["emulator"].requests()) == before, "an AWS call before the options were checked"
