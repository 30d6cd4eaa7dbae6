"""DocumentIndexer: one uploaded object → extracted, chunked, embedded and upserted; the document always ends
`indexed` or `failed` with a reason.

Uploads land at their own key (`upload_key`, in the bucket's uploads area); the file of an indexed document is a
server-side copy of its upload, made before the document is marked indexed, at the document's own key, which no
upload can reach. The upload is deleted once its attempt has ended, so a second upload with a used ticket changes
nothing but its own object, which is deleted too.

Retry or fail: an `UnreadableDocument` (the file is damaged, empty or over a limit; every parser error becomes one
in `extract`) fails the document on the first attempt, since the same bytes fail the same way again. Anything else
comes from the services the indexer calls (S3, DynamoDB, the embedder, the index) and may pass: it propagates, so
SQS delivers the message again, until the last attempt fails the document; `abandon`, the dead-letter queue's
handler, covers a last attempt that crashed before it could.

Every failure ends the same way (`_fail`): the document `failed` with a reason, then its vectors, its share of the
chatbot's lexical statistics and its file removed, so nothing of a failed document can be cited.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from parley.domain.common import utcnow
from parley.domain.documents import Document, parse_upload_key
from parley.domain.ingest_limits import IngestLimits
from parley.domain.lexical import ChunkTerms, Contribution, chunk_terms
from parley.domain.plans import PAGE_CHARACTERS
from parley.domain.vectors import ChunkMetadata, SparseVector, VectorRecord, document_prefix, vector_id
from parley.errors import ObjectChanged, OverIngestLimit, PlanLimitReached, UnreadableDocument
from parley.ingest.budget import ReadingBudget
from parley.ingest.chunking import Chunk, ChunkPlan, chunk_blocks
from parley.ingest.extract import Block, extract
from parley.ingest.uploads import ObjectCreated, Outcome, fail_document
from parley.observability import FailureClass, keys_of_one_record, logger, record
from parley.ports import BlobStore, ChatbotStore, DocumentEmbedder, DocumentStore, LexiconStore, VectorIndex
from parley.services.quotas import Quotas

# Chunks embedded and upserted together, across the documents of an SQS batch; adapters split further to fit their
# APIs' request limits (OpenAI's 250k tokens a request makes 1,000 SciFact chunks two requests; Pinecone's 2 MB
# makes them about seven upserts).
EMBED_WINDOW = 1000
# Beyond its reading time, what a document started last in an invocation may still need: embedding, upserting and
# finishing the group it joins (at most EMBED_WINDOW chunks of other documents, each finished with about six
# DynamoDB and S3 calls) and its own chunks (up to IngestLimits.chunks: 10,000 chunks of 400 tokens are 16 requests
# at OpenAI's 250k-token limit), with the SDKs' retries.
FINISH_SECONDS = 300
# The reason of a document whose message SQS gave up on.
ABANDONED = "Indexing did not finish after repeated attempts; upload the file again"


@dataclass
class _Attempt:
    """One document's attempt within a batch: its upload, what it has read and counted so far, and how it ended
    (an outcome, or the error that sends its message again; None while it goes on)."""

    event: ObjectCreated
    final_attempt: bool
    document: Document | None = None
    first_upload: bool = False
    started: float = 0.0
    chunks: list[Chunk] = field(default_factory=list)
    terms: list[ChunkTerms] = field(default_factory=list)
    pages: int = 0
    charged_at: datetime | None = None
    vectors_stored: bool = False
    ended: Outcome | Exception | None = None

    @property
    def claimed(self) -> Document:
        assert self.document is not None, "only a claimed document's attempt goes past its claim"
        return self.document

    @property
    def outcome(self) -> Outcome | Exception:
        assert self.ended is not None, "every attempt of a batch ends"
        return self.ended

    @property
    def ready(self) -> bool:
        return self.document is not None and self.ended is None


@contextmanager
def _keys_of(attempt: _Attempt) -> Iterator[None]:
    """The attempt's document in the log keys of what follows (inside keys_of_one_record, which removes them)."""
    document = attempt.claimed
    logger.append_keys(tenant_id=document.tenant_id, chatbot_id=document.chatbot_id, document_id=document.id)
    yield


