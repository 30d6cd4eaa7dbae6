"""The public chat of a chatbot: anonymous website visitors, admitted by publishable key and Origin, rate-limited."""

from __future__ import annotations

import ipaddress
import re
import sys
from dataclasses import dataclass

from parley.domain.chatbots import Chatbot, normalize_origin
from parley.domain.common import RATE_WINDOW_SECONDS, new_id, utcnow
from parley.domain.conversations import QueryRequest, QueryResult
from parley.errors import ChatbotNotFound, ConversationHeld, OriginNotAllowed, PlanLimitReached
from parley.observability import logger
from parley.ports import AnswerListener, ChatbotStore, HandoffStore, RateLimiter
from parley.services.answers import AnswerService

VISITOR_TAG = "visitor:"
# What a visitor is told when the tenant's plan has no questions left: the owner's plan and usage are not theirs.
VISITOR_PLAN_LIMIT = "This chatbot cannot answer more questions for now; try again later"
# Messages a network may send in a window whatever the chatbot's shared budget says.
NEWCOMER_MESSAGES = 2
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
    def network(self) -> str:
        """The network the visitor calls from, as rate limits count it: an IPv4 address (a /24 would also lock out
        the neighbours of a NAT'd office or a carrier's pool), or an IPv6 /64, which one subscriber holds whole
        and so can hop addresses within for free."""
        return network_of(self.address)

    @property
    def tag(self) -> str:
        return f"{VISITOR_TAG}{self.id}"

    @classmethod
    def tagged(cls, tag: str, address: str) -> Visitor:
        return cls(tag.removeprefix(VISITOR_TAG), address)


def network_of(address: str) -> str:
    """`address` as its rate-limited network: the IPv4 address itself, or the IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


class PublicChat:
    def __init__(
        self,
        chatbots: ChatbotStore,
        limiter: RateLimiter,
        answers: AnswerService,
        handoffs: HandoffStore,
        *,
        per_visitor: int,
        per_network: int,
        per_chatbot: int,
    ) -> None:
        self.chatbots = chatbots
        self.limiter = limiter
        self.answers = answers
        self.handoffs = handoffs
        self.per_visitor = per_visitor
        self.per_network = per_network
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

    def chatbot(self, public_key: str, origin: str | None, chatbot_id: str | None = None) -> Chatbot:
        """The chatbot a visitor's key and Origin open; a `chatbot_id` (a WebSocket frame names one) must be it."""
        chatbot = self.admit(public_key, origin)
        if chatbot_id is not None and chatbot_id != chatbot.id:
            raise ChatbotNotFound()
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
        A `chatbot_id` (the WebSocket frame names one) must be the chatbot the key opens. While a person is awaited
        or answering the conversation, the bot does not: ConversationHeld."""
        chatbot = self.chatbot(public_key, origin, chatbot_id)
        logger.append_keys(tenant_id=chatbot.tenant_id)  # a refusal below is ranked by tenant (template.yaml)
        # The visitor's own limits first, so that what they send beyond them never draws on the chatbot's shared
        # budget. The id is the visitor's to choose (a fresh one per message evades its limit); the network is not.
        self.limiter.hit(chatbot.tenant_id, f"visitor#{chatbot.id}#{visitor.id}", self.per_visitor, RATE_WINDOW_SECONDS)
        sent = self.limiter.hit(
            chatbot.tenant_id, f"network#{chatbot.id}#{visitor.network}", self.per_network, RATE_WINDOW_SECONDS
        )
        # A network's first messages of the window are counted but never refused by the shared budget: however
        # many messages a few networks send, a newcomer is answered. Beyond them the budget applies, so spending
        # past it takes many networks, each allowed only NEWCOMER_MESSAGES more.
        limit = self.per_chatbot if sent > NEWCOMER_MESSAGES else sys.maxsize
        self.limiter.hit(chatbot.tenant_id, f"chatbot#{chatbot.id}", limit, RATE_WINDOW_SECONDS)
        if request.conversation_id is not None:
            handoff = self.handoffs.get(chatbot.tenant_id, chatbot.id, request.conversation_id)
            if handoff is not None and handoff.holds_bot(utcnow()):
                raise ConversationHeld()
        try:
            return self.answers.answer(
                chatbot.tenant_id, chatbot.id, request, started_by=visitor.tag, listener=listener
            )
        except PlanLimitReached as refusal:
            raise PlanLimitReached(VISITOR_PLAN_LIMIT) from refusal
