"""Local fakes of the OpenAI and Pinecone HTTP APIs, so that the real SDKs run in tests and benchmarks offline.

They keep the limits of the real services that Parley must respect (inputs and tokens per embedding request,
records and bytes per upsert), answer with the same JSON shapes, count every request, and can be told to fail:
the next few requests (`fail_next`), or a seeded share of them as the services fail (`faults`, local/faults.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import select
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import numpy as np
from parley.domain.lexical import STOPWORDS

from local.faults import Faults

Route = Callable[[dict[str, Any], dict[str, list[str]]], tuple[int, Any]]


@dataclass
class EventStream:
    """A server-sent-events reply: each event is written and flushed on its own, `delay` seconds apart."""

    events: list[dict[str, Any]]
    delay: float = 0.0
    # Called once the first event is on the wire (benchmarks time the way from there to a client).
    on_first_sent: Callable[[], None] | None = None


# The longest an injected hang holds a request whose client has not given up (clients time out well before).
HANG_SECONDS = 120


class FakeHttpApi:
    """A JSON HTTP server on 127.0.0.1 with a table of routes; subclasses fill the table, and say how their
    service fails (`FAULT_KINDS`: statuses, "hang" for a request held past the client's timeout)."""

    FAULT_KINDS: tuple[str, ...] = ("500",)

    def __init__(self, faults: Faults | None = None) -> None:
        self.requests: Counter[str] = Counter()
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.routes: dict[tuple[str, str], Route] = {}
        self.faults = faults
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # As the services: persistent connections, streams in chunks (a cut stream is a broken one, not a
            # shorter one).
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionResetError:
                    return  # a client that went away with its connection open (a killed function, a timeout)

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def log_message(self, *_: Any) -> None:  # requests are counted, not logged
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: `stop` waits for the serving loop to notice (half a second by default, paid by every test).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        # What `reset` returns to: the routes and faults the server was started with.
        self._routes_at_start = dict(self.routes)
        self._faults_at_start = self.faults
        self._thread.start()
        return self

    def reset(self) -> None:
        """Serve as if just started: the requests counted, the failures queued and the routes or faults changed
        since `start` are forgotten (tests share one server and reset it for each)."""
        with self._lock:
            self.requests = Counter()
            self._failures = []
            self.routes.clear()
            self.routes.update(self._routes_at_start)
            self.faults = self._faults_at_start

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, status: int = 429, headers: dict[str, str] | None = None) -> None:
        """Answer the next `count` requests with `status` (and e.g. a Retry-After header)."""
        with self._lock:
            self._failures.extend([(status, headers or {})] * count)

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests[url.path] += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            status, headers = failure
            self._reply(handler, status, {"error": {"message": "injected failure", "type": "fake"}}, headers)
            return
        route = self.routes.get((method, url.path))
        if route is None:
            self._reply(handler, 404, {"error": {"message": f"no route {method} {url.path}"}})
            return
        body = json.loads(raw) if raw else {}
        fault = self.faults.draw(self.fault_kinds(body), f"{method} {url.path}") if self.faults else None
        if fault == "hang":
            self._hold(handler)
            return
        if fault and fault.isdigit():
            status, payload, headers = self.failure(int(fault))
            self._reply(handler, status, payload, headers)
            return
        body["__bytes__"] = len(raw)
        status, payload = route(body, parse_qs(url.query))
        if isinstance(payload, EventStream):
            # A cut stream has sent part of the answer, never its finish.
            cut = (
                1 + int((len(payload.events) - 3) * self.faults.fraction()) if fault == "cut" and self.faults else None
            )
            self._stream(handler, payload, cut)
        else:
            self._reply(handler, status, payload)

    def fault_kinds(self, _body: dict[str, Any]) -> tuple[str, ...]:
        """How a request with this body may fail when a fault strikes it."""
        return self.FAULT_KINDS

    def failure(self, status: int) -> tuple[int, Any, dict[str, str]]:
        """The service's reply for an injected failure with `status`: its error body and headers."""
        return status, {"error": {"message": "injected failure", "type": "fake"}}, {}

    @staticmethod
    def _hold(handler: BaseHTTPRequestHandler) -> None:
        """Answer nothing until the client gives up (closes the connection), or HANG_SECONDS pass."""
        handler.close_connection = True
        deadline = time.monotonic() + HANG_SECONDS
        while time.monotonic() < deadline:
            readable, _, _ = select.select([handler.connection], [], [], 0.5)
            if readable and not handler.connection.recv(1):
                return

    @staticmethod
    def _stream(handler: BaseHTTPRequestHandler, stream: EventStream, cut: int | None = None) -> None:
        """Send the events as chunks; with `cut`, drop the connection after that many (a broken stream)."""
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("transfer-encoding", "chunked")
        handler.end_headers()

        def chunk(data: bytes) -> None:
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        try:
            for number, event in enumerate(stream.events):
                if number == cut:
                    handler.close_connection = True
                    return
                chunk(f"data: {json.dumps(event)}\n\n".encode())
                if number == 0 and stream.on_first_sent:
                    stream.on_first_sent()
                time.sleep(stream.delay)
            chunk(b"data: [DONE]\n\n")
            chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client stopped reading

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


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


