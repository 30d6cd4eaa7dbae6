"""The WebSocket API as API Gateway serves it: $connect through the Lambda authorizer, route selection by a body
field, $disconnect on close, and the management API (`/@connections/{id}`) that handlers post frames through."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from local.aws.proxy import Refusal
from local.aws.sigv4 import SignedRequest
from local.template import ACCOUNT_ID, REGION, WebSocketApi

log = logging.getLogger("local")

Invoke = Callable[[str, dict[str, Any]], Awaitable[Any]]
STAGE = "local"


def _connection_id() -> str:
    # The shape API Gateway uses: 15 letters and digits and a "=", so ids need URL-encoding as real ones do.
    return base64.b64encode(secrets.token_bytes(12)).decode().replace("+", "x").replace("/", "y")[:15] + "="


def _now_ms() -> int:
    return int(time.time() * 1000)


def _allowed(policy: Any) -> tuple[bool, dict[str, Any]]:
    """Whether an authorizer's IAM policy allows the connection, and the context it hands to the routes."""
    if not isinstance(policy, dict):
        return False, {}
    statements = policy.get("policyDocument", {}).get("Statement", [])
    effects = {statement.get("Effect") for statement in statements}
    if effects != {"Allow"}:
        return False, {}
    return True, {**(policy.get("context") or {}), "principalId": policy.get("principalId", "")}


def _gone(connection_id: str) -> Response:
    # What the management API answers for a connection that has closed (boto3 raises GoneException).
    return JSONResponse(
        {"message": f"Connection {connection_id} is gone"},
        status_code=410,
        headers={"x-amzn-ErrorType": "GoneException"},
    )


@dataclass
class _Connection:
    socket: WebSocket
    source_ip: str
    user_agent: str
    authorizer: dict[str, Any]
    connected_at: int = field(default_factory=_now_ms)
    last_active_at: int = field(default_factory=_now_ms)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# Checks a management API call's signature and IAM permission; None to let it through, else the error to send.
AuthorizeManagement = Callable[[SignedRequest, str], Refusal | None]


