"""`make local`: deploy the whole stack into local mode, twice, and show it.

1. start the local services (AWS emulator + PostgreSQL with pgvector);
2. ``ansible-playbook site.yml -i inventories/local``;
3. the same again, which must report ``changed=0``;
4. ``playbooks/verify.yml``: the stack is wired as designed;
5. print what was deployed (resource, id, state) and the app URL;
6. stop the services, unless ``--keep`` (then print how to use and stop them).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tools.local_services import REPO, LocalServices, install_signal_handlers, state_dir_from_env
from tools.local_services.__main__ import _env_lines
from tools.local_services.postgres import DEFAULT_FLAVOUR

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counts per host."""
    return {
        m.group(1): {
            "ok": int(m.group(2)),
            "changed": int(m.group(3)),
            "unreachable": int(m.group(4)),
            "failed": int(m.group(5)),
        }
        for m in RECAP.finditer(ANSI.sub("", output))
    }


def run_playbook(env: dict, *args: str, title: str) -> tuple[int, str, float]:
    print(f"\n==> {title}: ansible-playbook {' '.join(args)}", flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "ansible-playbook"), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    proc.wait()
    return proc.returncode, "".join(lines), time.monotonic() - start


def deployed_table(services: LocalServices, stack: str) -> list[tuple[str, str, str]]:
    """Every resource in the emulator tagged with the stack, with a state where one exists."""
    import boto3

    env = services.env()
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )
    client = session.client("resourcegroupstaggingapi", endpoint_url=env["AWS_ENDPOINT_URL"])
    rows = []
    paginator = client.get_paginator("get_resources")
    for page in paginator.paginate(TagFilters=[{"Key": "Stack", "Values": [stack]}]):
        for item in page["ResourceTagMappingList"]:
            arn = item["ResourceARN"]
            parts = arn.split(":", 5)
            service, resource = parts[2], parts[5]
            sep = "/" if "/" in resource else ":"
            kind, ident = resource.split(sep, 1) if sep in resource else (resource, "")
            rows.append((f"{service}:{kind}", ident or kind, "tagged"))
    return sorted(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the local services running")
    parser.add_argument("--flavour", default=os.environ.get("OPENWEBUI_LOCAL_POSTGRES", DEFAULT_FLAVOUR))
    args, extra = parser.parse_known_args(argv)

    services = LocalServices(
        state_dir_from_env(), postgres_flavour=args.flavour, pending=os.environ.get("OPENWEBUI_LOCAL_PENDING", "")
    )
    install_signal_handlers(services)
    print("==> starting the local services (AWS emulator, PostgreSQL + pgvector)", flush=True)
    services.start()
    try:
        env = dict(os.environ, **services.env(), ANSIBLE_FORCE_COLOR=os.environ.get("ANSIBLE_FORCE_COLOR", "1"))
        rc, _output, first = run_playbook(env, "site.yml", "-i", "inventories/local", *extra, title="deploy")
        if rc:
            print(f"\nmake local: the deploy failed (exit {rc})", file=sys.stderr)
            return rc
        rc, out, second = run_playbook(
            env, "site.yml", "-i", "inventories/local", *extra, title="deploy again (must change nothing)"
        )
        counts = recap(out)
        if rc or not counts or any(c["changed"] for c in counts.values()):
            print(f"\nmake local: the second run was not clean (exit {rc}, recap {counts})", file=sys.stderr)
            return rc or 1
        print(f"\n==> second run: changed=0 on {', '.join(sorted(counts))}")
        print(f"    first deploy {first:.0f} s, no-change run {second:.0f} s")
        rc, _output, _elapsed = run_playbook(
            env, "playbooks/verify.yml", "-i", "inventories/local", *extra, title="verify the wiring"
        )
        if rc:
            print(f"\nmake local: the stack is not wired as designed (exit {rc})", file=sys.stderr)
            return rc

        rows = deployed_table(services, "openwebui-local")
        print(f"\n==> deployed into the local emulator ({len(rows)} tagged resources)")
        width = max((len(r[0]) for r in rows), default=8)
        print(f"    {'resource':<{width}}  id")
        for kind, ident, _unused in rows:
            print(f"    {kind:<{width}}  {ident}")
        print("\n    app URL (in AWS): https://openwebui.local.test")
        if args.keep:
            services._stopped = True  # leave them running
            print("\n==> the local services keep running; in a shell:")
            print("    " + "\n    ".join(_env_lines(services.state, services.state_dir)))
            print("    aws ec2 describe-vpcs   # aws CLI and boto3 use AWS_ENDPOINT_URL")
            print("    psql                    # PG* variables point at the local PostgreSQL")
            print("    stop them with: make services-stop")
        return 0
    finally:
        if not args.keep:
            services.stop()
            print("==> local services stopped")


if __name__ == "__main__":
    sys.exit(main())
