from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.chatbots import ChatbotCreate
from parley.domain.documents import DocumentCreate
from parley.domain.ingest_limits import IngestLimits
from parley.domain.lexical import Contribution, chunk_terms
from parley.ingest.uploads import ObjectCreated
from parley.services import indexer as indexer_module
from parley.services.abandoned_uploads import AbandonedUploads
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer
from parley.services.quotas import Quotas

from local.fakes.samples import deep_pdf, minimal_docx, pdf, prose, slow_pdf

if TYPE_CHECKING:
    from tests.unit.conftest import (
        InMemoryBlobStore,
        InMemoryChatbotStore,
        InMemoryDocumentStore,
        InMemoryLexicon,
        InMemoryVectorIndex,
    )


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def world(
    chatbot_store: InMemoryChatbotStore,
    document_store: InMemoryDocumentStore,
    blobs: InMemoryBlobStore,
    vector_index: InMemoryVectorIndex,
    lexicon: InMemoryLexicon,
    chatbots: ChatbotService,
    document_service: DocumentService,
    document_indexer: DocumentIndexer,
) -> Any:
    """A tenant with a chatbot, the document service to upload with and the indexer that ingests."""

    class World:
        chatbot = chatbots.create("a" * 32, ChatbotCreate(name="Bot", chunk_size=100, chunk_overlap=20))
        documents = document_service
        indexer = document_indexer

        def upload(
            self, filename: str, content_type: str, data: bytes, sequencer: str = "1"
        ) -> tuple[str, ObjectCreated]:
            document, ticket = self.documents.create(
                self.chatbot.tenant_id,
                self.chatbot.id,
                DocumentCreate(filename=filename, content_type=content_type, size_bytes=len(data)),
            )
            upload = ticket.fields["key"]  # where S3 stores what the ticket carries
            blobs.objects[upload] = data
            return document.id, ObjectCreated(upload, len(data), f"etag-{len(data)}", sequencer)

        def document(self, document_id: str) -> Any:
            return document_store.items[document_id]

        def vectors(self, document_id: str) -> Any:
            return sorted(vector_index.ids(self.chatbot.tenant_id, f"{document_id}#"))

        def share(self, document_id: str) -> Any:
            """The document's contribution to its chatbot's lexical statistics."""
            return lexicon.shares.get((self.chatbot.tenant_id, self.chatbot.id, document_id))

    return World()


def test_pdf_is_indexed_with_page_numbers(world: Any, vector_index: InMemoryVectorIndex) -> None:
    document_id, event = world.upload("guide.pdf", "application/pdf", pdf(["Llamas hum.", "Alpacas spit."]))

    outcome = world.indexer.index_object(event)

    document = world.document(document_id)
    assert outcome.status == "indexed"
    assert (document.status, document.chunk_count, document.error) == ("indexed", 2, None)
    assert document.token_count > 0
    records = vector_index.namespaces[world.chatbot.tenant_id]
    assert [records[id_].metadata.page for id_ in world.vectors(document_id)] == [1, 2]
    assert records[f"{document_id}#0"].metadata.chatbot_id == world.chatbot.id
    assert records[f"{document_id}#0"].sparse == chunk_terms("Llamas hum.").vector()
    assert world.share(document_id) == Contribution.of([chunk_terms("Llamas hum."), chunk_terms("Alpacas spit.")])


def test_same_event_twice_indexes_once(world: Any, embedder: Any) -> None:
    document_id, event = world.upload("notes.md", "text/markdown", prose(1, 800).encode())
    world.indexer.index_object(event)
    calls, vectors = embedder.calls, world.vectors(document_id)

    second = world.indexer.index_object(event)

    assert second.status == "skipped"
    assert embedder.calls == calls
    assert world.vectors(document_id) == vectors


