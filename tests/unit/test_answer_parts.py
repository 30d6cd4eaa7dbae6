"""The small pieces of the answer pipeline: redaction, citations, the not-found answer, the breaker."""

from __future__ import annotations

import random
from typing import Any

import pytest
from parley.answers.abstention import is_not_found, not_found
from parley.answers.citations import RenumberedStream, references, resolve
from parley.domain.passages import Passage
from parley.resilience import CircuitBreaker, CircuitBreakers, CircuitOpen
from parley.text.privacy import redact


def passage(n: int, text: str) -> Passage:
    return Passage(chunk_id=f"d{n}#0", document_id=f"d{n}", filename=f"f{n}.txt", text=text, score=1.0 / n)


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        ("write to ada.l@example.co.uk now", "write to [email] now", ["email"]),
        ("card 4111 1111 1111 1111 please", "card [card] please", ["card"]),
        ("card 4111-1111-1111-1111", "card [card]", ["card"]),
        ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN [iban]", ["iban"]),
        ("call +1 (555) 123-4567 today", "call [phone] today", ["phone"]),
        ("In 2024, 3 llamas ate 15 kg of hay", "In 2024, 3 llamas ate 15 kg of hay", []),
    ],
)
def test_personal_data_is_redacted(text: Any, expected: Any, kinds: Any) -> None:
    assert redact(text) == (expected, kinds)


def test_card_numbers_failing_luhn_are_not_called_cards() -> None:
    redacted, kinds = redact("order 4111 1111 1111 1112")

    assert "card" not in kinds
    assert "[card]" not in redacted


def test_citations_are_renumbered_in_order_of_use_and_unknown_ones_dropped() -> None:
    sources = [passage(1, "one"), passage(2, "two"), passage(3, "three")]

    text, citations = resolve("Three says so [3]. One agrees [1, 3]. Nobody [7] else.", sources)

    assert text == "Three says so [1]. One agrees [2][1]. Nobody else."
    assert [c.document_id for c in citations] == ["d3", "d1"]
    assert all(1 <= n <= len(citations) for n in references(text))


ANSWERS = [
    "Llamas eat hay [2]. They hum [1, 3]. More may exist [99].",
    "  Leading space [1][1] and  double  spaces [7] , then [2].\n\nNew paragraph [3]!",
    "[3] starts it; [x] is not a reference; [12 ends open",
    "No references at all.",
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_streamed_answer_adds_up_to_the_resolved_answer_however_it_is_split(answer: Any) -> None:
    sources = [passage(n, f"Source {n}.") for n in range(1, 4)]
    expected, citations = resolve(answer, sources)
    pieces = random.Random(answer)
    for _ in range(50):
        stream, shown, rest = RenumberedStream(sources), [], answer
        while rest:
            size = pieces.randint(1, 6)
            shown.append(stream.feed(rest[:size]))
            rest = rest[size:]
        shown.append(stream.finish())

        assert "".join(shown) == expected
        assert stream.numbering.citations() == citations


def test_breaker_opens_after_repeated_failures_and_closes_after_cool_down() -> None:
    now = [0.0]
    breaker = CircuitBreaker("model", failures=2, cool_down=10, clock=lambda: now[0])

    def fail() -> None:
        raise RuntimeError("down")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            breaker.call(fail)
    with pytest.raises(CircuitOpen):
        breaker.call(lambda: "not called")

    now[0] = 11
    assert breaker.call(lambda: "trial") == "trial"
    assert not breaker.open


def test_breakers_are_kept_per_key_so_one_open_breaker_fails_only_its_own_calls() -> None:
    breakers = CircuitBreakers("model", failures=1, capacity=2)

    with pytest.raises(RuntimeError):
        breakers["tenant-a", "gpt-unreleased"].call(lambda: (_ for _ in ()).throw(RuntimeError("404")))

    assert breakers["tenant-a", "gpt-unreleased"].open
    assert breakers["tenant-b", "gpt-unreleased"].call(lambda: "answered") == "answered"
    # The least recently used breaker is forgotten beyond the capacity
    breakers["tenant-c", "gpt-4o-mini"]
    assert not breakers["tenant-a", "gpt-unreleased"].open


def test_the_not_found_answer_is_recognised_in_every_language_as_a_model_may_write_it() -> None:
    assert is_not_found(not_found("What is the weather?"))
    assert is_not_found("  I couldn't find this in this chatbot's documents ")
    assert is_not_found(not_found("Quel temps fait-il à Paris ?"))
    assert not is_not_found("I couldn't find this in this chatbot's documents, but llamas hum [1].")
