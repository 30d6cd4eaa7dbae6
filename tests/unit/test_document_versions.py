"""A document's content replaced in place: a new version under the same id, and what documents a source writes."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.chatbots import ChatbotCreate
from parley.domain.documents import FILE_TYPES, DocumentCreate
from parley.errors import DocumentBusy, NotFound
from parley.ingest.uploads import ObjectCreated
from parley.services.abandoned_uploads import AbandonedUploads
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer
from parley.services.quotas import Quotas

if TYPE_CHECKING:
    from tests.unit.conftest import (
        InMemoryBlobStore,
        InMemoryChatbotStore,
        InMemoryDocumentStore,
        InMemoryVectorIndex,
    )


LONG = " ".join(f"Llamas hum tune number {n} in the valley." for n in range(40))
TENANT = "a" * 32


@pytest.fixture
def world(
    chatbot_store: InMemoryChatbotStore,
    document_store: InMemoryDocumentStore,
    blobs: InMemoryBlobStore,
    vector_index: InMemoryVectorIndex,
    quotas: Quotas,
    chatbots: ChatbotService,
    document_service: DocumentService,
    document_indexer: DocumentIndexer,
) -> Any:
    class World:
        chatbot = chatbots.create(TENANT, ChatbotCreate(name="Bot", chunk_size=100, chunk_overlap=20))
        documents = document_service
        indexer = document_indexer
        uploads = 0

        def send(self, key: str, data: bytes) -> ObjectCreated:
            """S3 stores `data` at `key` and notifies ingest."""
            self.uploads += 1
            blobs.objects[key] = data
            return ObjectCreated(key, len(data), f"etag-{self.uploads}", str(self.uploads))

        def upload(self, filename: str, data: bytes) -> str:
            request = DocumentCreate(filename=filename, content_type="text/plain", size_bytes=len(data))
            document, ticket = self.documents.create(TENANT, self.chatbot.id, request)
            self.indexer.index_object(self.send(ticket.fields["key"], data))
            return document.id

        def replace(self, document_id: str, filename: str, data: bytes) -> ObjectCreated:
            """A replacement's ticket, and the event of its upload (not delivered yet)."""
            request = DocumentCreate(filename=filename, content_type="text/plain", size_bytes=len(data))
            _, ticket = self.documents.replace(TENANT, self.chatbot.id, document_id, request)
            return self.send(ticket.fields["key"], data)

        def document(self, document_id: str) -> Any:
            return document_store.items[document_id]

        def texts(self, document_id: str) -> list[str]:
            found = vector_index.namespaces.get(TENANT, {})
            return [found[id_].metadata.text for id_ in sorted(found) if id_.startswith(f"{document_id}#")]

        def stored_bytes(self) -> int:
            return quotas.report(TENANT).usage["stored_bytes"]

    return World()


def test_a_new_version_replaces_the_content_under_the_same_id(world: Any, blobs: InMemoryBlobStore) -> None:
    # Given an indexed document of several chunks
    document_id = world.upload("guide.txt", LONG.encode())
    old = world.document(document_id)
    assert len(world.texts(document_id)) > 1
    # When a shorter new version, under another name, is uploaded with a replacement ticket
    event = world.replace(document_id, "guide-v2.txt", b"Alpacas spit when annoyed.")
    # Then until it is indexed the document and its vectors are the old version's, the new one awaited
    waiting = world.document(document_id)
    assert (waiting.status, waiting.version, waiting.awaited.version) == ("indexed", 1, 2)
    assert world.texts(document_id)[0].startswith("Llamas")
    # When ingest takes the upload up
    outcome = world.indexer.index_object(event)
    # Then the same document holds the new content only: one chunk, its file at its new key, the old file gone
    replaced = world.document(document_id)
    assert (outcome.status, outcome.document_id) == ("indexed", document_id)
    assert (replaced.status, replaced.version, replaced.awaited, replaced.filename) == (
        "indexed",
        2,
        None,
        "guide-v2.txt",
    )
    assert world.texts(document_id) == ["Alpacas spit when annoyed."]
    assert blobs.objects[replaced.object_key] == b"Alpacas spit when annoyed."
    assert old.object_key not in blobs.objects
    assert event.key not in blobs.objects
    # And the plan counts the new version's bytes, not both
    assert world.stored_bytes() == len(b"Alpacas spit when annoyed.")


def test_a_replacement_never_uploaded_lapses_and_the_document_keeps_its_content(
    world: Any, document_store: InMemoryDocumentStore
) -> None:
    document_id = world.upload("guide.txt", b"Llamas hum.")
    world.documents.replace(
        TENANT, world.chatbot.id, document_id, DocumentCreate(filename="g.txt", content_type="text/plain", size_bytes=9)
    )
    expires_at = world.document(document_id).awaited.expires_at
    sweep = AbandonedUploads(document_store, grace=timedelta(hours=1), clock=lambda: expires_at + timedelta(hours=2))
    assert [outcome.status for outcome in sweep.expire()] == ["lapsed"]
    kept = world.document(document_id)
    assert (kept.status, kept.version, kept.awaited, kept.filename) == ("indexed", 1, None, "guide.txt")
    assert world.texts(document_id) == ["Llamas hum."]


