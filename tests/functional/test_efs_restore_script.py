"""roles/storage/files/efs_restore.py, run as the restore task runs it (``python3 -c``), on a
folder that stands for the EFS root: the swap moves the newest restored directory in place and
keeps what was there, a re-run changes nothing, an interrupted swap is finished, and clean-up
deletes what restores left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = (Path(__file__).resolve().parents[2] / "roles/storage/files/efs_restore.py").read_text()


def run(root: Path, mode: str, token: str = "", data: str = "/openwebui") -> subprocess.CompletedProcess:
    env = {"FS_ROOT": str(root), "DATA_PATH": data, "MODE": mode, "TOKEN": token, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def root(tmp_path):
    (tmp_path / "openwebui").mkdir()
    (tmp_path / "openwebui" / "file.txt").write_text("now")
    for stamp, text in (("2026-12-06T10-00-00-000000000Z", "older"), ("2026-12-07T09-00-00-000000000Z", "restored")):
        (tmp_path / f"aws-backup-restore_{stamp}" / "openwebui").mkdir(parents=True)
        (tmp_path / f"aws-backup-restore_{stamp}" / "openwebui" / "file.txt").write_text(text)
    return tmp_path


def test_swap_moves_the_newest_restore_in_place_and_keeps_the_replaced_files(root):
    done = run(root, "swap", "AB12")
    assert done.returncode == 0, done.stderr
    assert (root / "openwebui" / "file.txt").read_text() == "restored"
    assert (root / "openwebui-replaced-ab12" / "file.txt").read_text() == "now"
    assert not (root / "aws-backup-restore_2026-12-07T09-00-00-000000000Z").exists()
    assert (
        "efs-restore: moved /aws-backup-restore_2026-12-07T09-00-00-000000000Z/openwebui to /openwebui" in done.stdout
    )

    again = run(root, "swap", "AB12")
    assert again.returncode == 0 and "already in place" in again.stdout, again
    assert (root / "openwebui" / "file.txt").read_text() == "restored"


def test_an_interrupted_swap_is_finished(root):
    (root / "openwebui").rename(root / "openwebui-replaced-ab12")  # stopped between the two moves
    done = run(root, "swap", "ab12")
    assert done.returncode == 0, done.stderr
    assert (root / "openwebui" / "file.txt").read_text() == "restored"
    assert (root / "openwebui-replaced-ab12" / "file.txt").read_text() == "now"


def test_nothing_restored_fails_with_3_and_changes_nothing(tmp_path):
    (tmp_path / "openwebui").mkdir()
    done = run(tmp_path, "swap", "ab12")
    assert done.returncode == 3 and "nothing restored to move in place" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["openwebui"]


def test_cleanup_deletes_the_replaced_files_and_the_restored_directories(root):
    assert run(root, "swap", "ab12").returncode == 0
    done = run(root, "cleanup")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in root.iterdir()) == ["openwebui"]
    assert "efs-restore: deleted 2 directories" in done.stdout
    assert (root / "openwebui" / "file.txt").read_text() == "restored"


@pytest.mark.parametrize(
    ("mode", "token", "data"),
    [
        ("swap", "", "/openwebui"),
        ("swap", "a/b", "/openwebui"),
        ("move", "ab", "/openwebui"),
        ("swap", "ab", "/a/../b"),
    ],
)
def test_bad_settings_exit_2_and_touch_nothing(root, mode, token, data):
    before = sorted(p.name for p in root.iterdir())
    done = run(root, mode, token, data)
    assert done.returncode == 2, done
    assert sorted(p.name for p in root.iterdir()) == before
