"""`python -m local` (what `make run` calls): the whole platform on one port, offline."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from local.stack import LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Parley locally with moto standing in for AWS.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARLEY_PORT", "8000")))
    parser.add_argument("--data-dir", type=Path, help="where the local index lives (emptied at start)")
    args = parser.parse_args()

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    base = f"http://{args.host}:{args.port}"
    stack = LocalStack(host=args.host, data_dir=args.data_dir, url=base)
    app = stack.start()
    pool = stack.resources["UserPool"]["Ref"]
    print(
        f"""
Parley is running locally.
  HTTP API      {base}
  health        {base}/health
  WebSocket     ws://{args.host}:{args.port}/?token=<access token>   (or ?key=<publishable key>)
  AWS (moto)    {stack.aws_endpoint}   user pool {pool}
  local index   {stack.data_dir}

Try it:
  curl -s -X POST {base}/auth/register -H 'content-type: application/json' \\
       -d '{{"email": "ada@example.com", "password": "correct-horse-1", "organization": "Analytical Engines"}}'
""",
        flush=True,
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
