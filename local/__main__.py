"""`python -m local` (what `make run` calls): the whole platform on one port, offline."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from local.faults import FaultSpecError, parse_faults
from local.stack.snapshot import STATE, Persistence, SnapshotError
from local.stack.stack import LocalStack
from local.template import TemplateError


def server_config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    """How `make run` serves the stack."""
    # API Gateway takes sourceIp from the connection: a client's X-Forwarded-For must not change it (the public
    # chat's per-visitor limit keys on it), so uvicorn trusts no forwarding header, not even from 127.0.0.1.
    # Idle connections are kept longer than clients keep them (httpx: 5 s), so a client never reuses a connection
    # the server is closing at that moment (a reset request; uvicorn's own default is also 5 s).
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        forwarded_allow_ips="",
        timeout_keep_alive=60,
    )


def arguments() -> argparse.ArgumentParser:
    """`python -m local`'s command line."""
    parser = argparse.ArgumentParser(description="Run Parley locally with moto standing in for AWS.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARLEY_PORT", "8000")))
    parser.add_argument(
        "--data-dir", type=Path, help="where the local index and the saved state live (default: .local-data)"
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument(
        "--fresh", action="store_true", help="discard the saved state and start empty (`make run FRESH=1`)"
    )
    state.add_argument(
        "--ephemeral", action="store_true", help="start empty and save nothing at stop (tests, eval, bench)"
    )
    parser.add_argument("--template", type=Path, help="another template.yaml to run (default: the repository's)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable in every function's environment (a local override; repeatable)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter's value, over the local stack's own (e.g. IngestVisibilityTimeout=5; repeatable)",
    )
    parser.add_argument(
        "--iam-usage",
        type=Path,
        metavar="FILE",
        help="write there which of template.yaml's IAM statements allowed the functions' calls (JSON lines; tests)",
    )
    parser.add_argument(
        "--fakes",
        action="store_true",
        help="OpenAI and Pinecone as local fakes of their APIs (the SDK paths of AWS), not the embedded stand-ins",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="TARGET=RATE,...",
        help="fail a share of calls: openai, pinecone (both need --fakes), s3, dynamodb, ingest (worker killed)",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault injection (reproducible runs)")
    parser.add_argument(
        "--metric-minute",
        type=float,
        default=60,
        metavar="SECONDS",
        help="how long a CloudWatch minute lasts for /_ops's metrics and alarms (default 60; every Period is scaled "
        "by it, the alarms' rules are the template's): tests pass a few seconds to see alarm periods go by",
    )
    return parser


def main() -> None:
    parser = arguments()
    args = parser.parse_args()
    environment = dict(item.split("=", 1) for item in args.env)
    if any("=" not in item for item in args.parameter):
        parser.error("--parameter takes NAME=VALUE")
    parameters = dict(item.split("=", 1) for item in args.parameter)
    try:
        faults = parse_faults(args.faults, args.fault_seed)
    except FaultSpecError as error:
        parser.error(str(error))
    if not args.fakes and {"openai", "pinecone"} & set(faults):
        parser.error("openai and pinecone faults are injected by their fakes: add --fakes")

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    base = f"http://{args.host}:{args.port}"
    persistence: Persistence = "fresh" if args.fresh else "ephemeral" if args.ephemeral else "restore"
    try:
        stack = LocalStack(
            host=args.host,
            data_dir=args.data_dir,
            url=base,
            environment=environment,
            template=args.template,
            parameters=parameters,
            fakes=args.fakes,
            faults=faults,
            persistence=persistence,
            metric_minute=args.metric_minute,
            iam_usage=args.iam_usage,
        )
    except TemplateError as error:
        parser.error(str(error))
    try:
        app = stack.start()
    except SnapshotError as error:
        parser.exit(1, f"{error}\n")
    print(banner(stack, args.host, args.port), flush=True)
    server = uvicorn.Server(server_config(app, args.host, args.port))
    # A closed terminal (SIGHUP) stops the stack as Ctrl-C and `kill` do, and after uvicorn's graceful shutdown
    # SIGTERM must not kill the process before the stack's state is saved (uvicorn raises it again on its way out).
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, server.handle_exit)
    try:
        server.run()
    except KeyboardInterrupt:  # Ctrl-C, raised again by uvicorn once it has shut down
        pass
    finally:
        if persistence != "ephemeral":
            print(f"Saving the local state in {stack.data_dir / STATE} (Ctrl-C again: quit without saving)", flush=True)
        stack.stop()
    # Stopped (and saved, unless ephemeral), what is left is memory: moto's backends, the metrics, the loaded SDKs.
    # The interpreter's teardown of it all takes seconds, more with every thousand documents, and changes nothing.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def banner(stack: LocalStack, host: str, port: int) -> str:
    """What `make run` prints once the stack is up: the console first (where a person starts), then the rest."""
    base = f"http://{host}:{port}"
    built = (stack.root / "web" / "console" / "dist" / "index.html").is_file()
    console = "(sign up there: chatbots, documents, playground)" if built else "(not built: run `make web`)"
    pool = stack.resources["UserPool"]["Ref"]
    return f"""
Parley is running locally.
  console       {base}/   {console}
  API reference {base}/docs
  HTTP API      {base}
  health        {base}/health
  WebSocket     ws://{host}:{port}/?token=<access token>   (or ?key=<publishable key>)
  operators     {base}/_ops   (the dashboards and alarms of template.yaml, on this stack's metrics)
  AWS (moto)    {stack.aws_endpoint}   user pool {pool}
  local index   {stack.data_dir}
  saved state   {_state_line(stack)}
"""


def _state_line(stack: LocalStack) -> str:
    """Where the stack's state is kept and how it started, for the banner."""
    where = stack.data_dir / STATE
    if stack.persistence == "ephemeral":
        return "none: this stack starts empty and saves nothing"
    started = f"restored (saved {stack.restored['saved_at']})" if stack.restored else "started empty"
    return f"{where}   {started}; saved at stop, `make run FRESH=1` starts empty"


if __name__ == "__main__":
    main()
