"""The error responses routes declare, so that the OpenAPI document lists every status a route can answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, RootModel


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error Parley answers (parley/errors.py)."""

    error: ErrorDetail


class GatewayMessage(BaseModel):
    """What API Gateway itself answers when it refuses a request before Parley sees it (no valid token, no such
    route, throttled)."""

    message: str


class Refusal(RootModel[ErrorBody | GatewayMessage]):
    """An error from Parley, or a refusal from API Gateway in front of it."""


_MEANING = {
    400: "Bad input: a body that cannot be read as UTF-8 JSON (`bad_request`), a cursor that is not one of this list "
    "(`invalid_input`), a password Cognito's policy refuses (`weak_password`)",
    401: "No credential, or a session or API key that has ended (`unauthorized`); at sign-in, a wrong e-mail or "
    "password (`invalid_credentials`)",
    402: "The tenant's plan allows no more of this (`plan_limit`); the message names the limit and when it resets",
    403: "A token or API key the authorizer refuses (API Gateway's `{message}`); a role or API key that may not do "
    "this (`forbidden`); an e-mail address not confirmed yet, or a page Origin the chatbot does not allow",
    404: "No such resource for this caller: another tenant's, a deleted or an unknown one look the same",
    409: "The e-mail address is taken (sign-up tells, the usual trade-off for a clear sign-up)",
    410: "The invitation has expired; ask for a new one",
    413: "The declared file is larger than this deployment accepts",
    415: "Not a supported file type, or a content type that does not match the file extension",
    422: "The body, query or header does not match the schema (`validation_error`)",
    429: "Too many requests; wait the seconds `Retry-After` gives",
    503: "A service Parley depends on is unavailable; try again",
}
# The statuses API Gateway may answer itself, with its own body (403: its Lambda authorizer refused the request).
_GATEWAY = {401, 403, 404, 429}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or route: each status with its meaning and body schema."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "model": Refusal if status in _GATEWAY else ErrorBody,
            "description": _MEANING[status],
        }
        if status == 429:
            response["headers"] = _RETRY_AFTER
        documented[status] = response
    return documented
