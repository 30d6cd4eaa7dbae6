from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from parley.api.deps import CurrentCaller, service
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

router = APIRouter(prefix="/chatbots/{chatbot_id}")


def _summary(conversation: Conversation) -> ConversationSummary:
    return ConversationSummary.model_validate(conversation.model_dump())


@router.post("/search")
def search(chatbot_id: str, body: SearchRequest, caller: CurrentCaller, answers: AnswerServiceDep) -> SearchResult:
    """The chatbot's passages that best match the query, hybrid-ranked."""
    return answers.search(caller.tenant_id, chatbot_id, body)


@router.post("/query")
def ask(chatbot_id: str, body: QueryRequest, caller: CurrentCaller, answers: AnswerServiceDep) -> QueryResult:
    """Answer a question from this chatbot's documents."""
    return answers.ask(caller.tenant_id, chatbot_id, body, user_id=caller.user_id)


@router.get("/conversations")
def list_conversations(chatbot_id: str, caller: CurrentCaller, answers: AnswerServiceDep) -> ConversationList:
    return ConversationList(items=[_summary(c) for c in answers.conversations_of(caller.tenant_id, chatbot_id)])


@router.get("/conversations/{conversation_id}")
def get_conversation(
    chatbot_id: str, conversation_id: str, caller: CurrentCaller, answers: AnswerServiceDep
) -> ConversationDetail:
    conversation, messages = answers.conversation(caller.tenant_id, chatbot_id, conversation_id)
    return ConversationDetail(
        **_summary(conversation).model_dump(),
        messages=[MessagePublic.model_validate(message.model_dump()) for message in messages],
    )
