"""Documents of a chatbot: accepting uploads, listing them, and deleting them with their vectors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import Page, PageRequest, new_id, utcnow
from parley.domain.documents import Document, DocumentCreate, UploadTicket, file_type, object_key, upload_key
from parley.errors import DocumentNotFound, PayloadTooLarge, UnsupportedMediaType
from parley.ingest.indexer import forget_document
from parley.observability import logger
from parley.ports import BlobStore, ChatbotStore, DocumentStore, LexiconStore, VectorIndex
from parley.services.chatbots import find_chatbot
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
        kind = file_type(request.filename, request.content_type)
        if kind is None:
            raise UnsupportedMediaType(
                f"{request.filename} ({request.content_type}) is not supported; upload {SUPPORTED}, "
                "with a content type that matches the file extension"
            )
        if request.size_bytes > self.max_bytes:
            raise PayloadTooLarge(f"Files may be at most {self.max_bytes // 1_000_000} MB")
        now = self.clock()
        document_id = new_id()
        document = Document(
            id=document_id,
            tenant_id=tenant_id,
            chatbot_id=chatbot_id,
            filename=request.filename,
            content_type=kind.content_type,
            kind=kind.kind,
            size_bytes=request.size_bytes,
            object_key=object_key(tenant_id, chatbot_id, document_id, request.filename),
            status="pending_upload",
            upload_expires_at=now + timedelta(seconds=self.upload_ttl),
            created_at=now,
            updated_at=now,
        )
        self.quotas.acquire(tenant_id, "documents")
        try:
            self.documents.add(document)
            url, fields = self.blobs.upload_form(
                upload_key(tenant_id, chatbot_id, document_id), kind.content_type, request.size_bytes, self.upload_ttl
            )
        except BaseException:
            self.quotas.release(tenant_id, "documents")
            raise
        logger.info("Upload ticket issued", extra={"document_id": document_id, "kind": kind.kind})
        return document, UploadTicket(url=url, fields=fields, expires_in=self.upload_ttl)

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Document]:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        return self.documents.list(tenant_id, chatbot_id, page)

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        document = self.documents.get(tenant_id, chatbot_id, document_id)
        if document is None:
            raise DocumentNotFound()
        return document

    def delete(self, tenant_id: str, chatbot_id: str, document_id: str) -> None:
        """Delete the document, its file and its vectors; an indexing run in flight cleans up after itself."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        document = self.documents.soft_delete(tenant_id, chatbot_id, document_id, self.clock())
        if document is None:
            raise DocumentNotFound()
        self.quotas.release_document(document)
        self.blobs.delete(document.object_key)
        forget_document(self.index, self.lexicon, document)
