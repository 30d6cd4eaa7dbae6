"""What an answer may quote from a passage: its sentences of content, never a heading, a contents entry, page
furniture or an instruction aimed at the assistant.

A passage's lines are what ingest made of the document: whole paragraphs (Word, HTML), or the printed lines of a
page (PDF), where headings are lines like any other. Sentences are read across lines, so a heading left in would
be glued to the sentence after it ("2 Feeding Llamas need hay.").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby

from parley.answers.instructions import speaks_to_the_assistant
from parley.text.page_furniture import is_contents_entry, page_number
from parley.text.sentences import split_sentences

_BULLET = re.compile(r"^[\u2022\u25e6\u25aa\u2023\u00b7*-]\s+")
# A heading is short: a few words, and well short of the passage's full lines.
HEADING_WORDS = 12
HEADING_SHARE = 0.6
_SECTION_NUMBER = re.compile(r"(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?|(?:chapter|appendix|section)\s+\w+)\s", re.I)
# A section number followed by a capitalised word: "2.4 Library Notes", "A.1 GNU Free Documentation License".
_NUMBERED_TITLE = re.compile(r"(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?)\s+[A-Z]")
_CLOSING = "\"')]\u201d\u2019"
# Words that end no title and, in lower case, start no sentence, but that end and start the pieces of a sentence
# broken across lines, as where a passage opens part-way through a paragraph ("If a file is identified as being an").
_FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "nor",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "as",
        "by",
        "with",
        "from",
        "into",
        "than",
        "that",
        "which",
        "whose",
        "if",
        "because",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "its",
        "their",
        "your",
        "our",
        "this",
        "these",
        "those",
    }
)


def quotable_sentences(text: str) -> list[str]:
    """The passage's sentences that an answer may quote, in order."""
    sentences: list[str] = []
    for start, piece in _pieces(text):
        found = split_sentences(" ".join(piece))
        if start == 0 and found[0][:1].islower() and found[0].endswith((".", "!", "?")):
            # The passage opens part-way through a sentence (chunks overlap by lines, and a PDF line is only part
            # of one): its first words end a sentence whose start is in the chunk before. (A sentence that opens
            # with a lower-case name, "asn1Parser reads…", is lost here; its chunk before has it whole.)
            found = found[1:]
        sentences += found
    return [sentence for sentence in sentences if _is_whole(sentence) and not speaks_to_the_assistant(sentence)]


def _pieces(text: str) -> list[tuple[int, list[str]]]:
    """Runs of lines of content, each with the position of its first line. Furniture lines are left out (a
    sentence may run across a page break); a heading, or the start of a list item, ends a run."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and page_number(line) is None and not is_contents_entry(line)]
    items = [bool(_BULLET.match(line)) for line in lines]
    lines = [_BULLET.sub("", line) for line in lines]
    headings = _headings(lines)
    pieces: list[tuple[int, list[str]]] = []
    for number, line in enumerate(lines):
        if headings[number]:
            continue
        if number == 0 or items[number] or headings[number - 1]:
            pieces.append((number, []))
        pieces[-1][1].append(line)
    return pieces


def _is_whole(sentence: str) -> bool:
    """Not empty, not a piece of a sentence ("of any Modified Version."), not a lead-in whose list or code is not
    part of it ("The main features of this library are:"), and not an item of an enumeration that goes on
    ("• [asn1 encode simple der], page 16,", "• INTEGER;")."""
    words = sentence.split(maxsplit=1)
    return bool(words) and words[0] not in _FUNCTION_WORDS and not sentence.endswith((":", ",", ";"))


def _headings(lines: Sequence[str]) -> list[bool]:
    """Which lines are headings (or contents entries without leaders): runs of short lines that end in no
    punctuation (or a question mark), stand after the end of a sentence, and are followed by a line that opens
    one, or that are numbered as sections ("3.1 Invoking asn1Parser" may be followed by "asn1Parser reads…"); a
    section number and a capital ("2.4 Library Notes") make a title wherever it stands, after a list item too.
    A run at the end of the passage counts only if it is a single line after prose, so a list or a table of
    short rows (CSV, "Hay | 2 kg") stays quotable."""
    longest = max((len(line) for line in lines), default=0)
    titled: list[bool] = []
    for number, line in enumerate(lines):
        after_a_sentence = number == 0 or _ends_sentence(lines[number - 1]) or titled[-1]
        section = bool(_NUMBERED_TITLE.match(line))
        titled.append((after_a_sentence or section) and _looks_like_a_title(line, longest))
    headings: list[bool] = []
    for is_titled, run in groupby(titled):
        start, size = len(headings), len(list(run))
        end = start + size
        if not is_titled:
            headings += [False] * size
        elif end < len(lines):
            numbered = any(_SECTION_NUMBER.match(line) for line in lines[start:end])
            headings += [numbered or _opens_sentence(lines[end])] * size
        else:
            headings += [size == 1 and start > 0] * size
    return headings


def _looks_like_a_title(line: str, longest: int) -> bool:
    words = line.split()
    if len(words) > HEADING_WORDS or len(line) > HEADING_SHARE * longest:
        return False
    if words[0] in _FUNCTION_WORDS or words[-1].lower() in _FUNCTION_WORDS:  # a piece of a sentence
        return False
    return line.endswith("?") or not line.rstrip(_CLOSING).endswith((".", "!", ",", ";", ":"))


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSING).endswith((".", "!", "?", ":"))


def _opens_sentence(line: str) -> bool:
    return line[0].isupper() or line[0].isdigit() or line[0] in "\"'(\u201c\u2018"
