"""`make local`: deploy the whole stack into local mode, twice, and show it.

1. build (once per machine) or find the cached Open WebUI virtualenv that the emulator's
   ECS runs the app's tasks from (``tools/openwebui_app.py``);
2. start the local services (AWS emulator in run-tasks mode + PostgreSQL with pgvector);
3. ``ansible-playbook site.yml -i inventories/local``: the deploy waits until the service's
   tasks (the real Open WebUI) are healthy behind the load balancer;
4. the same again, which must report ``changed=0``;
5. ``playbooks/verify.yml``: the stack is wired as designed;
6. print what was deployed, the local URL of Open WebUI (the load balancer's HTTPS
   listener on the front door) and how to sign in;
7. stop the services and the app's tasks, unless ``--keep`` (then print how to use and
   stop them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tools.local_services import REPO, LocalServices, install_signal_handlers, state_dir_from_env
from tools.local_services.__main__ import _env_lines
from tools.local_services.postgres import DEFAULT_FLAVOUR
from tools.openwebui_app import app_venv_path, ensure_app_venv

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


def run_playbook(env: dict, *args: str, title: str, bin_dir: Path | None = None) -> tuple[int, str, float]:
    """``ansible-playbook`` of this virtualenv (or of ``bin_dir``): exit code, output, seconds."""
    print(f"\n==> {title}: ansible-playbook {' '.join(args)}", flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(
        [str((bin_dir or Path(sys.executable).parent) / "ansible-playbook"), *args],
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


def front_door(state_dir: Path, load_balancer: str) -> dict[int, str]:
    """Listener port -> local URL of a load balancer, from the emulator's front-door.json."""
    path = state_dir / "front-door.json"
    balancers = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    return {x["port"]: x["url"] for b in balancers if b["name"] == load_balancer for x in b["listeners"]}


ADMIN_EMAIL = "admin@example.com"  # inventories/local: auth_admin_email
MASTER_USER = "openwebui_admin"  # the database role's database_master_username


def serving_lines(state_dir: Path, load_balancer: str, domain: str) -> list[str]:
    """Where a person opens Open WebUI locally, and how to sign in."""
    urls = front_door(state_dir, load_balancer)
    if 443 not in urls:
        return [f"no HTTPS listener of {load_balancer} is served locally (see {state_dir / 'emulator.log'})"]
    port = urls[443].rsplit(":", 1)[1]
    return [
        f"URL: {urls[443]}   (the load balancer's HTTPS listener; in AWS: https://{domain})",
        f"     the certificate is the stack's self-signed one for {domain}: your browser warns once, or use",
        f"     curl -k {urls[443]}/health, or chromium --host-resolver-rules='MAP {domain} 127.0.0.1'"
        f" https://{domain}:{port}",
        f"sign in: {ADMIN_EMAIL} (auth_admin_email), the first administrator the deploy made; its password:",
        f"     aws secretsmanager get-secret-value --secret-id {load_balancer}/webui-admin-password"
        " --query SecretString --output text   (with the AWS_* variables below; make local KEEP=1)",
        "     Cognito sign-in needs the hosted UI, which local mode does not serve yet",
        f"HTTP listener (redirects to HTTPS): {urls.get(80, '-')}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the local services running")
    parser.add_argument("--flavour", default=os.environ.get("OPENWEBUI_LOCAL_POSTGRES", DEFAULT_FLAVOUR))
    args, extra = parser.parse_known_args(argv)

    print(f"==> the Open WebUI app virtualenv ({app_venv_path()}; a first build takes minutes)", flush=True)
    started = time.monotonic()
    ensure_app_venv()
    print(f"    ready after {time.monotonic() - started:.0f} s", flush=True)
    services = LocalServices(
        state_dir_from_env(),
        postgres_flavour=args.flavour,
        pending=os.environ.get("OPENWEBUI_LOCAL_PENDING", ""),
        time_scale=os.environ.get("OPENWEBUI_LOCAL_TIME_SCALE", ""),
        run_tasks=True,
        rds_servers=True,  # the RDS instance is a real PostgreSQL server: the one local mode uses
        with_postgres=False,
    )
    install_signal_handlers(services)
    print("==> starting the local services (AWS emulator: ECS runs the tasks, RDS runs PostgreSQL)", flush=True)
    services.start()
    try:
        env = dict(os.environ, **services.env(), ANSIBLE_FORCE_COLOR=os.environ.get("ANSIBLE_FORCE_COLOR", "1"))
        rc, _output, first = run_playbook(env, "site.yml", "-i", "inventories/local", *extra, title="deploy")
        if rc:
            print(f"\nmake local: the deploy failed (exit {rc})", file=sys.stderr)
            return rc
        serving = time.monotonic() - started  # the deploy waits until the tasks are healthy
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
        print(f"\n==> Open WebUI serves (since {serving:.0f} s after the start: the first deploy's end)")
        print("    " + "\n    ".join(serving_lines(services.state_dir, "openwebui-local", "openwebui.local.test")))
        if args.keep:
            services._stopped = True  # leave them running
            print("\n==> the local services keep running; in a shell:")
            print("    " + "\n    ".join(_env_lines(services.state, services.state_dir)))
            print("    aws ec2 describe-vpcs   # aws CLI and boto3 use AWS_ENDPOINT_URL")
            print(
                f"    psql 'host=<endpoint address of the RDS instance> user={MASTER_USER} dbname=postgres'"
                "   # the RDS master; its password is in <stack>/database-master"
            )
            print("    stop them (and the app's tasks) with: make services-stop")
        return 0
    finally:
        if not args.keep:
            services.stop()
            print("==> local services stopped")


if __name__ == "__main__":
    sys.exit(main())
