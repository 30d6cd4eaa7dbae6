from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from parley.adapters.embedded import local_index
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.domain.lexical import Statistics, chunk_terms, query_term_ids, query_vector
from parley.domain.vectors import ChunkMetadata, HybridQuery, SparseVector, VectorRecord
from parley.errors import ConfigurationError

from local.fakes.openai import fake_embedding

DIMENSION = 16


def record(document: str, no: int, text: str, chatbot: str = "bot-1") -> VectorRecord:
    return VectorRecord(
        id=f"{document}#{no}",
        values=fake_embedding(text, DIMENSION).tolist(),
        sparse=chunk_terms(text).vector(),
        metadata=ChunkMetadata(chatbot_id=chatbot, document_id=document, filename="f.txt", chunk_no=no, text=text),
    )


def dense(text: str) -> HybridQuery:
    return HybridQuery(fake_embedding(text, DIMENSION).tolist())


def lexical(text: str) -> HybridQuery:
    """A query with no dense part; every term weighs the same (as if no chunk held it)."""
    sparse = query_vector(query_term_ids(text), Statistics(chunks=10, frequencies={}))
    return HybridQuery([0.0] * DIMENSION, sparse)


def matching(index: LocalVectorIndex, namespace: str, query: HybridQuery, chatbot: str = "bot-1") -> list[str]:
    """Ids of the chunks with a positive score, best first."""
    return [hit.id for hit in index.search(namespace, query, 100, chatbot) if hit.score > 0]


@pytest.fixture
def index(tmp_path: Path) -> LocalVectorIndex:
    index = LocalVectorIndex(tmp_path, "fake", DIMENSION)
    index.upsert(
        "tenant-a",
        [
            record("d1", 0, "Llamas hum when they are calm."),
            record("d1", 1, "Alpacas are smaller than llamas."),
            record("d2", 0, "Vicuñas live wild in the Andes."),
            record("d3", 0, "Llamas guard sheep.", chatbot="bot-2"),
        ],
    )
    return index


def test_dense_search_finds_the_exact_vector_first(index: Any) -> None:
    hits = index.search("tenant-a", dense("Alpacas are smaller than llamas."), 2, "bot-1")

    assert hits[0].id == "d1#1"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 2


def test_lexical_side_is_stemmed_and_limited_to_the_chatbot(index: Any) -> None:
    hits = index.search("tenant-a", lexical("llama humming"), 10, "bot-1")

    assert [hit.id for hit in hits if hit.score > 0] == ["d1#0", "d1#1"]
    assert {hit.metadata["chatbot_id"] for hit in hits} == {"bot-1"}


def test_a_score_is_the_dense_plus_the_sparse_dot_product(index: Any) -> None:
    query = HybridQuery(
        [0.5 * value for value in fake_embedding("llamas", DIMENSION)],
        SparseVector(query_term_ids("llama"), [0.25]),
    )
    stored = record("d1", 1, "Alpacas are smaller than llamas.")
    assert stored.sparse is not None
    llama = dict(zip(stored.sparse.indices, stored.sparse.values, strict=True))[query_term_ids("llama")[0]]

    hit = next(hit for hit in index.search("tenant-a", query, 10, "bot-1") if hit.id == "d1#1")

    expected = float(np.dot(query.dense, stored.values)) + 0.25 * llama
    assert hit.score == pytest.approx(expected, rel=1e-5)


def test_other_tenant_sees_nothing(index: Any) -> None:
    assert index.search("tenant-b", dense("llamas"), 5, "bot-1") == []
    assert index.search("tenant-b", lexical("llamas"), 5, "bot-1") == []


def test_deleted_vectors_are_gone_from_both_sides(index: Any) -> None:
    index.delete("tenant-a", index.ids("tenant-a", "d1#"))

    assert index.ids("tenant-a", "d1#") == []
    assert [hit.id for hit in index.search("tenant-a", dense("x"), 10, "bot-1")] == ["d2#0"]
    assert matching(index, "tenant-a", lexical("llamas")) == []


def test_a_replaced_chunk_keeps_only_its_new_terms(index: Any) -> None:
    index.upsert("tenant-a", [record("d1", 0, "Alpacas sing.")])

    assert matching(index, "tenant-a", lexical("hum")) == []
    assert matching(index, "tenant-a", lexical("sing")) == ["d1#0"]


def test_index_survives_a_restart(index: Any, tmp_path: Path) -> None:
    index.delete("tenant-a", ["d2#0"])
    index.upsert("tenant-a", [record("d1", 0, "Llamas sing.")])

    reopened = LocalVectorIndex(tmp_path, "fake", DIMENSION)

    assert sorted(reopened.ids("tenant-a", "")) == ["d1#0", "d1#1", "d3#0"]
    assert matching(reopened, "tenant-a", lexical("sing")) == ["d1#0"]


