"""moto's server behind a door: it answers only the local stack itself (the AWS proxy in front of it, and the stack's
own provisioning and event sources), which send the door's key in a header; anyone else gets S3's AccessDenied.

moto checks no signature at all, so a moto reachable on a port would take any request, signed or not, from anyone
on the machine. The stack's one AWS endpoint is the proxy (proxy.py), which checks every request as AWS does;
moto's port is only how the proxy reaches moto.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable
from typing import Any

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

    @property
    def headers(self) -> dict[str, str]:
        """What a request to this server must carry."""
        return {KEY_HEADER: self.key}

    def _server_entry(self) -> None:
        # ThreadedMotoServer's, with the guard around moto's application.
        app = _guarded(_Dispatcher(create_backend_app), self.key)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def with_headers(client: Any, headers: dict[str, str]) -> Any:
    """A boto3 client whose every request also carries `headers` (the door's key)."""

    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register("before-send", add)
    return client
