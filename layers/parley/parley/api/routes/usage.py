"""The tenant's plan and what it has used of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from parley.api.deps import allowed, service
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.chatbots import Answering
from parley.domain.plans import UsageReport
from parley.services.quotas import Quotas

QuotasDep = Annotated[Quotas, service(lambda c: c.quotas)]
AnsweringDep = Annotated[Answering, service(lambda c: c.settings.answering)]

router = APIRouter(prefix="/usage", responses=errors(401, 403))


@router.get("")
def usage(caller: Annotated[Caller, allowed("usage:read")], quotas: QuotasDep, answering: AnsweringDep) -> UsageReport:
    """The tenant's plan, this calendar month (UTC), and each counter beside its limit; and `answers`: the models
    the deployment allows (each marked by whether the plan does too), and whether a model answers at all (without
    one, answers are quotes from the documents and chatbots' model settings are unused)."""
    return quotas.report(caller.tenant_id, answering)
