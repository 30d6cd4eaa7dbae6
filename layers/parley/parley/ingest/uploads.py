"""An uploaded object as its S3 notification names it, the document it belongs to, and how an attempt ends."""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.documents import Document, parse_object_key
from parley.observability import logger, metrics
from parley.ports import DocumentStore


@dataclass(frozen=True)
class ObjectCreated:
    """The part of an S3 ObjectCreated notification record the indexer needs."""

    key: str
    size: int
    etag: str
    sequencer: str

    @property
    def source(self) -> str:
        # Identifies one upload: the same notification delivered twice carries the same pair.
        return f"{self.etag}/{self.sequencer}"


@dataclass(frozen=True)
class Outcome:
    status: str  # indexed | failed | skipped | ignored
    document_id: str | None = None
    chunks: int = 0


def uploaded_document(documents: DocumentStore, event: ObjectCreated) -> Document | None:
    """The live document whose file `event` is; None for keys of no document or of a replaced file name."""
    ref = parse_object_key(event.key)
    document = documents.get(ref.tenant_id, ref.chatbot_id, ref.document_id) if ref else None
    if document is None or document.object_key != event.key:
        return None
    return document


def fail_document(documents: DocumentStore, document: Document, event: ObjectCreated, reason: str) -> Outcome:
    """End upload `event` of a claimed document as failed, with a reason its owner can act on."""
    logger.warning("Document failed", extra={"reason": reason})
    metrics.add_metric(name="DocumentsFailed", unit="Count", value=1)
    documents.finish(document, event.source, {"status": "failed", "error": reason, "chunk_count": 0})
    return Outcome("failed", document.id)