def test_compaction_keeps_only_live_vectors_and_their_terms(tmp_path: Path) -> None:
    index = LocalVectorIndex(tmp_path, "fake", DIMENSION)
    index.upsert("t", [record("d", n, f"chunk {n}") for n in range(1500)])
    index.delete("t", [f"d#{n}" for n in range(1400)])

    reopened = LocalVectorIndex(tmp_path, "fake", DIMENSION)

    assert len(reopened.namespace("t").ids) == 100
    assert sorted(reopened.ids("t", "d#14"))[:2] == ["d#1400", "d#1401"]
    assert matching(reopened, "t", lexical("1450")) == ["d#1450"]


def test_sparse_scores_stay_exact_across_segments_and_merges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given postings sealed into segments of a few postings each, merged as they accumulate
    monkeypatch.setattr(local_index, "SEGMENT_POSTINGS", 7)
    words = [f"word{n}" for n in range(40)]
    rng = random.Random(7)
    texts = [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(300)]
    index = LocalVectorIndex(tmp_path, "fake", DIMENSION)
    for start in range(0, len(texts), 13):
        index.upsert("t", [record("d", n, texts[n]) for n in range(start, min(start + 13, len(texts)))])
    assert len(index.namespace("t").postings.segments) > 1

    # When a query of several terms is scored
    query = lexical("word3 word17 word29 word30")
    assert query.sparse is not None

    # Then every chunk's score is its exact sparse dot product
    expected = {}
    for n, text in enumerate(texts):
        stored = chunk_terms(text).vector()
        weights = dict(zip(stored.indices, stored.values, strict=True))
        expected[f"d#{n}"] = sum(
            w * weights.get(i, 0.0) for i, w in zip(query.sparse.indices, query.sparse.values, strict=True)
        )
    found = {hit.id: hit.score for hit in index.search("t", query, 1000, "bot-1")}
    assert found == pytest.approx(expected, abs=1e-5)


def test_mixing_embedders_is_refused(index: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="refusing to mix"):
        LocalVectorIndex(tmp_path, "another-model", 32)


# Locally, ingest, upload and query run in processes of their own, each with its own LocalVectorIndex on one folder.


def test_a_write_in_one_process_is_read_in_another(tmp_path: Path) -> None:
    # Given two indexes on one folder, the reader having looked before the write
    writer, reader = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)
    assert reader.ids("t", "") == []

    # When one writes
    writer.upsert("t", [record("d1", 0, "Llamas hum when they are calm.")])

    # Then the other finds it, by id, densely and lexically
    assert reader.ids("t", "") == ["d1#0"]
    assert [hit.id for hit in reader.search("t", dense("x"), 5, "bot-1")] == ["d1#0"]
    assert matching(reader, "t", lexical("humming llama")) == ["d1#0"]


def test_a_delete_in_one_process_is_gone_from_the_other(tmp_path: Path) -> None:
    # Given a vector both indexes have seen
    writer, reader = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)
    writer.upsert("t", [record("d1", 0, "Llamas hum."), record("d2", 0, "Alpacas hum.")])
    assert sorted(reader.ids("t", "")) == ["d1#0", "d2#0"]

    # When the reader deletes one and the writer writes again
    reader.delete("t", ["d1#0"])
    writer.upsert("t", [record("d3", 0, "Vicuñas hum.")])

    # Then both agree, and the writer's append did not bring the deleted vector back
    assert sorted(writer.ids("t", "")) == sorted(reader.ids("t", "")) == ["d2#0", "d3#0"]
    assert sorted(matching(reader, "t", lexical("hum"))) == ["d2#0", "d3#0"]


def test_compaction_in_one_process_is_reloaded_by_the_other(tmp_path: Path) -> None:
    # Given a namespace both indexes have loaded
    compacting, other = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)
    compacting.upsert("t", [record("d", n, f"chunk {n}") for n in range(1500)])
    assert len(other.ids("t", "")) == 1500

    # When one deletes enough to compact the log (the file is replaced), then writes again
    compacting.delete("t", [f"d#{n}" for n in range(1400)])
    compacting.upsert("t", [record("e", 0, "after compaction")])

    # Then the other reloads the new file: only the live vectors, and what came after
    assert len(compacting.namespace("t").ids) == 101
    assert len(other.namespace("t").ids) == 101
    assert sorted(other.ids("t", "e#")) == ["e#0"]
    assert len(other.ids("t", "d#")) == 100


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    # Given two processes' indexes appending at the same time
    first, second = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)

    def write(index: LocalVectorIndex, document: str) -> None:
        for n in range(50):
            index.upsert("t", [record(document, n, f"{document} {n}")])

    # When both write 50 vectors each
    threads = [threading.Thread(target=write, args=(first, "a")), threading.Thread(target=write, args=(second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each, and a fresh reader, has all 100
    assert len(first.ids("t", "")) == len(second.ids("t", "")) == 100
    assert len(LocalVectorIndex(tmp_path, "fake", DIMENSION).ids("t", "")) == 100
