"""Numbered sources in, `[n]` references out: every reference in a returned answer points at a returned citation,
whether the answer is returned whole or relayed to a listener as it is written."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from parley.domain.conversations import Citation
from parley.domain.passages import Passage
from parley.text.sentences import sentence_starts

if TYPE_CHECKING:
    from parley.ports import AnswerListener

_REFERENCE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
SNIPPET_CHARS = 300


def citation(passage: Passage) -> Citation:
    """A passage cited; a Q&A pair is cited as its question (the name) and its answer (the snippet)."""
    pair = passage.pair
    snippet = _snippet(" ".join(pair.answer.split())) if pair else _snippet(_from_a_sentence(passage))
    return Citation(
        document_id=passage.document_id,
        filename=pair.question if pair else passage.filename,
        chunk_id=passage.chunk_id,
        score=passage.score,
        snippet=snippet,
        page=passage.page,
        url=passage.url,
        source_id=passage.source_id,
    )


def _from_a_sentence(passage: Passage) -> str:
    """The passage's text from the sentence an answer quotes, else from its first whole sentence: a chunk may open
    part-way through one (its overlap with the chunk before, a PDF line)."""
    text = " ".join(passage.text.split())
    if passage.quote and passage.quote in text:
        return text[text.index(passage.quote) :]
    starts = sentence_starts(text)
    if len(starts) > 1 and _opens_mid_sentence(text):
        return text[starts[1] :]
    return text


def _opens_mid_sentence(text: str) -> bool:
    """Whether the text starts inside a sentence: with a lower-case word or a punctuation mark that continues one."""
    first = text[:1]
    return first.islower() or first in ",;:.)]}\u201d\u2019"


def _snippet(text: str) -> str:
    """At most SNIPPET_CHARS of the text: up to the end of its last whole sentence that fits, else to a word."""
    if len(text) <= SNIPPET_CHARS:
        return text
    ends = [start for start in sentence_starts(text) if 0 < start <= SNIPPET_CHARS]
    if ends and ends[-1] >= SNIPPET_CHARS // 2:
        return text[: ends[-1]].rstrip()
    return text[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"


class Numbering:
    """Source numbers to citation numbers, [1]..[m] in order of first use; references to no source vanish."""

    def __init__(self, sources: Sequence[Passage]) -> None:
        self.sources = sources
        self.order: dict[int, int] = {}

    def _rewrite(self, match: re.Match[str]) -> str:
        numbers = []
        for part in match.group(1).split(","):
            source = int(part)
            if 1 <= source <= len(self.sources):
                numbers.append(self.order.setdefault(source, len(self.order) + 1))
        return "".join(f"[{number}]" for number in dict.fromkeys(numbers))

    def apply(self, text: str) -> str:
        """`text` with its references renumbered, and no doubled spaces or space before punctuation where a
        dropped reference was (not stripped: the text may be one piece of many)."""
        text = re.sub(r"[ \t]{2,}", " ", _REFERENCE.sub(self._rewrite, text))
        return re.sub(r"[ \t]+([.,;:!?])", r"\1", text)

    def citations(self) -> list[Citation]:
        return [citation(self.sources[source - 1]) for source in self.order]


def resolve(answer: str, sources: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Renumber the sources the answer cites as [1]..[m] in order of first use; drop references to no source."""
    numbering = Numbering(sources)
    return numbering.apply(answer).strip(), numbering.citations()


class RenumberedStream:
    """`resolve` for an answer arriving in pieces: the pieces shown add up to exactly the resolved text.

    A reference split across pieces (`[`, `3`, `]`) and trailing whitespace (a dropped reference may follow it)
    are held back until the next piece decides them."""

    _OPEN_REFERENCE = re.compile(r"\[[\d,\s]{0,30}$")
    _TRAILING_SPACE = re.compile(r"\s+$")

    def __init__(self, sources: Sequence[Passage]) -> None:
        self.numbering = Numbering(sources)
        self._pending = ""
        self._begun = False

    def feed(self, piece: str) -> str:
        """The text that can be shown now."""
        text = self._pending + piece
        held = self._OPEN_REFERENCE.search(text)
        cut = held.start() if held else len(text)
        shown = self.numbering.apply(text[:cut])
        space = self._TRAILING_SPACE.search(shown)
        self._pending = (space.group() if space else "") + text[cut:]
        return self._lead(shown[: space.start()] if space else shown)

    def finish(self) -> str:
        """Whatever was held back, once the answer is complete."""
        text, self._pending = self._pending, ""
        return self._lead(self.numbering.apply(text).rstrip())

    def _lead(self, text: str) -> str:
        if not self._begun:
            text = text.lstrip()
            self._begun = bool(text)
        return text


class Relay:
    """Hands an answer's pieces to a listener as they are written, references renumbered as the citations will be
    (`RenumberedStream`), and keeps what was written."""

    def __init__(self, listener: AnswerListener, sources: Sequence[Passage], *, verbatim: bool = False) -> None:
        self.listener = listener
        # A verbatim answer (a Q&A pair's) has no references to renumber: its text is shown as stored.
        self.stream = None if verbatim else RenumberedStream(sources)
        self.pieces: list[str] = []
        self.first_token_at: float | None = None  # time.perf_counter() when the first piece came

    @property
    def written(self) -> str:
        return "".join(self.pieces)

    def token(self, piece: str) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.pieces.append(piece)
        self._show(self.stream.feed(piece) if self.stream else piece)

    def finish(self) -> None:
        if self.stream:
            self._show(self.stream.finish())

    def _show(self, text: str) -> None:
        if text:
            self.listener.token(text)


def references(text: str) -> list[int]:
    """The numbers of every [n] in `text` (for checks and tests)."""
    return [int(part) for match in _REFERENCE.finditer(text) for part in match.group(1).split(",")]