def test_a_later_replacement_supersedes_an_awaited_one(world: Any, blobs: InMemoryBlobStore) -> None:
    document_id = world.upload("guide.txt", b"Llamas hum.")
    first = world.replace(document_id, "a.txt", b"Version two.")
    second = world.replace(document_id, "b.txt", b"Version three.")
    # The superseded upload is refused and deleted; the awaited one is indexed
    assert world.indexer.index_object(first).status == "ignored"
    assert first.key not in blobs.objects
    assert world.indexer.index_object(second).status == "indexed"
    assert (world.document(document_id).version, world.texts(document_id)) == (3, ["Version three."])


def test_a_redelivered_replacement_is_not_indexed_twice(world: Any) -> None:
    document_id = world.upload("guide.txt", b"Llamas hum.")
    event = world.replace(document_id, "a.txt", b"Version two.")
    assert world.indexer.index_object(event).status == "indexed"
    assert world.indexer.index_object(event).status == "skipped"
    assert world.stored_bytes() == len(b"Version two.")


def test_an_unreadable_new_version_fails_the_document_and_leaves_nothing(world: Any, blobs: InMemoryBlobStore) -> None:
    document_id = world.upload("guide.txt", b"Llamas hum.")
    old = world.document(document_id)
    request = DocumentCreate(filename="guide.pdf", content_type="application/pdf", size_bytes=12)
    _, ticket = world.documents.replace(TENANT, world.chatbot.id, document_id, request)
    outcome = world.indexer.index_object(world.send(ticket.fields["key"], b"%PDF-1.4\nbad"))
    failed = world.document(document_id)
    assert (outcome.status, failed.status, failed.version) == ("failed", "failed", 2)
    assert failed.error
    assert world.texts(document_id) == []
    assert old.object_key not in blobs.objects
    assert failed.object_key not in blobs.objects
    assert world.stored_bytes() == 0
    # And a failed document takes a new version, which indexes it again
    assert world.indexer.index_object(world.replace(document_id, "guide.txt", b"Back again.")).status == "indexed"
    assert world.texts(document_id) == ["Back again."]


def test_a_document_waiting_for_its_first_upload_or_being_indexed_refuses_a_replacement(
    world: Any, document_store: InMemoryDocumentStore
) -> None:
    request = DocumentCreate(filename="a.txt", content_type="text/plain", size_bytes=5)
    pending, _ = world.documents.create(TENANT, world.chatbot.id, request)
    with pytest.raises(DocumentBusy):
        world.documents.replace(TENANT, world.chatbot.id, pending.id, request)
    document_id = world.upload("guide.txt", b"Llamas hum.")
    document_store.items[document_id] = world.document(document_id).model_copy(update={"status": "processing"})
    with pytest.raises(DocumentBusy):
        world.documents.replace(TENANT, world.chatbot.id, document_id, request)


def test_another_tenants_document_cannot_be_replaced(world: Any) -> None:
    document_id = world.upload("guide.txt", b"Llamas hum.")
    request = DocumentCreate(filename="a.txt", content_type="text/plain", size_bytes=5)
    with pytest.raises(NotFound):
        world.documents.replace("b" * 32, world.chatbot.id, document_id, request)


def test_a_sources_documents_are_written_replaced_and_deleted_through_their_source_only(
    world: Any, blobs: InMemoryBlobStore
) -> None:
    # Given a page a source wrote: an upload ingest indexes like any other, with the page's address on its chunks
    html = FILE_TYPES[".html"]
    page = world.documents.write(
        TENANT,
        world.chatbot.id,
        "https://example.com/a",
        html,
        b"<p>Llamas hum.</p>",
        source_id="s1",
        url="https://example.com/a",
    )
    key = next(key for key in blobs.objects if key.startswith("uploads/"))
    assert world.indexer.index_object(ObjectCreated(key, 18, "e1", "1")).status == "indexed"
    assert world.texts(page.id) == ["Llamas hum."]
    # When the page changes, the source writes its next version under the same id
    world.documents.write(
        TENANT,
        world.chatbot.id,
        "https://example.com/a",
        html,
        b"<p>Alpacas spit.</p>",
        source_id="s1",
        document_id=page.id,
    )
    key = next(key for key in blobs.objects if key.startswith("uploads/"))
    assert key.endswith("/v2")
    assert world.indexer.index_object(ObjectCreated(key, 20, "e2", "2")).status == "indexed"
    assert world.texts(page.id) == ["Alpacas spit."]
    # And the owner may neither replace nor delete it directly; its source may delete it
    request = DocumentCreate(filename="a.txt", content_type="text/plain", size_bytes=5)
    with pytest.raises(DocumentBusy):
        world.documents.replace(TENANT, world.chatbot.id, page.id, request)
    with pytest.raises(DocumentBusy):
        world.documents.delete(TENANT, world.chatbot.id, page.id)
    world.documents.delete(TENANT, world.chatbot.id, page.id, source_id="s1")
    assert world.texts(page.id) == []
