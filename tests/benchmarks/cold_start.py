"""Cold starts as a user feels them: each function's init phase (the handler import) plus its first event.

The local stack runs in-process, configured as AWS runs it: the OpenAI embedder and chat model and the Pinecone
index (the local fakes of their HTTP APIs behind the real SDKs), their API keys in Secrets Manager. For every
function, N times: its environments are recycled, one representative event goes through the real entry (the
HTTP API with an access token, an upload to S3, a message in the dead-letter queue, a WebSocket connection), and
the fresh environment's REPORT gives Init Duration and the first event's Duration. So a first event pays what
it pays in Lambda: SDKs imported, clients built, secrets fetched, first DynamoDB call.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.sync.client import ClientConnection, connect

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import GUIDE
from local.lambdas.runtime import FunctionRuntime, InvocationReport
from local.stack.process import assign_plan, free_port, send_upload
from local.stack.stack import ROOT, LocalStack

QUESTION = "What do llamas eat?"
REPORT_LIMIT_SECONDS = 120
# The function behind every route of the WebSocket API ($connect, messages, $disconnect).
CHAT_FUNCTION = "WsChatFunction"


@dataclass
class Parley:
    """The running stack, as a client reaches it, with one owner and a chatbot that has an indexed document."""

    stack: LocalStack
    api: httpx.Client
    url: str
    token: str
    chatbot_id: str

    @property
    def runtime(self) -> FunctionRuntime:
        assert self.stack.runtime is not None
        return self.stack.runtime

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def new_document(self, filename: str, text: bytes) -> dict[str, Any]:
        """A document registered through the upload function: pending, with its presigned upload."""
        response = self.api.post(
            f"/chatbots/{self.chatbot_id}/documents",
            headers=self.auth,
            json={"filename": filename, "content_type": "text/markdown", "size_bytes": len(text)},
        )
        response.raise_for_status()
        return dict(response.json())

    def upload(self, created: dict[str, Any], text: bytes) -> None:
        send_upload(created["upload"], text).raise_for_status()

    def wait_for_status(self, created: dict[str, Any], status: str) -> None:
        url = f"/chatbots/{self.chatbot_id}/documents/{created['document']['id']}"
        deadline = time.monotonic() + REPORT_LIMIT_SECONDS
        while (current := self.api.get(url, headers=self.auth).json()["status"]) != status:
            if time.monotonic() > deadline:
                raise RuntimeError(f"document is {current}, not {status}")
            time.sleep(0.1)

    @contextmanager
    def chat(self, messages: int = 0) -> Iterator[ClientConnection]:
        """The owner's WebSocket connection, for `messages` messages. Leaving waits for its $disconnect to end, so
        that no invocation of this connection lands on an environment a later sample measures."""
        seen = report_ids(self.runtime, CHAT_FUNCTION)
        with connect(f"ws{self.url.removeprefix('http')}/?token={self.token}") as socket:
            yield socket
        # $connect, each message, $disconnect
        wait_for_reports(self.runtime, CHAT_FUNCTION, seen, count=messages + 2)


def _check(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
        )


# What each function's first event is: its main path, through the entry a client uses.
def auth_me(parley: Parley) -> None:
    _check(parley.api.get("/auth/me", headers=parley.auth))


def list_chatbots(parley: Parley) -> None:
    _check(parley.api.get("/chatbots", headers=parley.auth))


def create_document(parley: Parley) -> None:
    parley.new_document(f"notes-{uuid.uuid4().hex[:8]}.md", GUIDE.encode())


def ask(parley: Parley) -> None:
    _check(parley.api.post(f"/chatbots/{parley.chatbot_id}/query", headers=parley.auth, json={"question": QUESTION}))


def answer_over_websocket(socket: ClientConnection, chatbot_id: str) -> None:
    socket.send(json.dumps({"action": "sendMessage", "chatbot_id": chatbot_id, "question": QUESTION}))
    while (frame := json.loads(socket.recv(timeout=REPORT_LIMIT_SECONDS)))["type"] not in ("done", "error"):
        pass
    if frame["type"] == "error":
        raise RuntimeError(frame)


@dataclass
class Scenario:
    """How to put one function on a fresh environment and send it one event."""

    function: str
    event: str
    # Runs the event; calls `recycle()` just before the part that must land on a fresh environment.
    run: Callable[[Parley, Callable[[], None]], None]


def _plain(send: Callable[[Parley], None]) -> Callable[[Parley, Callable[[], None]], None]:
    def run(parley: Parley, recycle: Callable[[], None]) -> None:
        recycle()
        send(parley)

    return run


def _new_api_key(parley: Parley, recycle: Callable[[], None]) -> None:
    # A key not seen yet: the gateway's cached answers are by credential, so the authorizer is called.
    created = parley.api.post("/api-keys", headers=parley.auth, json={"name": "cold"})
    _check(created)
    recycle()
    _check(parley.api.get("/chatbots", headers={"authorization": f"Bearer {created.json()['key']}"}))


def _create_api_key(parley: Parley) -> None:
    _check(parley.api.post("/api-keys", headers=parley.auth, json={"name": "cold"}))


def _ingest(parley: Parley, recycle: Callable[[], None]) -> None:
    text = GUIDE.encode()
    created = parley.new_document(f"guide-{uuid.uuid4().hex[:8]}.md", text)
    recycle()
    parley.upload(created, text)
    parley.wait_for_status(created, "indexed")


def _dead_letter(parley: Parley, recycle: Callable[[], None]) -> None:
    created = parley.new_document(f"lost-{uuid.uuid4().hex[:8]}.md", GUIDE.encode())
    key = created["upload"]["fields"]["key"]
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "s3": {"object": {"key": key, "size": len(GUIDE), "eTag": uuid.uuid4().hex, "sequencer": "01"}},
            }
        ]
    }
    recycle()
    parley.stack.aws_client("sqs").send_message(
        QueueUrl=parley.stack.resources["IngestDeadLetterQueue"]["Ref"], MessageBody=json.dumps(notification)
    )
    parley.wait_for_status(created, "failed")


def _ws_connect(parley: Parley, recycle: Callable[[], None]) -> None:
    recycle()
    with parley.chat():
        pass


def _ws_message(parley: Parley, recycle: Callable[[], None]) -> None:
    # $connect and the message may land on different environments in AWS too: the message's is the fresh one.
    with parley.chat(messages=1) as socket:
        recycle()
        answer_over_websocket(socket, parley.chatbot_id)


SCENARIOS = [
    Scenario("AuthFunction", "GET /auth/me", _plain(auth_me)),
    Scenario("ChatbotsFunction", "GET /chatbots", _plain(list_chatbots)),
    Scenario("HttpAuthorizerFunction", "an API key not seen yet", _new_api_key),
    Scenario("ApiKeysFunction", "POST /api-keys", _plain(_create_api_key)),
    Scenario("UploadFunction", "POST /chatbots/{id}/documents", _plain(create_document)),
    Scenario("IngestFunction", "S3 upload → SQS batch", _ingest),
    Scenario("IngestDeadLetterFunction", "DLQ message", _dead_letter),
    Scenario("QueryFunction", "POST /chatbots/{id}/query", _plain(ask)),
    Scenario("WsAuthorizerFunction", "WebSocket $connect ?token=", _ws_connect),
    Scenario("WsChatFunction", "WebSocket sendMessage", _ws_message),
]


def report_ids(runtime: FunctionRuntime, function: str) -> set[str]:
    return {report.request_id for report in runtime.reports(function)}


def wait_for_reports(
    runtime: FunctionRuntime, function: str, seen: set[str], *, count: int = 1, cold: bool = False
) -> list[InvocationReport]:
    """The function's reports that are not in `seen` (only fresh environments' if `cold`), once there are `count`."""
    deadline = time.monotonic() + REPORT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        new = [
            report
            for report in runtime.reports(function)
            if report.request_id not in seen and (report.init_duration_ms is not None or not cold)
        ]
        if len(new) >= count:
            return new
        time.sleep(0.05)
    raise RuntimeError(f"{function} did not report {count} {'cold ' if cold else ''}invocations in time")


def cold_report(parley: Parley, scenario: Scenario) -> InvocationReport:
    """Run the scenario once on a fresh environment; the REPORT of that environment's first invocation."""
    seen = report_ids(parley.runtime, scenario.function)
    scenario.run(parley, lambda: parley.runtime.recycle(scenario.function))
    first = wait_for_reports(parley.runtime, scenario.function, seen, cold=True)[0]
    if first.status:
        raise RuntimeError(f"{scenario.function}: {first.line}")
    return first


