"""Q&A pairs: read from their document, indexed as one chunk whose dense vector is the question, cited as the pair."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from parley.answers.citations import citation
from parley.domain.chatbots import ChatbotCreate
from parley.domain.chunking import MAX_CHUNK_BYTES
from parley.domain.documents import QA_TYPE
from parley.domain.passages import Passage
from parley.domain.qa import QaPair, read_pair
from parley.domain.vectors import ChunkMetadata
from parley.errors import UnreadableDocument
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import extract
from parley.ingest.uploads import ObjectCreated
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer
from parley.services.quotas import Quotas
from parley.settings import MINILM_QA_THRESHOLD, Settings

from local.fakes.pinecone import FakePinecone

if TYPE_CHECKING:
    from tests.unit.conftest import (
        InMemoryBlobStore,
        InMemoryChatbotStore,
        InMemoryDocumentStore,
        InMemoryVectorIndex,
        RecordingErasureQueue,
    )


TENANT = "a" * 32
PAIR = QaPair("How long does standard shipping take?", "Standard shipping takes 3 to 5 business days.")


def test_a_pair_is_read_as_one_block_of_question_then_answer() -> None:
    blocks = extract(PAIR.data(), "qa")

    assert [(block.text, block.pair) for block in blocks] == [(f"{PAIR.question}\n\n{PAIR.answer}", PAIR)]


def test_a_pair_is_one_chunk_whatever_the_chatbots_chunk_size() -> None:
    # Given a pair whose answer is far longer than the smallest chunk size
    long = QaPair("What is in the warranty?", " ".join(f"Clause {n} covers part {n}." for n in range(200)))
    blocks = extract(long.data(), "qa")
    # When it is chunked with chunks of 100 tokens
    chunks = chunk_blocks(blocks, ChunkPlan(100, 20))
    # Then it is still one chunk holding the whole pair
    assert [(chunk.no, chunk.text, chunk.pair) for chunk in chunks] == [(0, long.passage, long)]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b'["a list"]', 'needs a "question" and an "answer"'),
        (json.dumps({"question": "Where?"}).encode(), 'needs a "question" and an "answer"'),
        (json.dumps({"question": "Where?", "answer": "  "}).encode(), 'needs a "question" and an "answer"'),
        (json.dumps({"question": 3, "answer": "Here"}).encode(), 'needs a "question" and an "answer"'),
        (QaPair("Why?", "é" * MAX_CHUNK_BYTES).data(), "longer than"),
    ],
)
def test_a_document_that_is_not_a_pair_says_why(data: Any, reason: Any) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        extract(data, "qa")


@pytest.fixture
def indexing(
    chatbot_store: InMemoryChatbotStore,
    blobs: InMemoryBlobStore,
    erasures: RecordingErasureQueue,
    quotas: Quotas,
    document_service: DocumentService,
    document_indexer: DocumentIndexer,
) -> Any:
    chatbot = ChatbotService(chatbot_store, erasures, quotas=quotas).create(TENANT, ChatbotCreate(name="Bot"))
    documents, indexer = document_service, document_indexer

    def write(data: bytes) -> str:
        document = documents.write(TENANT, chatbot.id, PAIR.question, QA_TYPE, data, source_id="s1")
        key = next(key for key in blobs.objects if key.startswith("uploads/"))
        indexer.index_object(ObjectCreated(key, len(data), "etag-1", "1"))
        return document.id

    return write


def test_a_pairs_vector_is_its_question_alone_and_its_metadata_holds_the_pair(
    indexing: Any, document_store: InMemoryDocumentStore, vector_index: InMemoryVectorIndex, embedder: Any
) -> None:
    # When a qa document is written and indexed
    document_id = indexing(PAIR.data())
    # Then it is indexed as one chunk: its text the whole pair, its dense vector the question's embedding alone
    assert document_store.items[document_id].status == "indexed"
    [stored] = vector_index.namespaces[TENANT].values()
    assert stored.metadata.text == PAIR.passage
    assert (stored.metadata.qa_question, stored.metadata.qa_answer) == (PAIR.question, PAIR.answer)
    assert np.allclose(stored.values, embedder.embed_query(PAIR.question))
    assert not np.allclose(stored.values, embedder.embed_query(PAIR.passage))


def test_a_document_that_is_not_a_pair_fails_with_its_reason_and_leaves_no_vector(
    indexing: Any, document_store: InMemoryDocumentStore, vector_index: InMemoryVectorIndex
) -> None:
    document_id = indexing(b'{"question": "Where?"}')

    failed = document_store.items[document_id]
    assert (failed.status, failed.error) == (
        "failed",
        'The Q&A pair needs a "question" and an "answer", both non-empty text',
    )
    assert not vector_index.namespaces.get(TENANT)


def test_a_pair_is_cited_as_its_question_and_answer() -> None:
    passage = Passage("d#0", "d", "How long does standard…", PAIR.passage, 0.9, similarity=0.95, pair=PAIR)

    cited = citation(passage)

    assert (cited.filename, cited.snippet, cited.document_id, cited.chunk_id) == (
        PAIR.question,
        PAIR.answer,
        "d",
        "d#0",
    )


def test_a_web_pages_passage_is_cited_with_its_address_and_source() -> None:
    passage = Passage(
        "d#2",
        "d",
        "https://example.com/returns",
        "Returns are free.",
        0.7,
        url="https://example.com/returns",
        source_id="s1",
    )

    cited = citation(passage)

    assert (cited.url, cited.source_id, cited.snippet) == ("https://example.com/returns", "s1", "Returns are free.")


def test_an_uploaded_files_passage_is_cited_without_an_address() -> None:
    cited = citation(Passage("d#0", "d", "guide.pdf", "Llamas hum.", 0.7, page=2))

    assert (cited.url, cited.source_id, cited.page) == (None, None, 2)


@pytest.mark.parametrize(
    ("environment", "threshold"),
    [
        ({"PARLEY_EMBEDDER": "minilm"}, MINILM_QA_THRESHOLD),
        ({"PARLEY_EMBEDDER": "openai"}, None),
        ({"PARLEY_EMBEDDER": "openai", "PARLEY_QA_MATCH_THRESHOLD": "0.7"}, 0.7),
        ({"PARLEY_EMBEDDER": "minilm", "PARLEY_QA_MATCH_THRESHOLD": "0.9"}, 0.9),
    ],
)
def test_the_threshold_is_the_embedders_measured_one_unless_the_deployment_sets_its_own(
    environment: Any, threshold: Any
) -> None:
    assert Settings.from_env(environment).qa_threshold == threshold


def test_the_longest_pair_fits_in_pinecones_metadata_limit_per_vector() -> None:
    # Given the longest pair read_pair accepts, in a script of 3 bytes a character (the worst for its byte limit)
    question = "質" * 100
    pair = read_pair(QaPair(question, "答" * ((MAX_CHUNK_BYTES - len(question.encode()) - 2) // 3)).data())
    # When it is stored as its chunk's metadata, with the longest name a document has
    metadata = ChunkMetadata(
        chatbot_id="c" * 32,
        document_id="d" * 32,
        filename="名" * 255,
        chunk_no=0,
        text=pair.passage,
        source_id="s" * 32,
        qa_question=pair.question,
        qa_answer=pair.answer,
    )
    # Then it is within the 40 KB Pinecone allows a vector (local/fakes/pinecone.py refuses more)
    assert len(json.dumps(metadata.stored(), ensure_ascii=False).encode()) <= FakePinecone.MAX_METADATA_BYTES
