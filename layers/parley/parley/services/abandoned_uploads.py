"""Upload tickets that expired with no upload, settled with the document store alone. (Uploads whose messages SQS
gave up on are the indexer's: `DocumentIndexer.abandon`.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import utcnow
from parley.ingest.uploads import Outcome
from parley.observability import logger, record
from parley.ports import DocumentStore

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

    def expire(self) -> list[Outcome]:
        """End `failed` every document still `pending_upload` a grace period after its ticket expired (a ticket
        cannot be used any more, so nothing else would ever end it); a replacement's expired ticket just lapses."""
        now = self.clock()
        outcomes = []
        for document in self.documents.uploads_expired(now - self.grace):
            if document.awaited is not None:
                # A replacement never uploaded: the document keeps the content it has.
                if self.documents.lapse(document, document.awaited.version, now) is not None:
                    outcomes.append(Outcome("lapsed", document.id))
                continue
            if self.documents.expire_upload(document, EXPIRED, now) is not None:
                outcomes.append(Outcome("failed", document.id))
                record(
                    "DocumentsFailed", reason="expired", tenant_id=document.tenant_id, chatbot_id=document.chatbot_id
                )
        if outcomes:
            logger.info("Expired upload tickets", extra={"documents": len(outcomes)})
        return outcomes
