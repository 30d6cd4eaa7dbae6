from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.conversations import QueryRequest, QueryResult, SearchRequest, SearchResult
from parley.services.answers import AnswerService

AnswerServiceDep = Annotated[AnswerService, service(lambda c: c.answers)]

Asker = Annotated[Caller, allowed("chat")]

router = APIRouter(prefix="/chatbots/{chatbot_id}", responses=errors(401, 403, 404))


@router.post("/search", responses=errors(400, 422, 503))
def search(chatbot_id: ChatbotId, body: SearchRequest, caller: Asker, answers: AnswerServiceDep) -> SearchResult:
    """The chatbot's passages that best match the query, hybrid-ranked."""
    return answers.search(caller.tenant_id, chatbot_id, body)


@router.post("/query", responses=errors(400, 402, 422, 429, 503))
def ask(chatbot_id: ChatbotId, body: QueryRequest, caller: Asker, answers: AnswerServiceDep) -> QueryResult:
    """Answer a question from this chatbot's documents."""
    return answers.ask(caller.tenant_id, chatbot_id, body, user_id=caller.user_id)
