"""Handoff: a visitor asks for a person, a member of the tenant takes the conversation, and the bot stays silent on
it until the member hands it back or closes it.

A handoff that nobody takes by its deadline is `unanswered`: the deadline is stored, and the state is read from it
(no process waits for it to pass), as the visitor's widget asks again when the deadline comes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from parley.domain.accounts import Email
from parley.domain.common import Id, Model, Request

# Stored states: waiting for a member, held by one, handed back to the bot, closed by the member.
StoredStatus = Literal["waiting_for_human", "with_human", "bot", "closed"]
# As read: a waiting handoff past its deadline is `unanswered` (the visitor may leave an e-mail address).
HandoffStatus = Literal["waiting_for_human", "with_human", "unanswered", "bot", "closed"]
# A handoff record outlives its conversation's handoff by this much, then TTL removes it (the inbox reads them all).
HANDOFF_RECORD_DAYS = 30

# What a visitor types to ask for a person, in words the bot recognises without a model call.
_WANTS_PERSON = re.compile(
    r"\b(talk|speak|chat|connect me|put me through)\b.{0,20}\b(a |an |to a |to an |with a |with an |to )?"
    r"(person|human|agent|someone|somebody|real person|operator|representative|staff)\b"
    r"|\b(human|live) (agent|support|person)\b|^\s*(agent|human|operator)\s*[.!?]*\s*$",
    re.IGNORECASE,
)


def wants_person(question: str) -> bool:
    """Whether a visitor's message asks for a person rather than asking the bot something."""
    return bool(_WANTS_PERSON.search(question))


class Handoff(Model):
    """One conversation's request for a person, kept beside the conversation under its tenant."""

    tenant_id: str
    chatbot_id: str
    conversation_id: str
    # The visitor's caller tag ("visitor:<id>"): whose widget is told what happens.
    visitor: str
    status: StoredStatus
    # The visitor's last question and the bot's last answer when the person was asked for (what the inbox shows).
    question: str
    last_answer: str | None = None
    requested_at: datetime
    wait_until: datetime
    taken_by: str | None = None
    taken_at: datetime | None = None
    first_reply_at: datetime | None = None
    # The member's first reply: what a knowledge gap offers as the answer of a Q&A pair.
    first_reply: str | None = None
    contact_email: str | None = None
    updated_at: datetime

    def state(self, now: datetime) -> HandoffStatus:
        if self.status == "waiting_for_human" and now >= self.wait_until:
            return "unanswered"
        return self.status

    def holds_bot(self, now: datetime) -> bool:
        """Whether the bot must stay silent: a person is awaited or answering."""
        return self.state(now) in ("waiting_for_human", "with_human")


class HandoffPublic(BaseModel):
    """A handoff as the inbox shows it."""

    chatbot_id: str
    conversation_id: str
    status: HandoffStatus
    question: str
    last_answer: str | None = None
    requested_at: datetime
    wait_until: datetime
    # Seconds the visitor has waited for a member (until taken, or until now).
    waited_seconds: int
    taken_by: str | None = None
    taken_at: datetime | None = None
    contact_email: str | None = None

    @classmethod
    def of(cls, handoff: Handoff, now: datetime) -> HandoffPublic:
        until = handoff.taken_at or min(now, handoff.wait_until)
        return cls(
            **handoff.model_dump(include=set(cls.model_fields) - {"status", "waited_seconds"}),
            status=handoff.state(now),
            waited_seconds=max(0, int((until - handoff.requested_at).total_seconds())),
        )


# The inbox shows this many handoffs at most, the most urgent first (a team with more open at once has other problems).
INBOX_SIZE = 100


class Inbox(BaseModel):
    """The tenant's handoffs a member may act on: waiting first (longest waiting first), then held, then unanswered."""

    items: Annotated[list[HandoffPublic], Field(max_length=INBOX_SIZE)]


PersonText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


class PersonReply(Request):
    """A member's message to the visitor of a conversation they hold."""

    text: PersonText


class HandBack(Request):
    """End a member's hold: back to the bot, or `close` the handoff (the bot answers again either way)."""

    close: bool = False


class RequestPerson(Request):
    """The client frame by which a visitor asks for a person on their conversation."""

    action: Literal["requestPerson"]
    chatbot_id: Id
    conversation_id: Id


class LeaveContact(Request):
    """The client frame by which a visitor nobody could answer leaves an e-mail address (Parley sends nothing)."""

    action: Literal["leaveContact"]
    chatbot_id: Id
    conversation_id: Id
    email: Email


class HandoffCheck(Request):
    """The client frame by which a visitor's widget asks where its handoff stands (at its deadline, or on reload)."""

    action: Literal["handoffStatus"]
    chatbot_id: Id
    conversation_id: Id