def test_a_second_upload_with_one_ticket_is_deleted_and_the_indexed_file_stays_the_first(
    world: Any, blobs: InMemoryBlobStore, embedder: Any
) -> None:
    # Given a document indexed from the first upload of its ticket, its file kept at the document's own key
    text = prose(1, 2000)
    document_id, first = world.upload("notes.txt", "text/plain", text.encode())
    assert world.indexer.index_object(first).status == "indexed"
    file_key = world.document(document_id).object_key
    vectors, calls, share = world.vectors(document_id), embedder.calls, world.share(document_id)

    # When the same ticket is used again (same size, other content), S3 stores it at the ticket's key, and its
    # notification arrives
    other = b"x" * len(text)
    blobs.objects[first.key] = other
    outcome = world.indexer.index_object(ObjectCreated(first.key, len(other), "etag-second", "2"))

    # Then nothing is embedded or replaced, the second upload is deleted, and the document keeps its first file
    assert outcome.status == "ignored"
    assert (embedder.calls, world.vectors(document_id)) == (calls, vectors)
    assert world.document(document_id).status == "indexed"
    assert world.share(document_id) == share
    assert first.key not in blobs.objects
    assert blobs.objects[file_key] == text.encode()


def test_a_duplicate_delivery_that_loses_the_race_leaves_the_document_indexed_with_its_file(
    world: Any, blobs: InMemoryBlobStore
) -> None:
    # Given an upload whose notification is delivered twice at once: the second delivery runs to the end (and
    # consumes the upload) while the first is reading it
    document_id, event = world.upload("notes.txt", "text/plain", prose(2, 600).encode())
    read = blobs.read
    outcomes = []

    def read_while_the_other_delivery_finishes(key: Any, etag: Any = None) -> Any:
        data = read(key, etag)
        blobs.read = read  # type: ignore[method-assign]
        outcomes.append(world.indexer.index_object(event))
        return data

    blobs.read = read_while_the_other_delivery_finishes  # type: ignore[method-assign]

    # When the first delivery goes on and finds the upload gone
    outcome = world.indexer.index_object(event)

    # Then the other delivery's outcome stands: indexed, with its vectors and its file
    assert [o.status for o in outcomes] == ["indexed"]
    assert outcome.status == "skipped"
    document = world.document(document_id)
    assert (document.status, document.error) == ("indexed", None)
    assert len(world.vectors(document_id)) == document.chunk_count > 0
    assert blobs.objects[document.object_key] == prose(2, 600).encode()
    assert event.key not in blobs.objects


