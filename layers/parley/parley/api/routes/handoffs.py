"""Handoff to a person, as a tenant's members work it: the inbox, and taking, answering and handing back a
conversation a visitor asked a person for. Every change is pushed to the visitor and to the tenant's signed-in
members over the WebSocket API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, ConversationId
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.conversations import MessagePublic
from parley.domain.handoff import HandBack, HandoffPublic, Inbox, PersonReply
from parley.services.handoffs import Handoffs

HandoffsDep = Annotated[Handoffs, service(lambda c: c.handoffs)]

# A person answers: an API key, which acts for no one, does not.
Person = Annotated[Caller, allowed("handoffs:answer")]

router = APIRouter(responses=errors(401, 403))
conversation = "/chatbots/{chatbot_id}/conversations/{conversation_id}/handoff"


@router.get("/handoffs")
def inbox(caller: Person, handoffs: HandoffsDep) -> Inbox:
    """The tenant's conversations waiting for a person (longest waiting first), held by a member, or that nobody took
    in time (with the e-mail address the visitor left, if any)."""
    return handoffs.inbox(caller.tenant_id)


@router.post(f"{conversation}/take", responses=errors(404, 409, 422))
def take(
    chatbot_id: ChatbotId, conversation_id: ConversationId, caller: Person, handoffs: HandoffsDep
) -> HandoffPublic:
    """Take a waiting conversation: the caller answers it, the bot stays silent; another member gets 409."""
    return handoffs.take(caller.tenant_id, chatbot_id, conversation_id, caller.user_id)


@router.post(f"{conversation}/messages", status_code=status.HTTP_201_CREATED, responses=errors(400, 404, 409, 422))
def reply(
    chatbot_id: ChatbotId, conversation_id: ConversationId, body: PersonReply, caller: Person, handoffs: HandoffsDep
) -> MessagePublic:
    """Write to the visitor of a conversation the caller holds; it reaches their widget marked as a person's."""
    return handoffs.reply(caller.tenant_id, chatbot_id, conversation_id, caller.user_id, body.text)


@router.post(f"{conversation}/release", responses=errors(400, 404, 409, 422))
def hand_back(
    chatbot_id: ChatbotId, conversation_id: ConversationId, body: HandBack, caller: Person, handoffs: HandoffsDep
) -> HandoffPublic:
    """Hand a held conversation back to the bot (or close its handoff): the bot answers its next question."""
    return handoffs.hand_back(caller.tenant_id, chatbot_id, conversation_id, caller.user_id, close=body.close)