class DocumentIndexer:
    def __init__(
        self,
        documents: DocumentStore,
        chatbots: ChatbotStore,
        blobs: BlobStore,
        embedder: DocumentEmbedder,
        index: VectorIndex,
        *,
        lexicon: LexiconStore,
        quotas: Quotas,
        max_bytes: int,
        limits: IngestLimits | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.documents = documents
        self.chatbots = chatbots
        self.blobs = blobs
        self.embedder = embedder
        self.index = index
        self.lexicon = lexicon
        self.quotas = quotas
        self.max_bytes = max_bytes
        self.limits = limits or IngestLimits()
        self.clock = clock
        self.monotonic = monotonic

    def index_object(self, event: ObjectCreated, *, final_attempt: bool = True) -> Outcome:
        """Index the document behind `event`. Unexpected errors propagate so the message is retried; on the final
        attempt the document is marked failed first, so nothing stays `processing` once the message is gone."""
        (ended,) = self.index_objects([(event, final_attempt)])
        if isinstance(ended, BaseException):
            raise ended
        return ended

    def index_objects(
        self, events: Sequence[tuple[ObjectCreated, bool]], *, time_left: Callable[[], float] | None = None
    ) -> list[Outcome | Exception]:
        """Index the documents behind the `(event, final_attempt)` pairs of one SQS batch, each ending as
        `index_object` would end it alone: its outcome, or the error that should send its message again.

        Documents are read one after another and their chunks gathered (and handed to the embedder ahead, which may
        start on them): a group is embedded and upserted together (one window of EMBED_WINDOW chunks, not a request
        per document) and its documents finished before the next document that would take it past EMBED_WINDOW joins
        it, and at the end. Should a group's shared requests fail, each of its documents is tried on its own, so one
        that cannot be indexed does not hold the others back.

        `time_left` (seconds left in the invocation): a document is started only while what is left covers the worst
        it may still take (`start_reserve`); the first always is. The others end `deferred`, untouched, for the
        caller to send again."""
        attempts = [_Attempt(event, final_attempt) for event, final_attempt in events]
        uploads = set()
        group: list[_Attempt] = []
        started = False
        for attempt in attempts:
            upload = (attempt.event.key, attempt.event.source)
            if upload in uploads:  # the same notification twice in one batch: its first delivery indexes it
                attempt.ended = Outcome("skipped")
                continue
            if started and time_left is not None and time_left() < self.start_reserve:
                attempt.ended = Outcome("deferred")
                continue
            uploads.add(upload)
            started = True
            with keys_of_one_record():
                self._prepare(attempt)
            if not attempt.ready:
                continue
            if group and _chunks_of(group) + len(attempt.chunks) > EMBED_WINDOW:
                self._index_group(group)
                group = []
            group.append(attempt)
            self.embedder.prefetch([_embedded_text(chunk) for chunk in attempt.chunks])
        self._index_group(group)
        return [attempt.outcome for attempt in attempts]

    @property
    def start_reserve(self) -> float:
        """Seconds a document may still need once started: its reading time at the limit, then embedding,
        upserting and finishing it with the group it joins."""
        return self.limits.seconds + FINISH_SECONDS

    def _index_group(self, group: Sequence[_Attempt]) -> None:
        """Embed and upsert the chunks of read documents together, then finish each (indexed, or its error)."""
        if len(group) > 1:
            try:
                self._embed(group)
            except Exception:
                logger.warning("Embedding the batch's documents together failed; each is tried alone", exc_info=True)
        for attempt in group:
            with keys_of_one_record(), _keys_of(attempt):
                if not attempt.vectors_stored:
                    self._guarded(attempt, self._embed_alone)
                if attempt.ready:
                    self._guarded(attempt, self._finish)
            # Done with: a large batch must not hold every document's text until it ends.
            attempt.chunks, attempt.terms = [], []

    def _prepare(self, attempt: _Attempt) -> None:
        """Claim the attempt's document, read, chunk and count it, record its lexical share: ready to embed, or
        ended."""
        try:
            claim = self._claim(attempt.event)
        except Exception as error:  # nothing claimed, nothing to undo: the message comes again
            attempt.ended = error
            return
        if isinstance(claim, Outcome):
            attempt.ended = claim
            return
        attempt.document, attempt.first_upload = claim
        attempt.started = time.perf_counter()
        self._guarded(attempt, self._read)

    def _guarded(self, attempt: _Attempt, step: Callable[[_Attempt], None]) -> None:
        """Run one step of a claimed document's attempt; what it raises ends the attempt as `index_object` always
        ended it: a failed document for bytes that cannot be indexed, or the error (the message comes again), the
        document failed first on the final attempt. Whatever it had counted against its plan is given back."""
        document, event = attempt.claimed, attempt.event
        try:
            try:
                step(attempt)
            except UnreadableDocument as error:
                self._give_back_charge(attempt)
                failure: FailureClass = "over_limit" if isinstance(error, OverIngestLimit) else "unreadable"
                attempt.ended = self._fail(document, event, error.message, failure)
            except ObjectChanged:
                self._give_back_charge(attempt)
                # Only one upload per ticket is indexed (its first), so none will follow to finish this document.
                reason = "The file was replaced or removed while it was indexed; upload it again"
                attempt.ended = self._fail(document, event, reason, "changed")
            except Exception:
                self._give_back_charge(attempt)
                if attempt.final_attempt:
                    reason = "Indexing failed repeatedly because of an internal error; upload it again"
                    self._fail(document, event, reason, "internal")
                raise
        except Exception as error:  # the message comes again (failing the document may have failed too)
            attempt.ended = error

    def _give_back_charge(self, attempt: _Attempt) -> None:
        if attempt.charged_at is not None:
            charged_at, attempt.charged_at = attempt.charged_at, None
            self._give_back(attempt.claimed, attempt.pages, charged_at)

    def _finish(self, attempt: _Attempt) -> None:
        document, event, chunks = attempt.claimed, attempt.event, attempt.chunks
        self._after_upsert(document, event, chunks, first_upload=attempt.first_upload)
        duration_ms = int((time.perf_counter() - attempt.started) * 1000)
        finished = self.documents.finish(
            document,
            event.source,
            {
                "status": "indexed",
                "error": None,
                "chunk_count": len(chunks),
                "token_count": sum(chunk.tokens for chunk in chunks),
                "duration_ms": duration_ms,
            },
        )
        if finished is None:
            self._give_back_charge(attempt)
            self._clean_up(document, event)
            attempt.ended = Outcome("skipped", document.id)
            return
        attempt.charged_at = None  # the document is indexed: what it counts stays counted
        self.blobs.delete(event.key)  # consumed: its file is the document's now
        tenant_id, chatbot_id = document.tenant_id, document.chatbot_id
        record("DocumentsIndexed", tenant_id=tenant_id, chatbot_id=chatbot_id)
        record("ChunksIndexed", len(chunks), tenant_id=tenant_id, chatbot_id=chatbot_id)
        record("IngestDuration", duration_ms, tenant_id=tenant_id, chatbot_id=chatbot_id)
        if chunks:
            record("IngestDurationPerChunk", duration_ms / len(chunks), tenant_id=tenant_id, chatbot_id=chatbot_id)
        logger.info("Document indexed", extra={"chunks": len(chunks), "duration_ms": duration_ms})
        attempt.ended = Outcome("indexed", document.id, len(chunks))

    def abandon(self, event: ObjectCreated) -> Outcome:
        """End the upload of a message SQS gave up on `failed`, whatever its last attempt did (even a crash that ran
        no code of ours, after it had written vectors and statistics), and remove what its attempts left."""
        claim = self._claim(event)
        if isinstance(claim, Outcome):
            return claim
        claimed, _ = claim
        return self._fail(claimed, event, ABANDONED, "abandoned")

    def _claim(self, event: ObjectCreated) -> tuple[Document, bool] | Outcome:
        """The document of `event` claimed for this upload, and whether it is its first upload (nothing of an
        earlier attempt can be in the index); or the outcome when there is nothing to claim."""
        ref = parse_upload_key(event.key)
        document = self.documents.get(ref.tenant_id, ref.chatbot_id, ref.document_id) if ref else None
        if ref is None or document is None:
            logger.warning("Object matches no live document; dropped", extra={"key_shape_ok": ref is not None})
            if ref is not None:  # an upload for a deleted document, chatbot or tenant: nothing may keep it
                self.blobs.delete(event.key)
            return Outcome("ignored")
        logger.append_keys(tenant_id=document.tenant_id, chatbot_id=document.chatbot_id, document_id=document.id)
        claimed = self.documents.claim(document, event.source, self.clock(), ref.version)
        if claimed is None:
            return self._not_claimed(event, document)
        if document.status in ("indexed", "failed"):
            self._retire(document, claimed)
        return claimed, document.status == "pending_upload"

    def _retire(self, previous: Document, replacing: Document) -> None:
        """A new version was claimed: whatever it ends as, the previous one's file goes, and its bytes are no longer
        counted (its vectors answer until the new ones are in, or go with a failure)."""
        logger.info("Replacing a document's content", extra={"version": replacing.version})
        if previous.status == "indexed":
            self.quotas.release(previous.tenant_id, "stored_bytes", previous.size_bytes)
        if previous.object_key != replacing.object_key:
            self.blobs.delete(previous.object_key)

    def _not_claimed(self, event: ObjectCreated, document: Document) -> Outcome:
        # Either this upload already ended (its notification came again), or it is a second upload with a ticket
        # its first upload used, or the document is gone: either way the object will never be indexed, and it is
        # an upload, never a document's file, so it goes.
        self.blobs.delete(event.key)
        current = self.documents.get(document.tenant_id, document.chatbot_id, document.id)
        if current is not None and current.source == event.source:
            if current.status == "failed":
                # Its cleanup may have been cut short (the attempt then raised, and this is the message again).
                self._clean_up(current, event)
            logger.info("Upload already processed; skipped")
            return Outcome("skipped", document.id)
        logger.warning("Upload with a used ticket, or for a deleted document; deleted")
        return Outcome("ignored", document.id)

    def _read(self, attempt: _Attempt) -> None:
        """The document's chunks and their terms, counted against its plan (its pages and bytes), its lexical share
        recorded."""
        document, event = attempt.claimed, attempt.event
        limit_mb = self.max_bytes // 1_000_000
        if event.size > self.max_bytes:
            raise OverIngestLimit(f"The file is larger than the {limit_mb} MB limit")
        if event.size != document.size_bytes:
            raise UnreadableDocument(_size_mismatch(event.size, document.size_bytes))
        data = self.blobs.read(event.key, event.etag)
        if len(data) != document.size_bytes:
            raise UnreadableDocument(_size_mismatch(len(data), document.size_bytes))
        chatbot = self.chatbots.get(document.tenant_id, document.chatbot_id)
        if chatbot is None:
            raise UnreadableDocument("The chatbot this document belongs to was deleted")
        budget = ReadingBudget(self.limits, clock=self.monotonic)
        plan = ChunkPlan(chatbot.chunk_size, chatbot.chunk_overlap)
        blocks = extract(data, document.kind, budget)
        attempt.chunks = chunk_blocks(blocks, plan)
        budget.check_chunks(len(attempt.chunks))
        budget.check_time()
        # Counted once the file is read and before anything is spent on it; given back if it is not indexed after all.
        attempt.pages = pages_of(blocks)
        attempt.charged_at = self._charge(document, attempt.pages)
        attempt.terms = [chunk_terms(chunk.text) for chunk in attempt.chunks]
        contribution = Contribution.of(attempt.terms)
        self.lexicon.record(
            document.tenant_id, document.chatbot_id, document.id, contribution, first=attempt.first_upload
        )

    def _charge(self, document: Document, pages: int) -> datetime:
        """Count the document's pages (this month's) and bytes against its tenant's plan, once for its version however
        many attempts run; over either, the document fails with the plan's limit as its reason."""
        try:
            return self.quotas.charge_document(document, pages)
        except PlanLimitReached as error:
            raise OverIngestLimit(error.message) from error

    def _give_back(self, document: Document, pages: int, charged_at: datetime) -> None:
        self.quotas.give_back_document(document, pages, charged_at)

    def _embed(self, attempts: Sequence[_Attempt]) -> None:
        """Embed and upsert the chunks of `attempts` together, a window of EMBED_WINDOW chunks at a time (each
        window's records upserted by namespace, the tenant's)."""
        pending = [
            (attempt, chunk, terms)
            for attempt in attempts
            for chunk, terms in zip(attempt.chunks, attempt.terms, strict=True)
        ]
        for start in range(0, len(pending), EMBED_WINDOW):
            window = pending[start : start + EMBED_WINDOW]
            vectors = self.embedder.embed_documents([_embedded_text(chunk) for _, chunk, _ in window])
            by_namespace: dict[str, list[VectorRecord]] = {}
            for (attempt, chunk, terms), values in zip(window, vectors, strict=True):
                document = attempt.claimed
                by_namespace.setdefault(document.tenant_id, []).append(_record(document, chunk, values, terms.vector()))
            for namespace, records in by_namespace.items():
                self.index.upsert(namespace, records)
        for attempt in attempts:
            attempt.vectors_stored = True

    def _embed_alone(self, attempt: _Attempt) -> None:
        self._embed([attempt])

    def _after_upsert(
        self, document: Document, event: ObjectCreated, chunks: list[Chunk], *, first_upload: bool
    ) -> None:
        """Once the document's vectors are in: whatever an earlier version or attempt left beyond them goes, and
        its file is kept at the document's own key."""
        namespace = document.tenant_id
        if not first_upload:
            # A re-upload (or an earlier, interrupted attempt) may have left chunks beyond the new last one.
            current = {vector_id(document.id, chunk.no) for chunk in chunks}
            stale = [id_ for id_ in self.index.ids(namespace, document_prefix(document.id)) if id_ not in current]
            if stale:
                self.index.delete(namespace, stale)
        self.blobs.keep(event.key, event.etag, document.object_key)

    def _fail(self, document: Document, event: ObjectCreated, reason: str, failure: FailureClass) -> Outcome:
        # Failed first: should what follows be cut short, the document still ends with a reason.
        outcome = fail_document(self.documents, document, event, reason, failure)
        # What an earlier attempt counted for this version before it died (the document records it) goes back.
        current = self.documents.get(document.tenant_id, document.chatbot_id, document.id)
        if current is not None and current.version == document.version and current.counted:
            self._give_back(current, current.counted_pages or 0, current.counted_at or self.clock())
        self._clean_up(document, event)
        return outcome

    def _clean_up(self, document: Document, event: ObjectCreated) -> None:
        """After an attempt that did not index the document: the upload goes and, unless another delivery of the
        same upload indexed it (the same vectors and file), so does what this attempt stored."""
        current = self.documents.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None or current.status != "indexed":
            logger.info("Document failed or deleted while indexing; its vectors and file are removed")
            forget_document(self.index, self.lexicon, document)
            self.blobs.delete(document.object_key)
        self.blobs.delete(event.key)


def _chunks_of(group: Sequence[_Attempt]) -> int:
    return sum(len(attempt.chunks) for attempt in group)


def _size_mismatch(actual: int, declared: int) -> str:
    return f"The file uploaded is {actual:,} bytes, not the {declared:,} bytes declared; upload it again"


def pages_of(blocks: Sequence[Block]) -> int:
    """The pages a document counts as on a plan: a PDF's pages, or a page per PAGE_CHARACTERS of other text."""
    numbered = [block.page for block in blocks if block.page is not None]
    if numbered:
        return max(numbered)
    return max(1, math.ceil(sum(len(block.text) for block in blocks) / PAGE_CHARACTERS))


def forget_document(index: VectorIndex, lexicon: LexiconStore, document: Document) -> None:
    """Remove every vector of the document from its tenant's namespace, and its share of the statistics."""
    ids = index.ids(document.tenant_id, document_prefix(document.id))
    if ids:
        index.delete(document.tenant_id, ids)
    lexicon.forget(document.tenant_id, document.chatbot_id, document.id)


def _embedded_text(chunk: Chunk) -> str:
    """What a chunk's dense vector is made of: its text, or a Q&A pair's question alone, so that a visitor's question
    is compared with the question the pair answers (tests/benchmarks/qa_threshold.py measures that comparison)."""
    return chunk.pair.question if chunk.pair else chunk.text


def _record(document: Document, chunk: Chunk, values: list[float], sparse: SparseVector) -> VectorRecord:
    return VectorRecord(
        id=vector_id(document.id, chunk.no),
        values=values,
        sparse=sparse,
        metadata=ChunkMetadata(
            chatbot_id=document.chatbot_id,
            document_id=document.id,
            filename=document.filename,
            chunk_no=chunk.no,
            page=chunk.page,
            heading=chunk.heading,
            text=chunk.text,
            source_id=document.source_id,
            url=document.url,
            qa_question=chunk.pair.question if chunk.pair else None,
            qa_answer=chunk.pair.answer if chunk.pair else None,
        ),
    )
