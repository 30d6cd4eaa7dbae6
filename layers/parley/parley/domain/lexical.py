"""Lexical relevance as sparse vectors: BM25 split between the chunk (term saturation and length) and the query
(inverse document frequency), so that any index that takes a dot product of sparse vectors ranks by it.

A chunk's vector depends on its own text only, so it is written once at ingest and never rewritten. The query's
vector carries the chatbot's statistics (chunk count, document frequency of each query term) as they are at
question time. Its weights sum to 1: a score is the share of the question's IDF mass a chunk covers, about 1 for a
chunk holding every query term once at the reference length, whatever the question, so a threshold means the same
thing for every query.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from parley.domain.vectors import SparseVector

# BM25 parameters, chosen on SciFact train (tests/benchmarks/tune_fusion.py).
K1 = 0.9
B = 0.5
# Chunks are bounded by their chatbot's chunk size, so lengths are normalised against a fixed reference rather than
# a running average: a chunk's vector then never changes when other documents arrive or leave.
REFERENCE_LENGTH = 120
# Pinecone accepts at most this many non-zero values in one sparse vector; a chunk never gets near it, but a
# vector over the cap keeps its heaviest terms.
MAX_TERMS = 1000

_WORD = re.compile(r"[^\W_]{2,}")
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves also may might must shall us
    """.split()  # noqa: SIM905 - a paragraph of words reads better than a list of 130 strings
)


_stemmer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The text's terms: lower-cased words of two or more letters or digits, stop words out, Snowball-stemmed."""
    words = [word for word in _WORD.findall(text.lower()) if word not in STOPWORDS]
    with _stemmer_lock:  # a Stemmer object is not safe to share between threads
        return list(_stemmer().stemWords(words))


def term_id(term: str) -> int:
    """A term's dimension in the sparse space (32 bits, as Pinecone's sparse indices are)."""
    return zlib.crc32(term.encode())


@dataclass(frozen=True)
class ChunkTerms:
    """What one chunk contributes to its chatbot's statistics, and its sparse vector."""

    length: int
    counts: Mapping[int, int]  # term id → occurrences in the chunk

    def vector(self) -> SparseVector:
        norm = K1 * (1 - B + B * self.length / REFERENCE_LENGTH)
        weights = {index: count * (K1 + 1) / (count + norm) for index, count in self.counts.items()}
        kept = sorted(weights, key=lambda index: (-weights[index], index))[:MAX_TERMS]
        kept.sort()
        return SparseVector(kept, [round(weights[index], 6) for index in kept])


def chunk_terms(text: str) -> ChunkTerms:
    found = terms(text)
    return ChunkTerms(len(found), Counter(term_id(term) for term in found))


@dataclass(frozen=True)
class Contribution:
    """A document's share of its chatbot's statistics: chunks, their total length, and per term the number of its
    chunks that hold it (document frequency counts chunks, the unit that is ranked)."""

    chunks: int
    length: int
    frequencies: Mapping[int, int]

    @classmethod
    def of(cls, chunks: Sequence[ChunkTerms]) -> Contribution:
        frequencies: Counter[int] = Counter()
        for chunk in chunks:
            frequencies.update(chunk.counts.keys())
        return cls(len(chunks), sum(chunk.length for chunk in chunks), dict(frequencies))


@dataclass(frozen=True)
class Statistics:
    """A chatbot's statistics for the terms of one question."""

    chunks: int
    frequencies: Mapping[int, int]


def query_term_ids(text: str) -> list[int]:
    """The question's distinct term ids, in order of first appearance."""
    return list(dict.fromkeys(term_id(term) for term in terms(text)))


def idf(chunks: int, frequency: int) -> float:
    frequency = min(max(frequency, 0), chunks)
    return math.log(1 + (chunks - frequency + 0.5) / (frequency + 0.5))


def query_vector(term_ids: Sequence[int], statistics: Statistics) -> SparseVector | None:
    """The question's sparse vector, weights summing to 1; None when nothing lexical can match (no terms, or an
    empty chatbot)."""
    if not term_ids or statistics.chunks <= 0:
        return None
    weights = {index: idf(statistics.chunks, statistics.frequencies.get(index, 0)) for index in term_ids}
    total = sum(weights.values())
    indices = sorted(weights)
    return SparseVector(indices, [weights[index] / total for index in indices])
