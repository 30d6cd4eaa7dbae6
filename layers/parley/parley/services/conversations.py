"""Reading a chatbot's conversations: the list (all of it, or those started on some days) and one conversation with
its messages. Answering, which writes them, is the answer service's."""

from __future__ import annotations

from parley.domain.common import Page, PageRequest
from parley.domain.conversations import Conversation, DayRange, Message
from parley.errors import ConversationNotFound
from parley.ports import ChatbotStore, ConversationStore
from parley.services.chatbots import find_chatbot


class ConversationService:
    def __init__(self, chatbots: ChatbotStore, conversations: ConversationStore) -> None:
        self.chatbots = chatbots
        self.conversations = conversations

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
    ) -> tuple[Conversation, Page[Message]]:
        """The conversation and one page of its messages."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        conversation = self.conversations.get(tenant_id, chatbot_id, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        return conversation, self.conversations.messages(tenant_id, conversation_id, page)
