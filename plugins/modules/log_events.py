#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: log_events
short_description: Read the log events of a CloudWatch Logs group in a time range, filtered
version_added: 0.1.0
description:
  - Reads the events of a log group between O(start_time) and O(end_time) (C(FilterLogEvents),
    every page, retried as one read on throttling), optionally only those that match a filter
    pattern or come from log streams whose names start with a prefix, and returns at most
    O(limit) of them, oldest first.
  - Times are relative (C(30s), C(10m), C(2h), C(1d), C(1w), or a sum such as C(1h30m)) ago, or
    ISO 8601 (C(2026-12-06T10:00:00Z), C(2026-12-06T10:00:00+02:00), C(2026-12-06 10:00),
    C(2026-12-06)); an ISO time without an offset is UTC.
  - Read only. C(changed) is always false and check mode returns the same events.
  - Every option is checked before any AWS call; a bad one fails with a message that names it.
  - amazon.aws has no module that reads log events (community.aws.cloudwatchlogs_log_group_info
    describes groups only).
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  log_group_name:
    description: Name of the log group.
    type: str
    required: true
    aliases: [log_group]
  start_time:
    description: The oldest events to read, as a duration ago (C(10m)) or an ISO 8601 time.
    type: str
    required: true
  end_time:
    description:
      - The newest events to read, in the same forms as O(start_time); up to now when omitted.
        Must be later than O(start_time).
    type: str
  filter_pattern:
    description:
      - A CloudWatch Logs filter pattern (terms, C(?OR) terms, C(-excluded) terms, C("exact phrases"),
        C(%regular expressions%), JSON or space-delimited patterns); every event when empty.
      - Case sensitive; see the CloudWatch Logs documentation, Filter pattern syntax.
    type: str
    default: ""
  log_stream_name_prefix:
    description:
      - Only events of the log streams whose names start with this prefix; every stream of the
        group when empty. An C(awslogs) stream is named C(<prefix>/<container>/<task id>).
    type: str
    default: ""
  limit:
    description: The most events returned (1 to 10000).
    type: int
    default: 200
  keep:
    description:
      - Which events are returned when more than O(limit) match.
      - V(newest) returns the newest O(limit) (the module reads every matching event of the
        range, so narrow the range or the pattern on a busy group); V(oldest) returns the oldest
        and stops reading there.
    type: str
    choices: [newest, oldest]
    default: newest
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - The caller needs C(logs:FilterLogEvents) on the log group.
  - CloudWatch Logs returns the events of all the group's streams interleaved, sorted by their
    timestamp; the module keeps that order.
"""

EXAMPLES = r"""
- name: The app's log lines of the last 10 minutes
  ajudadigital.openwebui.log_events:
    log_group_name: /openwebui-prod/ecs/open-webui
    start_time: 10m
  register: app_log

- name: The errors and warnings of one morning, from the service's containers only
  ajudadigital.openwebui.log_events:
    log_group_name: /openwebui-prod/ecs/open-webui
    start_time: "2026-12-06T08:00:00Z"
    end_time: "2026-12-06T12:00:00Z"
    filter_pattern: "?ERROR ?WARNING"
    log_stream_name_prefix: open-webui/open-webui/
    limit: 1000
"""

RETURN = r"""
events:
  description: The events read, at most O(limit), oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    timestamp:
      description: When the event happened, ISO 8601 in UTC with milliseconds.
      type: str
      sample: "2026-12-06T10:00:00.123Z"
    log_stream_name:
      description: The log stream of the event (for C(awslogs), C(<prefix>/<container>/<task id>)).
      type: str
      sample: open-webui/open-webui/0a1b2c3d4e5f
    message:
      description: The event's text, without a trailing newline.
      type: str
      sample: "INFO:     Application startup complete."
truncated:
  description: Whether more events matched than RV(events) holds (O(keep) says which were left out).
  returned: always
  type: bool
  sample: false
log_group_name:
  description: The log group read.
  returned: always
  type: str
  sample: /openwebui-prod/ecs/open-webui
start_time:
  description: The start of the range, ISO 8601 in UTC (O(start_time) resolved).
  returned: always
  type: str
  sample: "2026-12-06T09:50:00.000Z"
end_time:
  description: The end of the range, ISO 8601 in UTC; empty when the range runs up to now.
  returned: always
  type: str
  sample: ""
