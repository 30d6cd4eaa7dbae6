from __future__ import annotations

import threading

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


# Locally, ingest, upload and query run in processes of their own, each with its own LocalVectorIndex on one folder.


def test_a_write_in_one_process_is_read_in_another(tmp_path):
    # Given two indexes on one folder, the reader having looked before the write
    writer, reader = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)
    assert reader.ids("t", "") == []

    # When one writes
    writer.upsert("t", [record("d1", 0, "Llamas hum when they are calm.")])

    # Then the other finds it, by id, densely and lexically
    assert reader.ids("t", "") == ["d1#0"]
    assert [hit.id for hit in reader.dense("t", fake_embedding("x", DIMENSION), 5, "bot-1")] == ["d1#0"]
    assert [hit.id for hit in reader.lexical("t", "humming llama", 5, "bot-1")] == ["d1#0"]


def test_a_delete_in_one_process_is_gone_from_the_other(tmp_path):
    # Given a vector both indexes have seen
    writer, reader = LocalVectorIndex(tmp_path, "fake", DIMENSION), LocalVectorIndex(tmp_path, "fake", DIMENSION)
    writer.upsert("t", [record("d1", 0, "Llamas hum."), record("d2", 0, "Alpacas hum.")])
    assert sorted(reader.ids("t", "")) == ["d1#0", "d2#0"]

    # When the reader deletes one and the writer writes again
    reader.delete("t", ["d1#0"])
    writer.upsert("t", [record("d3", 0, "Vicuñas hum.")])

    # Then both agree, and the writer's append did not bring the deleted vector back
    assert sorted(writer.ids("t", "")) == sorted(reader.ids("t", "")) == ["d2#0", "d3#0"]
    assert [hit.id for hit in reader.lexical("t", "hum", 5, "bot-1")] == ["d2#0", "d3#0"]


def test_compaction_in_one_process_is_reloaded_by_the_other(tmp_path):
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


def test_concurrent_writers_lose_nothing(tmp_path):
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
