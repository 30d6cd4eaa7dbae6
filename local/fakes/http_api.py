"""The HTTP base of the local fakes: a JSON server on 127.0.0.1 with a table of routes, that counts every request,
streams server-sent events as the services do, and can be told to fail: the next few requests (`fail_next`), or a
seeded share of them as the service fails (`faults`, local/faults.py)."""

from __future__ import annotations

import json
import select
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from local.faults import Faults
from local.loopback import LoopbackServer

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


class FakeHttpApi(LoopbackServer):
    """A JSON HTTP server on 127.0.0.1 with a table of routes; subclasses fill the table, and say how their
    service fails (`FAULT_KINDS`: statuses, "hang" for a request held past the client's timeout)."""

    FAULT_KINDS: tuple[str, ...] = ("500",)

    def __init__(self, faults: Faults | None = None) -> None:
        self.requests: Counter[str] = Counter()
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.routes: dict[tuple[str, str], Route] = {}
        self.faults = faults
        # As the services: persistent connections, streams in chunks (a cut stream is a broken one, not a shorter
        # one). Requests are counted, not logged.
        super().__init__(self._serve, ("GET", "POST"), keep_alive=True)

    def start(self) -> Self:
        # What `reset` returns to: the routes and faults the server was started with.
        self._routes_at_start = dict(self.routes)
        self._faults_at_start = self.faults
        return super().start()

    def reset(self) -> None:
        """Serve as if just started: the requests counted, the failures queued and the routes or faults changed
        since `start` are forgotten (tests share one server and reset it for each)."""
        with self._lock:
            self.requests = Counter()
            self._failures = []
            self.routes.clear()
            self.routes.update(self._routes_at_start)
            self.faults = self._faults_at_start

    def fail_next(self, count: int, status: int = 429, headers: dict[str, str] | None = None) -> None:
        """Answer the next `count` requests with `status` (and e.g. a Retry-After header)."""
        with self._lock:
            self._failures.extend([(status, headers or {})] * count)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method, url = handler.command, urlsplit(handler.path)
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
