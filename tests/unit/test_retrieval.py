from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.domain import lexical
from parley.domain.lexical import Contribution, Statistics, chunk_terms, query_term_ids, query_vector, term_id, terms
from parley.domain.vectors import ChunkMetadata, SparseVector, VectorRecord
from parley.services.retrieval import DENSE_WEIGHT, Retriever

from local.fakes.openai import fake_embedding

TENANT, CHATBOT = "t" * 32, "bot"
CHUNKS = [
    "Llamas hum softly when they are calm and content.",
    "Alpacas are smaller than llamas and have finer fleece.",
    "Vicuñas live wild in the high Andes of Peru.",
    "Shearing season starts in spring; fleece is graded by fineness.",
]


def test_terms_drop_stop_words_and_stem() -> None:
    assert terms("The llamas were humming, and THE alpaca hums!") == ["llama", "hum", "alpaca", "hum"]


def test_a_chunk_vector_saturates_repeated_terms_and_favours_short_chunks() -> None:
    once, thrice = chunk_terms("llama").vector(), chunk_terms("llama llama llama").vector()
    padded = chunk_terms("llama " + " ".join(f"filler{n}" for n in range(300))).vector()
    llama = term_id("llama")

    def weight(vector: SparseVector) -> float:
        return dict(zip(vector.indices, vector.values, strict=True))[llama]

    assert weight(once) < weight(thrice) < (lexical.K1 + 1) * weight(once)
    assert weight(padded) < weight(once)


def test_a_chunk_vector_keeps_at_most_pinecones_limit_of_terms() -> None:
    vector = chunk_terms(" ".join(f"word{n}" for n in range(lexical.MAX_TERMS + 50))).vector()

    assert len(vector.indices) == lexical.MAX_TERMS
    assert vector.indices == sorted(vector.indices)


def test_query_weights_are_idf_shares_summing_to_one() -> None:
    rare, common, absent = term_id("vicuña"), term_id("llama"), term_id("zebra")
    statistics = Statistics(chunks=100, frequencies={rare: 1, common: 60})

    vector = query_vector([rare, common, absent], statistics)
    assert vector is not None

    weights = dict(zip(vector.indices, vector.values, strict=True))
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights[absent] > weights[rare] > weights[common]


def test_nothing_lexical_is_asked_of_an_empty_chatbot_or_a_question_of_stop_words() -> None:
    assert query_vector(query_term_ids("llamas"), Statistics(chunks=0, frequencies={})) is None
    assert query_term_ids("what is it?") == []


class Lexicon:
    def __init__(self, contribution: Contribution) -> None:
        self.contribution = contribution

    def statistics(self, tenant_id: str, chatbot_id: str, term_ids: Sequence[int]) -> Statistics:
        found = {
            term: self.contribution.frequencies[term] for term in term_ids if term in self.contribution.frequencies
        }
        return Statistics(self.contribution.chunks, found)


class ZeroEmbedder:
    """No dense signal, so that a test sees the lexical part alone."""

    model, dimension = "zero", 16

    def embed_query(self, text: str) -> list[float]:
        return [0.0] * self.dimension


@pytest.fixture
def retriever(tmp_path: Path) -> Retriever:
    index = LocalVectorIndex(tmp_path, "zero", 16)
    index.upsert(
        TENANT,
        [
            VectorRecord(
                id=f"d#{no}",
                values=fake_embedding(text, 16).tolist(),
                sparse=chunk_terms(text).vector(),
                metadata=ChunkMetadata(chatbot_id=CHATBOT, document_id="d", filename="f.txt", chunk_no=no, text=text),
            )
            for no, text in enumerate(CHUNKS)
        ],
    )
    lexicon = Lexicon(Contribution.of([chunk_terms(text) for text in CHUNKS]))
    return Retriever(ZeroEmbedder(), index, lexicon)  # type: ignore[arg-type]


def test_the_query_is_weighted_between_its_dense_and_lexical_parts(retriever: Any) -> None:
    query = retriever.query(TENANT, CHATBOT, "llamas hum")

    assert sum(query.sparse.values) == pytest.approx(1 - DENSE_WEIGHT)
    assert query.dense == [0.0] * 16


def test_one_threshold_means_the_same_for_short_and_long_rare_and_common_questions(retriever: Any) -> None:
    # A question whose every word a chunk holds scores about the same whatever its length or rarity
    covered = [
        retriever.search(TENANT, CHATBOT, question, 1)[0].score
        for question in ("llamas", "vicuñas andes peru", "shearing season spring fleece graded fineness")
    ]
    # and one that shares half its words with the best chunk scores about half that
    half = retriever.search(TENANT, CHATBOT, "vicuñas andes giraffes savannah", 1)[0].score
    # while one no chunk speaks of scores nothing
    unrelated = retriever.search(TENANT, CHATBOT, "quarterly tax filing deadline", 1)[0].score

    assert min(covered) > 0.75 * (1 - DENSE_WEIGHT)
    assert max(covered) < 1.5 * (1 - DENSE_WEIGHT)
    assert 0.25 * (1 - DENSE_WEIGHT) < half < 0.75 * (1 - DENSE_WEIGHT)
    assert unrelated == 0.0
