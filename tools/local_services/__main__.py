"""CLI of the local services.

    python -m tools.local_services start [--flavour pgserver|embedded] [--pending rds=20,elasticache=6,...]
                                         [--run-tasks]   # ECS runs a process per task
    python -m tools.local_services status
    python -m tools.local_services env        # export lines for a shell
    python -m tools.local_services stop
    python -m tools.local_services run -- CMD ...   # start, run CMD with the env, stop

The state directory is ``$OPENWEBUI_LOCAL_STATE`` (default ``.local/run``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys

from tools import ansible_strategy

from . import LocalServices, install_signal_handlers, state_dir_from_env, stop_from_state
from .emulator import parse_pending, parse_time_scale
from .postgres import DEFAULT_FLAVOUR
from .util import pid_alive


def _env_lines(state: dict, state_dir) -> list[str]:
    pg = state.get("postgres")
    lines = [
        f"export AWS_ENDPOINT_URL={state['aws_endpoint_url']}",
        f"export AWS_ACCESS_KEY_ID={state['aws_access_key_id']}",
        f"export AWS_SECRET_ACCESS_KEY={state['aws_secret_access_key']}",
        f"export AWS_DEFAULT_REGION={state['aws_region']}",
        f"export OPENWEBUI_LOCAL_STATE={state_dir}",
        # mitogen's persistent interpreter for ansible-playbook (tools/ansible_strategy.py)
        *(f"export {name}={shlex.quote(value)}" for name, value in ansible_strategy.env().items()),
    ]
    if pg:
        lines += [
            f"export PGHOST={pg['host']} PGPORT={pg['port']} PGUSER={pg['user']} PGDATABASE={pg['database']}",
            f"export PGPASSWORD={shlex.quote(pg['password'])}",
            f"export PGSSLMODE=verify-full PGSSLROOTCERT={shlex.quote(pg['ca_file'])}",
        ]
    if "rds" in state:  # the RDS instances' servers (rds_servers): TLS checked against their CA
        lines.append(f"export PGSSLMODE=verify-full PGSSLROOTCERT={shlex.quote(state['rds']['ca_file'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local_services", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status", "env", "run"])
    parser.add_argument(
        "--flavour",
        default=os.environ.get("OPENWEBUI_LOCAL_POSTGRES", DEFAULT_FLAVOUR),
        choices=["pgserver", "embedded"],
    )
    parser.add_argument("--pending", default=os.environ.get("OPENWEBUI_LOCAL_PENDING", ""))
    parser.add_argument("--time-scale", default=os.environ.get("OPENWEBUI_LOCAL_TIME_SCALE", ""))
    parser.add_argument("--run-tasks", action="store_true", help="the emulator's ECS runs tasks for real")
    # Only what follows ``--`` is the command of ``run``: options after the subcommand
    # (``start --pending ...``) are options, not swallowed into a command.
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, cmd = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = parser.parse_args(argv)
    state_dir = state_dir_from_env()
    state_file = state_dir / "services.json"

    if args.command == "stop":
        print("stopped" if stop_from_state(state_dir) else "nothing was running")
        return 0
    if args.command in ("status", "env"):
        if not state_file.exists():
            print("local services: not running", file=sys.stderr)
            return 1
        state = json.loads(state_file.read_text())
        if args.command == "env":
            print("\n".join(_env_lines(state, state_dir)))
            return 0
        for name, pid in state["pids"].items():
            print(f"{name:10} pid {pid:<8} {'running' if pid_alive(pid) else 'DEAD'}")
        print(f"aws endpoint {state['aws_endpoint_url']}")
        if "postgres" in state:
            pg = state["postgres"]
            print(f"postgres     {pg['host']}:{pg['port']} ({pg['flavour']})")
        if "rds" in state:
            print(f"rds ca       {state['rds']['ca_file']}")
        if "elasticache" in state:
            print(f"cache ca     {state['elasticache']['ca_file']}")
        return 0

    try:
        parse_pending(args.pending)
    except ValueError as exc:
        parser.error(f"--pending / OPENWEBUI_LOCAL_PENDING: {exc}")
    try:
        parse_time_scale(args.time_scale)
    except ValueError as exc:
        parser.error(f"--time-scale / OPENWEBUI_LOCAL_TIME_SCALE: {exc}")
    services = LocalServices(
        state_dir,
        postgres_flavour=args.flavour,
        pending=args.pending,
        time_scale=args.time_scale,
        run_tasks=args.run_tasks,
    )
    if args.command == "start":
        state = services.start()
        services._stopped = True  # detached: left running for `stop`
        print("\n".join(_env_lines(state, state_dir)))
        return 0

    # run -- CMD
    if not cmd:
        parser.error("run needs a command after --")
    install_signal_handlers(services)
    with services:
        env = dict(os.environ, **services.env())
        return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    sys.exit(main())
