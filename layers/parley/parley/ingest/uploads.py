"""An upload as its S3 notification names it, the document it belongs to, and how an attempt ends."""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.documents import Document
from parley.observability import FailureClass, logger, record
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
    status: str  # indexed | failed | skipped | ignored | lapsed | deferred (not started: its message is sent again)
    document_id: str | None = None
    chunks: int = 0


def fail_document(
    documents: DocumentStore, document: Document, event: ObjectCreated, reason: str, failure: FailureClass
) -> Outcome:
    """End upload `event` of a claimed document as failed, with a reason its owner can act on (and a class of it
    for the metrics); `skipped` when another delivery of the same upload ended it first (that one's outcome
    stands)."""
    if documents.finish(document, event.source, {"status": "failed", "error": reason, "chunk_count": 0}) is None:
        logger.info("Upload already ended by another delivery, or its document deleted; left as it is")
        return Outcome("skipped", document.id)
    logger.warning("Document failed", extra={"reason": reason, "failure": failure})
    record("DocumentsFailed", reason=failure, tenant_id=document.tenant_id, chatbot_id=document.chatbot_id)
    return Outcome("failed", document.id)