# A namespace as the fake searches it: ids, their dense matrix, and term -> (positions, values) of the sparse ones.
Searchable = tuple[list[str], np.ndarray, dict[int, tuple[list[int], list[float]]]]


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


class FakePinecone(FakeHttpApi):
    """A Pinecone serverless dot-product index's data plane (dense and sparse values), with its caps of 1,000 records
    and 2 MB per upsert, 1,000 non-zero sparse values and 40 KB of metadata per vector."""

    MAX_RECORDS = 1000
    MAX_BYTES = 2_000_000
    MAX_SPARSE_VALUES = 1000
    MAX_METADATA_BYTES = 40_960
    FAULT_KINDS = ("500", "503")

    def __init__(self, dimension: int, faults: Faults | None = None) -> None:
        super().__init__(faults)
        self.dimension = dimension
        self.namespaces: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.upserted_records = 0
        self._versions: Counter[str] = Counter()  # changes per namespace, to know when a search cache is stale
        self._search_cache: dict[str, tuple[int, Searchable]] = {}
        self.routes.update(
            {
                ("POST", "/vectors/upsert"): self._upsert,
                ("GET", "/vectors/list"): self._list,
                ("POST", "/vectors/delete"): self._delete,
                ("POST", "/describe_index_stats"): self._stats,
                ("POST", "/query"): self._query,
            }
        )

    def load(self, namespaces: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Hold these records (a saved state, local/snapshot.py) in place of the ones held."""
        with self._lock:
            self.namespaces.clear()
            self.namespaces.update(namespaces)
            self._versions.update(namespaces.keys())
            self._search_cache.clear()

    def reset(self) -> None:
        super().reset()
        self.load({})
        self.upserted_records = 0

    def failure(self, status: int) -> tuple[int, Any, dict[str, str]]:
        code, message = (14, "Service unavailable") if status == 503 else (13, "Internal error")
        return status, {"code": code, "message": message, "details": []}, {}

    def _upsert(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        vectors = body.get("vectors", [])
        if len(vectors) > self.MAX_RECORDS:
            return 400, {"code": 3, "message": f"{len(vectors)} vectors exceed the 1000 per request"}
        if body["__bytes__"] > self.MAX_BYTES:
            return 413, {"code": 3, "message": f"request of {body['__bytes__']} bytes exceeds 2 MB"}
        for vector in vectors:
            if len(vector["values"]) != self.dimension:
                return 400, {"code": 3, "message": f"vector dimension {len(vector['values'])} != {self.dimension}"}
            refused = _sparse_refusal(vector.get("sparseValues"))
            if refused:
                return 400, {"code": 3, "message": refused}
            metadata = len(json.dumps(vector.get("metadata", {}), ensure_ascii=False).encode())
            if metadata > self.MAX_METADATA_BYTES:
                message = f"Metadata size is {metadata} bytes, which exceeds the limit of 40960 bytes per vector"
                return 400, {"code": 3, "message": message}
        with self._lock:
            namespace = self.namespaces[body.get("namespace", "")]
            for vector in vectors:
                namespace[vector["id"]] = vector
            self._versions[body.get("namespace", "")] += 1
        self.upserted_records += len(vectors)
        return 200, {"upsertedCount": len(vectors)}

    def _list(self, _: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        namespace = query.get("namespace", [""])[0]
        prefix = query.get("prefix", [""])[0]
        limit = int(query.get("limit", ["100"])[0])
        start = int(query.get("paginationToken", ["0"])[0])
        ids = sorted(id_ for id_ in self.namespaces.get(namespace, {}) if id_.startswith(prefix))
        page = ids[start : start + limit]
        result: dict[str, Any] = {
            "vectors": [{"id": id_} for id_ in page],
            "namespace": namespace,
            "usage": {"readUnits": 1},
        }
        if start + limit < len(ids):
            result["pagination"] = {"next": str(start + limit)}
        return 200, result

    def _delete(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        namespace = self.namespaces.get(body.get("namespace", ""), {})
        if len(body.get("ids", [])) > 1000:
            return 400, {"code": 3, "message": "at most 1000 ids per delete"}
        with self._lock:
            for id_ in body.get("ids", []):
                namespace.pop(id_, None)
            self._versions[body.get("namespace", "")] += 1
        return 200, {}

    def _stats(self, _: dict[str, Any], __: dict[str, list[str]]) -> tuple[int, Any]:
        namespaces = {name: {"vectorCount": len(vectors)} for name, vectors in self.namespaces.items() if vectors}
        total = sum(item["vectorCount"] for item in namespaces.values())
        return 200, {
            "dimension": self.dimension,
            "indexFullness": 0.0,
            "totalVectorCount": total,
            "namespaces": namespaces,
        }

    def _query(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        """Exact dot-product search: dense · vector + sparse · sparseVector, as a hybrid dotproduct index scores."""
        name = body.get("namespace", "")
        sparse = body.get("sparseVector")
        refused = _sparse_refusal(sparse)
        if refused:
            return 400, {"code": 3, "message": refused}
        ids, dense, postings = self._searchable(name)
        wanted = body.get("filter", {})
        namespace = self.namespaces.get(name, {})
        chosen = np.asarray(
            [
                id_ in namespace
                and all(_matches(namespace[id_].get("metadata", {}).get(key), test) for key, test in wanted.items())
                for id_ in ids
            ],
            dtype=bool,
        )
        if not chosen.any():
            return 200, {"matches": [], "namespace": name}
        scores = dense @ np.asarray(body["vector"], dtype=np.float32)
        for index, weight in zip(*((sparse["indices"], sparse["values"]) if sparse else ([], [])), strict=True):
            positions, values = postings.get(index, ([], []))
            scores[positions] += np.float32(weight) * np.asarray(values, dtype=np.float32)
        candidates = np.flatnonzero(chosen)
        top = candidates[np.argsort(-scores[candidates], kind="stable")[: int(body.get("topK", 10))]]
        matches = [
            {
                "id": ids[position],
                "score": float(scores[position]),
                "metadata": namespace[ids[position]].get("metadata", {}) if body.get("includeMetadata") else None,
            }
            for position in top
        ]
        return 200, {"matches": matches, "namespace": name}

    def _searchable(self, name: str) -> Searchable:
        """A namespace's ids, dense matrix and sparse postings, rebuilt only after it changed."""
        with self._lock:
            version = self._versions[name]
            cached = self._search_cache.get(name)
            if cached and cached[0] == version:
                return cached[1]
            vectors = list(self.namespaces.get(name, {}).values())
        dense = np.asarray([vector["values"] for vector in vectors], dtype=np.float32).reshape(-1, self.dimension)
        postings: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for position, vector in enumerate(vectors):
            stored = vector.get("sparseValues") or {"indices": [], "values": []}
            for index, value in zip(stored["indices"], stored["values"], strict=True):
                postings[index][0].append(position)
                postings[index][1].append(value)
        searchable = ([vector["id"] for vector in vectors], dense, dict(postings))
        with self._lock:
            self._search_cache[name] = (version, searchable)
        return searchable


def _sparse_refusal(sparse: dict[str, Any] | None) -> str | None:
    """Why Pinecone would refuse these sparse values, if it would."""
    if not sparse:
        return None
    indices, values = sparse.get("indices", []), sparse.get("values", [])
    if len(indices) != len(values):
        return "sparse indices and values differ in length"
    if len(indices) > FakePinecone.MAX_SPARSE_VALUES:
        return f"sparse vector with {len(indices)} non-zero values exceeds {FakePinecone.MAX_SPARSE_VALUES}"
    if len(set(indices)) != len(indices) or any(not 0 <= index < 2**32 for index in indices):
        return "sparse indices must be distinct unsigned 32-bit integers"
    return None


def _matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, dict):
        if "$eq" in condition:
            return bool(value == condition["$eq"])
        if "$in" in condition:
            return value in condition["$in"]
    return bool(value == condition)
