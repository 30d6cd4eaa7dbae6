"""Parley's API as the tests call it over HTTP and WebSocket: who is asking, and where the WebSocket API is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A register or login response as the tests keep it: user, tenant and tokens (and the e2e tests add the e-mail and
# the password).
Account = Mapping[str, Any]


def bearer(who: Account | str) -> dict[str, str]:
    """The Authorization header of a registered account (its access token), or of a token or an API key as given."""
    credential = who if isinstance(who, str) else who["tokens"]["access_token"]
    return {"authorization": f"Bearer {credential}"}


def ws_url(http_url: str, **query: str) -> str:
    """The WebSocket API's address on the stack at `http_url`, asking with `query` (a token; a chatbot's public key
    and a visitor id)."""
    return "ws" + http_url.removeprefix("http") + "/?" + "&".join(f"{key}={value}" for key, value in query.items())