def test_the_documents_of_one_batch_share_their_embedding_and_upsert_requests_and_each_ends_on_its_own(
    world: Any, embedder: Any, vector_index: InMemoryVectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    upserts: list[int] = []
    upsert = vector_index.upsert

    def counting(namespace: str, records: Any) -> None:
        upserts.append(len(records))
        upsert(namespace, records)

    monkeypatch.setattr(vector_index, "upsert", counting)
    uploads = [world.upload(f"notes-{n}.md", "text/markdown", prose(n, 600).encode()) for n in range(3)]
    broken, corrupt = world.upload("broken.pdf", "application/pdf", b"%PDF-1.7 truncated")

    ended = world.indexer.index_objects([(event, False) for _, event in uploads] + [(corrupt, False)])

    # Three documents' chunks in one embedding request and one upsert; the damaged file fails alone, at once.
    assert [outcome.status for outcome in ended] == ["indexed", "indexed", "indexed", "failed"]
    assert embedder.calls == 1
    chunks = [world.document(document_id).chunk_count for document_id, _ in uploads]
    assert min(chunks) > 1
    assert upserts == [sum(chunks)]
    for document_id, _ in uploads:
        assert world.document(document_id).status == "indexed"
        assert len(world.vectors(document_id)) == world.document(document_id).chunk_count
    assert (world.document(broken).status, world.vectors(broken)) == ("failed", [])
    assert "damaged" in world.document(broken).error
    # Each readable document's chunks were handed to the embedder ahead as it was read, before the group's one
    # request; the damaged file's never were
    assert [(calls, len(texts)) for calls, texts in embedder.prefetched] == [(0, n) for n in chunks]


def test_a_large_batch_is_embedded_in_groups_of_at_most_the_window_each_finished_before_the_next_group(
    world: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = [world.upload(f"notes-{n}.md", "text/markdown", prose(n, 600).encode()) for n in range(5)]
    statuses_when_embedding: list[list[str]] = []
    embed = embedder.embed_documents

    def watching(texts: Any) -> Any:
        statuses_when_embedding.append([world.document(document_id).status for document_id, _ in uploads])
        return embed(texts)

    monkeypatch.setattr(embedder, "embed_documents", watching)
    per_document = world.indexer.index_objects([(uploads[0][1], False)])[0].chunks
    # Room for two documents' chunks a group, not three (their prose makes 12 or 13 chunks each).
    monkeypatch.setattr(indexer_module, "EMBED_WINDOW", 2 * per_document + 2)

    ended = world.indexer.index_objects([(event, False) for _, event in uploads[1:]])

    assert [outcome.status for outcome in ended] == ["indexed"] * 4
    # Two groups of two: the first is embedded once the third document, read, would not fit in it, and indexed
    # before the fourth is read.
    assert statuses_when_embedding[1:] == [
        ["indexed", "processing", "processing", "processing", "pending_upload"],
        ["indexed", "indexed", "indexed", "processing", "processing"],
    ]


def test_a_document_is_not_started_without_the_time_to_finish_it_and_is_left_untouched(
    world: Any, embedder: Any, blobs: InMemoryBlobStore
) -> None:
    uploads = [world.upload(f"notes-{n}.md", "text/markdown", prose(n, 300).encode()) for n in range(3)]
    reserve = world.indexer.start_reserve
    left = iter([reserve, reserve - 1])  # before the second document, then before the third

    ended = world.indexer.index_objects([(event, False) for _, event in uploads], time_left=lambda: next(left))

    # The first always starts; the second has just the time it may need; the third has not.
    assert [outcome.status for outcome in ended] == ["indexed", "indexed", "deferred"]
    document_id, event = uploads[2]
    assert world.document(document_id).status == "pending_upload"
    assert (world.vectors(document_id), world.share(document_id)) == ([], None)
    assert event.key in blobs.objects  # for its message, sent again, to index
    assert embedder.calls == 1
    (again,) = world.indexer.index_objects([(event, False)], time_left=lambda: 0)
    assert (again.status, world.document(document_id).status) == ("indexed", "indexed")


def test_a_document_whose_vectors_are_refused_fails_alone_and_the_rest_of_its_batch_is_indexed(
    world: Any, vector_index: InMemoryVectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = [world.upload(f"notes-{n}.md", "text/markdown", prose(n, 300).encode()) for n in range(3)]
    refused = uploads[1][0]
    upsert = vector_index.upsert

    def refusing(namespace: str, records: Any) -> None:
        if any(record.metadata.document_id == refused for record in records):
            raise RuntimeError("metadata too large")
        upsert(namespace, records)

    monkeypatch.setattr(vector_index, "upsert", refusing)

    # A first attempt: the refused document's message comes again, the others are indexed.
    ended = world.indexer.index_objects([(event, False) for _, event in uploads])
    assert [type(outcome).__name__ for outcome in ended] == ["Outcome", "RuntimeError", "Outcome"]
    assert [world.document(document_id).status for document_id, _ in uploads] == ["indexed", "processing", "indexed"]

    # Its last attempt: it fails with a reason and leaves nothing of it.
    (last,) = world.indexer.index_objects([(uploads[1][1], True)])
    assert isinstance(last, RuntimeError)
    assert world.document(refused).status == "failed"
    assert world.document(refused).error
    assert (world.vectors(refused), world.share(refused)) == ([], None)


def test_the_same_notification_twice_in_one_batch_is_indexed_once(world: Any, embedder: Any) -> None:
    document_id, event = world.upload("notes.md", "text/markdown", prose(1, 800).encode())

    ended = world.indexer.index_objects([(event, False), (event, False)])

    assert [outcome.status for outcome in ended] == ["indexed", "skipped"]
    assert embedder.calls == 1
    assert world.document(document_id).status == "indexed"


def test_corrupt_file_fails_with_a_reason_and_no_retry(world: Any) -> None:
    document_id, event = world.upload("broken.pdf", "application/pdf", b"%PDF-1.7 truncated")

    outcome = world.indexer.index_object(event, final_attempt=False)

    assert outcome.status == "failed"
    assert world.document(document_id).status == "failed"
    assert "damaged" in world.document(document_id).error
    assert world.vectors(document_id) == []
    assert world.share(document_id) is None


def test_file_grown_over_the_limit_fails_and_is_deleted(world: Any, blobs: InMemoryBlobStore) -> None:
    document_id, event = world.upload("big.txt", "text/plain", b"small")
    blobs.objects[event.key] = b"x" * 1_000_001

    world.indexer.index_object(ObjectCreated(event.key, 1_000_001, "etag-big", event.sequencer))

    assert world.document(document_id).status == "failed"
    assert "limit" in world.document(document_id).error
    assert event.key not in blobs.objects


def test_unexpected_error_is_retried_then_fails_on_the_last_attempt(world: Any, embedder: Any) -> None:
    document_id, event = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    embedder.fail = True

    with pytest.raises(RuntimeError):
        world.indexer.index_object(event, final_attempt=False)
    assert world.document(document_id).status == "processing"

    with pytest.raises(RuntimeError):
        world.indexer.index_object(event, final_attempt=True)
    assert world.document(document_id).status == "failed"
    assert world.document(document_id).error


def test_document_deleted_while_indexing_ends_without_vectors_or_files(
    world: Any, document_store: InMemoryDocumentStore, vector_index: InMemoryVectorIndex, blobs: InMemoryBlobStore
) -> None:
    document_id, event = world.upload("notes.txt", "text/plain", prose(3, 500).encode())
    original_upsert = vector_index.upsert

    def upsert_then_delete(namespace: str, records: Any) -> None:
        original_upsert(namespace, records)
        world.documents.delete(world.chatbot.tenant_id, world.chatbot.id, document_id)

    vector_index.upsert = upsert_then_delete  # type: ignore[method-assign]

    outcome = world.indexer.index_object(event)

    assert outcome.status == "skipped"
    assert world.vectors(document_id) == []
    assert world.share(document_id) is None
    assert blobs.objects == {}  # neither the upload nor the copy of it made after the deletion


def test_unknown_keys_are_dropped(world: Any) -> None:
    outcome = world.indexer.index_object(ObjectCreated("tenants/elsewhere/file.pdf", 10, "e", "1"))

    assert outcome.status == "ignored"


def test_a_notification_naming_a_documents_file_never_deletes_it(world: Any, blobs: InMemoryBlobStore) -> None:
    # Only uploads are ingest's to consume: a document's file is never taken for one (the bucket does not even
    # notify of those keys; this holds if it ever did)
    document_id, event = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    world.indexer.index_object(event)
    file_key = world.document(document_id).object_key

    outcome = world.indexer.index_object(ObjectCreated(file_key, 11, "etag-copy", "9"))

    assert outcome.status == "ignored"
    assert blobs.objects[file_key] == b"Llamas hum."
    assert world.document(document_id).status == "indexed"


def test_delete_removes_file_and_vectors(world: Any, blobs: InMemoryBlobStore) -> None:
    document_id, event = world.upload("notes.txt", "text/plain", prose(3, 500).encode())
    world.indexer.index_object(event)
    assert world.document(document_id).object_key in blobs.objects

    world.documents.delete(world.chatbot.tenant_id, world.chatbot.id, document_id)

    assert world.vectors(document_id) == []
    assert world.share(document_id) is None
    assert blobs.objects == {}


def test_dead_lettered_upload_fails_its_document_unless_it_already_ended(world: Any) -> None:
    stuck_id, stuck = world.upload("stuck.txt", "text/plain", b"Llamas hum.")
    done_id, done = world.upload("done.txt", "text/plain", b"Alpacas spit.")
    world.indexer.index_object(done)

    assert world.indexer.abandon(stuck).status == "failed"
    assert world.indexer.abandon(done).status == "skipped"
    assert world.document(stuck_id).status == "failed"
    assert "did not finish" in world.document(stuck_id).error
    assert world.document(done_id).status == "indexed"
    assert world.vectors(done_id)


def test_dead_lettered_upload_whose_attempt_died_after_indexing_leaves_nothing_of_it(
    world: Any, blobs: InMemoryBlobStore, embedder: Any
) -> None:
    # Given a document of the chatbot that stays, and one whose attempt wrote every vector and its share, then died
    kept_id, kept = world.upload("kept.txt", "text/plain", prose(1, 300).encode())
    world.indexer.index_object(kept)
    document_id, event = world.upload("notes.txt", "text/plain", prose(2, 300).encode())

    def killed(*_: object) -> None:
        raise RuntimeError("the worker was killed")

    blobs.keep = killed  # type: ignore[method-assign,assignment]  # the attempt's last step
    with pytest.raises(RuntimeError):
        world.indexer.index_object(event, final_attempt=False)
    assert world.vectors(document_id)
    assert world.share(document_id) is not None
    calls = embedder.calls

    # When its message is dead-lettered
    outcome = world.indexer.abandon(event)

    # Then it ends failed, without vectors, share or file, as any failed document; the other one is untouched
    assert outcome.status == "failed"
    assert world.document(document_id).status == "failed"
    assert world.vectors(document_id) == []
    assert world.share(document_id) is None
    assert event.key not in blobs.objects
    assert embedder.calls == calls
    assert world.document(kept_id).status == "indexed"
    assert world.vectors(kept_id)
    assert world.share(kept_id) is not None


def test_a_failure_whose_cleanup_was_cut_short_is_cleaned_up_when_its_message_comes_again(
    world: Any, blobs: InMemoryBlobStore, vector_index: InMemoryVectorIndex
) -> None:
    # Given a last attempt that wrote its vectors, failed, and could not delete them (the index went down)
    document_id, event = world.upload("notes.txt", "text/plain", prose(2, 300).encode())
    original_delete = vector_index.delete

    def broken(*_args: Any) -> None:
        raise RuntimeError("unavailable")

    blobs.keep = broken  # type: ignore[method-assign,assignment]
    vector_index.delete = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        world.indexer.index_object(event, final_attempt=True)
    assert world.document(document_id).status == "failed"
    assert world.vectors(document_id)
    assert world.share(document_id) is not None

    # When the message comes again, with the index back
    vector_index.delete = original_delete  # type: ignore[method-assign]
    outcome = world.indexer.abandon(event)

    # Then the upload is not failed twice, but what the failure left is removed
    assert outcome.status == "skipped"
    assert world.vectors(document_id) == []
    assert world.share(document_id) is None


def test_docx_bomb_fails_on_the_first_attempt_without_embedding_anything(world: Any, embedder: Any) -> None:
    # Given the review's few-kilobyte .docx that became thousands of embeddings
    bomb = minimal_docx("Llamas hum and graze in the high Andes. " * 20, 1500)
    document_id, event = world.upload("bomb.docx", DOCX, bomb)

    # When it is ingested on a first attempt
    outcome = world.indexer.index_object(event, final_attempt=False)

    # Then it ends failed at once, saying which limit, and nothing was paid for
    assert outcome.status == "failed"
    assert world.document(document_id).error.startswith("The file is compressed more than 100 to 1")
    assert embedder.calls == 0
    assert world.vectors(document_id) == []
    assert world.share(document_id) is None


@pytest.mark.parametrize(
    ("filename", "content_type", "data"),
    [
        ("broken.docx", DOCX, minimal_docx("", document_xml=b"<w:document <<")),  # lxml's XMLSyntaxError
        ("deep.pdf", "application/pdf", deep_pdf(150)),  # pypdf's LimitReachedError
        ("wide.csv", "text/csv", b'a,b\n"' + b"x" * 200_000 + b'",1\n'),  # csv.Error
    ],
)
def test_parser_errors_fail_the_document_on_the_first_attempt(
    world: Any, embedder: Any, filename: Any, content_type: Any, data: Any
) -> None:
    document_id, event = world.upload(filename, content_type, data)

    outcome = world.indexer.index_object(event, final_attempt=False)

    assert outcome.status == "failed"
    assert world.document(document_id).status == "failed"
    assert world.document(document_id).error in {
        "The Word document is damaged and cannot be read",
        "The PDF is built beyond the PDF reader's safety limits (a page too complex, too deep or too large)",
        "The file is malformed and cannot be read",
    }
    assert embedder.calls == 0


def test_document_over_the_chunk_limit_fails_before_anything_is_embedded(world: Any, embedder: Any) -> None:
    world.indexer.limits = IngestLimits(chunks=5)
    document_id, event = world.upload("long.txt", "text/plain", prose(2, 3000).encode())

    outcome = world.indexer.index_object(event, final_attempt=False)

    assert outcome.status == "failed"
    assert world.document(document_id).error.startswith("The file makes more than 5 chunks of text (limit 5)")
    assert embedder.calls == 0
    assert world.share(document_id) is None


def test_pdf_that_reads_too_slowly_fails_on_its_time_limit(world: Any, embedder: Any) -> None:
    ticks = itertools.count()
    world.indexer.monotonic = lambda: next(ticks) / 100  # each reading of the clock is a hundredth of a second of work
    document_id, event = world.upload("slow.pdf", "application/pdf", slow_pdf(pages=20, operators=5_000))

    outcome = world.indexer.index_object(event, final_attempt=False)

    assert outcome.status == "failed"
    assert world.document(document_id).error.startswith("A page of the file takes longer than 10 seconds to read")
    assert embedder.calls == 0


def test_an_upload_of_another_size_than_declared_fails_and_its_file_is_deleted(
    world: Any, blobs: InMemoryBlobStore, embedder: Any
) -> None:
    # Given a ticket for 11 bytes, and a file of 12 that reached the bucket anyway
    document_id, event = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    blobs.objects[event.key] = b"Llamas hum!!"

    outcome = world.indexer.index_object(ObjectCreated(event.key, 12, "etag-12", event.sequencer))

    assert outcome.status == "failed"
    assert (
        world.document(document_id).error == "The file uploaded is 12 bytes, not the 11 bytes declared; upload it again"
    )
    assert embedder.calls == 0
    assert event.key not in blobs.objects


def test_a_failed_file_is_deleted_and_an_indexed_one_kept(world: Any, blobs: InMemoryBlobStore) -> None:
    broken_id, broken = world.upload("broken.pdf", "application/pdf", b"%PDF-1.7 truncated")
    fine_id, fine = world.upload("fine.txt", "text/plain", b"Llamas hum.")

    world.indexer.index_object(broken)
    world.indexer.index_object(fine)

    assert world.document(broken_id).status == "failed"
    assert world.document(fine_id).status == "indexed"
    assert blobs.kept == {world.document(fine_id).object_key}
    assert blobs.objects == {world.document(fine_id).object_key: b"Llamas hum."}


def test_an_upload_for_a_deleted_document_is_deleted(world: Any, blobs: InMemoryBlobStore, embedder: Any) -> None:
    document_id, event = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    world.documents.delete(world.chatbot.tenant_id, world.chatbot.id, document_id)
    blobs.objects[event.key] = b"Llamas hum."  # the ticket was still valid

    outcome = world.indexer.index_object(event)

    assert outcome.status == "ignored"
    assert event.key not in blobs.objects
    assert embedder.calls == 0


def test_a_ticket_unused_past_its_expiry_and_grace_ends_failed(
    chatbot_store: InMemoryChatbotStore,
    document_store: InMemoryDocumentStore,
    blobs: InMemoryBlobStore,
    world: Any,
    quotas: Quotas,
) -> None:
    # Given documents created at noon with 15-minute tickets: one never uploaded, one uploaded and indexed
    clock = Clock(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    service = DocumentService(
        document_store,
        chatbot_store,
        blobs,
        world.indexer.index,
        world.indexer.lexicon,
        quotas=quotas,
        max_bytes=1_000,
        clock=clock,
    )
    tenant, chatbot = world.chatbot.tenant_id, world.chatbot.id
    waiting, _ = service.create(
        tenant, chatbot, DocumentCreate(filename="a.txt", content_type="text/plain", size_bytes=3)
    )
    used, ticket = service.create(
        tenant, chatbot, DocumentCreate(filename="b.txt", content_type="text/plain", size_bytes=3)
    )
    blobs.objects[ticket.fields["key"]] = b"abc"
    world.indexer.index_object(ObjectCreated(ticket.fields["key"], 3, "etag", "1"))
    sweep = AbandonedUploads(document_store, grace=timedelta(hours=1), clock=clock)

    # When the sweep runs within the hour of grace after the tickets expired, Then nothing changes
    clock.now = datetime(2026, 11, 29, 13, 14, tzinfo=UTC)
    assert sweep.expire() == []
    assert world.document(waiting.id).status == "pending_upload"

    # When it runs after it, Then the unused one ends failed, saying why, and only it
    clock.now = datetime(2026, 11, 29, 13, 16, tzinfo=UTC)
    assert [outcome.document_id for outcome in sweep.expire()] == [waiting.id]
    assert world.document(waiting.id).status == "failed"
    assert world.document(waiting.id).error.startswith("Upload expired")
    assert world.document(used.id).status == "indexed"
    assert sweep.expire() == []


def test_a_ticket_whose_upload_was_claimed_is_not_expired(
    world: Any, document_store: InMemoryDocumentStore, blobs: InMemoryBlobStore
) -> None:
    document_id, event = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    document = world.document(document_id)
    document_store.claim(document, event.source, document.created_at)

    later = document.upload_expires_at + timedelta(days=1)
    swept = AbandonedUploads(document_store, clock=lambda: later).expire()

    assert swept == []
    assert world.document(document_id).status == "processing"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _metrics(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, str], float]]:
    """(name, dimensions, value) of each EMF record, in order."""
    found = []
    for emf in records:
        (directive,) = emf["_aws"]["CloudWatchMetrics"]
        ((name,),) = [[metric["Name"]] for metric in directive["Metrics"]]
        (dimension_names,) = directive["Dimensions"]
        found.append((name, {dimension: emf[dimension] for dimension in dimension_names}, emf[name][0]))
    return found


def test_an_indexed_document_counts_itself_its_chunks_and_its_durations_with_its_tenant_as_a_property(
    world: Any, emitted_metrics: Callable[[], list[dict[str, Any]]]
) -> None:
    _document_id, event = world.upload("guide.pdf", "application/pdf", pdf(["Llamas hum.", "Alpacas spit."]))
    emitted_metrics()  # what creating the document printed

    world.indexer.index_object(event)

    records = emitted_metrics()
    assert [(name, dimensions) for name, dimensions, _ in _metrics(records)] == [
        ("DocumentsIndexed", {"service": "parley"}),
        ("ChunksIndexed", {"service": "parley"}),
        ("IngestDuration", {"service": "parley"}),
        ("IngestDurationPerChunk", {"service": "parley"}),
    ]
    assert _metrics(records)[1][2] == 2
    assert {(emf["tenant_id"], emf["chatbot_id"]) for emf in records} == {(world.chatbot.tenant_id, world.chatbot.id)}


def test_failed_documents_are_counted_by_reason_class(
    world: Any, emitted_metrics: Callable[[], list[dict[str, Any]]], embedder: Any
) -> None:
    # Given uploads that fail each its own way
    _, damaged = world.upload("broken.pdf", "application/pdf", b"%PDF-1.7 truncated")
    _, grown = world.upload("big.txt", "text/plain", b"small")
    _, crashing = world.upload("notes.txt", "text/plain", b"Llamas hum.")
    _, stuck = world.upload("stuck.txt", "text/plain", b"Alpacas spit.")
    emitted_metrics()

    # When they are indexed (the crashing one on its last attempt) or abandoned
    world.indexer.index_object(damaged)
    world.indexer.index_object(ObjectCreated(grown.key, 1_000_001, "etag-big", grown.sequencer))
    embedder.fail = True
    with pytest.raises(RuntimeError):
        world.indexer.index_object(crashing, final_attempt=True)
    world.indexer.abandon(stuck)

    # Then each is counted once, in its class, and the class is the only dimension beside the service
    assert [(name, dimensions) for name, dimensions, _ in _metrics(emitted_metrics())] == [
        ("DocumentsFailed", {"service": "parley", "reason": "unreadable"}),
        ("DocumentsFailed", {"service": "parley", "reason": "over_limit"}),
        ("DocumentsFailed", {"service": "parley", "reason": "internal"}),
        ("DocumentsFailed", {"service": "parley", "reason": "abandoned"}),
    ]


def test_an_expired_upload_ticket_counts_as_a_failed_document(
    world: Any, document_store: InMemoryDocumentStore, emitted_metrics: Callable[[], list[dict[str, Any]]]
) -> None:
    _document_id, _ = world.upload("never.txt", "text/plain", b"abc")
    emitted_metrics()
    later = datetime.now(UTC) + timedelta(days=1)

    AbandonedUploads(document_store, clock=lambda: later).expire()

    (emf,) = emitted_metrics()
    assert _metrics([emf]) == [("DocumentsFailed", {"service": "parley", "reason": "expired"}, 1)]
    assert emf["tenant_id"] == world.chatbot.tenant_id
