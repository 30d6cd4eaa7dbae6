"""The local stack in a child process, as `make run` starts it: for tests, `make eval` and tools."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from local.stack.stack import ROOT
from local.template import REGION


@dataclass(frozen=True)
class Stack:
    """A running local stack, for tests and tools: its URL, its data folder (with the stack.json it writes) and the
    file its output goes to."""

    url: str
    data_dir: Path
    log: Path

    @property
    def aws(self) -> dict[str, Any]:
        """Its moto endpoint, resources and the functions' local credentials (stack.json)."""
        return dict(json.loads((self.data_dir / "stack.json").read_text()))


def moto_client(aws: Mapping[str, Any], service: str) -> Any:
    """A boto3 client of a running stack's moto (`aws`: its stack.json), as an operator reaches it: straight to moto,
    not through the AWS proxy that checks the functions' calls."""
    import boto3

    return boto3.client(service, **_moto_options(aws))  # type: ignore[call-overload]


def moto_resource(aws: Mapping[str, Any], service: str) -> Any:
    """`moto_client`'s boto3 resource."""
    import boto3

    return boto3.resource(service, **_moto_options(aws))  # type: ignore[call-overload]


def _moto_options(aws: Mapping[str, Any]) -> dict[str, str]:
    return {
        "endpoint_url": aws["aws_endpoint"],
        "region_name": REGION,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }


# How the AWS proxy logs a call IAM refused (local/aws/proxy.py), in the stack's log format (local/__main__.py): a
# request's own line may hold "IAM: " too, in its path.
REFUSED_CALL = re.compile(r"^\S+ \S+ local WARNING IAM: .*$", re.MULTILINE)


def refused_calls(log: str) -> list[str]:
    """The lines of a stack's log that say IAM refused a function's call (naming function, action and resource)."""
    return REFUSED_CALL.findall(log)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_stack(
    data_dir: Path,
    log: Path,
    *,
    limit_seconds: float = 120,
    env: dict[str, str] | None = None,
    function_env: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
    template: Path | None = None,
    options: list[str] | None = None,
    keep_state: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m local` on a free port, its output going to `log`, and wait until `/health` answers;
    returns the process and its base URL. The limit is a deadline for a machine busy with other stacks, not a speed
    requirement: how long a start takes is a figure, never an assertion. `env` is the stack's environment
    (OPENAI_API_KEY…), `function_env` variables set in every function's (`--env`), `parameters` template parameters'
    values (`--parameter`), `options` more of its arguments (`--fakes`, `--faults=…`).
    The stack starts empty and saves nothing (`--ephemeral`), unless `keep_state`: then, as `make run`, it restores
    the state saved in `data_dir` and saves it when stopped (SIGINT or SIGTERM)."""
    port = free_port()
    overrides = [f"--env={name}={value}" for name, value in (function_env or {}).items()]
    overrides += [f"--parameter={name}={value}" for name, value in (parameters or {}).items()]
    if not keep_state:
        overrides.append("--ephemeral")
    if template is not None:
        overrides.append(f"--template={template}")
    overrides += options or []
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "local", "--port", str(port), "--data-dir", str(data_dir), *overrides],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited early:\n{log.read_text()[-5000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the local stack did not answer /health within {limit_seconds} s")


@contextmanager
def running_stack(data_dir: Path, log: Path, **options: Any) -> Iterator[str]:
    """`start_stack` for the span of a `with` block: its base URL, and the stack stopped at the end."""
    process, url = start_stack(data_dir, log, **options)
    try:
        yield url
    finally:
        stop_stack(process)


# How long a stack is given to stop before it is killed: its servers and functions' environments wind down in a few
# seconds (a `make run` stack then saves its state), more on a machine busy with other stacks.
STOP_LIMIT_SECONDS = 60


def stop_stack(process: subprocess.Popen[bytes], limit_seconds: float = STOP_LIMIT_SECONDS) -> None:
    """Stop a stack as Ctrl-C does (its workers and servers wind down, which takes seconds on a busy machine); killed
    if it has not stopped within `limit_seconds`."""
    process.terminate()
    try:
        process.wait(timeout=limit_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def send_upload(ticket: dict[str, Any], data: bytes, client: httpx.Client | None = None) -> httpx.Response:
    """Upload `data` with an upload ticket as a browser form does: the presigned POST's fields, then the file."""
    files = {"file": ("upload", data, ticket["fields"].get("Content-Type", "application/octet-stream"))}
    if client is None:
        return httpx.post(ticket["url"], data=ticket["fields"], files=files, timeout=60)
    return client.post(ticket["url"], data=ticket["fields"], files=files)


def chatbot_with_document(
    base_url: str, filename: str, text: str, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new owner, their chatbot (with `fields`), and one document uploaded and indexed."""
    with httpx.Client(base_url=base_url, timeout=30) as api:
        email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
        account = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"}).json()
        auth = {"authorization": f"Bearer {account['tokens']['access_token']}"}
        bot = api.post("/chatbots", headers=auth, json={"name": "Llama care", **fields}).json()
        created = api.post(
            f"/chatbots/{bot['id']}/documents",
            headers=auth,
            json={"filename": filename, "content_type": "text/markdown", "size_bytes": len(text.encode())},
        ).json()
        send_upload(created["upload"], text.encode()).raise_for_status()
        document = f"/chatbots/{bot['id']}/documents/{created['document']['id']}"
        deadline = time.monotonic() + 30
        while api.get(document, headers=auth).json()["status"] != "indexed":
            assert time.monotonic() < deadline, f"{filename} was not indexed in time"
            time.sleep(0.25)
        return account, bot


def assign_plan(data_dir: Path, tenant_id: str, plan: str) -> None:
    """Put a tenant of the stack whose data is in `data_dir` on `plan`, as an operator does (`make plan`)."""
    command = [sys.executable, "-m", "local.tools.plans", "assign", tenant_id, plan]
    environment = {**os.environ, "PARLEY_DATA_DIR": str(data_dir)}
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)  # noqa: S603 - our own module
