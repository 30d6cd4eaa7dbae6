"""A chatbot's knowledge gaps: what its visitors asked that it could not answer, grouped by meaning."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.conversations import DEFAULT_DAYS, MAX_DAYS
from parley.domain.gaps import GapList
from parley.services.gaps import KnowledgeGaps

GapsDep = Annotated[KnowledgeGaps, service(lambda c: c.gaps)]
Reader = Annotated[Caller, allowed("analytics:read")]

router = APIRouter(responses=errors(401, 403, 404))


@router.get("/chatbots/{chatbot_id}/gaps", responses=errors(422))
def knowledge_gaps(
    chatbot_id: ChatbotId,
    caller: Reader,
    gaps: GapsDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="The period: this many days up to now")] = DEFAULT_DAYS,
) -> GapList:
    """The questions of the period that the chatbot abstained on, that got a thumbs-down or that were handed to a
    person, grouped by meaning, largest group first; each says whether a member answered it in a handoff and
    whether a Q&A pair answers it now."""
    return gaps.list(caller.tenant_id, chatbot_id, days)
