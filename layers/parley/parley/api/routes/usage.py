"""The tenant's plan and what it has used of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from parley.api.deps import allowed, service
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.plans import UsageReport
from parley.services.quotas import Quotas

QuotasDep = Annotated[Quotas, service(lambda c: c.quotas)]

router = APIRouter(prefix="/usage", responses=errors(401, 403))


@router.get("")
def usage(caller: Annotated[Caller, allowed("usage:read")], quotas: QuotasDep) -> UsageReport:
    """The tenant's plan, this calendar month (UTC), and each counter beside its limit."""
    return quotas.report(caller.tenant_id)
