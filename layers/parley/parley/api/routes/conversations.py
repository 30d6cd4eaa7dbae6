"""A chatbot's conversations, as its owner reads them: the list, and one conversation with its messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, ConversationId, DaysIfAsked, PageQuery
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.conversations import (
    Conversation,
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    MessagePublic,
)
from parley.services.conversations import ConversationService

ConversationServiceDep = Annotated[ConversationService, service(lambda c: c.conversations)]

Reader = Annotated[Caller, allowed("conversations:read")]

router = APIRouter(prefix="/chatbots/{chatbot_id}", responses=errors(401, 403, 404))


def _summary(conversation: Conversation) -> ConversationSummary:
    return ConversationSummary.model_validate(conversation.model_dump())


@router.get("/conversations", responses=errors(400, 422))
def list_conversations(
    chatbot_id: ChatbotId,
    caller: Reader,
    page: PageQuery,
    days: DaysIfAsked,
    conversations: ConversationServiceDep,
) -> ConversationList:
    """The chatbot's conversations (with `from` or `to`, those started on those UTC days), the most recently started
    first."""
    found = conversations.list(caller.tenant_id, chatbot_id, page, days)
    return ConversationList(items=[_summary(c) for c in found.items], next_cursor=found.next_cursor)


@router.get("/conversations/{conversation_id}", responses=errors(400, 422))
def get_conversation(
    chatbot_id: ChatbotId,
    conversation_id: ConversationId,
    page: PageQuery,
    caller: Reader,
    conversations: ConversationServiceDep,
) -> ConversationDetail:
    """A conversation with a page of its messages, oldest first, and where its visitor's request for a person stands
    (if they made one)."""
    conversation, messages, handoff = conversations.get(caller.tenant_id, chatbot_id, conversation_id, page)
    return ConversationDetail(
        **_summary(conversation).model_dump(),
        messages=[MessagePublic.model_validate(message.model_dump()) for message in messages.items],
        next_cursor=messages.next_cursor,
        handoff=handoff,
    )
