"""Documents of a chatbot: accepting uploads, listing them, and deleting them with their vectors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import Page, PageRequest, new_id, utcnow
from parley.domain.documents import (
    Awaited,
    Document,
    DocumentCreate,
    FileType,
    UploadTicket,
    file_type,
    object_key,
    upload_key,
)
from parley.errors import DocumentBusy, DocumentNotFound, PayloadTooLarge, UnsupportedMediaType
from parley.observability import logger
from parley.ports import BlobStore, ChatbotStore, DocumentStore, LexiconStore, VectorIndex
from parley.services.chatbots import find_chatbot
from parley.services.indexer import forget_document
from parley.services.quotas import Quotas

SUPPORTED = "PDF, Word (.docx), HTML, Markdown, plain text or CSV"


class DocumentService:
    def __init__(
        self,
        documents: DocumentStore,
        chatbots: ChatbotStore,
        blobs: BlobStore,
        index: VectorIndex,
        lexicon: LexiconStore,
        *,
        quotas: Quotas,
        max_bytes: int,
        upload_ttl: int = 900,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.documents = documents
        self.chatbots = chatbots
        self.blobs = blobs
        self.index = index
        self.lexicon = lexicon
        self.quotas = quotas
        self.max_bytes = max_bytes
        self.upload_ttl = upload_ttl
        self.clock = clock

    def create(self, tenant_id: str, chatbot_id: str, request: DocumentCreate) -> tuple[Document, UploadTicket]:
        """Record the document and hand out the one-time presigned POST its file is uploaded with."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        kind = self._accepted(request)
        document = self._add(tenant_id, chatbot_id, request.filename, kind, request.size_bytes)
        return document, self._ticket(document, 1, kind, request.size_bytes)

    def replace(
        self, tenant_id: str, chatbot_id: str, document_id: str, request: DocumentCreate
    ) -> tuple[Document, UploadTicket]:
        """Hand out the one-time presigned POST of a new version of an uploaded document. Its current content answers
        until the new one is indexed under the same id; a ticket left unused lapses and changes nothing."""
        document = self.get(tenant_id, chatbot_id, document_id)
        if document.source_id:
            raise DocumentBusy("This document comes from a source; change or sync the source instead")
        kind = self._accepted(request)
        awaiting, version = self._await(document, request.filename, kind, request.size_bytes)
        return awaiting, self._ticket(awaiting, version, kind, request.size_bytes)

    def write(
        self,
        tenant_id: str,
        chatbot_id: str,
        filename: str,
        kind: FileType,
        data: bytes,
        *,
        source_id: str,
        url: str | None = None,
        document_id: str | None = None,
    ) -> Document:
        """Store content a source produced (a web page, a snippet, a Q&A pair) as a new document or as the next
        version of `document_id`, and hand it to ingest as an upload."""
        if document_id is None:
            document = self._add(tenant_id, chatbot_id, filename, kind, len(data), source_id=source_id, url=url)
            version = 1
        else:
            current = self.get(tenant_id, chatbot_id, document_id)
            document, version = self._await(current, filename, kind, len(data))
        self.blobs.put_upload(upload_key(tenant_id, chatbot_id, document.id, version), data, kind.content_type)
        logger.info("Source's document written", extra={"document_id": document.id, "version": version})
        return document

    def _accepted(self, request: DocumentCreate) -> FileType:
        kind = file_type(request.filename, request.content_type)
        if kind is None:
            raise UnsupportedMediaType(
                f"{request.filename} ({request.content_type}) is not supported; upload {SUPPORTED}, "
                "with a content type that matches the file extension"
            )
        if request.size_bytes > self.max_bytes:
            raise PayloadTooLarge(f"Files may be at most {self.max_bytes // 1_000_000} MB")
        return kind

    def _add(
        self,
        tenant_id: str,
        chatbot_id: str,
        filename: str,
        kind: FileType,
        size_bytes: int,
        *,
        source_id: str | None = None,
        url: str | None = None,
    ) -> Document:
        now = self.clock()
        document_id = new_id()
        document = Document(
            id=document_id,
            tenant_id=tenant_id,
            chatbot_id=chatbot_id,
            filename=filename,
            content_type=kind.content_type,
            kind=kind.kind,
            size_bytes=size_bytes,
            object_key=object_key(tenant_id, chatbot_id, document_id, filename),
            status="pending_upload",
            upload_expires_at=now + timedelta(seconds=self.upload_ttl),
            source_id=source_id,
            url=url,
            created_at=now,
            updated_at=now,
        )
        self.quotas.acquire(tenant_id, "documents")
        try:
            self.documents.add(document)
        except BaseException:
            self.quotas.release(tenant_id, "documents")
            raise
        return document

    def _await(self, document: Document, filename: str, kind: FileType, size_bytes: int) -> tuple[Document, int]:
        now = self.clock()
        version = max(document.version, document.awaited.version if document.awaited else 0) + 1
        awaited = Awaited(
            version=version,
            filename=filename,
            content_type=kind.content_type,
            kind=kind.kind,
            size_bytes=size_bytes,
            object_key=object_key(document.tenant_id, document.chatbot_id, document.id, filename),
            expires_at=now + timedelta(seconds=self.upload_ttl),
        )
        awaiting = self.documents.await_version(document, awaited, now)
        if awaiting is None:
            raise DocumentBusy("The document is being indexed or waits for its first upload; try again when it is done")
        logger.info("Replacement awaited", extra={"document_id": document.id, "version": version})
        return awaiting, version

    def _ticket(self, document: Document, version: int, kind: FileType, size_bytes: int) -> UploadTicket:
        key = upload_key(document.tenant_id, document.chatbot_id, document.id, version)
        url, fields = self.blobs.upload_form(key, kind.content_type, size_bytes, self.upload_ttl)
        logger.info("Upload ticket issued", extra={"document_id": document.id, "version": version, "kind": kind.kind})
        return UploadTicket(url=url, fields=fields, expires_in=self.upload_ttl)

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Document]:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        return self.documents.list(tenant_id, chatbot_id, page)

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        document = self.documents.get(tenant_id, chatbot_id, document_id)
        if document is None:
            raise DocumentNotFound()
        return document

    def delete(self, tenant_id: str, chatbot_id: str, document_id: str, *, source_id: str | None = None) -> None:
        """Delete the document, its file and its vectors; an indexing run in flight cleans up after itself. A
        source's documents are deleted by that source only (`source_id`)."""
        if self.get(tenant_id, chatbot_id, document_id).source_id != source_id:
            raise DocumentBusy("This document comes from a source; delete it from the source instead")
        document = self.documents.soft_delete(tenant_id, chatbot_id, document_id, self.clock())
        if document is None:
            raise DocumentNotFound()
        self.quotas.release_document(document)
        self.blobs.delete(document.object_key)
        forget_document(self.index, self.lexicon, document)
