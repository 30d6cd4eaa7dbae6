"""Reading a chatbot's conversations: the list (all of it, or those started on some days) and one conversation with
its messages. Answering, which writes them, is the answer service's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.common import Page, PageRequest, utcnow
from parley.domain.conversations import Conversation, DayRange, Message
from parley.domain.handoff import HandoffPublic
from parley.errors import ConversationNotFound
from parley.ports import ChatbotStore, ConversationStore, HandoffStore
from parley.services.chatbots import find_chatbot


class ConversationService:
    def __init__(
        self,
        chatbots: ChatbotStore,
        conversations: ConversationStore,
        handoffs: HandoffStore,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.conversations = conversations
        self.handoffs = handoffs
        self.now = now

    def list(
        self, tenant_id: str, chatbot_id: str, page: PageRequest, days: DayRange | None = None
    ) -> Page[Conversation]:
        """The chatbot's conversations (those started in `days`, if given), the most recently started first."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        if days is None:
            return self.conversations.list(tenant_id, chatbot_id, page)
        return self.conversations.started_between(tenant_id, chatbot_id, days.start, days.end, page, newest_first=True)

    def get(
        self, tenant_id: str, chatbot_id: str, conversation_id: str, page: PageRequest
    ) -> tuple[Conversation, Page[Message], HandoffPublic | None]:
        """The conversation, one page of its messages, and where its visitor's request for a person stands (if any)."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        conversation = self.conversations.get(tenant_id, chatbot_id, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        handoff = self.handoffs.get(tenant_id, chatbot_id, conversation_id)
        return (
            conversation,
            self.conversations.messages(tenant_id, conversation_id, page),
            HandoffPublic.of(handoff, self.now()) if handoff is not None else None,
        )
