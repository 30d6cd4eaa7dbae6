"""A chatbot's analytics: counters per chatbot per day (UTC), added to when an answer is stored or rated.

Latency is kept as a histogram of counters (one per bucket), so a day's median is read back from counters that
concurrent answers add to atomically, with no list of latencies stored anywhere. The buckets grow by 25 %, and the
median read back is the point of its bucket closest, relatively, to both ends (their harmonic mean): within 12 % of
the true (lower) median for any latency from 50 ms to two minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field

from parley.domain.conversations import Message, Rating

# Upper bounds (ms) of the latency buckets: 50 ms, then 25 % wider each, up to about two minutes; one more bucket
# holds anything slower.
LATENCY_BOUNDS_MS: tuple[int, ...] = tuple(round(50 * 1.25**step) for step in range(36))
LATENCY_PREFIX = "latency_"
# The histogram of the time from a visitor asking for a person to a member's first reply, in the same buckets.
FIRST_REPLY_PREFIX = "first_reply_"
# The counters of a day item, besides the histograms.
COUNTERS = (
    "conversations",
    "questions",
    "abstained",
    "degraded",
    "feedback_up",
    "feedback_down",
    "tokens",
    "cost_usd",
    "qa_answers",
    "handoffs",
)
# The longest range one request reads (a year, leap day included).
MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Tally:
    """What to add to one chatbot's counters of one day (negative to take back a replaced rating)."""

    day: date
    add: Mapping[str, int | float]


def latency_bucket(latency_ms: int) -> int:
    """The index of the bucket `latency_ms` falls in (the last one holds everything beyond the bounds)."""
    for index, bound in enumerate(LATENCY_BOUNDS_MS):
        if latency_ms <= bound:
            return index
    return len(LATENCY_BOUNDS_MS)


def median_latency(histogram: Mapping[int, int]) -> int | None:
    """The lower median of the latencies counted in `histogram` (bucket index → count), to its bucket's precision:
    the harmonic mean of the bounds of the bucket holding it (the first bucket's bound, or the last bound for the
    slowest)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    wanted, seen = math.ceil(total / 2), 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= wanted:
            if index == 0 or index >= len(LATENCY_BOUNDS_MS):
                return LATENCY_BOUNDS_MS[min(index, len(LATENCY_BOUNDS_MS) - 1)]
            low, high = LATENCY_BOUNDS_MS[index - 1], LATENCY_BOUNDS_MS[index]
            return round(2 * low * high / (low + high))
    return None  # unreachable: `seen` reaches `total`


def answer_tally(answer: Message, *, new_conversation: bool, cost_usd: float) -> Tally:
    """The counters one stored answer adds to on its day."""
    add: dict[str, int | float] = {"questions": 1}
    if new_conversation:
        add["conversations"] = 1
    if not answer.answerable:
        add["abstained"] = 1
    if answer.degraded:
        add["degraded"] = 1
    if answer.mode == "qa":
        add["qa_answers"] = 1
    if answer.usage is not None and answer.usage.total_tokens:
        add["tokens"] = answer.usage.total_tokens
    if cost_usd:
        add["cost_usd"] = cost_usd
    if answer.latency_ms is not None:
        add[f"{LATENCY_PREFIX}{latency_bucket(answer.latency_ms):02d}"] = 1
    return Tally(answer.created_at.date(), add)


def feedback_tally(answered_on: date, before: Rating | None, after: Rating) -> Tally:
    """The counters a rating moves, on the day of the answer it rates: a changed rating moves its count from the
    old rating to the new one, and the same rating again moves nothing."""
    add: dict[str, int | float] = {}
    if before != after:
        add[f"feedback_{after}"] = 1
        if before is not None:
            add[f"feedback_{before}"] = -1
    return Tally(answered_on, add)


def handoff_tally(requested: date) -> Tally:
    """A visitor asked for a person."""
    return Tally(requested, {"handoffs": 1})


def first_reply_tally(replied: date, wait_ms: int) -> Tally:
    """A member's first reply in a handoff, `wait_ms` after the visitor asked for a person."""
    return Tally(replied, {f"{FIRST_REPLY_PREFIX}{latency_bucket(wait_ms):02d}": 1})


def _histogram(counters: Mapping[str, Any], prefix: str) -> dict[int, int]:
    return {int(name.removeprefix(prefix)): int(count) for name, count in counters.items() if name.startswith(prefix)}


# The field `date` of AnalyticsDay hides the type inside its class.
Day = date


class AnalyticsDay(BaseModel):
    date: Day
    conversations: int = 0
    questions: int = 0
    # Questions the documents did not answer (the answer said so, with no citation).
    abstained: int = 0
    # Answers built from the passages alone because the language model failed.
    degraded: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    # The day's median answer latency, within 12 % (the histogram's precision); null when nothing was asked.
    latency_p50_ms: int | None = None
    tokens: int = 0
    # Estimated from the model price table (parley/domain/model_prices.py), not a bill.
    cost_usd: float = 0.0
    # Answers given as a Q&A pair's stored answer (no model call): among them, gaps an owner answered asked again.
    qa_answers: int = 0
    # Visitors who asked for a person.
    handoffs: int = 0
    # The day's median time from a visitor asking for a person to a member's first reply (of the first replies
    # written that day), within 12 %; null when no member replied.
    first_human_reply_p50_ms: int | None = None

    @classmethod
    def of(cls, day: Day, counters: Mapping[str, Any]) -> AnalyticsDay:
        """A day as its stored counters tell it (absent counters are zero)."""
        known = {name: counters[name] for name in COUNTERS if name in counters}
        known["cost_usd"] = round(float(known.get("cost_usd", 0)), 6)
        return cls(
            date=day,
            latency_p50_ms=median_latency(_histogram(counters, LATENCY_PREFIX)),
            first_human_reply_p50_ms=median_latency(_histogram(counters, FIRST_REPLY_PREFIX)),
            **known,
        )


class Analytics(BaseModel):
    """Every day of the range, oldest first; a day when nothing happened is there with zeros."""

    days: Annotated[list[AnalyticsDay], Field(max_length=MAX_DAYS)]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
