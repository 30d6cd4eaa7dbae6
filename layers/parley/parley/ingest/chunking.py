"""Token-aware recursive chunking: split on paragraphs, then lines, then sentences, then words, then characters;
merge with overlap. Every chunk holds at most its plan's tokens and MAX_CHUNK_BYTES bytes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from parley.domain.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, MAX_CHUNK_BYTES, check_chunking
from parley.domain.qa import QaPair
from parley.ingest.extract import Block
from parley.text.tokens import count_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
# Sentences and clauses of the scripts written without spaces end at these marks, with no space after them: the
# ideographic and full-width full stop, exclamation and question marks; full-width semicolon and comma, and the
# ideographic comma.
_CJK_SENTENCE_END = re.compile("(?<=[\u3002\uff0e\uff01\uff1f\uff61])")
_CJK_CLAUSE_END = re.compile("(?<=[\uff1b\uff0c\u3001])")
_ZERO_WIDTH_JOINER = "\u200d"


@dataclass(frozen=True)
class ChunkPlan:
    size: int = DEFAULT_SIZE
    overlap: int = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        check_chunking(self.size, self.overlap)


@dataclass(frozen=True)
class Chunk:
    no: int
    text: str
    tokens: int
    page: int | None
    heading: str | None
    pair: QaPair | None = None


class _Room(NamedTuple):
    """How much text a piece may hold."""

    tokens: int
    bytes: int

    def fits(self, text: str) -> bool:
        return count_tokens(text) <= self.tokens and _size(text) <= self.bytes


class _Piece(NamedTuple):
    """A piece of a chunk, costed with the line break that joins it to its neighbour."""

    text: str
    tokens: int
    bytes: int

    @classmethod
    def of(cls, text: str) -> _Piece:
        return cls(text, count_tokens(text) + 1, _size(text) + 1)


def _size(text: str) -> int:
    """The text's length in UTF-8 bytes."""
    return len(text) if text.isascii() else len(text.encode())


def _split(text: str, room: _Room, separators: Sequence[str | re.Pattern[str]]) -> Iterator[str]:
    """Pieces of `text` that fit in `room`, cut at the coarsest boundary that works."""
    if room.fits(text):
        yield text
        return
    if not separators:
        yield from _by_words(text, room)
        return
    separator, rest = separators[0], separators[1:]
    parts = separator.split(text) if isinstance(separator, re.Pattern) else text.split(separator)
    for part in parts:
        if part.strip():
            yield from _split(part.strip(), room, rest)


