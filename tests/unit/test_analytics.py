"""Analytics counters: what an answer and a rating add to a day, and the median read back from the histogram."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from parley.domain.analytics import (
    LATENCY_BOUNDS_MS,
    AnalyticsDay,
    answer_tally,
    feedback_tally,
    first_reply_tally,
    handoff_tally,
    latency_bucket,
    median_latency,
)
from parley.domain.conversations import Message, Usage

ON = datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)


def answer(**fields: Any) -> Message:
    return Message(
        id="a" * 32,
        conversation_id="c" * 32,
        role="assistant",
        content="Llamas eat hay.",
        created_at=ON,
        **fields,
    )


def histogram(latencies: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for latency in latencies:
        counts[latency_bucket(latency)] = counts.get(latency_bucket(latency), 0) + 1
    return counts


def test_an_answer_in_a_new_conversation_counts_a_conversation_a_question_its_tokens_and_latency() -> None:
    tally = answer_tally(
        answer(usage=Usage(prompt_tokens=90, completion_tokens=30, total_tokens=120), latency_ms=700),
        new_conversation=True,
        cost_usd=0.0000315,
    )

    assert tally.day == date(2026, 3, 4)
    assert tally.add == {
        "questions": 1,
        "conversations": 1,
        "tokens": 120,
        "cost_usd": 0.0000315,
        f"latency_{latency_bucket(700):02d}": 1,
    }


def test_a_follow_up_abstained_or_degraded_answer_counts_only_what_it_was() -> None:
    abstained = answer_tally(answer(answerable=False), new_conversation=False, cost_usd=0.0)
    degraded = answer_tally(answer(degraded=True), new_conversation=False, cost_usd=0.0)

    assert abstained.add == {"questions": 1, "abstained": 1}
    assert degraded.add == {"questions": 1, "degraded": 1}


def test_a_q_and_a_pairs_answer_counts_as_one() -> None:
    pair = answer_tally(answer(mode="qa"), new_conversation=False, cost_usd=0.0)
    model = answer_tally(answer(mode="llm"), new_conversation=False, cost_usd=0.0)

    assert (pair.add, model.add) == ({"questions": 1, "qa_answers": 1}, {"questions": 1})


def test_handoffs_and_the_wait_for_a_persons_first_reply_read_back_apart_from_answer_latency() -> None:
    waits = [handoff_tally(ON.date()), first_reply_tally(ON.date(), 30_000), first_reply_tally(ON.date(), 90_000)]
    stored: dict[str, int] = {f"latency_{latency_bucket(400):02d}": 1}
    for tally in waits:
        for name, amount in tally.add.items():
            stored[name] = stored.get(name, 0) + int(amount)

    day = AnalyticsDay.of(ON.date(), stored)

    assert day.handoffs == 1
    # The lower median of the two waits, to the histogram's precision; the answer latency stays its own
    assert day.first_human_reply_p50_ms is not None
    assert abs(day.first_human_reply_p50_ms - 30_000) / 30_000 <= 0.12
    assert day.latency_p50_ms is not None
    assert abs(day.latency_p50_ms - 400) / 400 <= 0.12


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        (None, "up", {"feedback_up": 1}),
        (None, "down", {"feedback_down": 1}),
        ("up", "down", {"feedback_down": 1, "feedback_up": -1}),
        ("down", "up", {"feedback_up": 1, "feedback_down": -1}),
        ("up", "up", {}),
    ],
)
def test_a_rating_moves_the_counts_once_whatever_came_before(before: Any, after: Any, moved: Any) -> None:
    assert feedback_tally(date(2026, 3, 4), before, after).add == moved


def test_rating_an_answer_again_and_again_leaves_one_count_for_its_last_rating() -> None:
    counts = {"feedback_up": 0, "feedback_down": 0}
    ratings = [None, "up", "down", "down", "up", "down"]
    for before, after in itertools.pairwise(ratings):
        for name, amount in feedback_tally(date(2026, 3, 4), before, after).add.items():  # type: ignore[arg-type]
            counts[name] += int(amount)

    assert counts == {"feedback_up": 0, "feedback_down": 1}


def test_every_latency_falls_in_the_bucket_whose_bounds_hold_it() -> None:
    for latency in (0, 1, 50, 51, 62, 63, 999, 1000, 45_000, LATENCY_BOUNDS_MS[-1]):
        index = latency_bucket(latency)
        assert latency <= LATENCY_BOUNDS_MS[index]
        assert index == 0 or latency > LATENCY_BOUNDS_MS[index - 1]
    assert latency_bucket(LATENCY_BOUNDS_MS[-1] + 1) == len(LATENCY_BOUNDS_MS)


def test_any_single_latency_from_50_ms_to_two_minutes_reads_back_within_twelve_percent() -> None:
    worst = max(
        abs(median_latency({latency_bucket(latency): 1}) - latency) / latency  # type: ignore[operator]
        for latency in range(LATENCY_BOUNDS_MS[0] + 1, LATENCY_BOUNDS_MS[-1] + 1)
    )

    assert worst <= 0.12


def test_median_from_the_histogram_is_within_twelve_percent_of_the_true_lower_median() -> None:
    generator = random.Random(15)
    for _ in range(200):
        latencies = [int(generator.lognormvariate(7, 1)) + 51 for _ in range(generator.randint(1, 60))]
        true_median = sorted(latencies)[math.ceil(len(latencies) / 2) - 1]

        estimate = median_latency(histogram(latencies))

        assert estimate is not None
        assert abs(estimate - true_median) / true_median <= 0.12, (latencies, estimate, true_median)


def test_median_of_nothing_is_none_and_of_the_extremes_is_the_outer_bounds() -> None:
    assert median_latency({}) is None
    assert median_latency(histogram([3, 7, 20])) == LATENCY_BOUNDS_MS[0]
    assert median_latency(histogram([10**7])) == LATENCY_BOUNDS_MS[-1]


def test_a_day_reads_its_counters_and_zeros_for_what_was_never_counted() -> None:
    stored = {"PK": "TENANT#t", "SK": "STATS#b#2026-03-04", "questions": 3, "feedback_up": 1, "cost_usd": 0.1234567}
    stored |= {f"latency_{latency_bucket(400):02d}": 2, f"latency_{latency_bucket(4000):02d}": 1}

    day = AnalyticsDay.of(date(2026, 3, 4), stored)
    empty = AnalyticsDay.of(date(2026, 3, 5), {})

    assert day.questions == 3
    assert day.feedback_up == 1
    assert day.feedback_down == 0
    assert day.cost_usd == 0.123457
    assert day.latency_p50_ms is not None
    assert abs(day.latency_p50_ms - 400) / 400 <= 0.12
    assert empty.model_dump() == {
        "date": date(2026, 3, 5),
        "conversations": 0,
        "questions": 0,
        "abstained": 0,
        "degraded": 0,
        "feedback_up": 0,
        "feedback_down": 0,
        "latency_p50_ms": None,
        "tokens": 0,
        "cost_usd": 0.0,
        "qa_answers": 0,
        "handoffs": 0,
        "first_human_reply_p50_ms": None,
    }
