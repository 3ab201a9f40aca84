"""efs_access_point against the local emulator: check mode, create, unchanged, tags, replace, absent."""

from __future__ import annotations

import pytest

from tests.functional.return_docs import assert_documented

NAME = "ajudadigital.openwebui.efs_access_point"


@pytest.fixture(scope="module")
def efs(emulator):
    client = emulator.client("efs")
    file_system_id = client.create_file_system(CreationToken="functional-efs-ap", Encrypted=True)["FileSystemId"]
    return dict(connection=emulator.module_connection(), client=client, fs=file_system_id)


def args(efs, **extra):
    base = dict(
        file_system_id=efs["fs"],
        name="functional-data",
        path="/openwebui",
        posix_user=dict(uid=1000, gid=1000),
        creation_info=dict(owner_uid=1000, owner_gid=1000, permissions="0750"),
        tags={"Stack": "functional"},
        **efs["connection"],
    )
    return dict(base, **extra)


def access_points(efs):
    return efs["client"].describe_access_points(FileSystemId=efs["fs"])["AccessPoints"]


def test_lifecycle(ansible, efs):
    run = ansible.module(NAME, args(efs), check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    assert run.result["diff"]["after"]["root_directory"]["path"] == "/openwebui"
    assert access_points(efs) == [], "check mode created an access point"

    run = ansible.module(NAME, args(efs))
    assert run.rc == 0, run.output
    assert run.result["changed"] is True
    created = access_points(efs)
    assert len(created) == 1
    assert created[0]["PosixUser"] == {"Uid": 1000, "Gid": 1000}
    assert created[0]["RootDirectory"]["Path"] == "/openwebui"
    assert created[0]["RootDirectory"]["CreationInfo"]["Permissions"] == "0750"
    assert run.result["access_point_id"] == created[0]["AccessPointId"]
    assert run.result["access_point_arn"] == created[0]["AccessPointArn"]
    assert run.result["access_point"]["tags"] == {"Stack": "functional", "Name": "functional-data"}

    run = ansible.module(NAME, args(efs))
    assert run.rc == 0, run.output
    assert run.result["changed"] is False
    assert run.result["access_point_id"] == created[0]["AccessPointId"]

    run = ansible.module(NAME, args(efs, tags={"Stack": "functional", "Owner": "tests"}), diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["access_point"]["tags"] == {"Stack": "functional", "Owner": "tests", "Name": "functional-data"}
    assert access_points(efs)[0]["AccessPointId"] == created[0]["AccessPointId"], "a tag change must not replace it"

    run = ansible.module(NAME, args(efs, state="absent"), check=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert len(access_points(efs)) == 1, "check mode deleted the access point"

    run = ansible.module(NAME, args(efs, state="absent"))
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert access_points(efs) == []

    run = ansible.module(NAME, args(efs, state="absent"))
    assert run.rc == 0 and run.result["changed"] is False, run.output


def test_immutable_change_replaces_the_access_point(ansible, efs):
    run = ansible.module(NAME, args(efs, name="functional-replace"))
    assert run.rc == 0, run.output
    assert_documented("efs_access_point", run.result)
    first = run.result["access_point_id"]
    changed = args(efs, name="functional-replace", posix_user=dict(uid=0, gid=0))

    # without allow_replacement: a clear failure naming the setting, and nothing changed
    run = ansible.module(NAME, changed)
    assert run.rc != 0, run.output
    assert "posix_user" in run.result["msg"] and "allow_replacement" in run.result["msg"], run.output
    assert run.result["immutable_differences"] == ["posix_user"]
    current = [ap for ap in access_points(efs) if ap.get("Name") == "functional-replace"]
    assert [ap["AccessPointId"] for ap in current] == [first], "a refused replacement changed the access point"

    # check mode + diff mode show the replacement and change nothing
    changed["allow_replacement"] = True
    run = ansible.module(NAME, changed, check=True, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["replaced"] is True and run.result["replaced_settings"] == ["posix_user"]
    assert run.result["diff"]["before"]["posix_user"] == {"uid": 1000, "gid": 1000}
    assert run.result["diff"]["after"]["posix_user"] == {"uid": 0, "gid": 0}
    assert_documented("efs_access_point", run.result)
    assert [ap["AccessPointId"] for ap in access_points(efs) if ap.get("Name") == "functional-replace"] == [first]

    run = ansible.module(NAME, changed, diff=True)
    assert run.rc == 0 and run.result["changed"] is True, run.output
    assert run.result["replaced"] is True and run.result["replaced_settings"] == ["posix_user"]
    assert run.result["diff"]["after"]["posix_user"] == {"uid": 0, "gid": 0}
    assert_documented("efs_access_point", run.result)
    current = [ap for ap in access_points(efs) if ap.get("Name") == "functional-replace"]
    assert len(current) == 1 and current[0]["AccessPointId"] != first
    assert current[0]["PosixUser"] == {"Uid": 0, "Gid": 0}
    run = ansible.module(NAME, changed)
    assert run.rc == 0 and run.result["changed"] is False and run.result["replaced"] is False, run.output
    assert ansible.module(NAME, args(efs, name="functional-replace", state="absent")).rc == 0


def test_missing_file_system_fails_by_name(ansible, efs):
    run = ansible.module(NAME, args(efs, file_system_id="fs-00000000"))
    assert run.rc != 0
    assert "fs-00000000" in run.result.get("msg", run.output)