def _store_api_keys(stack: LocalStack) -> None:
    """The API keys where the functions read them, as a deployment keeps them."""
    assert stack.runtime is not None
    secrets = stack.aws_client("secretsmanager")
    for variable, value in (
        ("PARLEY_OPENAI_API_KEY_SECRET", "sk-bench"),
        ("PARLEY_PINECONE_API_KEY_SECRET", "pc-bench"),
    ):
        names = {spec.environment.get(variable) for spec in stack.runtime.specs.values()} - {None, ""}
        for name in names:
            try:
                secrets.create_secret(Name=name, SecretString=value)
            except secrets.exceptions.ResourceExistsException:
                secrets.put_secret_value(SecretId=name, SecretString=value)


@contextmanager
def running_parley(scratch: Path, openai: FakeOpenAI, pinecone: FakePinecone) -> Iterator[Parley]:
    """The stack served on a free port, with an owner and a chatbot whose document is indexed."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        "PARLEY_EMBEDDER": "openai",
        "PARLEY_VECTOR_INDEX": "pinecone",
        "PARLEY_LLM": "openai",
        "PARLEY_OPENAI_BASE_URL": openai.base_url,
        "PARLEY_PINECONE_INDEX_HOST": pinecone.url,
    }
    stack = LocalStack(url=url, data_dir=scratch / "data", environment=environment)
    app = stack.start()
    # As `make run` serves it: no forwarding header is trusted.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the local stack's server did not start")
            time.sleep(0.05)
        _store_api_keys(stack)
        with httpx.Client(base_url=url, timeout=REPORT_LIMIT_SECONDS) as api:
            email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            registered = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
            _check(registered)
            token = registered.json()["tokens"]["access_token"]
            # Room for what the benchmarks make (41 API keys, many documents), as an operator would give it
            assign_plan(scratch / "data", registered.json()["tenant"]["id"], "business")
            chatbot = api.post("/chatbots", headers={"authorization": f"Bearer {token}"}, json={"name": "Llamas"})
            _check(chatbot)
            parley = Parley(stack, api, url, token, chatbot.json()["id"])
            created = parley.new_document("guide.md", GUIDE.encode())
            parley.upload(created, GUIDE.encode())
            parley.wait_for_status(created, "indexed")
            yield parley
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stack.stop()


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's output, and the functions' (their workers inherit it), to `log` for a while."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("ab") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="logical ids of the functions to measure (all by default)")
    args = parser.parse_args()

    # As the layer build does (layers/parley/Makefile): nothing is compiled at cold start.
    for folder in (ROOT / "layers" / "parley" / "parley", ROOT / "functions"):
        compileall.compile_dir(folder, quiet=1)
    scenarios = [scenario for scenario in SCENARIOS if not args.only or scenario.function in args.only]
    openai, pinecone = FakeOpenAI().start(), FakePinecone(dimension=512).start()
    results: list[tuple[Scenario, list[InvocationReport]]] = []
    logs = Path(tempfile.mkdtemp(prefix="parley-cold-start-"))
    try:
        with (
            tempfile.TemporaryDirectory() as scratch,
            output_to(logs / "stack.log"),
            running_parley(Path(scratch), openai, pinecone) as parley,
        ):
            for scenario in scenarios:
                results.append((scenario, [cold_report(parley, scenario) for _ in range(args.samples)]))
    except Exception:
        print(f"the stack's output: {logs / 'stack.log'}", file=sys.stderr)
        raise
    finally:
        openai.stop()
        pinecone.stop()
    shutil.rmtree(logs)

    print(
        f"\ncold start per function: a fresh environment's init (handler import) and its first event, "
        f"median of {args.samples} (Python {sys.version.split()[0]}, {os.cpu_count()} cores)"
    )
    print(f"  {'function':<26}{'import ms':>10}{'+ 1st event ms':>16}{'min ms':>8}   first event")
    for scenario, reports in results:
        imports = [report.init_duration_ms or 0 for report in reports]
        totals = [(report.init_duration_ms or 0) + report.duration_ms for report in reports]
        print(f"  {scenario.function:<26}{_ms(imports):>10}{_ms(totals):>16}{min(totals):8.0f}   {scenario.event}")


if __name__ == "__main__":
    main()