"""

import datetime
import re
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate

MAX_LIMIT = 10000  # FilterLogEvents' own limit per page
UNIT_SECONDS = dict(s=1, m=60, h=3600, d=86400, w=604800)
DURATION = re.compile(r"^(?:\d+[smhdw])+$")
ISO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_time(value, now_ms):
    """Milliseconds since the epoch of ``value``: a duration ago (``10m``, ``1h30m``) or an ISO 8601
    time (UTC without an offset). Raises ValueError with the reason."""
    text = (value or "").strip()
    if DURATION.match(text):
        seconds = sum(int(n) * UNIT_SECONDS[unit] for n, unit in re.findall(r"(\d+)([smhdw])", text))
        if seconds == 0:
            raise ValueError("a duration of 0")
        moment = now_ms - seconds * 1000
        if moment < 0:
            raise ValueError("a duration that reaches before 1970")
        return moment
    match = ISO_TIME.match(text)
    if not match:
        raise ValueError(
            "neither a duration (a number and a unit s, m, h, d or w: 30s, 10m, 2h, 1d) nor an ISO 8601 time"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=datetime.timezone.utc,
        )
    except ValueError as e:
        raise ValueError("not a valid time ({0})".format(e)) from None
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        moment -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    milliseconds = (moment - EPOCH) // datetime.timedelta(milliseconds=1)
    if milliseconds < 0:
        raise ValueError("a time before 1970")
    return milliseconds


def iso(milliseconds):
    """ISO 8601 in UTC with milliseconds: ``2026-12-06T10:00:00.123Z``."""
    moment = EPOCH + datetime.timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".{0:03d}Z".format(moment.microsecond // 1000)


def check_params(params, now_ms):
    """(problems, start_ms, end_ms): the problems with the options, each naming its option (before any
    AWS call), and the range they give."""
    problems = []
    group = params.get("log_group_name") or ""
    if not GROUP_NAME.match(group):
        problems.append("log_group_name must be 1 to 512 letters, digits or . - _ / #, got {0!r}".format(group))
    times = {}
    for name in ("start_time", "end_time"):
        if name == "end_time" and not params.get(name):
            times[name] = None
            continue
        try:
            times[name] = parse_time(params.get(name), now_ms)
        except ValueError as e:
            times[name] = None
            problems.append("{0}: {1!r} is {2}".format(name, params.get(name), e))
    if times["start_time"] is not None and times["end_time"] is not None and times["end_time"] <= times["start_time"]:
        problems.append(
            "end_time ({0}) must be later than start_time ({1})".format(
                iso(times["end_time"]), iso(times["start_time"])
            )
        )
    if len(params.get("filter_pattern") or "") > 1024:
        problems.append("filter_pattern may have at most 1024 characters")
    prefix = params.get("log_stream_name_prefix") or ""
    if len(prefix) > 512 or ":" in prefix or "*" in prefix:
        problems.append("log_stream_name_prefix must be at most 512 characters without ':' or '*'")
    limit = params.get("limit")
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        problems.append("limit must be between 1 and {0}, got {1}".format(MAX_LIMIT, limit))
    return problems, times["start_time"], times["end_time"]


def filter_request(params, start_ms, end_ms):
    """The FilterLogEvents request (without paging)."""
    request = dict(logGroupName=params["log_group_name"], startTime=start_ms)
    if end_ms is not None:
        request["endTime"] = end_ms
    if params.get("filter_pattern"):
        request["filterPattern"] = params["filter_pattern"]
    if params.get("log_stream_name_prefix"):
        request["logStreamNamePrefix"] = params["log_stream_name_prefix"]
    return request


def kept(events, limit, keep):
    """(the events returned, whether some were left out): the newest or oldest ``limit``, oldest first."""
    chosen = events[-limit:] if keep == "newest" else events[:limit]
    return chosen, len(events) > limit


def event_result(event):
    message = event.get("message", "")
    if message.endswith("\n"):
        message = message[:-1].rstrip("\r")
    return dict(
        timestamp=iso(event.get("timestamp", 0)),
        log_stream_name=event.get("logStreamName", ""),
        message=message,
    )


def read(module, request):
    """Every matching event (``keep: newest``), or the first ``limit`` and one more to tell whether
    some were left out (``keep: oldest``)."""
    params = module.params
    if params["keep"] == "oldest":
        request = dict(request, PaginationConfig=dict(MaxItems=params["limit"] + 1))
    logs = aws_client(module, "logs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        return paginate(logs, "filter_log_events", **request).get("events") or []
    except is_boto3_error_code("ResourceNotFoundException"):
        module.fail_json(msg="log_group_name: no log group {0}".format(params["log_group_name"]))
    except is_boto3_error_code("InvalidParameterException") as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(
            e,
            msg="CloudWatch Logs refused to filter {0} (filter_pattern {1!r})".format(
                params["log_group_name"], params["filter_pattern"]
            ),
        )
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to filter the log events of {0}".format(params["log_group_name"]))


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True, aliases=["log_group"]),
        start_time=dict(type="str", required=True),
        end_time=dict(type="str"),
        filter_pattern=dict(type="str", default=""),
        log_stream_name_prefix=dict(type="str", default=""),
        limit=dict(type="int", default=200),
        keep=dict(type="str", choices=["newest", "oldest"], default="newest"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems, start_ms, end_ms = check_params(module.params, int(time.time() * 1000))
    if problems:
        module.fail_json(msg="; ".join(problems))

    events, truncated = kept(
        read(module, filter_request(module.params, start_ms, end_ms)), module.params["limit"], module.params["keep"]
    )
    module.exit_json(
        changed=False,
        events=[event_result(e) for e in events],
        truncated=truncated,
        log_group_name=module.params["log_group_name"],
        start_time=iso(start_ms),
        end_time=iso(end_ms) if end_ms is not None else "",
    )


if __name__ == "__main__":
    main()
