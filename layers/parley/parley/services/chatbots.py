"""Chatbot configuration, always within one tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.chatbots import Chatbot, ChatbotCreate, ChatbotUpdate, new_public_key
from parley.domain.chunking import check_chunking
from parley.domain.common import Page, PageRequest, new_id, timestamp, utcnow
from parley.errors import ChatbotNotFound, ValidationFailed
from parley.ports import ChatbotStore


def find_chatbot(chatbots: ChatbotStore, tenant_id: str, chatbot_id: str) -> Chatbot:
    """The tenant's live chatbot, or ChatbotNotFound: every service that acts on a chatbot looks it up here."""
    chatbot = chatbots.get(tenant_id, chatbot_id)
    if chatbot is None:
        raise ChatbotNotFound()
    return chatbot


class ChatbotService:
    def __init__(self, chatbots: ChatbotStore, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.chatbots = chatbots
        self.clock = clock

    def create(self, tenant_id: str, request: ChatbotCreate) -> Chatbot:
        now = self.clock()
        chatbot = Chatbot(
            **request.model_dump(),
            id=new_id(),
            tenant_id=tenant_id,
            public_key=new_public_key(),
            created_at=now,
            updated_at=now,
        )
        self.chatbots.add(chatbot)
        return chatbot

    def list(self, tenant_id: str, page: PageRequest) -> Page[Chatbot]:
        return self.chatbots.list(tenant_id, page)

    def get(self, tenant_id: str, chatbot_id: str) -> Chatbot:
        return find_chatbot(self.chatbots, tenant_id, chatbot_id)

    def update(self, tenant_id: str, chatbot_id: str, request: ChatbotUpdate) -> Chatbot:
        if request.chunk_size is not None or request.chunk_overlap is not None:
            current = self.get(tenant_id, chatbot_id)
            try:
                check_chunking(
                    current.chunk_size if request.chunk_size is None else request.chunk_size,
                    current.chunk_overlap if request.chunk_overlap is None else request.chunk_overlap,
                )
            except ValueError as error:
                raise ValidationFailed(str(error)) from error
        changes = {**request.model_dump(mode="json", exclude_unset=True), "updated_at": timestamp(self.clock())}
        chatbot = self.chatbots.update(tenant_id, chatbot_id, changes)
        if chatbot is None:
            raise ChatbotNotFound()
        return chatbot

    def delete(self, tenant_id: str, chatbot_id: str) -> None:
        if not self.chatbots.soft_delete(tenant_id, chatbot_id, self.clock()):
            raise ChatbotNotFound()
