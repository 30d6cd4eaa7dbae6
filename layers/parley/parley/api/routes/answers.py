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
    QueryRequest,
    QueryResult,
    SearchRequest,
    SearchResult,
)
from parley.services.answers import AnswerService

AnswerServiceDep = Annotated[AnswerService, service(lambda c: c.answers)]

Asker = Annotated[Caller, allowed("chat")]
Reader = Annotated[Caller, allowed("conversations:read")]

router = APIRouter(prefix="/chatbots/{chatbot_id}", responses=errors(401, 403, 404))


def _summary(conversation: Conversation) -> ConversationSummary:
    return ConversationSummary.model_validate(conversation.model_dump())


@router.post("/search", responses=errors(400, 422, 503))
def search(chatbot_id: ChatbotId, body: SearchRequest, caller: Asker, answers: AnswerServiceDep) -> SearchResult:
    """The chatbot's passages that best match the query, hybrid-ranked."""
    return answers.search(caller.tenant_id, chatbot_id, body)


@router.post("/query", responses=errors(400, 402, 422, 429, 503))
def ask(chatbot_id: ChatbotId, body: QueryRequest, caller: Asker, answers: AnswerServiceDep) -> QueryResult:
    """Answer a question from this chatbot's documents."""
    return answers.ask(caller.tenant_id, chatbot_id, body, user_id=caller.user_id)


@router.get("/conversations", responses=errors(400, 422))
def list_conversations(
    chatbot_id: ChatbotId, caller: Reader, page: PageQuery, days: DaysIfAsked, answers: AnswerServiceDep
) -> ConversationList:
    """The chatbot's conversations (with `from` or `to`, those started on those UTC days), the most recently started
    first."""
    found = answers.conversations_of(caller.tenant_id, chatbot_id, page, days)
    return ConversationList(items=[_summary(c) for c in found.items], next_cursor=found.next_cursor)


@router.get("/conversations/{conversation_id}", responses=errors(400, 422))
def get_conversation(
    chatbot_id: ChatbotId,
    conversation_id: ConversationId,
    page: PageQuery,
    caller: Reader,
    answers: AnswerServiceDep,
) -> ConversationDetail:
    """A conversation with a page of its messages, oldest first."""
    conversation, messages = answers.conversation(caller.tenant_id, chatbot_id, conversation_id, page)
    return ConversationDetail(
        **_summary(conversation).model_dump(),
        messages=[MessagePublic.model_validate(message.model_dump()) for message in messages.items],
        next_cursor=messages.next_cursor,
    )
