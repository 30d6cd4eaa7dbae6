"""Uploads whose messages SQS gave up on: their documents end `failed`, with the document store alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.common import utcnow
from parley.ingest.uploads import ObjectCreated, Outcome, fail_document, uploaded_document
from parley.ports import DocumentStore

REASON = "Indexing did not finish after repeated attempts; upload the file again"


class AbandonedUploads:
    def __init__(self, documents: DocumentStore, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.documents = documents
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
