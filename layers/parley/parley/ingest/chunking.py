"""Token-aware recursive chunking: split on paragraphs, then lines, then sentences, then words; merge with overlap."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from parley.domain.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, check_chunking
from parley.ingest.extract import Block
from parley.text import count_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


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


def _split(text: str, limit: int, separators: Sequence[str | re.Pattern[str]]) -> Iterator[str]:
    """Pieces of `text` no longer than `limit` tokens, cut at the coarsest boundary that works."""
    if count_tokens(text) <= limit:
        yield text
        return
    if not separators:
        words = text.split()
        # Words alone still too long (a URL, a table row): cut by words at the limit.
        for start in range(0, len(words), max(1, limit // 2)):
            yield " ".join(words[start : start + max(1, limit // 2)])
        return
    separator, rest = separators[0], separators[1:]
    parts = separator.split(text) if isinstance(separator, re.Pattern) else text.split(separator)
    for part in parts:
        if part.strip():
            yield from _split(part.strip(), limit, rest)


_SEPARATORS: tuple[str | re.Pattern[str], ...] = ("\n\n", "\n", _SENTENCE_END, "; ", ", ")


def chunk_blocks(blocks: Sequence[Block], plan: ChunkPlan) -> list[Chunk]:
    """Chunks of at most `plan.size` tokens; consecutive chunks of a block share about `plan.overlap` tokens."""
    chunks: list[Chunk] = []
    for block in blocks:
        limit = max(plan.size // 2, plan.size - count_tokens(block.heading or ""))
        # Pieces leave room for the overlap, so every chunk can open with the end of the one before.
        # Each piece is costed one token more, for the line break that joins it to its neighbour.
        pieces = [(piece, count_tokens(piece) + 1) for piece in _split(block.text, limit - plan.overlap, _SEPARATORS)]
        window: list[tuple[str, int]] = []
        for piece in pieces:
            if window and sum(tokens for _, tokens in window) + piece[1] > limit:
                chunks.append(_chunk(len(chunks), window, block))
                window = _overlap(window, plan.overlap)
                while window and sum(tokens for _, tokens in window) + piece[1] > limit:
                    window.pop(0)
            window.append(piece)
        if window:
            chunks.append(_chunk(len(chunks), window, block))
    return chunks


def _overlap(window: list[tuple[str, int]], budget: int) -> list[tuple[str, int]]:
    """The end of a finished chunk, about `budget` tokens cut at a sentence (else word) boundary, that opens the
    next one."""
    kept: list[tuple[str, int]] = []
    for text, tokens in reversed(window):
        room = budget - sum(count for _, count in kept) - 1
        if tokens <= room:
            kept.insert(0, (text, tokens))
            continue
        tail = _tail(text, room)
        if tail:
            kept.insert(0, (tail, count_tokens(tail) + 1))
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


def _chunk(no: int, window: list[tuple[str, int]], block: Block) -> Chunk:
    text = "\n".join(piece for piece, _ in window)
    if block.heading:
        # The heading travels with the chunk so a passage found alone still says what it is about.
        text = f"{block.heading}\n{text}"
    return Chunk(no=no, text=text, tokens=count_tokens(text), page=block.page, heading=block.heading)
