"""Hybrid retrieval: one chatbot's passages ranked by a weighted sum of dense similarity and lexical coverage."""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.vectors import HybridQuery
from parley.lexical import query_term_ids, query_vector
from parley.ports import Embedder, LexiconStore, VectorIndex

# The dense side's share of a score; the lexical side has the rest. Chosen on SciFact train
# (tests/benchmarks/tune_fusion.py).
DENSE_WEIGHT = 0.6


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    document_id: str
    filename: str
    text: str
    score: float
    page: int | None = None
    heading: str | None = None


class Retriever:
    """One chatbot's chunks ranked by DENSE_WEIGHT * cosine similarity + (1 - DENSE_WEIGHT) * lexical coverage
    (parley.lexical), in one request to the index. Both parts are absolute (cosine in [-1, 1], coverage about 1
    for a chunk holding every query term), so one score threshold means the same for every question."""

    def __init__(
        self, embedder: Embedder, index: VectorIndex, lexicon: LexiconStore, dense_weight: float = DENSE_WEIGHT
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.lexicon = lexicon
        self.dense_weight = dense_weight

    def query(self, tenant_id: str, chatbot_id: str, text: str) -> HybridQuery:
        dense = [self.dense_weight * value for value in self.embedder.embed_query(text)]
        term_ids = query_term_ids(text)
        sparse = query_vector(term_ids, self.lexicon.statistics(tenant_id, chatbot_id, term_ids)) if term_ids else None
        return HybridQuery(dense, sparse.scaled(1 - self.dense_weight) if sparse else None)

    def search(self, tenant_id: str, chatbot_id: str, query: str, top_k: int) -> list[Passage]:
        hits = self.index.search(tenant_id, self.query(tenant_id, chatbot_id, query), top_k, chatbot_id)
        return [_passage(hit.id, hit.score, hit.metadata) for hit in hits]


def _passage(chunk_id: str, score: float, metadata: dict[str, object]) -> Passage:
    page, heading = metadata.get("page"), metadata.get("heading")
    return Passage(
        chunk_id=chunk_id,
        document_id=str(metadata.get("document_id", chunk_id.split("#", maxsplit=1)[0])),
        filename=str(metadata.get("filename", "")),
        text=str(metadata.get("text", "")),
        score=round(score, 6),
        page=int(page) if isinstance(page, int | float) else None,
        heading=str(heading) if heading else None,
    )
