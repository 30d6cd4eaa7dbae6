"""Hybrid retrieval: one chatbot's passages ranked by a weighted sum of dense similarity and lexical coverage."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from parley.domain.lexical import chunk_terms, query_term_ids, query_vector
from parley.domain.passages import Passage
from parley.domain.qa import QaPair
from parley.domain.vectors import Hit, HybridQuery, SparseVector
from parley.ports import Embedder, LexiconStore, VectorIndex

# The dense side's share of a score; the lexical side has the rest. Chosen on SciFact train
# (tests/benchmarks/tune_fusion.py).
DENSE_WEIGHT = 0.6

# The chatbot's term statistics are read while the question is embedded (both wait on the network in AWS).
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="statistics")


@dataclass(frozen=True)
class Retrieval:
    """A search's passages, best first, with what the question was searched as: its dense vector, and its terms'
    weights (term id → share of the question's inverse document frequency in the chatbot, summing to 1; none when
    nothing lexical could match). Answers judge sentences with both, so nothing is embedded or looked up twice."""

    passages: list[Passage]
    vector: list[float]
    weights: dict[int, float]


class Retriever:
    """One chatbot's chunks ranked by DENSE_WEIGHT * cosine similarity + (1 - DENSE_WEIGHT) * lexical coverage
    (parley.domain.lexical), in one request to the index. Both parts are absolute (cosine in [-1, 1], coverage about 1
    for a chunk holding every query term), so one score threshold means the same for every question."""

    def __init__(
        self, embedder: Embedder, index: VectorIndex, lexicon: LexiconStore, dense_weight: float = DENSE_WEIGHT
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.lexicon = lexicon
        self.dense_weight = dense_weight

    def query(self, tenant_id: str, chatbot_id: str, text: str) -> HybridQuery:
        return self._query(tenant_id, chatbot_id, text)[0]

    def _query(
        self, tenant_id: str, chatbot_id: str, text: str
    ) -> tuple[HybridQuery, list[float], SparseVector | None]:
        """The hybrid query, the question's dense vector and its lexical weights (before they are scaled)."""
        term_ids = query_term_ids(text)
        statistics = _LOOKUPS.submit(self.lexicon.statistics, tenant_id, chatbot_id, term_ids) if term_ids else None
        vector = self.embedder.embed_query(text)
        sparse = query_vector(term_ids, statistics.result()) if statistics else None
        dense = [self.dense_weight * value for value in vector]
        return HybridQuery(dense, sparse.scaled(1 - self.dense_weight) if sparse else None), vector, sparse

    def search(self, tenant_id: str, chatbot_id: str, query: str, top_k: int) -> list[Passage]:
        return self.retrieve(tenant_id, chatbot_id, query, top_k).passages

    def retrieve(self, tenant_id: str, chatbot_id: str, query: str, top_k: int) -> Retrieval:
        hybrid, vector, sparse = self._query(tenant_id, chatbot_id, query)
        hits = self.index.search(tenant_id, hybrid, top_k, chatbot_id)
        passages = [_passage(hit, self._similarity(hybrid, hit)) for hit in hits]
        weights = dict(zip(sparse.indices, sparse.values, strict=True)) if sparse else {}
        return Retrieval(passages, vector, weights)

    def _similarity(self, query: HybridQuery, hit: Hit) -> float:
        """The hit's cosine similarity: an index returns only the sum of both parts, so the lexical part is
        recomputed from the chunk's text (as ingest computed its sparse vector) and taken away."""
        if not self.dense_weight:
            return 0.0
        lexical = 0.0
        if query.sparse:
            stored = chunk_terms(str(hit.metadata.get("text", ""))).vector()
            weights = dict(zip(stored.indices, stored.values, strict=True))
            pairs = zip(query.sparse.indices, query.sparse.values, strict=True)
            lexical = sum(value * weights.get(index, 0.0) for index, value in pairs)
        return (hit.score - lexical) / self.dense_weight


def _passage(hit: Hit, similarity: float) -> Passage:
    metadata = hit.metadata
    page, heading = metadata.get("page"), metadata.get("heading")
    source_id, url = metadata.get("source_id"), metadata.get("url")
    question, answer = metadata.get("qa_question"), metadata.get("qa_answer")
    return Passage(
        chunk_id=hit.id,
        document_id=str(metadata.get("document_id", hit.id.split("#", maxsplit=1)[0])),
        filename=str(metadata.get("filename", "")),
        text=str(metadata.get("text", "")),
        score=round(hit.score, 6),
        similarity=round(similarity, 6),
        page=int(page) if isinstance(page, int | float) else None,
        heading=str(heading) if heading else None,
        source_id=str(source_id) if source_id else None,
        url=str(url) if url else None,
        pair=QaPair(str(question), str(answer)) if question and answer else None,
    )
