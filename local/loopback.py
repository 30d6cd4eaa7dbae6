"""An HTTP server on an ephemeral port of 127.0.0.1, each request answered in a thread of its own: what the AWS proxy,
the fakes and the sample website are served by, and the tests' little websites too."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

Serve = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    """Serves each request of one of `methods` with `serve` (any other gets http.server's 501) and logs nothing: the
    servers built on it count or log what matters to them. `keep_alive`: HTTP/1.1 persistent connections, for a server
    whose every answer says its length or is chunked; `tls`: HTTPS with this context."""

    def __init__(
        self,
        serve: Serve,
        methods: Iterable[str] = ("GET",),
        *,
        keep_alive: bool = False,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        name: str | None = None,
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            # An answer's headers and body are two writes: with Nagle's algorithm on, the body waits for the client
            # to acknowledge the headers, which a client on a kept-alive connection delays (40 ms on Linux) - a stall
            # no AWS endpoint has, which was most of a DynamoDB call's time through the proxy.
            disable_nagle_algorithm = True

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionResetError:
                    return  # a client that went away with its connection open (a killed function, a timeout)

            def answer(self) -> None:
                serve(self)

            def log_message(self, *_: object) -> None:
                return

        for method in methods:
            setattr(Handler, f"do_{method}", Handler.answer)
        self._server = ThreadingHTTPServer((host, 0), Handler)
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # A short poll: `stop` waits for the serving loop to notice (half a second by default, paid by every test).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=name, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