def _by_words(text: str, room: _Room) -> Iterator[str]:
    """Runs of words (a URL, a table row, a list without commas) in pieces of at most half as many words as the
    room has tokens, fewer when long words would not fit; a word that fits nowhere is cut by characters."""
    most = max(1, room.tokens // 2)
    group: list[str] = []
    # An upper bound of the group's tokens and bytes: counting it again only when the bound says it may not fit.
    tokens = size = 0
    for word in text.split():
        if not room.fits(word):
            if group:
                yield " ".join(group)
            group, tokens, size = [], 0, 0
            yield from _by_characters(word, room)
            continue
        tokens, size = tokens + count_tokens(word) + 1, size + _size(word) + 1
        if group and (tokens > room.tokens or size > room.bytes):
            joined = " ".join([*group, word])
            tokens, size = count_tokens(joined), _size(joined)
        if group and (len(group) == most or tokens > room.tokens or size > room.bytes):
            yield " ".join(group)
            group, tokens, size = [], count_tokens(word), _size(word)
        group.append(word)
    if group:
        yield " ".join(group)


def _by_characters(text: str, room: _Room) -> Iterator[str]:
    """A text with no space to cut at (a long URL, a base64 blob, a script written without spaces) in pieces that
    fit in `room`, never parting a character from the marks that combine with it."""
    start = 0
    while start < len(text):
        end = min(len(text), start + 4 * room.tokens)
        while not room.fits(text[start:end]):
            piece = text[start:end]
            share = min(room.tokens / count_tokens(piece), room.bytes / _size(piece))
            end = start + max(1, min(len(piece) - 1, int(len(piece) * share)))
        end = _cluster_start(text, start, end)
        yield text[start:end]
        start = end


def _cluster_start(text: str, start: int, end: int) -> int:
    """`end` moved back to the start of the character cluster it falls in (a letter and its accents, an emoji
    sequence), unless the cluster is all there is after `start`."""
    cut = end
    while start < cut < len(text) and (
        unicodedata.category(text[cut]).startswith("M")
        or text[cut] in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= text[cut] <= "\U0001f3ff"  # skin tones
        or text[cut - 1] == _ZERO_WIDTH_JOINER
    ):
        cut -= 1
    return cut if cut > start else end


_SEPARATORS: tuple[str | re.Pattern[str], ...] = (
    "\n\n",
    "\n",
    _SENTENCE_END,
    _CJK_SENTENCE_END,
    "; ",
    ", ",
    _CJK_CLAUSE_END,
)


def chunk_blocks(blocks: Sequence[Block], plan: ChunkPlan) -> list[Chunk]:
    """Chunks of at most `plan.size` tokens; consecutive chunks of a block share about `plan.overlap` tokens."""
    chunks: list[Chunk] = []
    for block in blocks:
        if block.pair:
            # A pair's answer is given whole (read_pair keeps it within MAX_CHUNK_BYTES), so it is one chunk.
            chunks.append(Chunk(len(chunks), block.text, count_tokens(block.text), None, None, block.pair))
            continue
        heading, text = _fitted_heading(block, plan)
        limit = max(plan.size // 2, plan.size - count_tokens(heading or ""))
        byte_limit = MAX_CHUNK_BYTES - (_size(heading) + 1 if heading else 0)
        # Pieces leave room for the overlap, so every chunk can open with the end of the one before.
        room = _Room(limit - plan.overlap, byte_limit - 1)
        pieces = [_Piece.of(piece) for piece in _split(text, room, _SEPARATORS)]
        window: list[_Piece] = []
        for piece in pieces:
            if window and not _fits(window, piece, limit, byte_limit):
                chunks.append(_chunk(len(chunks), window, block.page, heading))
                window = _overlap(window, plan.overlap)
                while window and not _fits(window, piece, limit, byte_limit):
                    window.pop(0)
            window.append(piece)
        if window:
            chunks.append(_chunk(len(chunks), window, block.page, heading))
    return chunks


def _fitted_heading(block: Block, plan: ChunkPlan) -> tuple[str | None, str]:
    """The block's heading and text. A heading too long to open every chunk (a paragraph styled as a heading)
    opens the text instead, and chunks open with its first words."""
    heading = block.heading
    if not heading or (count_tokens(heading) <= plan.size // 2 and _size(heading) <= MAX_CHUNK_BYTES // 2):
        return heading, block.text
    short = next(_by_words(heading, _Room(plan.size // 4, MAX_CHUNK_BYTES // 4)))
    return short, f"{heading}\n\n{block.text}"


def _fits(window: list[_Piece], piece: _Piece, tokens: int, size: int) -> bool:
    return (
        sum(item.tokens for item in window) + piece.tokens <= tokens
        and sum(item.bytes for item in window) + piece.bytes <= size
    )


def _overlap(window: list[_Piece], budget: int) -> list[_Piece]:
    """The end of a finished chunk, about `budget` tokens cut at a sentence (else word) boundary, that opens the
    next one."""
    kept: list[_Piece] = []
    for piece in reversed(window):
        room = budget - sum(item.tokens for item in kept) - 1
        if piece.tokens <= room:
            kept.insert(0, piece)
            continue
        tail = _tail(piece.text, room)
        if tail:
            kept.insert(0, _Piece.of(tail))
        break
    return kept


def _tail(text: str, budget: int) -> str:
    """The last sentences of `text` within `budget` tokens, or its last words when no sentence fits."""
    if budget <= 0:
        return ""
    sentences = _SENTENCE_END.split(text)
    tail: list[str] = []
    for sentence in reversed(sentences):
        if count_tokens(" ".join([sentence, *tail])) > budget:
            break
        tail.insert(0, sentence)
    if tail:
        return " ".join(tail)
    words = text.split()
    kept: list[str] = []
    for word in reversed(words):
        if count_tokens(" ".join([word, *kept])) > budget:
            break
        kept.insert(0, word)
    return " ".join(kept)


def _chunk(no: int, window: list[_Piece], page: int | None, heading: str | None) -> Chunk:
    text = "\n".join(piece.text for piece in window)
    if heading:
        # The heading travels with the chunk so a passage found alone still says what it is about.
        text = f"{heading}\n{text}"
    return Chunk(no=no, text=text, tokens=count_tokens(text), page=page, heading=heading)
