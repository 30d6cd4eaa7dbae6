"""The rules of handoff and knowledge gaps that need no store: what asks for a person, a handoff's state by its
deadline, and gaps made distinct and grouped greedily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from parley.domain.gaps import Gap, distinct, greedy_groups, unit_rows
from parley.domain.handoff import Handoff, HandoffPublic, wants_person

ASKED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a person?",
        "I want to speak to a human",
        "agent",
        "Please connect me with someone",
        "live support",
    ],
)
def test_words_that_ask_for_a_person_are_recognised(text: str) -> None:
    assert wants_person(text)


@pytest.mark.parametrize(
    "text", ["What do llamas eat?", "Is the shop open on Sunday?", "Who is the person behind this shop?"]
)
def test_questions_for_the_bot_are_not_taken_for_a_request(text: str) -> None:
    assert not wants_person(text)


def handoff(**changes: object) -> Handoff:
    fields: dict[str, object] = {
        "tenant_id": "t",
        "chatbot_id": "c",
        "conversation_id": "v",
        "visitor": "visitor:abc",
        "status": "waiting_for_human",
        "question": "Who won?",
        "requested_at": ASKED,
        "wait_until": ASKED + timedelta(minutes=2),
        "updated_at": ASKED,
    }
    return Handoff.model_validate(fields | changes)


def test_a_waiting_handoff_is_unanswered_from_its_deadline_and_no_longer_silences_the_bot() -> None:
    waiting = handoff()

    assert (waiting.state(ASKED + timedelta(seconds=119)), waiting.holds_bot(ASKED)) == ("waiting_for_human", True)
    assert waiting.state(ASKED + timedelta(minutes=2)) == "unanswered"
    assert not waiting.holds_bot(ASKED + timedelta(minutes=2))
    assert HandoffPublic.of(waiting, ASKED + timedelta(hours=1)).waited_seconds == 120


def test_a_taken_handoff_counts_the_wait_until_it_was_taken() -> None:
    taken = handoff(status="with_human", taken_by="u1", taken_at=ASKED + timedelta(seconds=30))

    shown = HandoffPublic.of(taken, ASKED + timedelta(hours=1))

    assert (shown.status, shown.waited_seconds) == ("with_human", 30)
    assert taken.holds_bot(ASKED + timedelta(hours=1))


def test_one_question_of_a_conversation_is_one_gap_whatever_happened_to_it() -> None:
    abstained = Gap(chatbot_id="c", conversation_id="v", question="Who won?", reason="abstained", asked_at=ASKED)
    handed = abstained.model_copy(update={"reason": "handoff", "asked_at": ASKED + timedelta(seconds=5)})
    elsewhere = abstained.model_copy(update={"conversation_id": "w"})

    # In the order asked, each with its latest reason
    assert [(g.conversation_id, g.reason) for g in distinct([handed, abstained, elsewhere])] == [
        ("w", "abstained"),
        ("v", "handoff"),
    ]


def test_questions_join_the_most_similar_group_from_the_threshold() -> None:
    vectors = unit_rows([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.1, 0.95, 0], [0, 0, 1]])

    assert greedy_groups(vectors, 0.8) == [[0, 1], [2, 3], [4]]
    assert greedy_groups(vectors, 0.999) == [[0], [1], [2], [3], [4]]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1)
