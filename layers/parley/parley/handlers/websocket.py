"""The WebSocket API's Lambda entry points: the $connect authorizer and the routes of ws_chat.

Plain handlers (Mangum does not speak WebSocket events); every route event carries the authorizer's context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.container import get_container
from parley.errors import ParleyError
from parley.observability import logger, record_refusal
from parley.services.admission import Admission

# Powertools' correlation id for WebSocket events (the request id API Gateway logs too).
CORRELATION_PATH = "requestContext.requestId"
OK = {"statusCode": 200}


def _policy(
    principal: str, effect: str, resource: str, context: Mapping[str, str | int] | None = None
) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        policy["context"] = dict(context)
    return policy


def authorize(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """$connect: allow an owner's live access token, or a visitor of a public chatbot from an allowed Origin.
    A refusal is a Deny policy (API Gateway answers 403 and never calls $connect, so nothing is recorded)."""
    query = event.get("queryStringParameters") or {}
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    address = event.get("requestContext", {}).get("identity", {}).get("sourceIp", "")
    try:
        admission = get_container().admission.admit(
            token=query.get("token"),
            key=query.get("key"),
            origin=headers.get("origin"),
            visitor_id=query.get("visitor_id"),
            address=address,
        )
    except ParleyError as error:
        if error.status >= 500:
            raise
        logger.info("WebSocket connection refused", extra={"code": error.code})
        record_refusal(error)
        return _policy("refused", "Deny", event["methodArn"])
    logger.append_keys(tenant_id=admission.tenant_id)
    return _policy(admission.caller, "Allow", event["methodArn"], admission.context())


def route(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """$connect, $disconnect, sendMessage and $default of one connection."""
    request = event["requestContext"]
    connection_id = request["connectionId"]
    authorizer = request.get("authorizer") or {}
    chat = get_container().live_chat
    match request.get("eventType"):
        case "CONNECT":
            admission = Admission.of_context(authorizer)
            logger.append_keys(tenant_id=admission.tenant_id)
            chat.open(connection_id, admission, request.get("identity", {}).get("sourceIp", ""))
        case "DISCONNECT":
            if authorizer.get("tenant_id"):
                chat.close(str(authorizer["tenant_id"]), connection_id)
        case _:
            logger.append_keys(tenant_id=authorizer.get("tenant_id"))
            chat.receive(str(authorizer.get("tenant_id", "")), connection_id, event.get("body"))
    return OK
