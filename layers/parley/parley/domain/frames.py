"""The WebSocket API's frames in both directions: the schema the back end sends by and the web clients are typed from.

`make openapi` writes it to shared/websocket.schema.json beside the HTTP API's document; a test fails when the
committed file is stale, and the web build fails when a client reads a field the schema does not have.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from parley.domain.connections import SendMessage
from parley.domain.conversations import AnswerMode, Citation, Rating, Usage
from parley.domain.feedback import GiveFeedback
from parley.domain.handoff import HandoffCheck, HandoffPublic, HandoffStatus, LeaveContact, RequestPerson


class StartFrame(BaseModel):
    """The answer has begun; its conversation and message ids (to reopen the conversation later)."""

    type: Literal["start"] = "start"
    conversation_id: str
    message_id: str


class TokenFrame(BaseModel):
    """The next words of the answer, to append."""

    type: Literal["token"] = "token"
    text: str


class CitationsFrame(BaseModel):
    """The passages the answer cites, after its last token."""

    type: Literal["citations"] = "citations"
    citations: list[Citation]


class DoneFrame(BaseModel):
    """The answer is complete and stored."""

    type: Literal["done"] = "done"
    usage: Usage
    mode: AnswerMode
    degraded: bool
    # False when the documents hold no answer (the answer says so, with no citation).
    answerable: bool


class ErrorFrame(BaseModel):
    """The request failed, or the answer was cut short after the tokens already sent."""

    type: Literal["error"] = "error"
    code: str
    message: str
    # Seconds to wait before asking again (rate limits only).
    retry_after: int | None = None


class FeedbackFrame(BaseModel):
    """The rating of an answer is stored (the reply to a `feedback` frame)."""

    type: Literal["feedback"] = "feedback"
    message_id: str
    rating: Rating


class HandoffFrame(BaseModel):
    """To a visitor: where their request for a person stands. `waiting_for_human` until `wait_until` (then the
    widget asks again); `with_human` once a member took it (the bot is silent); `unanswered` when nobody took it
    (`members_online` says whether anybody was there; an e-mail address may be left); `bot` or `closed` when the
    member gave it back. Also the reply to a message sent while the bot is silent (`message_id` is the stored one)."""

    type: Literal["handoff"] = "handoff"
    conversation_id: str
    status: HandoffStatus
    wait_until: str | None = None
    members_online: bool | None = None
    contact_email: str | None = None
    message_id: str | None = None


class PersonFrame(BaseModel):
    """To a visitor: a message written by a person (a member of the chatbot's team), not by the bot."""

    type: Literal["person"] = "person"
    conversation_id: str
    message_id: str
    text: str


class InboxFrame(BaseModel):
    """To the tenant's members signed in to the console: a handoff changed (asked for, taken, answered, given back,
    or its visitor left an address)."""

    type: Literal["inbox"] = "inbox"
    handoff: HandoffPublic


class VisitorFrame(BaseModel):
    """To the tenant's members: the visitor of a handoff wrote while the bot is silent."""

    type: Literal["visitor"] = "visitor"
    chatbot_id: str
    conversation_id: str
    message_id: str
    text: str


ServerFrame = Annotated[
    StartFrame
    | TokenFrame
    | CitationsFrame
    | DoneFrame
    | ErrorFrame
    | FeedbackFrame
    | HandoffFrame
    | PersonFrame
    | InboxFrame
    | VisitorFrame,
    Field(discriminator="type"),
]
ClientFrame = Annotated[
    SendMessage | GiveFeedback | RequestPerson | LeaveContact | HandoffCheck, Field(discriminator="action")
]


class Frames(BaseModel):
    """What a client sends (`client`) and what it receives (`server`) on one connection."""

    client: ClientFrame
    server: ServerFrame
