"""Sentences, where answers quote them and citations show them: whole, never cut after an abbreviation or an
initial, and never starting part-way through."""

from __future__ import annotations

import pytest
from parley.answers.citations import SNIPPET_CHARS, citation
from parley.domain.passages import Passage
from parley.text.sentences import split_sentences


def passage(text: str, quote: str | None = None) -> Passage:
    return Passage(chunk_id="d#0", document_id="d", filename="f.txt", text=text, score=1.0, quote=quote)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mrs. Dubose chastises Scout. She is rude.", ["Mrs. Dubose chastises Scout.", "She is rude."]),
        ("The Jiajing Emperor (r. 1521-1567) ruled. Next.", ["The Jiajing Emperor (r. 1521-1567) ruled.", "Next."]),
        ("Turrell V. Wylie taught. It was so.", ["Turrell V. Wylie taught.", "It was so."]),
        ("It sparked the U.S. Civil War. See e.g. the rest.", ["It sparked the U.S. Civil War.", "See e.g. the rest."]),
        (
            "The header is libtasn1.h. asn1Parser reads a file.",
            ["The header is libtasn1.h.", "asn1Parser reads a file."],
        ),
        ('He said "Stop." Then he left... And? Yes!', ['He said "Stop."', "Then he left...", "And?", "Yes!"]),
        (
            "St. Mary's School opened in 2003. It grew.\nFig. 3 shows it.",
            ["St. Mary's School opened in 2003.", "It grew.", "Fig. 3 shows it."],
        ),
    ],
)
def test_sentences_end_at_their_end_marks_not_after_abbreviations_or_initials(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_a_citation_snippet_starts_at_the_sentence_an_answer_quotes() -> None:
    # Given a passage that opens part-way through a sentence, and the sentence an extractive answer quotes from it
    text = "of hay every day.\nLlamas hum when calm. An alarm call sounds like a braying donkey."
    # When it is cited
    snippet = citation(passage(text, quote="Llamas hum when calm.")).snippet

    # Then the snippet starts at the quoted sentence
    assert snippet == "Llamas hum when calm. An alarm call sounds like a braying donkey."


def test_a_citation_snippet_never_starts_part_way_through_a_sentence() -> None:
    text = "of its weight in hay every day. Llamas hum when calm. " + "They live in the Andes. " * 30

    snippet = citation(passage(text)).snippet

    assert snippet.startswith("Llamas hum when calm.")
    # and it ends at the end of a sentence, within its bound
    assert snippet.endswith("Andes.")
    assert len(snippet) <= SNIPPET_CHARS
