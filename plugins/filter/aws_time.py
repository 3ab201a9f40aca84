# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``ajudadigital.openwebui.aws_time`` filter (documented in aws_time.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible.errors import AnsibleFilterError

# What AWS modules return for a timestamp: ISO 8601 with a UTC offset (botocore's datetimes,
# serialised), with or without fractional seconds; "Z" for UTC; or a space for the "T".
ISO_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def aws_time(value):
    """Seconds since the epoch (a float, UTC) of a timestamp; 0.0 for an empty one."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return (moment - EPOCH).total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value is None or str(value).strip() == "":
        return 0.0
    match = ISO_TIME.match(str(value).strip())
    if not match:
        raise AnsibleFilterError(
            "aws_time: expected an ISO 8601 timestamp such as 2026-12-07T06:30:00.123456+00:00, got %r" % (value,)
        )
    fraction = (match.group("fraction") or "0")[:6].ljust(6, "0")
    offset = match.group("offset") or "Z"
    if offset == "Z":
        zone = datetime.timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = datetime.datetime.strptime(
        "%s %s.%s" % (match.group("date"), match.group("time"), fraction), "%Y-%m-%d %H:%M:%S.%f"
    ).replace(tzinfo=zone)
    return (moment - EPOCH).total_seconds()


class FilterModule(object):
    def filters(self):
        return {"aws_time": aws_time}
