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
            raise self._refusal(tenant_id, plan, counter, amount, now)
        return plan

    def _refusal(self, tenant_id: str, plan: Plan, counter: Counter, amount: int, now: datetime) -> PlanLimitReached:
        limit = plan.limit(counter)
        message = f"Your plan ({plan.title}) allows {limit:,} {_WHAT[counter]}"
        if amount > 1:
            used = self.counters.counts(tenant_id, month_of(now)).get(counter, 0)
            message += f"; {max(limit - used, 0):,} remain and this needs {amount:,}"
        if counter in MONTHLY:
            message += f"; the count resets on {_stamp(month_bounds(now)[1])}"
        return PlanLimitReached(message)

    def charge_document(self, document: Document, pages: int) -> datetime:
        """Count a document version's pages (this month's) and bytes against its tenant's plan, once however many
        attempts index it; PlanLimitReached, with nothing counted, over either. When they were counted."""
        if document.counted and document.counted_at is not None:
            return document.counted_at
        plan = self.plan(document.tenant_id)
        now = self.clock()
        limits = {"pages": plan.limit("pages"), "stored_bytes": plan.limit("stored_bytes")}
        over = self.counters.add_for(document, pages, now, limits)
        if over is not None:
            amount = pages if over == "pages" else document.size_bytes
            raise self._refusal(document.tenant_id, plan, over, amount, now)  # type: ignore[arg-type]
        return now

    def give_back_document(self, document: Document, pages: int, counted_at: datetime) -> None:
        """Give back what `charge_document` counted for this version of the document (once: the document records
        it); nothing if it was not counted, or was given back already."""
        counted = document.model_copy(
            update={"counted_version": document.version, "counted_pages": pages, "counted_at": counted_at}
        )
        self.counters.subtract_for(counted)

    def release(self, tenant_id: str, counter: Counter, amount: int = 1, *, counted_at: datetime | None = None) -> None:
        """Give back what `acquire` counted (a monthly count, to the month it was counted in: `counted_at`)."""
        if amount > 0:
            month = month_of(counted_at or self.clock()) if counter in MONTHLY else None
            self.counters.subtract(tenant_id, counter, amount, month)

    def release_document(self, document: Document) -> None:
        """Give back what a document held until it was deleted (as it was then): its place, and its bytes if they
        were counted, which ingest does when it indexes it (a document indexed before versions were recorded as
        counted: when it is indexed)."""
        self.release(document.tenant_id, "documents")
        legacy = document.counted_version is None and document.status == "indexed"
        if document.counted or legacy:
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
