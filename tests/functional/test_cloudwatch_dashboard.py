"""cloudwatch_dashboard against the local emulator: check mode, create, unchanged, change, absent."""

from __future__ import annotations

import json

import pytest

NAME = "functional-dashboard"
MODULE = "ajudadigital.openwebui.cloudwatch_dashboard"


def widget(text: str) -> dict:
    return {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": text}}


@pytest.fixture(scope="module")
def aws(emulator):
    return emulator.client("cloudwatch"), emulator.module_connection()


def names(cloudwatch) -> list[str]:
    return [d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]]


def test_lifecycle(ansible, aws):
    cloudwatch, connection = aws
    body = {"widgets": [widget("first")]}
    args = dict(connection, name=NAME, body=body)

    run = ansible.module(MODULE, args, check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"] == {"before": {}, "after": body}
    assert NAME not in names(cloudwatch), "check mode created the dashboard"

    run = ansible.module(MODULE, args)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["dashboard_arn"].endswith(":dashboard/" + NAME)
    assert json.loads(cloudwatch.get_dashboard(DashboardName=NAME)["DashboardBody"]) == body

    # The same body as a JSON string with other spacing and key order: no change.
    same = json.dumps({"widgets": [dict(reversed(list(widget("first").items())))]}, indent=2)
    run = ansible.module(MODULE, dict(connection, name=NAME, body=same))
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    assert run.result["dashboard_body"] == body

    changed = {"widgets": [widget("second")]}
    run = ansible.module(MODULE, dict(connection, name=NAME, body=changed), check=True, diff=True)
    assert run.result["changed"] is True
    assert run.result["diff"] == {"before": body, "after": changed}
    assert json.loads(cloudwatch.get_dashboard(DashboardName=NAME)["DashboardBody"]) == body

    run = ansible.module(MODULE, dict(connection, name=NAME, body=changed), diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"]["before"] == body
    assert json.loads(cloudwatch.get_dashboard(DashboardName=NAME)["DashboardBody"]) == changed

    absent = dict(connection, name=NAME, state="absent")
    run = ansible.module(MODULE, absent, check=True)
    assert run.result["changed"] is True
    assert NAME in names(cloudwatch), "check mode deleted the dashboard"

    run = ansible.module(MODULE, absent, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"] == {"before": changed, "after": {}}
    assert NAME not in names(cloudwatch)

    run = ansible.module(MODULE, absent)
    assert run.rc == 0, run.output
    assert run.result["changed"] is False


def test_bad_body_fails_naming_the_option(ansible, aws):
    connection = aws[1]
    run = ansible.module(MODULE, dict(connection, name=NAME, body={"rows": []}))
    assert run.rc != 0
    assert "widgets" in run.output
