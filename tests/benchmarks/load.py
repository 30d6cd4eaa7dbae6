"""Load and fault benchmark: 50 concurrent REST questions, 20 uploads and 10 streamed WebSocket chats at once,
against the local stack with OpenAI and Pinecone as their fakes (`python -m local --fakes`).

`python tests/benchmarks/load.py` runs the load; `--faults openai=0.2,…` runs the same mix with faults injected
(local/faults.py). Printed: requests, 5xx answers, documents stuck or lost (neither `indexed` nor `failed` once
the queue has drained), questions stored other than once with one answer, p50/p95 latency of the questions.
The machine is shared by the whole stack and the clients: figures are indicative. Any 5xx, stuck or lost document, or
question not stored once with one answer ends the run with a non-zero status.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from local.fakes.samples import GUIDE
from local.stack.process import chatbot_with_document, send_upload, start_stack, stop_stack

QUERIES, UPLOADS, CHATS = 50, 20, 10
# Three attempts 20 s apart locally, then the dead-letter queue: a document still pending after this is stuck.
DRAIN_SECONDS = 300


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, status: int, started: float | None = None) -> None:
        with self.lock:
            self.requests += 1
            if status >= 500:
                self.server_errors.append(f"{what} -> {status}")
            if started is not None:
                self.latencies_ms.append((time.perf_counter() - started) * 1000)


def _question(api: httpx.Client, tally: Tally, auth: dict[str, str], bot: str, number: int) -> str | None:
    started = time.perf_counter()
    response = api.post(f"/chatbots/{bot}/query", headers=auth, json={"question": f"What do llamas eat? ({number})"})
    tally.count("POST /query", response.status_code, started)
    return str(response.json()["conversation_id"]) if response.status_code == 200 else None


def _chat(url: str, tally: Tally, token: str, bot: str) -> str | None:
    started = time.perf_counter()
    with connect("ws" + url.removeprefix("http") + "/?token=" + token, open_timeout=60) as socket:
        socket.send(json.dumps({"action": "sendMessage", "chatbot_id": bot, "question": "When do llamas hum?"}))
        frames = [json.loads(socket.recv(timeout=120))]
        while frames[-1]["type"] not in ("done", "error"):
            frames.append(json.loads(socket.recv(timeout=120)))
    # An error frame is the WebSocket's answer to a failure; "internal_error" is its 5xx.
    tally.count("WebSocket chat", 500 if frames[-1].get("code") == "internal_error" else 200, started)
    return str(frames[0]["conversation_id"]) if frames[0]["type"] == "start" else None


def _upload(api: httpx.Client, tally: Tally, auth: dict[str, str], bot: str, number: int) -> str | None:
    text = f"# Herd {number}\n\n{GUIDE}\nHerd {number} grazes at dawn near the river.\n"
    created = api.post(
        f"/chatbots/{bot}/documents",
        headers=auth,
        json={"filename": f"herd-{number}.md", "content_type": "text/markdown", "size_bytes": len(text.encode())},
    )
    tally.count("POST /documents", created.status_code)
    if created.status_code != 201:
        return None
    ticket = created.json()["upload"]
    # S3 itself may answer 503 SlowDown; clients retry uploads, as the SDKs do.
    while send_upload(ticket, text.encode()).status_code >= 500:
        time.sleep(0.5)
    return str(created.json()["document"]["id"])


def run(faults: str, seed: int) -> dict[str, Any]:
    options = ["--fakes"] + ([f"--faults={faults}", f"--fault-seed={seed}"] if faults else [])
    with tempfile.TemporaryDirectory() as scratch:
        process, url = start_stack(
            Path(scratch) / "data",
            Path(scratch) / "stack.log",
            limit_seconds=90,
            options=options,
            function_env={"POWERTOOLS_LOG_LEVEL": "WARNING"},
        )
        try:
            return _mix(url)
        finally:
            stop_stack(process)


def _mix(url: str) -> dict[str, Any]:
    # The question's chatbot holds its guide before the clock starts; faults only begin to count from here on
    # (the setup retries until it succeeds).
    account, bot = _ready(url)
    auth = {"authorization": f"Bearer {account['tokens']['access_token']}"}
    tally = Tally()
    with httpx.Client(base_url=url, timeout=120) as api, ThreadPoolExecutor(QUERIES + UPLOADS + CHATS) as pool:
        upload_bot = api.post("/chatbots", headers=auth, json={"name": "Uploads"}).json()["id"]
        uploads = [pool.submit(_upload, api, tally, auth, upload_bot, n) for n in range(UPLOADS)]
        questions = [pool.submit(_question, api, tally, auth, bot["id"], n) for n in range(QUERIES)]
        token = account["tokens"]["access_token"]
        chats = [pool.submit(_chat, url, tally, token, bot["id"]) for _ in range(CHATS)]
        documents = [future.result() for future in uploads]
        conversations = [future.result() for future in questions + chats]
        ended = _drain(api, tally, auth, upload_bot, [d for d in documents if d])
        duplicated = 0
        for conversation in filter(None, conversations):
            response = api.get(f"/chatbots/{bot['id']}/conversations/{conversation}", headers=auth)
            tally.count("GET /conversations/{id}", response.status_code)
            roles = [message["role"] for message in response.json()["messages"]]
            duplicated += roles != ["user", "assistant"]
    statuses = [document["status"] for document in ended.values()]
    latencies = sorted(tally.latencies_ms)
    return {
        "requests": tally.requests,
        "5xx": len(tally.server_errors),
        "5xx_examples": tally.server_errors[:5],
        "documents": len(documents),
        "indexed": statuses.count("indexed"),
        "failed": statuses.count("failed"),
        "stuck_or_lost": len(documents) - statuses.count("indexed") - statuses.count("failed"),
        "failure_reasons": sorted({str(d["error"]) for d in ended.values() if d["status"] == "failed"}),
        "conversations_not_one_turn": duplicated + conversations.count(None),
        "p50_ms": round(statistics.median(latencies)) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))]) if latencies else None,
    }


def _ready(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for _ in range(10):
        try:
            return chatbot_with_document(url, "guide.md", GUIDE)
        except (AssertionError, KeyError, httpx.HTTPError):
            continue  # an injected fault during setup: set up again
    raise RuntimeError("the stack could not index the guide")


def _drain(
    api: httpx.Client, tally: Tally, auth: dict[str, str], bot: str, documents: list[str]
) -> dict[str, dict[str, Any]]:
    """Each document's last state, once it is indexed or failed, or when DRAIN_SECONDS have passed."""
    states: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        for document in documents:
            response = api.get(f"/chatbots/{bot}/documents/{document}", headers=auth)
            tally.count("GET /documents/{id}", response.status_code)
            if response.status_code == 200:
                states[document] = response.json()
        if all(states.get(d, {}).get("status") in ("indexed", "failed") for d in documents):
            break
        time.sleep(2)
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default="", help="as python -m local --faults; none: the load run")
    parser.add_argument("--fault-seed", type=int, default=7)
    args = parser.parse_args()
    figures = run(args.faults, args.fault_seed)
    title = f"fault run ({args.faults}, seed {args.fault_seed})" if args.faults else "load run"
    print(f"{title}: {QUERIES} questions + {UPLOADS} uploads + {CHATS} WebSocket chats at once")
    for name, value in figures.items():
        print(f"  {name:28} {value}")
    # Figures are for reading; these are failures, whatever the load or the faults (`make bench` stops on them).
    broken = {name: figures[name] for name in ("5xx", "stuck_or_lost", "conversations_not_one_turn") if figures[name]}
    if broken:
        raise SystemExit(f"{title}: {broken}")


if __name__ == "__main__":
    main()
