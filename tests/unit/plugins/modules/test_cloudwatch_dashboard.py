# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the cloudwatch_dashboard module's pure logic (body parsing, argument checks)."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ajudadigital.openwebui.plugins.modules import cloudwatch_dashboard
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules

BODY = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "hi"}}]}


def test_parse_body_accepts_a_dict_or_a_json_string():
    assert cloudwatch_dashboard.parse_body(BODY) == (BODY, None)
    assert cloudwatch_dashboard.parse_body(json.dumps(BODY)) == (BODY, None)


@pytest.mark.parametrize(
    "body, message",
    [
        ("{not json", "body must be a JSON object"),
        ("[1, 2]", "got list"),
        ('{"widget": []}', "'widgets' list"),
        ({"widgets": {}}, "'widgets' list"),
    ],
)
def test_parse_body_names_the_problem(body, message):
    parsed, error = cloudwatch_dashboard.parse_body(body)
    assert parsed is None
    assert message in error


def test_canonical_ignores_key_order_and_spacing():
    reordered = {
        "widgets": [{"properties": {"markdown": "hi"}, "height": 2, "width": 6, "y": 0, "x": 0, "type": "text"}]
    }
    assert cloudwatch_dashboard.canonical(BODY) == cloudwatch_dashboard.canonical(reordered)
    assert " " not in cloudwatch_dashboard.canonical({"widgets": []})


@pytest.fixture
def no_sdk_check(monkeypatch):
    """The argument checks come before any AWS call: they need no boto3 (ansible-test units has none)."""
    monkeypatch.setattr(aws_modules, "check_sdk_version_supported", lambda warn=None: True)


def run_main(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        cloudwatch_dashboard.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_present_needs_a_body(capsys, no_sdk_check):
    code, result = run_main(capsys, {"name": "stack"})
    assert code == 1
    assert "body" in result["msg"]


def test_bad_body_fails_before_any_aws_call(capsys, no_sdk_check):
    code, result = run_main(capsys, {"name": "stack", "body": '{"rows": []}'})
    assert code == 1
    assert result["msg"] == "body must have a 'widgets' list"


def test_bad_name_fails_before_any_aws_call(capsys, no_sdk_check):
    code, result = run_main(capsys, {"name": "my stack/dashboard", "body": BODY})
    assert code == 1
    assert result["msg"].startswith("name must be 1 to 255 letters")
