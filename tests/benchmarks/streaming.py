"""Streaming chat benchmark, through the local stack as `make run` serves it, with the OpenAI fake as the model.

1. Latency: from the moment the fake model has sent an answer's first token to the moment the WebSocket client
   receives its first `token` frame (retrieval is before the model starts, so it is not counted), over 50 answers.
2. Cost: how many frames (each one `post_to_connection`) a 500-token answer takes.

The fake streams a token every 20 ms (≈ 50 tokens/s, a fast hosted model).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from local.fakes.openai import FakeOpenAI
from local.fakes.samples import GUIDE
from local.stack.process import chatbot_with_document, start_stack, stop_stack

RUNS = 50
TOKEN_DELAY = 0.02


def _answer(socket: ClientConnection, chatbot_id: str, question: str) -> tuple[list[dict[str, Any]], float]:
    """The frames of one answer, and when (time.monotonic()) the first token frame arrived."""
    socket.send(json.dumps({"action": "sendMessage", "chatbot_id": chatbot_id, "question": question}))
    frames: list[dict[str, Any]] = []
    first_token = 0.0
    while not frames or frames[-1]["type"] not in ("done", "error"):
        frames.append(json.loads(socket.recv(timeout=60)))
        if frames[-1]["type"] == "token" and not first_token:
            first_token = time.monotonic()
    if frames[-1]["type"] == "error":
        raise RuntimeError(frames[-1])
    return frames, first_token


def main() -> None:
    model = FakeOpenAI(token_delay=TOKEN_DELAY).start()
    with tempfile.TemporaryDirectory() as scratch:
        env = {"OPENAI_API_KEY": "sk-local-bench", "OPENAI_BASE_URL": model.base_url}
        process, url = start_stack(Path(scratch) / "data", Path(scratch) / "stack.log", env=env)
        try:
            account, bot = chatbot_with_document(url, "guide.md", GUIDE)
            socket_url = "ws" + url.removeprefix("http") + "/?token=" + account["tokens"]["access_token"]
            with connect(socket_url) as socket:
                _answer(socket, bot["id"], "Warm-up: what do llamas eat?")
                delays = []
                for _ in range(RUNS):
                    model.first_token_sent.clear()
                    _, received = _answer(socket, bot["id"], "What do llamas eat?")
                    delays.append((received - model.first_token_sent[0]) * 1000)
                model.reply = lambda _messages: " ".join(f"word{n}" for n in range(500))
                frames, _ = _answer(socket, bot["id"], "Tell me everything.")
        finally:
            stop_stack(process)
            model.stop()
    delays.sort()
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(f"first token, model → client ({RUNS} answers): p50 {statistics.median(delays):.1f} ms, p95 {p95:.1f} ms")
    tokens = sum(frame["type"] == "token" for frame in frames)
    print(
        f"500-token answer at {1 / TOKEN_DELAY:.0f} tokens/s: {len(frames)} post_to_connection calls "
        f"({tokens} token frames + start, citations, done)"
    )


if __name__ == "__main__":
    main()
