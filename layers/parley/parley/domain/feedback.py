"""Ratings of answers: what a rater sends, and the stored answer a rating finds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import StringConstraints

from parley.domain.common import Id, Request
from parley.domain.conversations import Message, Rating


class FeedbackRequest(Request):
    rating: Rating
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class GiveFeedback(FeedbackRequest):
    """The client frame that rates an answer of the chatbot (a visitor's connection: of their own conversation)."""

    action: Literal["feedback"]
    chatbot_id: Id
    message_id: Id


@dataclass(frozen=True)
class StoredAnswer:
    """An assistant message, who started its conversation (a visitor rates only answers they were given), and the
    question it answered (None for an answer stored before questions were kept with it)."""

    message: Message
    started_by: str | None
    question: str | None = None
