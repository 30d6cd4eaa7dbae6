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


ServerFrame = Annotated[
    StartFrame | TokenFrame | CitationsFrame | DoneFrame | ErrorFrame | FeedbackFrame, Field(discriminator="type")
]
ClientFrame = Annotated[SendMessage | GiveFeedback, Field(discriminator="action")]


class Frames(BaseModel):
    """What a client sends (`client`) and what it receives (`server`) on one connection."""

    client: ClientFrame
    server: ServerFrame
