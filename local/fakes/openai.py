"""A local fake of OpenAI's HTTP API (embeddings and chat completions, plain or streamed), with the API's limits,
so that the real SDK runs in tests and benchmarks offline."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from parley.domain.lexical import STOPWORDS

from local.fakes.http_api import EventStream, FakeHttpApi
from local.faults import Faults


def fake_embedding(text: str, dimension: int) -> np.ndarray:
    """A deterministic unit vector for `text`, the normalised sum of a random vector per content word: equal texts
    embed equally, and texts sharing words come out similar (cosine about the share of words in common), as a
    real embedding model's would, so that relevance thresholds behave in tests."""
    words = [word for word in re.findall(r"[^\W_]+", text.lower()) if word not in STOPWORDS] or [text]
    vector = np.sum([_word_vector(word, dimension) for word in words], axis=0)
    norm = np.linalg.norm(vector)
    return vector / norm if norm else _word_vector(text, dimension)


@functools.lru_cache(maxsize=100_000)
def _word_vector(word: str, dimension: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)


CHAT_MODELS = frozenset({"gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"})


class FakeOpenAI(FakeHttpApi):
    """`/v1/embeddings` with the API's limits: 2,048 inputs and 300,000 tokens per request, 8,192 tokens per input,
    and `/v1/chat/completions`, plain or streamed. Faults: 429 with Retry-After, 500, a request held past the
    client's timeout, and a streamed reply cut part-way."""

    MAX_INPUTS = 2048
    MAX_TOKENS = 300_000
    MAX_INPUT_TOKENS = 8192
    FAULT_KINDS = ("429", "500", "hang")

    def __init__(self, token_delay: float = 0.0, faults: Faults | None = None) -> None:
        super().__init__(faults)
        self._token_delay = token_delay
        self.routes[("POST", "/v1/embeddings")] = self._embeddings
        self.routes[("POST", "/v1/chat/completions")] = self._chat
        self.embedded_inputs = 0
        self.chat_requests: list[dict[str, Any]] = []
        self.token_delay = token_delay
        # When each streamed reply's first token was sent (time.monotonic()).
        self.first_token_sent: list[float] = []
        # Replaced by a test to script the model: messages in, reply text out.
        self.reply: Callable[[list[dict[str, str]]], str] = grounded_reply
        # The chat models this account may use; others are refused as OpenAI refuses them (404 model_not_found).
        self.chat_models = set(CHAT_MODELS)

    def reset(self) -> None:
        super().reset()
        self.embedded_inputs = 0
        self.chat_requests = []
        self.token_delay = self._token_delay
        self.first_token_sent = []
        self.reply = grounded_reply
        self.chat_models = set(CHAT_MODELS)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def fault_kinds(self, body: dict[str, Any]) -> tuple[str, ...]:
        return (*self.FAULT_KINDS, "cut") if body.get("stream") else self.FAULT_KINDS

    def failure(self, status: int) -> tuple[int, Any, dict[str, str]]:
        if status == 429:
            error = {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}
            return 429, {"error": error}, {"retry-after": "1"}
        error = {"message": "The server had an error while processing your request.", "type": "server_error"}
        return status, {"error": error}, {}

    def _embeddings(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        # Real tokenizers give about one token per four characters of English.
        tokens = sum(max(1, len(text) // 4) for text in inputs)
        if len(inputs) > self.MAX_INPUTS or tokens > self.MAX_TOKENS:
            return 400, {"error": {"message": f"{len(inputs)} inputs, {tokens} tokens: over the request limits"}}
        # Without the model's tokenizer, an input is costed as English (four characters a token) only in its ASCII
        # part; any other character as a token of its own, as CJK and emoji are at least.
        longest = max((len(text) - _non_ascii(text)) // 4 + _non_ascii(text) for text in inputs)
        if longest > self.MAX_INPUT_TOKENS:
            message = f"This model's maximum context length is 8192 tokens, however you requested {longest} tokens"
            return 400, {"error": {"message": message, "type": "invalid_request_error"}}
        dimension = int(body.get("dimensions") or 1536)
        self.embedded_inputs += len(inputs)
        data = []
        for index, text in enumerate(inputs):
            vector = fake_embedding(text, dimension)
            embedding: Any = (
                base64.b64encode(vector.tobytes()).decode()
                if body.get("encoding_format") == "base64"
                else vector.tolist()
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return 200, {"object": "list", "data": data, "model": body["model"], "usage": usage}

    def _chat(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        with self._lock:
            self.chat_requests.append(body)
        if body["model"] not in self.chat_models:
            message = f"The model `{body['model']}` does not exist or you do not have access to it."
            return 404, {"error": {"message": message, "type": "invalid_request_error", "code": "model_not_found"}}
        text = self.reply(body["messages"])
        words = re.findall(r"\S+\s*", text)
        usage = {
            "prompt_tokens": sum(len(m["content"]) // 4 for m in body["messages"]),
            "completion_tokens": len(words),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            return 200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
        events = [
            {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": word}}]}
            for word in words
        ]
        # As the API: a last choice with the finish reason, then the usage.
        finish = {"index": 0, "delta": {}, "finish_reason": "stop"}
        events.append({**base, "object": "chat.completion.chunk", "choices": [finish]})
        events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        return 200, EventStream(events, self.token_delay, lambda: self.first_token_sent.append(time.monotonic()))


_SOURCE = re.compile(r"^\[(\d+)\] \([^)]*\)\n(.+?)(?=\n\n\[\d+\] \(|\Z)", re.MULTILINE | re.DOTALL)


def grounded_reply(messages: list[dict[str, str]]) -> str:
    """What the fake model says: a rewrite for a condensing prompt, else the first sentence of each of the first two
    sources (fenced in the question's turn) with its [n], plus a reference to a source that does not exist (which
    Parley must drop)."""
    last = messages[-1]["content"]
    if last.startswith("Rewrite the follow-up question"):
        follow_up = last.rsplit("Follow-up question:", 1)[1].strip()
        asked = re.findall(r"^User: (.+)$", last, re.MULTILINE)
        return f"{follow_up} (about: {asked[-1]})" if asked else follow_up
    fenced = re.search(r"<sources>\n(.*)\n</sources>", last, re.DOTALL)
    sources = _SOURCE.findall(fenced.group(1)) if fenced else []
    if not sources:
        return "I don't know; the sources do not say."
    firsts = [(number, re.split(r"(?<=[.!?])\s", text.strip())[0].rstrip(".")) for number, text in sources[:2]]
    sentences = [f"{sentence} [{number}]." for number, sentence in firsts]
    return " ".join(sentences) + " More may exist [99]."


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))
