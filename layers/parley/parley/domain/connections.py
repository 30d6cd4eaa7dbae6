"""Live WebSocket connections, and the frames the chat sends and receives over them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from parley.domain.common import Id, Model, Request
from parley.domain.conversations import Question

# API Gateway ends every WebSocket connection after two hours; the record outlives it a little (TTL).
CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60 + 5 * 60


class Connection(Model):
    """Who is on the other end of a WebSocket, as the $connect authorizer admitted them."""

    id: str
    tenant_id: str
    # The owner's user id, or "visitor:<id>" for an anonymous visitor; conversations are bound to it.
    caller: str
    # Visitors only: the publishable key and page Origin they were admitted with, checked again per message.
    public_key: str | None = None
    origin: str | None = None
    # Owners only: their token's `iat`; each message checks the user has not signed out since.
    token_issued_at: int | None = None
    source_ip: str
    connected_at: datetime
    expires_at: int = Field(description="epoch seconds; DynamoDB's TTL removes the record after")


class SendMessage(Request):
    """The client frame that asks a question."""

    action: Literal["sendMessage"]
    chatbot_id: Id
    question: Question
    conversation_id: Id | None = None
