"""Questions, answers and the conversations that hold them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from parley.domain.common import Id, Model, Paged, Request
from parley.domain.handoff import HandoffPublic
from parley.errors import ValidationFailed

Question = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
# "qa": a Q&A pair's stored answer, given as written because the question matched the pair's (no model call).
AnswerMode = Literal["llm", "extractive", "qa"]


class Citation(BaseModel):
    document_id: str
    filename: str
    chunk_id: str
    score: float
    snippet: str
    page: int | None = None
    # A passage of a source's document: the web page it came from (what the citation links to) and the source.
    url: str | None = None
    source_id: str | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


Rating = Literal["up", "down"]


class Feedback(BaseModel):
    """A person's rating of one answer (the owner's team or a visitor), kept with the message; the latest wins."""

    rating: Rating
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None
    at: datetime


class Message(Model):
    id: str
    conversation_id: str
    role: Literal["user", "assistant"]
    content: str
    citations: list[Citation] = Field(default_factory=list)
    mode: AnswerMode | None = None
    degraded: bool = False
    interrupted: bool = False
    # False when no passage of the chatbot's documents answered (the answer says so, with no citation).
    answerable: bool = True
    usage: Usage | None = None
    latency_ms: int | None = None
    feedback: Feedback | None = None
    # A person's reply in a handoff: the member who wrote it (the message is theirs, not the bot's).
    person: str | None = None
    created_at: datetime


class Conversation(Model):
    id: str
    tenant_id: str
    chatbot_id: str
    title: str
    message_count: int = 0
    # Who started it: an owner's user id, or an anonymous visitor of the public chat.
    started_by: str | None = None
    created_at: datetime
    updated_at: datetime


class QueryRequest(Request):
    question: Question
    conversation_id: Id | None = None


class QueryResult(BaseModel):
    answer: str
    citations: list[Citation]
    conversation_id: str
    message_id: str
    mode: AnswerMode
    usage: Usage
    # True when the language model failed and the answer was built from the passages instead.
    degraded: bool = False
    # False when no passage answers the question: the answer says it is not in the documents, with no citation.
    answerable: bool = True


class SearchRequest(Request):
    query: Question
    top_k: Annotated[int, Field(ge=1, le=100)] | None = None


class SearchHit(BaseModel):
    document_id: str
    filename: str
    chunk_id: str
    # The ranking score (dense similarity and lexical coverage); `similarity` is the dense part alone.
    score: float
    similarity: float
    text: str


class SearchResult(BaseModel):
    results: list[SearchHit]
    # Whether any result comes close enough to answer, by the chatbot's `min_relevance`.
    answerable: bool


# A range of days given without its first day covers this many days up to its last (today by default); a longer one
# than MAX_DAYS is refused, so that what one request reads stays bounded.
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class DayRange:
    """The conversations started on the UTC days `first`..`last`, both included."""

    first: date
    last: date

    @classmethod
    def of(cls, first: date | None, last: date | None, *, today: date) -> DayRange:
        """The range as asked, with the defaults filled in; a reversed or too long one is refused (422)."""
        last = last or today
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise ValidationFailed(f"from ({first}) is after to ({last})")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"A range covers at most {MAX_DAYS} days; narrow from and to")
        return cls(first, last)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the range."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


class ConversationSummary(BaseModel):
    id: str
    title: str
    message_count: int
    created_at: datetime
    updated_at: datetime


class ConversationList(Paged):
    items: list[ConversationSummary]


class MessagePublic(BaseModel):
    id: str
    role: Literal["user", "assistant"]
    content: str
    citations: list[Citation]
    mode: AnswerMode | None = None
    degraded: bool = False
    interrupted: bool = False
    answerable: bool = True
    usage: Usage | None = None
    feedback: Feedback | None = None
    person: str | None = None
    created_at: datetime


class ConversationDetail(ConversationSummary):
    """A conversation with one page of its messages, oldest first; `next_cursor` leads to the next page."""

    messages: list[MessagePublic]
    next_cursor: str | None = None
    # The visitor's request for a person, if they made one: where it stands (`waiting_for_human` while it waits) and
    # the e-mail address they left when nobody took it.
    handoff: HandoffPublic | None = None
