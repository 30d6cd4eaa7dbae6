"""Handoff benchmark, through the local stack as `make run` serves it: how long a message takes between a visitor and
the member who holds their conversation, each way, over RUNS round trips.

1. Visitor → member: from the visitor's `sendMessage` to the member's connection receiving the `visitor` frame (the
   WebSocket chat function stores the message and pushes it through the management API).
2. Member → visitor: from the member's POST …/handoff/messages to the visitor's connection receiving the `person`
   frame (the query function stores the reply and pushes it).

Both clients are WebSockets on the same stack, timed with one clock (time.monotonic()); local figures, not AWS's. The
visitor's and its network's message limits are raised for the run (one visitor sends RUNS + 1 messages in a minute).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from local.fakes.samples import GUIDE
from local.stack.process import chatbot_with_document, start_stack, stop_stack

RUNS = 30
SITE = "https://shop.example.com"


def _frame(socket: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(socket.recv(timeout=60))
        if frame["type"] == "error":
            raise RuntimeError(frame)
        if frame["type"] == kind:
            return frame


def _summary(name: str, delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{name} ({len(ordered)} messages): p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        limits = {"PARLEY_VISITOR_MESSAGES_PER_MINUTE": "1000", "PARLEY_NETWORK_MESSAGES_PER_MINUTE": "1000"}
        process, url = start_stack(Path(scratch) / "data", Path(scratch) / "stack.log", function_env=limits)
        try:
            account, bot = chatbot_with_document(url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])
            headers = {"authorization": f"Bearer {account['tokens']['access_token']}"}
            websocket = "ws" + url.removeprefix("http")
            member_url = f"{websocket}/?token={account['tokens']['access_token']}"
            visitor_url = f"{websocket}/?key={bot['public_key']}&visitor_id=visitor-bench-0001"
            with (
                # The first connection waits for the authorizer's and the chat function's cold starts.
                connect(member_url, open_timeout=120) as member,
                connect(visitor_url, additional_headers={"Origin": SITE}, open_timeout=120) as visitor,
                httpx.Client(base_url=url, timeout=60) as api,
            ):
                ask = {"action": "sendMessage", "chatbot_id": bot["id"], "question": "Can I talk to a person?"}
                visitor.send(json.dumps(ask))
                conversation_id = _frame(visitor, "handoff")["conversation_id"]
                _frame(member, "inbox")
                path = f"/chatbots/{bot['id']}/conversations/{conversation_id}/handoff"
                api.post(f"{path}/take", headers=headers).raise_for_status()
                _frame(visitor, "handoff")
                to_member, to_visitor = [], []
                for run in range(RUNS + 1):  # the first round trip warms both functions up
                    message = {**ask, "question": f"Message {run}", "conversation_id": conversation_id}
                    sent = time.monotonic()
                    visitor.send(json.dumps(message))
                    _frame(member, "visitor")
                    reached_member = time.monotonic()
                    _frame(visitor, "handoff")
                    replied = time.monotonic()
                    api.post(f"{path}/messages", headers=headers, json={"text": f"Reply {run}"}).raise_for_status()
                    _frame(visitor, "person")
                    reached_visitor = time.monotonic()
                    if run:
                        to_member.append((reached_member - sent) * 1000)
                        to_visitor.append((reached_visitor - replied) * 1000)
        finally:
            stop_stack(process)
    print(_summary("handoff, visitor → member's screen", to_member))
    print(_summary("handoff, member → visitor's widget", to_visitor))


if __name__ == "__main__":
    main()
