# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the backup_restore_job module's pure logic (option checks, metadata, change)."""

from __future__ import absolute_import, division, print_function

import datetime

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.modules import backup_restore_job

POINT = "arn:aws:backup:eu-west-1:123456789012:recovery-point:0A1B2C3D-0000-4000-8000-123456789ABC"
GOOD = dict(recovery_point_arn=POINT, idempotency_token="openwebui-prod-1a2b", wait_timeout=60, poll_interval=5)


def test_good_options_pass():
    assert backup_restore_job.option_problem(GOOD) is None
    assert backup_restore_job.option_problem(dict(GOOD, idempotency_token=None)) is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"idempotency_token": "x" * 51}, "idempotency_token"),
        ({"idempotency_token": ""}, "idempotency_token"),
        ({"idempotency_token": "a/b"}, "idempotency_token"),
        ({"recovery_point_arn": "0A1B2C3D"}, "recovery_point_arn"),
        ({"poll_interval": 0}, "poll_interval"),
        (
            {"source_resource_arn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1"},
            "backup_vault_name",
        ),
    ],
)
def test_bad_options_are_named(change, named):
    assert named in backup_restore_job.option_problem(dict(GOOD, **change))


def test_metadata_values_are_strings_and_booleans_lower_case():
    assert backup_restore_job.as_strings({"newFileSystem": False, "Encrypted": True, "file-system-id": "fs-1"}) == {
        "newFileSystem": "false",
        "Encrypted": "true",
        "file-system-id": "fs-1",
    }


def test_a_job_created_before_the_run_is_no_change():
    now = datetime.datetime(2026, 12, 7, 12, 0, 0, tzinfo=datetime.UTC)
    earlier = dict(CreationDate=now - datetime.timedelta(minutes=3))
    just_now = dict(CreationDate=now + datetime.timedelta(seconds=1))
    skewed = dict(CreationDate=now - datetime.timedelta(seconds=2))  # AWS's clock a little behind
    assert backup_restore_job.started_before(earlier, now) is True
    assert backup_restore_job.started_before(just_now, now) is False
    assert backup_restore_job.started_before(skewed, now) is False
    assert backup_restore_job.started_before({}, now) is False


def test_a_point_of_another_resource_or_not_completed_is_named():
    params = dict(GOOD, source_resource_arn="arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1")
    ours = dict(Status="COMPLETED", ResourceArn=params["source_resource_arn"])
    assert backup_restore_job.point_problem(ours, params) is None
    assert "source_resource_arn" in backup_restore_job.point_problem(dict(ours, ResourceArn="arn:other"), params)
    assert "not COMPLETED" in backup_restore_job.point_problem(dict(ours, Status="PARTIAL"), params)
