"""The OpenAI and Pinecone adapters drive the real SDKs against the local fakes of their HTTP APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.adapters.openai_access import OpenAIAccess
from parley.adapters.openai_embedder import OpenAIEmbedder
from parley.adapters.pinecone_index import PineconeIndex
from parley.domain.lexical import Contribution, chunk_terms, query_term_ids, query_vector
from parley.domain.vectors import ChunkMetadata, HybridQuery, SparseVector, VectorRecord
from parley.errors import ConfigurationError, UpstreamUnavailable
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import Block

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import prose

# A thousand chunks of about 400 tokens, the default chunk size.
TEXTS = [prose(seed, 300) for seed in range(1000)]


@pytest.fixture
def openai_fake() -> Any:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def pinecone_fake() -> Any:
    fake = FakePinecone(dimension=512).start()
    yield fake
    fake.stop()


def embedder(fake: FakeOpenAI, retries: int = 4) -> OpenAIEmbedder:
    return OpenAIEmbedder(OpenAIAccess(lambda: "sk-test", fake.base_url), max_retries=retries)


def test_a_thousand_chunks_embed_in_few_requests_within_the_limits(openai_fake: FakeOpenAI) -> None:
    vectors = embedder(openai_fake).embed_documents(TEXTS)

    assert len(vectors) == 1000
    assert {len(vector) for vector in vectors} == {512}
    assert openai_fake.requests["/v1/embeddings"] <= 4
    # Order is kept across requests: the vector of each text is the fake's vector of that very text.
    assert vectors[999] == pytest.approx(embedder(openai_fake).embed_query(TEXTS[999]), abs=1e-6)


def test_rate_limits_are_retried_after_the_servers_delay(openai_fake: FakeOpenAI) -> None:
    openai_fake.fail_next(2, status=429, headers={"retry-after": "0"})

    vectors = embedder(openai_fake).embed_documents(["Llamas hum."])

    assert len(vectors) == 1
    assert openai_fake.requests["/v1/embeddings"] == 3


def test_persistent_failure_becomes_upstream_unavailable(openai_fake: FakeOpenAI) -> None:
    openai_fake.fail_next(10, status=503)

    with pytest.raises(UpstreamUnavailable):
        embedder(openai_fake, retries=1).embed_documents(["Llamas hum."])
    assert openai_fake.requests["/v1/embeddings"] == 2


def _records(vectors: list[list[float]]) -> list[VectorRecord]:
    return [
        VectorRecord(
            id=f"doc#{n}",
            values=values,
            sparse=chunk_terms(TEXTS[n]).vector(),
            metadata=ChunkMetadata(chatbot_id="bot", document_id="doc", filename="f.txt", chunk_no=n, text=TEXTS[n]),
        )
        for n, values in enumerate(vectors)
    ]


def test_a_thousand_vectors_upsert_in_few_requests_and_delete_by_prefix(
    openai_fake: FakeOpenAI, pinecone_fake: FakePinecone
) -> None:
    index = PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512)
    records = _records(embedder(openai_fake).embed_documents(TEXTS))

    index.upsert("tenant-a", records)

    assert pinecone_fake.requests["/vectors/upsert"] <= 10
    assert len(pinecone_fake.namespaces["tenant-a"]) == 1000
    ids = index.ids("tenant-a", "doc#")
    assert len(ids) == 1000

    index.delete("tenant-a", ids)

    assert pinecone_fake.namespaces["tenant-a"] == {}


def test_an_index_of_another_dimension_is_refused(openai_fake: FakeOpenAI) -> None:
    fake = FakePinecone(dimension=1536).start()
    try:
        index = PineconeIndex(lambda: "pc-test", fake.url, dimension=512)
        with pytest.raises(ConfigurationError, match="dimension"):
            index.upsert("tenant-a", _records(embedder(openai_fake).embed_documents(TEXTS[:1])))
    finally:
        fake.stop()


def test_pinecone_and_the_local_index_rank_alike(
    openai_fake: FakeOpenAI, pinecone_fake: FakePinecone, tmp_path: Path
) -> None:
    # Given the same records, dense and sparse, in Pinecone (through its SDK) and in the local index
    records = _records(embedder(openai_fake).embed_documents(TEXTS[:300]))
    pinecone = PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512)
    local = LocalVectorIndex(tmp_path, "fake", 512)
    pinecone.upsert("tenant-a", records)
    local.upsert("tenant-a", records)
    statistics = Contribution.of([chunk_terms(text) for text in TEXTS[:300]])

    for question in (TEXTS[7][:80], "llama fleece", TEXTS[123][40:200]):
        # When one hybrid query is asked of both
        sparse = query_vector(query_term_ids(question), statistics_of(statistics, question))
        assert sparse is not None
        query = HybridQuery([0.6 * value for value in embedder(openai_fake).embed_query(question)], sparse.scaled(0.4))
        from_pinecone = pinecone.search("tenant-a", query, 10, "bot")
        from_local = local.search("tenant-a", query, 10, "bot")

        # Then both return the same scores, each chunk scored alike (chunks tied within float error may swap)
        assert [hit.score for hit in from_pinecone] == pytest.approx([hit.score for hit in from_local], abs=1e-4)
        local_scores = {hit.id: hit.score for hit in from_local}
        shared = [hit for hit in from_pinecone if hit.id in local_scores]
        assert [hit.score for hit in shared] == pytest.approx([local_scores[hit.id] for hit in shared], abs=1e-4)
    assert pinecone_fake.requests["/query"] == 3  # one request per question


def statistics_of(contribution: Contribution, question: str) -> Any:
    from parley.domain.lexical import Statistics

    terms = query_term_ids(question)
    return Statistics(contribution.chunks, {term: contribution.frequencies.get(term, 0) for term in terms})


def test_sparse_vectors_over_pinecones_limit_are_refused_as_pinecone_refuses_them(pinecone_fake: FakePinecone) -> None:
    index = PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512)
    record = _records([[0.1] * 512])[0]
    too_many = SparseVector(list(range(1001)), [1.0] * 1001)

    with pytest.raises(Exception, match="1000"):
        index.upsert("tenant-a", [record.model_copy(update={"sparse": too_many})])


def test_an_input_over_the_models_limit_is_refused_as_openai_refuses_it(openai_fake: FakeOpenAI) -> None:
    with pytest.raises(UpstreamUnavailable):
        embedder(openai_fake, retries=1).embed_documents(["漢字" * 4500])


def test_metadata_over_40_kb_is_refused_as_pinecone_refuses_it(pinecone_fake: FakePinecone) -> None:
    index = PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512)
    record = _records([[0.1] * 512])[0]
    too_long = record.metadata.model_copy(update={"text": "x" * 41_000})

    with pytest.raises(Exception, match="40960"):
        index.upsert("tenant-a", [record.model_copy(update={"metadata": too_long})])


def test_chunks_of_any_text_embed_and_upsert_within_both_services_limits(
    openai_fake: FakeOpenAI, pinecone_fake: FakePinecone
) -> None:
    # Given texts that used to become chunks over the limits: no spaces, CJK without punctuation, 4-byte letters
    blocks = [Block("abcdefghij" * 20_000), Block("漢字" * 30_000), Block("\U0001d400" * 40_000, heading="A" * 5_000)]

    # When they are chunked at the largest size a chatbot may choose, embedded and upserted
    chunks = chunk_blocks(blocks, ChunkPlan(size=2000, overlap=0))
    vectors = embedder(openai_fake).embed_documents([chunk.text for chunk in chunks])
    records = [
        VectorRecord(
            id=f"doc#{chunk.no}",
            values=values,
            metadata=ChunkMetadata(
                chatbot_id="bot",
                document_id="doc",
                filename="f.txt",
                chunk_no=chunk.no,
                heading=chunk.heading,
                text=chunk.text,
            ),
        )
        for chunk, values in zip(chunks, vectors, strict=True)
    ]
    PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512).upsert("tenant-a", records)

    # Then both services took every chunk
    assert len(pinecone_fake.namespaces["tenant-a"]) == len(chunks) > 50