class WebSocketGateway:
    def __init__(
        self, api: WebSocketApi, invoke: Invoke, domain_name: str, authorize: AuthorizeManagement | None = None
    ) -> None:
        self.api = api
        self.invoke = invoke
        self.domain_name = domain_name
        self.authorize = authorize
        self.connections: dict[str, _Connection] = {}

    # ------------------------------------------------------------------ client side

    async def serve(self, websocket: WebSocket) -> None:
        """One client connection, from the upgrade request to $disconnect."""
        connection_id = _connection_id()
        client = websocket.client.host if websocket.client else "127.0.0.1"
        connection = _Connection(websocket, client, websocket.headers.get("user-agent", ""), {})
        status = await self._connect(connection_id, connection)
        if status != 200:
            log.info("WS $connect refused -> %s", status)
            await self._refuse(websocket, status)
            return
        await websocket.accept()
        self.connections[connection_id] = connection
        log.info("WS $connect %s", connection_id)
        pending: set[asyncio.Task[None]] = set()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                connection.last_active_at = _now_ms()
                body = message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
                # API Gateway does not wait for one message's integration before passing on the next.
                task = asyncio.create_task(self._message(connection_id, connection, body))
                pending.add(task)
                task.add_done_callback(pending.discard)
        except WebSocketDisconnect:
            pass
        finally:
            self.connections.pop(connection_id, None)
            log.info("WS $disconnect %s", connection_id)
            if "$disconnect" in self.api.routes:
                await self._call(self.api.routes["$disconnect"], self._event(connection_id, connection, "DISCONNECT"))

    async def _connect(self, connection_id: str, connection: _Connection) -> int:
        websocket = connection.socket
        request = {
            "headers": dict(websocket.headers.items()),
            "multiValueHeaders": {key: websocket.headers.getlist(key) for key in websocket.headers},
            "queryStringParameters": dict(websocket.query_params.items()) or None,
            "multiValueQueryStringParameters": {
                key: websocket.query_params.getlist(key) for key in websocket.query_params
            }
            or None,
        }
        if self.api.authorizer:
            method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:local/{STAGE}/$connect"
            authorizer_event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                **request,
                "stageVariables": None,
                "requestContext": self._event(connection_id, connection, "CONNECT")["requestContext"],
            }
            try:
                policy = await self.invoke(self.api.authorizer, authorizer_event)
            except Exception:
                log.exception("%s raised", self.api.authorizer)
                return 500
            allowed, connection.authorizer = _allowed(policy)
            if not allowed:
                return 403
        if "$connect" not in self.api.routes:
            return 200
        result = await self._call(
            self.api.routes["$connect"], {**self._event(connection_id, connection, "CONNECT"), **request}
        )
        status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 500
        return 200 if 200 <= status < 300 else status

    async def _message(self, connection_id: str, connection: _Connection, body: str) -> None:
        route_key = "$default"
        try:
            frame = json.loads(body)
            if isinstance(frame, dict) and str(frame.get(self.api.selection_key)) in self.api.routes:
                route_key = str(frame[self.api.selection_key])
        except ValueError:
            pass
        function = self.api.routes.get(route_key)
        if function is None:
            return  # no route and no $default: API Gateway drops the message
        event = self._event(connection_id, connection, "MESSAGE", route_key)
        event["body"] = body
        event["isBase64Encoded"] = False
        await self._call(function, event)

    async def _call(self, function: str, event: dict[str, Any]) -> Any:
        started = time.perf_counter()
        request = event["requestContext"]
        try:
            return await self.invoke(function, event)
        except Exception:
            log.exception("%s raised", function)
            return {"statusCode": 500}
        finally:
            log.info("WS %s %s (%.0f ms)", request["routeKey"], function, (time.perf_counter() - started) * 1000)

    def _event(
        self, connection_id: str, connection: _Connection, event_type: str, route_key: str | None = None
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        route_key = route_key or {"CONNECT": "$connect", "DISCONNECT": "$disconnect"}[event_type]
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": STAGE,
            "connectedAt": connection.connected_at,
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": uuid.uuid4().hex,
            "domainName": self.domain_name,
            "connectionId": connection_id,
            "apiId": "local",
        }
        if event_type == "MESSAGE":
            context["messageId"] = uuid.uuid4().hex
        if connection.authorizer:
            context["authorizer"] = connection.authorizer
        return {"requestContext": context, "isBase64Encoded": False}

    @staticmethod
    async def _refuse(websocket: WebSocket, status: int) -> None:
        """Answer the upgrade request with an HTTP status, as API Gateway does for a refused $connect."""
        if status != 403 and "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(JSONResponse({"message": "Refused"}, status_code=status))
        else:
            await websocket.close(code=1008)  # closing before the handshake is answered with 403

    # ------------------------------------------------------------------ management API

    async def _refused(self, request: Request) -> Response | None:
        if self.authorize is None:
            return None
        signed = SignedRequest(
            request.method,
            request.scope["raw_path"].decode(),
            request.scope["query_string"].decode(),
            list(request.headers.items()),
            await request.body(),
        )
        refusal = self.authorize(signed, request.path_params["connection_id"])
        if refusal is None:
            return None
        status, headers, content = refusal
        return Response(content, status_code=status, headers=headers)

    async def _addressed(self, request: Request, *, remove: bool = False) -> _Connection | Response:
        """The open connection a management call names (`remove`: no longer open), or the answer when the call is
        refused or the connection is gone."""
        if refused := await self._refused(request):
            return refused
        connection_id = request.path_params["connection_id"]
        connection = self.connections.pop(connection_id, None) if remove else self.connections.get(connection_id)
        return _gone(connection_id) if connection is None else connection

    async def post_to_connection(self, request: Request) -> Response:
        connection = await self._addressed(request)
        if isinstance(connection, Response):
            return connection
        data = await request.body()
        try:
            text: str | None = data.decode()
        except UnicodeDecodeError:
            text = None  # binary data goes out as a binary frame
        try:
            async with connection.send_lock:
                if text is None:
                    await connection.socket.send_bytes(data)
                else:
                    await connection.socket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return _gone(request.path_params["connection_id"])
        return Response(status_code=200)

    async def get_connection(self, request: Request) -> Response:
        connection = await self._addressed(request)
        if isinstance(connection, Response):
            return connection
        return JSONResponse(
            {
                "ConnectedAt": datetime.fromtimestamp(connection.connected_at / 1000, UTC).isoformat(),
                "LastActiveAt": datetime.fromtimestamp(connection.last_active_at / 1000, UTC).isoformat(),
                "Identity": {"SourceIp": connection.source_ip, "UserAgent": connection.user_agent},
            }
        )

    async def delete_connection(self, request: Request) -> Response:
        connection = await self._addressed(request, remove=True)
        if isinstance(connection, Response):
            return connection
        await connection.socket.close(code=1000)
        return Response(status_code=204)
