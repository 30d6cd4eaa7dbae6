from __future__ import annotations

import pytest
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.domain.vectors import ChunkMetadata, VectorRecord
from parley.errors import ConfigurationError

from local.fakes import fake_embedding

DIMENSION = 16


def record(document: str, no: int, text: str, chatbot: str = "bot-1") -> VectorRecord:
    return VectorRecord(
        id=f"{document}#{no}",
        values=fake_embedding(text, DIMENSION).tolist(),
        metadata=ChunkMetadata(chatbot_id=chatbot, document_id=document, filename="f.txt", chunk_no=no, text=text),
    )


@pytest.fixture
def index(tmp_path) -> LocalVectorIndex:
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


def test_dense_search_finds_the_exact_vector_first(index):
    hits = index.dense("tenant-a", fake_embedding("Alpacas are smaller than llamas.", DIMENSION), 2, "bot-1")

    assert hits[0].id == "d1#1"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 2


def test_lexical_search_is_stemmed_and_limited_to_the_chatbot(index):
    hits = index.lexical("tenant-a", "llama humming", 10, "bot-1")

    assert [hit.id for hit in hits] == ["d1#0", "d1#1"]
    assert all(hit.metadata["chatbot_id"] == "bot-1" for hit in hits)


def test_other_tenant_sees_nothing(index):
    assert index.dense("tenant-b", fake_embedding("llamas", DIMENSION), 5, "bot-1") == []
    assert index.lexical("tenant-b", "llamas", 5, "bot-1") == []


def test_deleted_vectors_are_gone_from_both_searches(index):
    index.delete("tenant-a", index.ids("tenant-a", "d1#"))

    assert index.ids("tenant-a", "d1#") == []
    assert [hit.id for hit in index.dense("tenant-a", fake_embedding("x", DIMENSION), 10, "bot-1")] == ["d2#0"]
    assert index.lexical("tenant-a", "llamas", 10, "bot-1") == []


def test_index_survives_a_restart(index, tmp_path):
    index.delete("tenant-a", ["d2#0"])
    index.upsert("tenant-a", [record("d1", 0, "Llamas sing.")])

    reopened = LocalVectorIndex(tmp_path, "fake", DIMENSION)

    assert sorted(reopened.ids("tenant-a", "")) == ["d1#0", "d1#1", "d3#0"]
    assert [hit.id for hit in reopened.lexical("tenant-a", "sing", 5, "bot-1")] == ["d1#0"]


def test_compaction_keeps_only_live_vectors(tmp_path):
    index = LocalVectorIndex(tmp_path, "fake", DIMENSION)
    index.upsert("t", [record("d", n, f"chunk {n}") for n in range(1500)])
    index.delete("t", [f"d#{n}" for n in range(1400)])

    reopened = LocalVectorIndex(tmp_path, "fake", DIMENSION)

    assert len(reopened.namespace("t").ids) == 100
    assert sorted(reopened.ids("t", "d#14"))[:2] == ["d#1400", "d#1401"]


def test_mixing_embedders_is_refused(index, tmp_path):
    with pytest.raises(ConfigurationError, match="refusing to mix"):
        LocalVectorIndex(tmp_path, "another-model", 32)
