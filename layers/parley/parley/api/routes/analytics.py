from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.analytics import Analytics
from parley.services.analytics import AnalyticsService

AnalyticsServiceDep = Annotated[AnalyticsService, service(lambda c: c.analytics)]

Reader = Annotated[Caller, allowed("analytics:read")]

router = APIRouter(prefix="/chatbots/{chatbot_id}", responses=errors(401, 403, 404))


@router.get("/analytics", responses=errors(422))
def chatbot_analytics(
    chatbot_id: ChatbotId,
    caller: Reader,
    analytics: AnalyticsServiceDep,
    first: Annotated[date | None, Query(alias="from", description="First day (UTC), YYYY-MM-DD")] = None,
    last: Annotated[date | None, Query(alias="to", description="Last day (UTC), YYYY-MM-DD; default today")] = None,
) -> Analytics:
    """The chatbot's counters per day (UTC) from `from` to `to`, every day present; by default the last 30 days,
    at most 366 days at a time."""
    return analytics.days(caller.tenant_id, chatbot_id, first, last)
