"""Documents of a chatbot, with the conditional updates that make indexing idempotent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record, set_clause
from parley.domain.common import Page, PageRequest, timestamp, utcnow
from parley.domain.documents import Awaited, Content, Document


def _live_document(item: Mapping[str, Any] | None) -> Document | None:
    if not item or item.get("deleted_at"):
        return None
    return Document.model_validate(item)


# Changes that take a document out of the index of uploads due.
_NOT_DUE = {keys.LOOKUP_PK: None, keys.LOOKUP_SK: None}
_LIVE = "attribute_exists(PK) AND attribute_not_exists(deleted_at)"
# The attributes conditions name (as #name: some are reserved words).
_NAMED = ("status", "source", "awaited", "version")


class DynamoDocumentStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, document: Document) -> None:
        due = {}
        if document.status == "pending_upload" and document.upload_expires_at:
            due = {
                keys.LOOKUP_PK: keys.uploads_due(),
                keys.LOOKUP_SK: keys.upload_due(
                    timestamp(document.upload_expires_at), document.tenant_id, document.chatbot_id, document.id
                ),
            }
        item = record(
            document, PK=keys.tenant(document.tenant_id), SK=keys.document(document.chatbot_id, document.id), **due
        )
        self.table.put(item, new=True)

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document | None:
        return _live_document(self.table.get(keys.tenant(tenant_id), keys.document(chatbot_id, document_id)))

    def all(self, tenant_id: str, chatbot_id: str) -> list[Document]:
        items = self.table.query_prefix(keys.tenant(tenant_id), keys.documents(chatbot_id))
        return [Document.model_validate(item) for item in items]

    def uploads_expired(self, before: datetime) -> list[Document]:
        due = self.table.lookup(keys.uploads_due(), below=timestamp(before))
        return [document for item in due if (document := _live_document(item))]

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Document]:
        return self.table.query_page(keys.tenant(tenant_id), keys.documents(chatbot_id), page, _live_document)

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        self.table.erase(keys.tenant(tenant_id), keys.documents(chatbot_id))

    def _update(self, document: Document, changes: Mapping[str, Any], condition: str, **values: Any) -> Document | None:
        expression, names, change_values = set_clause(changes)
        updated = self.table.update(
            keys.tenant(document.tenant_id),
            keys.document(document.chatbot_id, document.id),
            expression,
            condition=f"{_LIVE} AND ({condition})",
            names={**names, **{f"#{name}": name for name in _NAMED if f"#{name}" in condition}},
            values={**change_values, **values},
            returns="ALL_NEW",
        )
        return _live_document(updated)

    def claim(self, document: Document, source: str, now: datetime, version: int = 1) -> Document | None:
        changes: dict[str, Any] = {
            "status": "processing",
            "source": source,
            "error": None,
            "updated_at": timestamp(now),
            **_NOT_DUE,
        }
        # The first upload of a version consumes its ticket: any later one (another source) is refused, and so is a
        # redelivered notification of an upload that already ended; one still `processing` (a crashed or timed-out
        # attempt) is taken up again. A replacement's upload is taken up only while its version is the one awaited,
        # and brings that version's file name, type and size with it.
        taken_up = ["#status = :processing AND #source = :source"]
        values: dict[str, Any] = {":source": source, ":processing": "processing"}
        awaited = document.awaited
        if version == 1:
            taken_up.append("#status = :pending")
            values[":pending"] = "pending_upload"
        elif awaited is not None and awaited.version == version:
            changes.update(awaited.model_dump(mode="json", include=set(Content.model_fields)))
            changes.update(version=version, awaited=None)
            taken_up.append("#awaited.#version = :version")
            values[":version"] = version
        condition = " OR ".join(f"({alternative})" for alternative in taken_up)
        return self._update(document, changes, condition, **values)

    def await_version(self, document: Document, awaited: Awaited, now: datetime) -> Document | None:
        due = keys.upload_due(timestamp(awaited.expires_at), document.tenant_id, document.chatbot_id, document.id)
        changes = {
            "awaited": awaited.model_dump(mode="json"),
            "updated_at": timestamp(now),
            keys.LOOKUP_PK: keys.uploads_due(),
            keys.LOOKUP_SK: due,
        }
        # Only a document at rest takes a replacement (a later one supersedes an awaited one): while one is being
        # indexed, its outcome would race the new version's.
        condition = "#status IN (:indexed, :failed)"
        return self._update(document, changes, condition, **{":indexed": "indexed", ":failed": "failed"})

    def lapse(self, document: Document, version: int, now: datetime) -> Document | None:
        changes = {"awaited": None, "updated_at": timestamp(now), **_NOT_DUE}
        return self._update(document, changes, "#awaited.#version = :version", **{":version": version})

    def expire_upload(self, document: Document, reason: str, now: datetime) -> Document | None:
        changes = {"status": "failed", "error": reason, "updated_at": timestamp(now), **_NOT_DUE}
        return self._update(document, changes, "#status = :pending", **{":pending": "pending_upload"})

    def finish(self, document: Document, source: str, changes: Mapping[str, Any]) -> Document | None:
        stamped = {**changes, "updated_at": timestamp(utcnow())}
        # Only the attempt holding the claim ends it: a duplicate delivery of the same upload that ran alongside, and
        # lost the race, must not turn an indexed document into a failed one (or the reverse).
        condition = "#source = :source AND #status = :processing"
        return self._update(document, stamped, condition, **{":source": source, ":processing": "processing"})

    def soft_delete(self, tenant_id: str, chatbot_id: str, document_id: str, deleted_at: datetime) -> Document | None:
        # The record of what its version counted goes too: the deletion gives its bytes back (the document as it was
        # says whether they were counted), so an ingest still running cannot give them back again.
        previous = self.table.update(
            keys.tenant(tenant_id),
            keys.document(chatbot_id, document_id),
            "SET deleted_at = :now, updated_at = :now REMOVE #index_pk, #index_sk, counted_version, counted_pages, "
            "counted_at",
            condition=_LIVE,
            names={"#index_pk": keys.LOOKUP_PK, "#index_sk": keys.LOOKUP_SK},
            values={":now": timestamp(deleted_at)},
            returns="ALL_OLD",
        )
        return Document.model_validate(previous) if previous else None
