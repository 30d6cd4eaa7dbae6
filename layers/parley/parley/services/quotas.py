"""What a tenant's plan allows, enforced: every service that creates, stores or answers asks here first.

Other code counts with `acquire` (refused with PlanLimitReached, 402, once the plan's limit would be passed) and
gives back with `release`, e.g. `quotas.acquire(tenant_id, "members")` when an invitation is accepted and
`quotas.release(tenant_id, "members")` when a member is removed; likewise "api_keys" for keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.chatbots import DEFAULT_ANSWERING, Answering, SpendingLimits
from parley.domain.common import utcnow
from parley.domain.documents import Document
from parley.domain.plans import (
    COUNTERS,
    MONTHLY,
    Counter,
    Period,
    Plan,
    PlanName,
    UsageReport,
    month_bounds,
    month_of,
    plan_named,
)
from parley.errors import NotFound, PlanLimitReached
from parley.ports import UsageCounters

# How each counter reads in a refusal: "allows 5 chatbots", "allows 1,000 pages a month".
_WHAT: dict[Counter, str] = {
    "chatbots": "chatbots",
    "documents": "documents",
    "stored_bytes": "bytes of stored documents",
    "members": "team members besides the owner",
    "api_keys": "API keys",
    "sources": "sources",
    "pages": "pages indexed a month",
    "questions": "questions a month",
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Quotas:
    def __init__(self, counters: UsageCounters, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.counters = counters
        self.clock = clock

    def plan(self, tenant_id: str) -> Plan:
        return plan_named(self.counters.plan(tenant_id))

    def assign(self, tenant_id: str, plan: PlanName) -> Plan:
        """Put the tenant on `plan` (operators only: the CLI, never an API route). Counts are kept: a tenant over
        a smaller plan's limits keeps what it has and can add nothing more until it is back under them."""
        chosen = plan_named(plan)
        if not self.counters.assign(tenant_id, chosen.name):
            raise NotFound(f"No tenant {tenant_id}")
        return chosen

    def acquire(self, tenant_id: str, counter: Counter, amount: int = 1, *, plan: Plan | None = None) -> Plan:
        """Count `amount` against the tenant's plan, atomically; PlanLimitReached, with nothing counted, if it would
        pass the limit. Returns the plan, for callers that also need its other limits; a caller that has read it
        already passes it (`plan`), so that it is not read twice."""
        plan = plan or self.plan(tenant_id)
        now = self.clock()
        month = month_of(now) if counter in MONTHLY else None
        limit = plan.limit(counter)
        if amount > 0 and not self.counters.add(tenant_id, counter, amount, limit, month):
            message = f"Your plan ({plan.title}) allows {limit:,} {_WHAT[counter]}"
            if amount > 1:
                used = self.counters.counts(tenant_id, month_of(now)).get(counter, 0)
                message += f"; {max(limit - used, 0):,} remain and this needs {amount:,}"
            if month is not None:
                message += f"; the count resets on {_stamp(month_bounds(now)[1])}"
            raise PlanLimitReached(message)
        return plan

    def release(self, tenant_id: str, counter: Counter, amount: int = 1, *, counted_at: datetime | None = None) -> None:
        """Give back what `acquire` counted (a monthly count, to the month it was counted in: `counted_at`)."""
        if amount > 0:
            month = month_of(counted_at or self.clock()) if counter in MONTHLY else None
            self.counters.subtract(tenant_id, counter, amount, month)

    def release_document(self, document: Document) -> None:
        """Give back what a document held until it was deleted (as it was then): its place, and its bytes if they
        were counted, which ingest does when it indexes it."""
        self.release(document.tenant_id, "documents")
        if document.status == "indexed":
            self.release(document.tenant_id, "stored_bytes", document.size_bytes)

    def spending_limits(self, tenant_id: str, ceiling: SpendingLimits) -> SpendingLimits:
        """The deployment's spending guard as the tenant's plan narrows it."""
        return self.plan(tenant_id).narrow(ceiling)

    def report(self, tenant_id: str, answering: Answering = DEFAULT_ANSWERING) -> UsageReport:
        """The tenant's plan and usage, and what its chatbots may answer with on this deployment (`answering`): the
        plan and this month's counts in one read."""
        now = self.clock()
        start, end = month_bounds(now)
        assigned, counts = self.counters.usage(tenant_id, month_of(now))
        plan = plan_named(assigned)
        return UsageReport(
            plan=plan.name,
            plan_title=plan.title,
            period=Period(start=start, end=end),
            usage={counter: max(counts.get(counter, 0), 0) for counter in COUNTERS},
            limits=plan.limits(),
            answers=plan.answer_options(answering),
        )
