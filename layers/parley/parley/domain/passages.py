"""A passage: one chunk as retrieval found it for a question, what answers are written from and cite."""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.qa import QaPair


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    document_id: str
    filename: str
    text: str
    score: float
    # The dense part alone: cosine similarity of question and chunk (what decides whether anything answers).
    similarity: float = 0.0
    page: int | None = None
    heading: str | None = None
    # A source's passage: the source, and a web page's address.
    source_id: str | None = None
    url: str | None = None
    # A Q&A pair's passage: the pair (its dense vector is the pair's question alone, so `similarity` compares the
    # questions).
    pair: QaPair | None = None
    # The sentence an extractive answer quotes from it: its citation's snippet starts there.
    quote: str | None = None
