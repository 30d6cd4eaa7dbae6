from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from parley.api.deps import SourceIp, allowed, service
from parley.api.params import ChatbotId, MessageId
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.feedback import FeedbackRequest
from parley.services.feedback import FeedbackService
from parley.services.public_chat import Visitor

FeedbackServiceDep = Annotated[FeedbackService, service(lambda c: c.feedback)]

Rater = Annotated[Caller, allowed("feedback:give")]

router = APIRouter()


@router.post(
    "/chatbots/{chatbot_id}/messages/{message_id}/feedback",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(400, 401, 403, 404, 422),
)
def rate_answer(
    chatbot_id: ChatbotId, message_id: MessageId, body: FeedbackRequest, caller: Rater, feedback: FeedbackServiceDep
) -> Response:
    """Rate one of the chatbot's answers (up or down, with an optional comment); a new rating replaces the last."""
    feedback.rate(caller.tenant_id, chatbot_id, message_id, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/public/chatbots/{public_key}/messages/{message_id}/feedback",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(400, 403, 404, 422, 429),
)
def rate_answer_publicly(
    public_key: str,
    message_id: MessageId,
    body: FeedbackRequest,
    *,
    source_ip: SourceIp,
    feedback: FeedbackServiceDep,
    origin: Annotated[str | None, Header()] = None,
    x_visitor_id: Annotated[str | None, Header()] = None,
) -> Response:
    """A website visitor rates an answer of their own conversation (the `X-Visitor-Id` that asked); the page's
    Origin must be allowed."""
    feedback.rate_publicly(public_key, origin, Visitor.of(x_visitor_id, source_ip), message_id, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
