"""The OpenAI and Pinecone adapters drive the real SDKs against the local fakes of their HTTP APIs."""

from __future__ import annotations

import pytest
from parley.adapters.openai_access import OpenAIAccess
from parley.adapters.openai_embedder import OpenAIEmbedder
from parley.adapters.pinecone_index import PineconeIndex
from parley.domain.vectors import ChunkMetadata, VectorRecord
from parley.errors import ConfigurationError, UpstreamUnavailable

from local.fakes import FakeOpenAI, FakePinecone
from local.samples import prose

# A thousand chunks of about 400 tokens, the default chunk size.
TEXTS = [prose(seed, 300) for seed in range(1000)]


@pytest.fixture
def openai_fake():
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def pinecone_fake():
    fake = FakePinecone(dimension=512).start()
    yield fake
    fake.stop()


def embedder(fake: FakeOpenAI, retries: int = 4) -> OpenAIEmbedder:
    return OpenAIEmbedder(OpenAIAccess(lambda: "sk-test", fake.base_url), max_retries=retries)


def test_a_thousand_chunks_embed_in_few_requests_within_the_limits(openai_fake):
    vectors = embedder(openai_fake).embed_documents(TEXTS)

    assert len(vectors) == 1000
    assert {len(vector) for vector in vectors} == {512}
    assert openai_fake.requests["/v1/embeddings"] <= 4
    # Order is kept across requests: the vector of each text is the fake's vector of that very text.
    assert vectors[999] == pytest.approx(embedder(openai_fake).embed_query(TEXTS[999]), abs=1e-6)


def test_rate_limits_are_retried_after_the_servers_delay(openai_fake):
    openai_fake.fail_next(2, status=429, headers={"retry-after": "0"})

    vectors = embedder(openai_fake).embed_documents(["Llamas hum."])

    assert len(vectors) == 1
    assert openai_fake.requests["/v1/embeddings"] == 3


def test_persistent_failure_becomes_upstream_unavailable(openai_fake):
    openai_fake.fail_next(10, status=503)

    with pytest.raises(UpstreamUnavailable):
        embedder(openai_fake, retries=1).embed_documents(["Llamas hum."])
    assert openai_fake.requests["/v1/embeddings"] == 2


def _records(vectors: list[list[float]]) -> list[VectorRecord]:
    return [
        VectorRecord(
            id=f"doc#{n}",
            values=values,
            metadata=ChunkMetadata(chatbot_id="bot", document_id="doc", filename="f.txt", chunk_no=n, text=TEXTS[n]),
        )
        for n, values in enumerate(vectors)
    ]


def test_a_thousand_vectors_upsert_in_few_requests_and_delete_by_prefix(openai_fake, pinecone_fake):
    index = PineconeIndex(lambda: "pc-test", pinecone_fake.url, dimension=512)
    records = _records(embedder(openai_fake).embed_documents(TEXTS))

    index.upsert("tenant-a", records)

    assert pinecone_fake.requests["/vectors/upsert"] <= 10
    assert len(pinecone_fake.namespaces["tenant-a"]) == 1000
    ids = index.ids("tenant-a", "doc#")
    assert len(ids) == 1000

    index.delete("tenant-a", ids)

    assert pinecone_fake.namespaces["tenant-a"] == {}


def test_an_index_of_another_dimension_is_refused(openai_fake):
    fake = FakePinecone(dimension=1536).start()
    try:
        index = PineconeIndex(lambda: "pc-test", fake.url, dimension=512)
        with pytest.raises(ConfigurationError, match="dimension"):
            index.upsert("tenant-a", _records(embedder(openai_fake).embed_documents(TEXTS[:1])))
    finally:
        fake.stop()
