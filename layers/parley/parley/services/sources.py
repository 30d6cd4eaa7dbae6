"""Sources of a chatbot: websites (synced by the crawl function, on demand and when due), text snippets and Q&A
pairs (one document each, re-indexed in place when edited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import Page, PageRequest, new_id, timestamp, utcnow
from parley.domain.documents import Document
from parley.domain.sources import (
    EDITABLE,
    Counts,
    CrawlMessage,
    PageRecord,
    QaSourceCreate,
    Source,
    SourceCreate,
    SourcePublic,
    SourceStatus,
    SourceUpdate,
    TextSourceCreate,
    qa_document,
    snippet_document,
)
from parley.errors import PlanLimitReached, SourceBusy, SourceNotFound, ValidationFailed
from parley.observability import logger
from parley.ports import ChatbotStore, CrawlQueue, DocumentStore, SourceStore
from parley.services.chatbots import find_chatbot
from parley.services.documents import DocumentService
from parley.services.quotas import Quotas

# How long after a deletion the erasure of a source's pages runs again: a page being crawled during the first pass
# (the crawl function's timeout) has ended by then, and what it wrote goes too.
ERASE_AGAIN_SECONDS = 180


class SourceService:
    def __init__(
        self,
        sources: SourceStore,
        chatbots: ChatbotStore,
        documents: DocumentService,
        document_store: DocumentStore,
        queue: CrawlQueue,
        *,
        quotas: Quotas,
        max_sync: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sources = sources
        self.chatbots = chatbots
        self.documents = documents
        self.document_store = document_store
        self.queue = queue
        self.quotas = quotas
        self.max_sync = max_sync
        self.clock = clock

    def create(self, tenant_id: str, chatbot_id: str, request: SourceCreate) -> Source:
        """Add a source: a website's first sync starts at once; a snippet or a pair is written as its document."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        if request.type == "website":
            self._check_pages(tenant_id, request.max_pages)
        self.quotas.acquire(tenant_id, "sources")
        try:
            source = self._create(tenant_id, chatbot_id, request)
        except BaseException:
            self.quotas.release(tenant_id, "sources")
            raise
        logger.info("Source added", extra={"source_id": source.id, "source_type": source.type})
        return source

    def _create(self, tenant_id: str, chatbot_id: str, request: SourceCreate) -> Source:
        now = self.clock()
        source_id = new_id()
        common = {"id": source_id, "tenant_id": tenant_id, "chatbot_id": chatbot_id, "created_at": now}
        if request.type == "website":
            sync_id = new_id()
            url = request.url
            source = Source(
                **common,
                type="website",
                status="syncing",
                title=url,
                url=url,
                mode=request.mode,
                max_pages=request.max_pages,
                include=request.include,
                exclude=request.exclude,
                sync_id=sync_id,
                sync_deadline=now + self.max_sync,
                outstanding=1,
                updated_at=now,
            )
            self.sources.add(source)
            self._start(source, sync_id)
            return source
        document = self._write(tenant_id, chatbot_id, source_id, request)
        fields = (
            {"title": request.title, "text": request.text}
            if isinstance(request, TextSourceCreate)
            else {"title": request.question, "question": request.question, "answer": request.answer}
        )
        source = Source(
            **common, type=request.type, status="syncing", document_id=document.id, updated_at=now, **fields
        )
        self.sources.add(source)
        return source

    def _write(
        self,
        tenant_id: str,
        chatbot_id: str,
        source_id: str,
        content: TextSourceCreate | QaSourceCreate,
        document_id: str | None = None,
    ) -> Document:
        filename, kind, data = (
            snippet_document(content.title, content.text)
            if isinstance(content, TextSourceCreate)
            else qa_document(content.question, content.answer)
        )
        return self.documents.write(
            tenant_id, chatbot_id, filename, kind, data, source_id=source_id, document_id=document_id
        )

    def _check_pages(self, tenant_id: str, max_pages: int) -> None:
        plan = self.quotas.plan(tenant_id)
        if max_pages > plan.pages_per_source:
            raise PlanLimitReached(
                f"Your plan ({plan.title}) allows {plan.pages_per_source:,} pages per website source; "
                f"max_pages is {max_pages:,}"
            )

    def _start(self, source: Source, sync_id: str) -> None:
        self.queue.send(
            CrawlMessage(
                kind="start",
                tenant_id=source.tenant_id,
                chatbot_id=source.chatbot_id,
                source_id=source.id,
                sync_id=sync_id,
            )
        )

    def get(self, tenant_id: str, chatbot_id: str, source_id: str) -> Source:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        source = self.sources.get(tenant_id, chatbot_id, source_id)
        if source is None:
            raise SourceNotFound()
        return source

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Source]:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        return self.sources.list(tenant_id, chatbot_id, page)

    def public(self, source: Source) -> SourcePublic:
        """What the API shows of a source. A snippet's or a pair's status is its document's: syncing until it is
        indexed (ready) or failed (with the document's reason)."""
        shown = source.model_dump(exclude={"include", "exclude"})
        if source.type == "website":
            shown |= {"include": source.include, "exclude": source.exclude}
        elif source.document_id:
            document = self.document_store.get(source.tenant_id, source.chatbot_id, source.document_id)
            status, error = _document_status(document)
            ended = {"indexed": int(status == "ready"), "failed": int(status == "failed")}
            shown |= {"status": status, "error": error, "counts": Counts(found=1, **ended)}
        return SourcePublic.model_validate(shown)

    def update(self, tenant_id: str, chatbot_id: str, source_id: str, request: SourceUpdate) -> Source:
        """Change a source: a website's limits (the next sync applies them), or a snippet's or pair's content,
        written as the next version of its document (same id; the current one answers until it is indexed)."""
        source = self.get(tenant_id, chatbot_id, source_id)
        asked = request.model_dump(exclude_unset=True, exclude_none=True)
        foreign = sorted(set(asked) - EDITABLE[source.type])
        if foreign:
            raise ValidationFailed(f"A {source.type} source cannot change {', '.join(foreign)}")
        if not asked:
            return source
        changes: dict[str, object] = dict(asked)
        if source.type == "website":
            if "max_pages" in asked:
                self._check_pages(tenant_id, request.max_pages or 0)
        elif source.type == "text":
            content = TextSourceCreate(
                type="text", title=asked.get("title", source.title), text=asked.get("text", source.text or "")
            )
            self._write(tenant_id, chatbot_id, source.id, content, source.document_id)
            changes["title"] = content.title
        else:
            pair = QaSourceCreate(
                type="qa",
                question=asked.get("question", source.question or ""),
                answer=asked.get("answer", source.answer or ""),
            )
            self._write(tenant_id, chatbot_id, source.id, pair, source.document_id)
            changes["title"] = pair.question
        changes["updated_at"] = timestamp(self.clock())
        updated = self.sources.update(source, changes)
        if updated is None:
            raise SourceNotFound()
        return updated

    def sync(self, tenant_id: str, chatbot_id: str, source_id: str) -> Source:
        """Start syncing a website source now (409 while a sync runs; snippets and pairs have nothing to sync)."""
        source = self.get(tenant_id, chatbot_id, source_id)
        if source.type != "website":
            raise SourceBusy(f"A {source.type} source has nothing to sync; edit it instead")
        started = self.start_sync(source)
        if started is None:
            raise SourceBusy("A sync of this source is already under way")
        return started

    def start_sync(self, source: Source) -> Source | None:
        now = self.clock()
        sync_id = new_id()
        started = self.sources.start_sync(source, sync_id, now + self.max_sync, now)
        if started is not None:
            self._start(started, sync_id)
            logger.info("Source sync started", extra={"source_id": source.id})
        return started

    def delete(self, tenant_id: str, chatbot_id: str, source_id: str) -> None:
        """Hide the source at once; the crawl function then removes its documents (files, vectors) and pages."""
        source = self.get(tenant_id, chatbot_id, source_id)
        if not self.sources.soft_delete(source, self.clock()):
            raise SourceNotFound()
        self.quotas.release(tenant_id, "sources")
        erase = CrawlMessage(kind="erase", tenant_id=tenant_id, chatbot_id=chatbot_id, source_id=source_id)
        self.queue.send(erase)
        self.queue.send(erase.model_copy(update={"final": True}), delay_seconds=ERASE_AGAIN_SECONDS)

    def pages(self, tenant_id: str, chatbot_id: str, source_id: str, page: PageRequest) -> Page[PageRecord]:
        source = self.get(tenant_id, chatbot_id, source_id)
        if source.type != "website":
            return Page([], None)
        return self.sources.list_pages(source, page)

    def sync_due(self) -> dict[str, int]:
        """The scheduled sweep: website sources due start syncing again; a sync past its deadline is ended (by the
        crawl function, which removes what it must)."""
        now = self.clock()
        started = ended = 0
        for source in self.sources.due(now):
            if source.status != "syncing":
                started += self.start_sync(source) is not None
            elif source.sync_id:
                self.queue.send(
                    CrawlMessage(
                        kind="finish",
                        tenant_id=source.tenant_id,
                        chatbot_id=source.chatbot_id,
                        source_id=source.id,
                        sync_id=source.sync_id,
                    )
                )
                ended += 1
        if started or ended:
            logger.info("Sources due", extra={"started": started, "ended": ended})
        return {"started": started, "ended": ended}


def _document_status(document: Document | None) -> tuple[SourceStatus, str | None]:
    if document is None:
        return "failed", "Its document was deleted"
    if document.status == "failed":
        return "failed", document.error
    if document.status == "indexed" and document.awaited is None:
        return "ready", None
    return "syncing", None
