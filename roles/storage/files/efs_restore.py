"""Move the files AWS Backup restored into place on the stack's EFS (playbooks/restore.yml).

A one-off ECS task runs this (``python3 -c``) with the file system's root mounted at
``FS_ROOT``, as root (the role ``<stack>-efs-restore``, no access point). AWS Backup never
restores over an EFS file system: it restores a recovery point into a new directory
``aws-backup-restore_<time>`` off the root, which holds the file system as it was.

* ``MODE=swap``: the newest ``aws-backup-restore_*/<DATA_PATH>`` becomes ``<DATA_PATH>``
  (the access point's directory, which the app mounts); what was there is kept as
  ``<DATA_PATH>-replaced-<TOKEN>``, and the rest of the restored directory is deleted. Run
  again with the same ``TOKEN`` (an interrupted restore), it finishes what is left, or says
  the files are in place and changes nothing.
* ``MODE=cleanup``: deletes every ``<DATA_PATH>-replaced-*`` and ``aws-backup-restore_*``.

Every action prints one line that starts with ``efs-restore:``. Exit code 3: no restored
directory holds ``DATA_PATH``; 2: a bad setting. Nothing here reads a secret.
"""

import os
import shutil
import sys
from pathlib import Path

RESTORED = "aws-backup-restore_"


def say(line):
    print("efs-restore: " + line, flush=True)


def swap(root, data, token):
    target = root / data
    replaced = target.with_name(f"{target.name}-replaced-{token}")
    shown = "/" + str(replaced.relative_to(root))
    if replaced.exists() and target.exists():
        say(f"already in place; the files the restore replaced are in {shown}")
        return 0
    sources = sorted((d for d in root.glob(RESTORED + "*") if (d / data).is_dir()), reverse=True)
    if not sources:
        print(
            f"efs-restore: no {RESTORED}*/{data} on the file system: nothing restored to move in place",
            file=sys.stderr,
        )
        return 3
    source = sources[0]
    if not replaced.exists():
        if target.exists():
            target.rename(replaced)
        else:
            replaced.mkdir(parents=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    (source / data).rename(target)
    shutil.rmtree(source)
    say(f"moved /{source.name}/{data} to /{data}; the files it replaced are in {shown}")
    return 0


def cleanup(root, data):
    target = root / data
    gone = sorted([*target.parent.glob(target.name + "-replaced-*"), *root.glob(RESTORED + "*")])
    for path in gone:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        say(f"deleted /{path.relative_to(root)}")
    say("deleted {} director{}".format(len(gone), "y" if len(gone) == 1 else "ies"))
    return 0


def main(environ):
    root = Path(environ.get("FS_ROOT", ""))
    data = environ.get("DATA_PATH", "").strip("/")
    mode, token = environ.get("MODE", ""), environ.get("TOKEN", "")
    if not root.is_absolute() or not root.is_dir() or not data or ".." in data.split("/"):
        print("efs-restore: FS_ROOT must be the mounted root and DATA_PATH a directory under it", file=sys.stderr)
        return 2
    if mode == "swap" and token.isalnum():
        return swap(root, data, token.lower())
    if mode == "cleanup":
        return cleanup(root, data)
    print("efs-restore: MODE must be swap (with an alphanumeric TOKEN) or cleanup", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(os.environ))
