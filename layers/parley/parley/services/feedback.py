"""Ratings of answers, by the tenant's team (REST or WebSocket) or by the visitor who was given the answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.analytics import feedback_tally
from parley.domain.common import RATE_WINDOW_SECONDS, utcnow
from parley.domain.conversations import Feedback
from parley.domain.feedback import FeedbackRequest
from parley.domain.gaps import Gap
from parley.errors import AnswerNotFound, UpstreamUnavailable
from parley.observability import record
from parley.ports import ChatbotStore, ConversationStore, GapStore, RateLimiter
from parley.services.chatbots import find_chatbot
from parley.services.public_chat import PublicChat, Visitor

# Ratings of one answer that race each other: each attempt re-reads the rating it replaces.
RATE_ATTEMPTS = 5


class FeedbackService:
    def __init__(
        self,
        chatbots: ChatbotStore,
        conversations: ConversationStore,
        public_chat: PublicChat,
        limiter: RateLimiter,
        gaps: GapStore,
        *,
        per_network: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.conversations = conversations
        self.public_chat = public_chat
        self.limiter = limiter
        self.gaps = gaps
        self.per_network = per_network
        self.clock = clock

    def rate(self, tenant_id: str, chatbot_id: str, message_id: str, request: FeedbackRequest) -> None:
        """A team member rates any answer of the tenant's chatbot."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        self._rate(tenant_id, chatbot_id, message_id, request, rater=None)

    def rate_publicly(
        self,
        public_key: str,
        origin: str | None,
        visitor: Visitor,
        message_id: str,
        request: FeedbackRequest,
        *,
        chatbot_id: str | None = None,
    ) -> None:
        """A visitor rates an answer of their own conversation, from a page the chatbot allows. A `chatbot_id`
        (a WebSocket frame may name one) must be the chatbot the key opens."""
        chatbot = self.public_chat.admit(public_key, origin)
        if chatbot_id is not None and chatbot_id != chatbot.id:
            raise AnswerNotFound()
        # Rating the same answer over and over writes each time: a network rates as often as it may ask.
        key = f"ratings#{chatbot.id}#{visitor.network}"
        self.limiter.hit(chatbot.tenant_id, key, self.per_network, RATE_WINDOW_SECONDS)
        self._rate(chatbot.tenant_id, chatbot.id, message_id, request, rater=visitor.tag)

    def _rate(
        self, tenant_id: str, chatbot_id: str, message_id: str, request: FeedbackRequest, *, rater: str | None
    ) -> None:
        feedback = Feedback(rating=request.rating, comment=request.comment or None, at=self.clock())
        for _ in range(RATE_ATTEMPTS):
            stored = self.conversations.answer(tenant_id, chatbot_id, message_id)
            # A visitor's rating reaches only the conversations they started (as their questions do).
            if stored is None or (rater is not None and stored.started_by != rater):
                raise AnswerNotFound()
            answer = stored.message
            before = answer.feedback.rating if answer.feedback else None
            tally = feedback_tally(answer.created_at.date(), before, request.rating)
            if self.conversations.rate(tenant_id, chatbot_id, answer, feedback, tally):
                record("Feedback", rating=request.rating, tenant_id=tenant_id, chatbot_id=chatbot_id)
                # A thumbs-down marks the question as a knowledge gap (the answer did not serve it).
                if (
                    request.rating == "down"
                    and before != "down"
                    and stored.question is not None
                    and answer.person is None
                ):
                    gap = Gap(
                        chatbot_id=chatbot_id,
                        conversation_id=answer.conversation_id,
                        question=stored.question,
                        reason="thumbs_down",
                        asked_at=answer.created_at,
                    )
                    self.gaps.add(tenant_id, gap)
                return
        raise UpstreamUnavailable("This answer's rating kept changing while it was saved; try again")
