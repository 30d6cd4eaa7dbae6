"""Plans: the one table of what a tenant may hold and spend, and the calendar months monthly counts are kept in.

A plan narrows the deployment's spending guard (settings: allowed models, max answer tokens), never widens it: the
guard stays the ceiling whatever plan an operator assigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from pydantic import BaseModel

from parley.domain.chatbots import Answering, SpendingLimits

# Held at any time (acquired on create, given back on delete) or counted per calendar month (UTC).
StandingCounter = Literal["chatbots", "documents", "stored_bytes", "members", "api_keys", "sources"]
MonthlyCounter = Literal["pages", "questions"]
Counter = Literal[StandingCounter, MonthlyCounter]
STANDING: tuple[StandingCounter, ...] = get_args(StandingCounter)
MONTHLY: tuple[MonthlyCounter, ...] = get_args(MonthlyCounter)
COUNTERS: tuple[Counter, ...] = (*STANDING, *MONTHLY)

PlanName = Literal["free", "pro", "business"]

MB = 1_000_000
# A page, for documents without pages of their own (a PDF's are its own): about a printed page of text.
PAGE_CHARACTERS = 3_000


@dataclass(frozen=True)
class Plan:
    name: PlanName
    title: str
    chatbots: int
    documents: int
    stored_bytes: int
    pages: int  # ingested per month
    questions: int  # answered per month, owners' and visitors' alike
    members: int  # people besides the owner
    api_keys: int
    sources: int  # websites, snippets and Q&A pairs
    pages_per_source: int  # the most pages a website source may crawl (its max_pages)
    # The models a chatbot may use (None: every model the deployment allows) and the most tokens one answer may take.
    models: tuple[str, ...] | None
    max_tokens: int

    def limit(self, counter: Counter) -> int:
        return int(getattr(self, counter))

    def limits(self) -> dict[Counter, int]:
        return {counter: self.limit(counter) for counter in COUNTERS}

    def narrow(self, ceiling: SpendingLimits) -> SpendingLimits:
        """The deployment's spending guard narrowed by this plan. Kept in the deployment's order, so the default
        model is the deployment's first that the plan allows; a plan allowing none of them gets that default only."""
        models = ceiling.models if self.models is None else tuple(m for m in ceiling.models if m in self.models)
        return SpendingLimits(models or ceiling.models[:1], min(self.max_tokens, ceiling.max_tokens))

    def answer_options(self, answering: Answering) -> AnswerOptions:
        """What a chatbot of this plan may choose on the deployment, and whether its choice is used at all."""
        limits = self.narrow(answering.limits)
        return AnswerOptions(
            mode="llm" if answering.model_configured else "extractive",
            models=[ModelOption(name=name, on_plan=name in limits.models) for name in answering.limits.models],
            default_model=limits.default_model,
            max_tokens=limits.max_tokens,
        )


# The numbers: a free tier that lets one person try Parley on a small site for a month (500 answers of 3,000
# context and 300 answer tokens cost about 0.3 USD on gpt-4o-mini), and paid tiers sized about 20x and 200x of it.
PLANS: dict[PlanName, Plan] = {
    "free": Plan(
        name="free",
        title="Free",
        chatbots=5,
        documents=100,
        stored_bytes=100 * MB,
        pages=1_000,
        questions=500,
        members=2,
        api_keys=2,
        sources=5,
        pages_per_source=50,
        models=("gpt-4o-mini",),
        max_tokens=512,
    ),
    "pro": Plan(
        name="pro",
        title="Pro",
        chatbots=20,
        documents=2_000,
        stored_bytes=2_000 * MB,
        pages=20_000,
        questions=10_000,
        members=10,
        api_keys=10,
        sources=50,
        pages_per_source=500,
        models=None,
        max_tokens=1024,
    ),
    "business": Plan(
        name="business",
        title="Business",
        chatbots=100,
        documents=20_000,
        stored_bytes=20_000 * MB,
        pages=200_000,
        questions=100_000,
        members=50,
        api_keys=50,
        sources=500,
        pages_per_source=5_000,
        models=None,
        max_tokens=4096,
    ),
}
DEFAULT_PLAN: PlanName = "free"


def plan_named(name: str | None) -> Plan:
    """The plan called `name`; a tenant nobody assigned one to (None) is on the default plan."""
    if name is None:
        return PLANS[DEFAULT_PLAN]
    if name not in PLANS:
        raise ValueError(f"{name!r} is not a plan; choose one of {', '.join(PLANS)}")
    return PLANS[name]


def month_of(moment: datetime) -> str:
    """The key of the calendar month (UTC) `moment` falls in, e.g. `2026-11`: monthly counts roll over by key."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The start of `moment`'s calendar month (UTC) and the start of the next, when its counts reset."""
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    )
    return start, following


class Period(BaseModel):
    start: datetime
    end: datetime


class ModelOption(BaseModel):
    """A language model the deployment allows."""

    name: str
    # Whether the tenant's plan allows it too (a larger plan may).
    on_plan: bool


class AnswerOptions(BaseModel):
    """How the tenant's chatbots answer: with their model ("llm"), or, when the deployment has no language model
    configured, with quotes from the documents ("extractive"; the chatbots' model settings are kept but unused)."""

    mode: Literal["llm", "extractive"]
    # The deployment's allowed models (its PARLEY_ALLOWED_MODELS), in its order, each marked by the plan.
    models: list[ModelOption]
    # What a new chatbot gets: the deployment's first model the plan allows.
    default_model: str
    # The most tokens one answer may take on the plan.
    max_tokens: int


class UsageReport(BaseModel):
    """A tenant's plan, the current month, and each counter beside its limit (monthly ones for this month); and the
    models its chatbots may choose."""

    plan: PlanName
    plan_title: str
    period: Period
    usage: dict[Counter, int]
    limits: dict[Counter, int]
    answers: AnswerOptions
