from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, PageQuery
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.chatbots import (
    Chatbot,
    ChatbotCreate,
    ChatbotDeletion,
    ChatbotList,
    ChatbotPublic,
    ChatbotUpdate,
)
from parley.errors import Forbidden
from parley.services.chatbots import ChatbotService

ChatbotServiceDep = Annotated[ChatbotService, service(lambda c: c.chatbots)]

Reader = Annotated[Caller, allowed("chatbots:read")]
Manager = Annotated[Caller, allowed("chatbots:manage")]

router = APIRouter(prefix="/chatbots", responses=errors(401, 403))


def _public(chatbot: Chatbot) -> ChatbotPublic:
    return ChatbotPublic.model_validate({**chatbot.model_dump(), "status": chatbot.status})


@router.get("", responses=errors(400, 422))
def list_chatbots(page: PageQuery, caller: Reader, chatbots: ChatbotServiceDep) -> ChatbotList:
    found = chatbots.list(caller.tenant_id, page, scope=caller.chatbot_scope)
    return ChatbotList(items=[_public(chatbot) for chatbot in found.items], next_cursor=found.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 422))
def create_chatbot(body: ChatbotCreate, caller: Manager, chatbots: ChatbotServiceDep) -> ChatbotPublic:
    if caller.chatbot_scope:
        raise Forbidden("This API key is limited to one chatbot")
    return _public(chatbots.create(caller.tenant_id, body))


@router.get("/{chatbot_id}", responses=errors(404))
def get_chatbot(chatbot_id: ChatbotId, caller: Reader, chatbots: ChatbotServiceDep) -> ChatbotPublic:
    return _public(chatbots.get(caller.tenant_id, chatbot_id))


@router.patch("/{chatbot_id}", responses=errors(400, 402, 404, 422))
def update_chatbot(
    chatbot_id: ChatbotId, body: ChatbotUpdate, caller: Manager, chatbots: ChatbotServiceDep
) -> ChatbotPublic:
    return _public(chatbots.update(caller.tenant_id, chatbot_id, body))


@router.delete("/{chatbot_id}", status_code=status.HTTP_202_ACCEPTED, responses=errors(404))
def delete_chatbot(chatbot_id: ChatbotId, caller: Manager, chatbots: ChatbotServiceDep) -> ChatbotDeletion:
    """Start erasing the chatbot: it is listed as `deleting` until everything it owned is gone, then not found."""
    chatbots.delete(caller.tenant_id, chatbot_id)
    return ChatbotDeletion(id=chatbot_id)
