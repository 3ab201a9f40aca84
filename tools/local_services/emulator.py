"""The project's launcher of the moto server: the local AWS emulator.

Run as ``python -m tools.local_services.emulator --port N``. It

* sets the moto options the stack needs (``MOTO_IAM_LOAD_MANAGED_POLICIES`` so that
  AWS managed policies such as ``AmazonECSTaskExecutionRolePolicy`` exist,
  ``MOTO_EC2_LOAD_DEFAULT_AMIS=false`` for a fast start);
* applies the project's fixes to moto (``tools.local_services.moto_fixes``): each one
  small and named after the AWS behaviour it restores; it refuses to start on a moto
  version other than the one the fixes were written for;
* optionally holds chosen resources in their pending state for a set number of
  seconds (``--pending rds=20,nat=5,elb=8,ecs=10,elasticache=6``), as AWS does;
* optionally runs the clock of CloudWatch metrics, alarms and autoscaling faster
  (``--time-scale 0.05``: a metric minute lasts 3 seconds; default 1, AWS's timing);
* writes one JSON line per request to ``--request-log`` (service, action, status;
  never a body, so no secret can land there);
* optionally enforces IAM (``--enforce-iam N``: moto's ``INITIAL_NO_AUTH_ACTION_COUNT``):
  the first N requests run unchecked (to create users and keys), every later one must
  be signed by an IAM user's key and be allowed by its policies;
* with ``--tasks-dir DIR`` (run-tasks mode), runs ECS tasks for real: a process per
  task, target health, deployments, the load balancers' listeners on local ports and the
  cache clusters as real Redis servers (``tools.local_services.ecs_runner``); their files
  go to DIR; with ``--rds-servers`` too, every RDS ``postgres`` instance is a real
  PostgreSQL server whose snapshots hold its data (``tools.local_services.rds_servers``,
  files in DIR's parent, the state directory);
* listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path


def parse_pending(text: str) -> dict[str, float]:
    """``rds=20,nat=5`` -> ``{"rds": 20.0, "nat": 5.0}``; a kind the emulator does not
    simulate (``moto_fixes.PENDING_KINDS``) or a bad number fails with a clear error."""
    from .moto_fixes import PENDING_ALIASES, PENDING_KINDS

    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, seconds = item.split("=", 1) if "=" in item else (item, "0")
        name = PENDING_ALIASES.get(name.strip(), name.strip())
        if name not in PENDING_KINDS:
            raise ValueError(f"pending: unknown kind {name!r} in {text!r}; known: {', '.join(PENDING_KINDS)}")
        try:
            result[name] = float(seconds)
        except ValueError:
            raise ValueError(f"pending: {item!r} is not <kind>=<seconds>") from None
        if result[name] < 0:
            raise ValueError(f"pending: {item!r}: seconds must not be negative")
    return result


def parse_time_scale(text: str | float | None) -> float:
    """``"0.05"`` -> ``0.05``: the factor of AWS's metric periods, ECS's metric samples and
    the autoscaling cooldowns (``autoscaling.TIME_SCALE``); empty: 1, AWS's timing. Not a
    number, or not in (0, 1]: a clear error."""
    if text is None or str(text).strip() == "":
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"time scale: {text!r} is not a number (e.g. 0.05: a minute lasts 3 s)") from None
    if not 0 < value <= 1:
        raise ValueError(f"time scale: {text!r} must be more than 0 and at most 1 (1: AWS's timing)")
    return value


def _action_of(environ: dict) -> tuple[str, str]:
    """Best-effort (service, action) of a request, from headers and query only."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = ""
    if "Credential=" in auth:
        parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(parts) >= 4:
            service = parts[3]
    if target:
        return service, target.rsplit(".", 1)[-1]
    query = environ.get("QUERY_STRING", "")
    for pair in query.split("&"):
        if pair.startswith("Action="):
            return service, pair[len("Action=") :]
    return service, f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"


class RequestLog:
    """WSGI middleware: one JSON line per request, no bodies."""

    def __init__(self, app, path: str | None):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not self.path or environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        service, action = _action_of(environ)
        # Form-encoded Query APIs (EC2, IAM, RDS, ...) carry the action in the body.
        if action.startswith("POST "):
            action = _peek_form_action(environ) or action
        status_holder = {}
        started = time.time()

        def _start(status, headers, exc_info=None):
            status_holder["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        result = self.app(environ, _start)
        # t: when the answer was ready (the line is written then); start: when the request came in.
        entry = {
            "t": round(time.time(), 3),
            "start": round(started, 3),
            "service": service,
            "action": action,
            "status": status_holder.get("status", ""),
        }
        if " /" in action:  # REST APIs: the names of the query parameters tell the operation (values never)
            entry["query"] = sorted({p.split("=", 1)[0] for p in environ.get("QUERY_STRING", "").split("&") if p})
        line = json.dumps(entry)
        with self.lock, open(self.path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
        return result


def _peek_form_action(environ) -> str:
    """Read ``Action=`` from a form body and put the body back for moto."""
    import io
    from urllib.parse import parse_qs

    if "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return ""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    values = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return values[0] if values else ""


def build_app(request_log: str | None, pending: dict[str, float], time_scale: float = 1.0):
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import moto_fixes

    moto_fixes.apply(pending=pending, time_scale=time_scale)
    return RequestLog(DomainDispatcherApplication(create_backend_app), request_log)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request-log", default=None)
    parser.add_argument("--pending", default="", help="resource=seconds,... to hold in pending")
    parser.add_argument(
        "--time-scale", default="", help="factor of metric periods, ECS samples and scaling cooldowns (default 1)"
    )
    parser.add_argument("--enforce-iam", type=int, default=None, metavar="N", help="enforce IAM after N requests")
    parser.add_argument("--tasks-dir", default=None, help="run ECS tasks for real; their files go here")
    parser.add_argument(
        "--rds-servers", action="store_true", help="with --tasks-dir: a real PostgreSQL server per RDS instance"
    )
    args = parser.parse_args(argv)
    os.environ["MOTO_PORT"] = str(args.port)
    if args.enforce_iam is not None:  # read by moto.settings at import
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(args.enforce_iam)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    app = build_app(args.request_log, parse_pending(args.pending), parse_time_scale(args.time_scale))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    if args.tasks_dir:
        from . import ecs_runner, rds_servers

        ecs_runner.install(Path(args.tasks_dir), f"http://127.0.0.1:{args.port}")
        if args.rds_servers:
            rds_servers.install(Path(args.tasks_dir).resolve().parent)

    def _stop(signum, frame):
        if args.tasks_dir:
            from . import ecs_runner, rds_servers

            ecs_runner.shutdown()
            rds_servers.stop_all()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"emulator listening on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
