"""moto's server behind a door: it answers only the local stack itself (the AWS proxy in front of it, and the stack's
own provisioning and event sources), which send the door's key in a header; anyone else gets S3's AccessDenied.

moto checks no signature at all, so a moto reachable on a port would take any request, signed or not, from anyone
on the machine. The stack's one AWS endpoint is the proxy (proxy.py), which checks every request as AWS does and
asks moto in its own process (`answer`); moto's port is only how the stack's own code reaches moto.
"""

from __future__ import annotations

import functools
import io
import secrets
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote

from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

KEY_HEADER = "X-Parley-Local-Upstream"
_REFUSAL = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>AccessDenied</Code>"
    b"<Message>Access Denied: moto answers the local AWS proxy only</Message></Error>"
)

Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _guarded(app: WsgiApp, key: str) -> WsgiApp:
    def guard(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not secrets.compare_digest(environ.get("HTTP_" + KEY_HEADER.upper().replace("-", "_"), ""), key):
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [_REFUSAL]
        return app(environ, start_response)

    return guard


class _Dispatcher(DomainDispatcherApplication):
    """moto's, with each host's backend looked up once: moto's lists its package's folders from disk on every request
    to find it (6 % of the stack process's samples while 300 abstracts were uploaded and ingested; with the DynamoDB
    answers written directly, moto_dynamodb.py, its CPU for that work went from 45.4 to 38.4 s)."""

    @functools.cache  # noqa: B019 - one dispatcher a server, kept for the server's life
    def get_backend_for_host(self, host: str | None) -> Any:
        return super().get_backend_for_host(host)


class GuardedMotoServer(ThreadedMotoServer):
    """moto's threaded server on 127.0.0.1, answering only requests that carry `key` in KEY_HEADER."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(ip_address=host, port=0, verbose=False)
        self.key = secrets.token_urlsafe(24)
        self.app = _guarded(_Dispatcher(create_backend_app), self.key)

    @property
    def headers(self) -> dict[str, str]:
        """What a request to this server must carry."""
        return {KEY_HEADER: self.key}

    def _server_entry(self) -> None:
        # ThreadedMotoServer's, with the guard around moto's application.
        self._server = make_server(self._ip_address, self._port, self.app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    def answer(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """moto's answer to a request (`target`: its path and query as sent), computed in the caller's thread: what
        the server's port answers, without a connection, a thread and HTTP written and parsed on both sides for
        each request (most of a forwarded call's cost in the stack process). Only the stack's own code reaches it;
        the door's key is checked as on the port."""
        replied: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            replied[:] = [int(status.split(" ", 1)[0]), response_headers]

        environ = _environ(method, target, [*headers, (KEY_HEADER, self.key)], body, self.get_host_and_port())
        chunks = self.app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if close := getattr(chunks, "close", None):
                close()
        status, response_headers = replied
        return status, response_headers, b"" if method == "HEAD" else content


def _environ(
    method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes, server: tuple[str, int]
) -> dict[str, Any]:
    """The WSGI environment moto's server makes of such a request (werkzeug's `make_environ`, with moto's keeping
    of header names that have an underscore, as S3's user metadata may)."""
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(path)),
        "QUERY_STRING": _latin1(query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    dashed = {environ_key_for_header(name) for name, _ in headers if "_" not in name}
    for name, value in headers:
        if "_" in name:
            continue
        key, text = environ_key_for_header(name), value.replace("\r\n", "")
        environ[key] = f"{environ[key]},{text}" if key in environ and key.startswith("HTTP_") else text
    kept_names: dict[str, str] = {}
    kept_values: dict[str, list[str]] = {}
    for name, value in headers:
        key = environ_key_for_header(name)
        if should_preserve_original_header_name(name) and key not in dashed:
            kept_names.setdefault(key, name)
            kept_values.setdefault(key, []).append(value.replace("\r\n", ""))
    environ |= {key: ",".join(values) for key, values in kept_values.items()}
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = kept_names
    environ.setdefault("HTTP_HOST", f"{server[0]}:{server[1]}")  # as http.client sends a request that names none
    if body or method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))  # as http.client sends it
    return environ


def _latin1(text: str) -> str:
    return text.encode().decode("latin1")


def with_headers(client: Any, headers: dict[str, str]) -> Any:
    """A boto3 client whose every request also carries `headers` (the door's key)."""

    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register("before-send", add)
    return client
