from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from parley.api.deps import SourceIp, service
from parley.api.responses import errors
from parley.domain.chatbots import VisitorChatbot
from parley.domain.conversations import QueryRequest, QueryResult
from parley.services.public_chat import PublicChat, Visitor

PublicChatDep = Annotated[PublicChat, service(lambda c: c.public_chat)]

router = APIRouter(prefix="/public/chatbots/{public_key}")


@router.get("", responses=errors(403, 404, 422))
def greet_visitor(
    public_key: str, chat: PublicChatDep, origin: Annotated[str | None, Header()] = None
) -> VisitorChatbot:
    """What a website's chat widget shows of a public chatbot, if the page's Origin is allowed; it also tells the
    widget why its WebSocket handshake was refused (a browser cannot read the 403)."""
    return VisitorChatbot.model_validate(chat.admit(public_key, origin).model_dump())


@router.post("/query", responses=errors(400, 402, 403, 404, 422, 429, 503))
def ask_publicly(
    public_key: str,
    body: QueryRequest,
    *,
    source_ip: SourceIp,
    chat: PublicChatDep,
    origin: Annotated[str | None, Header()] = None,
    x_visitor_id: Annotated[str | None, Header(description="The id the visitor's widget keeps, if any")] = None,
    x_conversation_token: Annotated[
        str | None,
        Header(
            max_length=100,
            description="The conversation_token of the conversation's first answer: with conversation_id, continues "
            "it without X-Visitor-Id. A wrong token, or another visitor's conversation, is 404.",
        ),
    ] = None,
) -> QueryResult:
    """A website visitor's question to a public chatbot; no token, the page's Origin must be allowed. A new
    conversation's first answer carries its conversation_token; a conversation continues (conversation_id) with the
    visitor who started it: the same X-Visitor-Id, or its X-Conversation-Token."""
    return chat.ask(public_key, origin, Visitor.of(x_visitor_id, source_ip), body, token=x_conversation_token)
