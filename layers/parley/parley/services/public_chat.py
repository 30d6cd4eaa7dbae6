"""The public chat of a chatbot: anonymous website visitors, admitted by publishable key and Origin, rate-limited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.domain.chatbots import Chatbot, normalize_origin
from parley.domain.common import new_id
from parley.domain.conversations import QueryRequest, QueryResult
from parley.errors import ChatbotNotFound, OriginNotAllowed
from parley.ports import AnswerListener, ChatbotStore, RateLimiter
from parley.services.answers import AnswerService

WINDOW_SECONDS = 60
VISITOR_TAG = "visitor:"
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@dataclass(frozen=True)
class Visitor:
    """An anonymous visitor: the id their widget keeps (or a new one) and the address they call from."""

    id: str
    address: str

    @classmethod
    def of(cls, claimed_id: str | None, address: str) -> Visitor:
        return cls(claimed_id if claimed_id and _VISITOR_ID.match(claimed_id) else new_id(), address)

    @property
    def tag(self) -> str:
        return f"{VISITOR_TAG}{self.id}"

    @classmethod
    def tagged(cls, tag: str, address: str) -> Visitor:
        return cls(tag.removeprefix(VISITOR_TAG), address)


class PublicChat:
    def __init__(
        self,
        chatbots: ChatbotStore,
        limiter: RateLimiter,
        answers: AnswerService,
        *,
        per_visitor: int,
        per_chatbot: int,
    ) -> None:
        self.chatbots = chatbots
        self.limiter = limiter
        self.answers = answers
        self.per_visitor = per_visitor
        self.per_chatbot = per_chatbot

    def admit(self, public_key: str, origin: str | None) -> Chatbot:
        """The public chatbot behind a key, if the calling page's Origin is one it allows."""
        chatbot = self.chatbots.by_public_key(public_key)
        if chatbot is None or chatbot.visibility != "public":
            # A private chatbot's key opens nothing; it is indistinguishable from a wrong key.
            raise ChatbotNotFound()
        try:
            allowed = origin is not None and normalize_origin(origin) in chatbot.allowed_origins
        except ValueError:
            allowed = False
        if not allowed:
            raise OriginNotAllowed("This website may not use this chatbot")
        return chatbot

    def ask(
        self,
        public_key: str,
        origin: str | None,
        visitor: Visitor,
        request: QueryRequest,
        *,
        chatbot_id: str | None = None,
        listener: AnswerListener | None = None,
    ) -> QueryResult:
        """Answer a visitor, counting the message against the visitor's and the chatbot's limits first.
        A `chatbot_id` (the WebSocket frame names one) must be the chatbot the key opens."""
        chatbot = self.admit(public_key, origin)
        if chatbot_id is not None and chatbot_id != chatbot.id:
            raise ChatbotNotFound()
        # Limits follow the network address, which a visitor cannot choose; the visitor id only names the chat.
        self.limiter.hit(chatbot.tenant_id, f"visitor#{chatbot.id}#{visitor.address}", self.per_visitor, WINDOW_SECONDS)
        self.limiter.hit(chatbot.tenant_id, f"chatbot#{chatbot.id}", self.per_chatbot, WINDOW_SECONDS)
        return self.answers.answer(chatbot.tenant_id, chatbot.id, request, started_by=visitor.tag, listener=listener)
