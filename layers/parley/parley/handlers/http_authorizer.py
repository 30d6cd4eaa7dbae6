"""The HTTP API's Lambda authorizer: a Cognito access token or a tenant API key, checked before a route runs.

Payload format 2.0 with simple responses. API Gateway caches an answer by the Authorization header, so the routes
check again what can change within the cache's lifetime (a revoked key, a signed-out or expired session): the
context handed to them says which kind of caller it is. Kept light (no FastAPI, no OpenAI): an uncached request
waits for it.
"""

from __future__ import annotations

from typing import Any

from parley.container import get_container
from parley.domain.api_keys import is_api_key
from parley.errors import ParleyError, Unauthorized
from parley.observability import logger, record_refusal

DENY: dict[str, Any] = {"isAuthorized": False}


def _allow(context: dict[str, str | int]) -> dict[str, Any]:
    return {"isAuthorized": True, "context": context}


def _deny(error: ParleyError) -> dict[str, Any]:
    if error.status >= 500:
        raise error
    logger.info("Request refused by the authorizer", extra={"code": error.code})
    record_refusal(error)
    return DENY


def authorize(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Allow a live API key (by its hash: one read), or an access token of this app's user pool (signature,
    issuer, expiry, client and token use: no read at all)."""
    scheme, _, token = str((event.get("headers") or {}).get("authorization", "")).partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _deny(Unauthorized("Missing bearer token"))
    container = get_container()
    if is_api_key(token):
        grant = container.api_keys.grant_of(token)
        if grant is None:
            return _deny(Unauthorized("Unknown or revoked API key"))
        logger.append_keys(tenant_id=grant.tenant_id)
        return _allow({"api_key_id": grant.id, "tenant_id": grant.tenant_id})
    try:
        claims = container.identity.verified_claims(token)
    except ParleyError as error:
        return _deny(error)
    return _allow({name: claims[name] for name in ("sub", "token_use", "iat", "exp")})
