"""Uploads that will never be indexed, settled with the document store alone: the ones whose messages SQS gave up
on, and tickets that expired with no upload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import utcnow
from parley.ingest.uploads import ObjectCreated, Outcome, fail_document, uploaded_document
from parley.observability import logger, metrics
from parley.ports import DocumentStore

REASON = "Indexing did not finish after repeated attempts; upload the file again"
EXPIRED = "Upload expired: no file arrived before the upload ticket expired; add the document again"


class AbandonedUploads:
    def __init__(
        self,
        documents: DocumentStore,
        *,
        grace: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.documents = documents
        # How long after its ticket expired a document may still be waiting: an upload S3 accepted just before
        # the expiry, and its notification, may still be on their way.
        self.grace = grace
        self.clock = clock

    def fail(self, event: ObjectCreated) -> Outcome:
        """Whatever happened to the upload's last attempt (even a crash that ran no code of ours), its document must
        not stay `processing`. Vectors a crashed attempt left go with the next upload or the document's deletion:
        this function may reach nothing but the table."""
        document = uploaded_document(self.documents, event)
        if document is None:
            return Outcome("ignored")
        claimed = self.documents.claim(document, event.source, self.clock())
        if claimed is None:
            return Outcome("skipped", document.id)  # this upload already ended indexed or failed
        return fail_document(self.documents, claimed, event, REASON)

    def expire(self) -> list[Outcome]:
        """End `failed` every document still `pending_upload` a grace period after its ticket expired (a ticket
        cannot be used any more, so nothing else would ever end it)."""
        now = self.clock()
        outcomes = []
        for document in self.documents.uploads_expired(now - self.grace):
            if self.documents.expire_upload(document, EXPIRED, now) is not None:
                outcomes.append(Outcome("failed", document.id))
        if outcomes:
            logger.info("Expired upload tickets", extra={"documents": len(outcomes)})
            metrics.add_metric(name="UploadsExpired", unit="Count", value=len(outcomes))
        return outcomes
