"""The answer set `make eval` asks (local/tools/squad.py): its parts, and how an answer is scored against it."""

from __future__ import annotations

import pytest

from local.tools import squad


def test_the_committed_set_splits_by_article_into_a_tuning_and_a_held_out_part() -> None:
    parts = {part: squad.load(squad.SUBSET, part) for part in squad.PARTS}

    for answer_set in parts.values():
        answerable = [question for question in answer_set.questions if question.answerable]
        assert (len(answer_set.documents), len(answerable), len(answer_set.questions) - len(answerable)) == (5, 150, 60)
        assert {f"{question.article}.txt" for question in answer_set.questions} <= set(answer_set.documents)
    assert not set(parts["tuning"].documents) & set(parts["held-out"].documents)
    assert len(squad.load(squad.SUBSET, "all").questions) == 420


@pytest.mark.parametrize(
    ("answer", "golds", "held"),
    [
        ("The Peace of Westphalia was signed in 1648. [1]", ["1648"], True),
        ("They signed THE treaty, in Münster [2].", ["the treaty in Münster"], True),  # SQuAD's normalisation
        ("It was signed in 16480 AD. [1]", ["1648"], False),  # whole words only
        ("Signed in 1648", ["", "1649"], False),
        ("See page 4 [1648]", ["1648"], False),  # a reference is not part of the answer
    ],
)
def test_an_answer_holds_a_gold_answer_as_whole_normalised_words(answer: str, golds: list[str], held: bool) -> None:
    assert squad.holds(answer, golds) is held


def test_an_answer_abstains_when_the_api_says_so_or_it_is_the_not_found_sentence() -> None:
    assert squad.abstains("Llamas hum. [1]", answerable=False)
    assert squad.abstains("Je n'ai pas trouvé cette information dans les documents de ce chatbot.", answerable=True)
    assert not squad.abstains("Llamas hum. [1]", answerable=True)
