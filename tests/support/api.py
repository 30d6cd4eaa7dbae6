"""Parley's API as the tests call it over HTTP and WebSocket: who is asking, and where the WebSocket API is; and the
types of what the e2e tests keep of its answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# A register or login response as the tests keep it: user, tenant and tokens (and the e2e tests add the e-mail and
# the password).
Account = dict[str, Any]
Chatbot = dict[str, Any]
# An owner and their chatbot, its document indexed (the e2e conftest's chatbot_with_document).
OwnedChatbot = tuple[Account, Chatbot]
NewAccount = Callable[[], Account]
ChatbotWithDocument = Callable[..., OwnedChatbot]


def bearer(who: Mapping[str, Any] | str) -> dict[str, str]:
    """The Authorization header of a registered account (its access token), or of a token or an API key as given."""
    credential = who if isinstance(who, str) else who["tokens"]["access_token"]
    return {"authorization": f"Bearer {credential}"}


def ws_url(http_url: str, **query: str) -> str:
    """The WebSocket API's address on the stack at `http_url`, asking with `query` (a token; a chatbot's public key
    and a visitor id)."""
    return "ws" + http_url.removeprefix("http") + "/?" + "&".join(f"{key}={value}" for key, value in query.items())
