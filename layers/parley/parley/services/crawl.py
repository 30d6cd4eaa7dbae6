"""The crawl of website sources, one queue message at a time: a sync's start (robots.txt, then the sitemaps or the
start page), each page (fetched, read, written as its document or skipped with a reason), the sync's end, and a
deleted source's erasure.

How a sync ends is exact: the source counts what is outstanding (its start, and every page claimed into the sync,
each once), and every end gives its place back in the same transaction as its outcome; the end that brings the
count to 0 ends the sync. A page ends even when its fetch keeps failing (on its last attempt), and the scheduled
sweep ends a sync past its deadline, so none stays `syncing` for good. Ending removes the pages no longer found
(their documents, files and vectors), waits for this sync's documents to be indexed or failed (a page whose
document failed ends failed with its reason), then counts the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from parley.crawling.fetch import Fetched, FetchFailed, FetchPolicy, FetchRefused, fetch
from parley.crawling.pages import read_page
from parley.crawling.robots import Robots
from parley.crawling.sitemaps import InvalidSitemap, read_sitemap
from parley.domain.common import timestamp, utcnow
from parley.domain.documents import FILE_TYPES, Document, FileType
from parley.domain.sources import (
    PENDING,
    Counts,
    CrawlMessage,
    PageRecord,
    PageStatus,
    Source,
    WebsiteSource,
    content_hash,
)
from parley.domain.urls import in_scope, normalize
from parley.errors import ChatbotNotFound, DocumentBusy, DocumentNotFound, ParleyError
from parley.observability import logger
from parley.ports import CrawlQueue, DocumentStore, SourceStore
from parley.services.documents import DocumentService

# Sitemaps one sync reads at most (an index may name many; each may list 50,000 addresses).
MAX_SITEMAPS = 20
START = "start"
# What a page record keeps of a page's links (DynamoDB items hold 400 KB).
MAX_LINK_CHARACTERS = 100_000
GONE = "No longer linked from the site or listed in its sitemap"
TIME_LIMIT = "The sync's time limit was reached before this page was crawled"
_KINDS = {
    "text/html": FILE_TYPES[".html"],
    "application/xhtml+xml": FILE_TYPES[".html"],
    "application/pdf": FILE_TYPES[".pdf"],
}


class RetryLater(Exception):
    """A page that cannot be crawled now but may be later (a transient fetch failure, its document being indexed):
    its message returns to the queue."""


class Crawler:
    def __init__(
        self,
        sources: SourceStore,
        documents: DocumentService,
        document_store: DocumentStore,
        queue: CrawlQueue,
        *,
        policy: FetchPolicy,
        max_depth: int,
        resync: timedelta,
        settle_seconds: int = 10,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sources = sources
        self.documents = documents
        self.document_store = document_store
        self.queue = queue
        self.policy = policy
        self.max_depth = max_depth
        self.resync = resync
        # How soon a sync whose pages are all crawled looks again at documents still being indexed.
        self.settle_seconds = settle_seconds
        self.clock = clock
        # robots.txt of each sync, read once per container.
        self._robots: dict[tuple[str, str], Robots] = {}

    def handle(self, message: CrawlMessage, *, final_attempt: bool = True) -> None:
        """Carry out one message; RetryLater (or any unexpected error) returns it to the queue."""
        logger.append_keys(tenant_id=message.tenant_id, chatbot_id=message.chatbot_id, source_id=message.source_id)
        if message.kind == "erase":
            self._erase(message)
            return
        source = WebsiteSource.of(self.sources.get(message.tenant_id, message.chatbot_id, message.source_id))
        if source is None or source.status != "syncing" or source.sync_id != message.sync_id:
            logger.info("Message of a sync that ended, or of a deleted source; dropped", extra={"kind": message.kind})
            return
        assert message.sync_id is not None
        if message.kind == "start":
            self._start(source, message.sync_id, final_attempt=final_attempt)
        elif message.kind == "page":
            self._page(source, message, final_attempt=final_attempt)
        else:
            self._finish(source, message.sync_id)

    # The start of a sync.

    def _start(self, source: WebsiteSource, sync_id: str, *, final_attempt: bool) -> None:
        try:
            robots = self._robots_of(source, sync_id)
            if not robots.allows(source.url, self.policy.user_agent):
                self._fail(source, sync_id, "robots.txt does not allow crawling the start address")
                return
            if source.mode == "sitemap":
                if not self._read_sitemaps(source, sync_id, robots):
                    return
            else:
                self._claim(source, sync_id, source.url, 0, START)
        except FetchRefused as refused:
            self._fail(source, sync_id, f"The site could not be crawled: {refused.reason}")
            return
        except FetchFailed as failed:
            if not final_attempt:
                raise RetryLater(failed.reason) from failed
            self._fail(source, sync_id, f"The site did not answer: {failed.reason}")
            return
        if self.sources.finish_start(source, sync_id):
            self._end_if_done(source, sync_id)

    def _robots_of(self, source: WebsiteSource, sync_id: str) -> Robots:
        parts = urlsplit(source.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        known = self._robots.get((sync_id, origin))
        if known is None:
            fetched = fetch(f"{origin}/robots.txt", self.policy)
            # An unavailable robots.txt (4xx) allows everything (RFC 9309 §2.3.1.3).
            body = fetched.body.decode("utf-8", errors="replace") if fetched.status == 200 else None
            known = self._robots[(sync_id, origin)] = Robots.parse(body)
        return known

    def _read_sitemaps(self, source: WebsiteSource, sync_id: str, robots: Robots) -> bool:
        """Claim every in-scope address of the site's sitemaps (robots.txt's, or /sitemap.xml); False when there is
        none to read (the sync has then failed)."""
        parts = urlsplit(source.url)
        waiting = robots.sitemaps() or [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
        seen: set[str] = set()
        read = 0
        while waiting and len(seen) < MAX_SITEMAPS:
            address = waiting.pop(0)
            if address in seen:
                continue
            seen.add(address)
            try:
                fetched = fetch(address, self.policy)
            except FetchRefused as refused:
                logger.info("Sitemap refused", extra={"reason": refused.reason})
                continue
            if fetched.status != 200:
                continue
            try:
                pages, nested = read_sitemap(fetched.body)
            except InvalidSitemap as invalid:
                logger.info("Sitemap unreadable", extra={"reason": invalid.reason})
                continue
            read += 1
            waiting += nested
            for page in pages:
                self._claim(source, sync_id, page, 0, START)
        if not read:
            self._fail(source, sync_id, f"No readable sitemap at {', '.join(sorted(seen))}; list one in robots.txt")
            return False
        return True

    def _claim(self, source: WebsiteSource, sync_id: str, url: str, depth: int, parent: str) -> None:
        """Count an address into the sync and queue it, once; one outside the start address is recorded skipped.
        `parent`: the address whose crawl found it (START for the sync's start)."""
        try:
            address = normalize(url)
        except ValueError:
            return
        if not in_scope(address, source.url, source.include, source.exclude):
            if urlsplit(address).netloc == urlsplit(source.url).netloc:
                self.sources.skip_page(source, sync_id, address, "Outside the start address (or excluded)")
            return
        claim = self.sources.claim_page(source, sync_id, address, depth, parent)
        if claim == "refused":
            self.sources.skip_page(source, sync_id, address, f"Over the source's max_pages ({source.max_pages})")
            return
        if claim == "taken":
            # This message delivered again queues again what it claimed and was maybe never sent; a page's end is
            # counted once however often its message comes.
            page = self.sources.page(source, address)
            if page is None or page.parent != parent or page.status != "queued":
                return
        self.queue.send(
            CrawlMessage(
                kind="page",
                tenant_id=source.tenant_id,
                chatbot_id=source.chatbot_id,
                source_id=source.id,
                sync_id=sync_id,
                url=address,
                depth=depth,
            )
        )

    # One page.

    def _page(self, source: WebsiteSource, message: CrawlMessage, *, final_attempt: bool) -> None:
        assert message.url is not None
        assert message.sync_id is not None
        page = self.sources.start_page(source, message.sync_id, message.url, self.clock())
        if page is None:
            logger.info("Page already crawled in this sync; dropped")
            return
        try:
            ended = self._crawl(source, page, final_attempt=final_attempt)
        except RetryLater:
            if not final_attempt:
                raise
            ended = self._ended(page, "failed", "The page could not be crawled after repeated attempts; sync again")
        if self.sources.finish_page(source, ended):
            self._end_if_done(source, page.sync_id)

    def _crawl(self, source: WebsiteSource, page: PageRecord, *, final_attempt: bool) -> PageRecord:
        """What becomes of the page: its outcome, its document written if its content changed."""
        if source.sync_deadline and self.clock() >= source.sync_deadline:
            return self._ended(page, "skipped", TIME_LIMIT)
        try:
            if not self._robots_of(source, page.sync_id).allows(page.url, self.policy.user_agent):
                return self._gone(source, page, "skipped", "Disallowed by robots.txt")
            conditional = page.document_id is not None
            fetched = fetch(
                page.url,
                self.policy,
                etag=page.etag if conditional else None,
                last_modified=page.last_modified if conditional else None,
            )
        except FetchRefused as refused:
            return self._gone(source, page, "failed", refused.reason)
        except FetchFailed as failed:
            if final_attempt:
                return self._ended(page, "failed", failed.reason)
            raise RetryLater(failed.reason) from failed
        if fetched.not_modified:
            for link in page.links:
                self._claim(source, page.sync_id, link, page.depth + 1, page.url)
            return self._ended(page, "indexed", None)
        if fetched.status in (404, 410):
            gone: PageStatus = "removed" if page.document_id else "failed"
            return self._gone(source, page, gone, f"The page answered {fetched.status} (gone)")
        if fetched.status >= 400:
            return self._gone(source, page, "failed", f"The page answered {fetched.status}")
        final = normalize(fetched.url)
        if final != page.url:
            self._claim(source, page.sync_id, final, page.depth, page.url)
            return self._gone(source, page, "skipped", f"Redirects to {final}")
        kind = _KINDS.get(fetched.content_type)
        if kind is None:
            return self._gone(source, page, "skipped", "Not HTML or PDF")
        title, links = None, []
        if kind.kind == "html":
            read = read_page(fetched.body, page.url, x_robots_tag=fetched.x_robots_tag)
            title = read.title
            if read.noindex:
                return self._gone(source, page, "skipped", "The page asks not to be indexed (noindex)")
            canonical = normalize(read.canonical) if read.canonical else page.url
            if canonical != page.url:
                self._claim(source, page.sync_id, canonical, page.depth, page.url)
                return self._gone(source, page, "skipped", f"Its canonical address is {canonical}")
            if source.mode == "crawl" and page.depth < self.max_depth:
                links = self._followed(source, read.links)
                for link in links:
                    self._claim(source, page.sync_id, link, page.depth + 1, page.url)
        return self._write(source, page, fetched, kind, title=title, links=links, final_attempt=final_attempt)

    def _followed(self, source: WebsiteSource, links: list[str]) -> list[str]:
        """The links a crawl follows from a page (the in-scope ones, and the same host's, which it records skipped),
        within what a page record can keep."""
        host = urlsplit(source.url).netloc
        followed: list[str] = []
        size = 0
        for link in links:
            with suppress(ValueError):
                address = normalize(link)
                if urlsplit(address).netloc == host and size + len(address) <= MAX_LINK_CHARACTERS:
                    followed.append(address)
                    size += len(address)
        return followed

    def _write(
        self,
        source: WebsiteSource,
        page: PageRecord,
        fetched: Fetched,
        kind: FileType,
        *,
        title: str | None,
        links: list[str],
        final_attempt: bool,
    ) -> PageRecord:
        digest = content_hash(fetched.body)
        fields = {
            "title": title,
            "links": links,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "content_hash": digest,
        }
        if page.document_id and page.content_hash == digest:
            # Unchanged content: nothing is written, nothing embedded.
            return self._ended(page, "indexed", None, **fields)

        def write(document_id: str | None) -> Document:
            # A page's document is named by the page's title where it has one (what a citation of it shows), else by
            # its address; the address stays the document's `url`.
            return self.documents.write(
                source.tenant_id,
                source.chatbot_id,
                (title or page.url)[:255],
                kind,
                fetched.body,
                source_id=source.id,
                url=page.url,
                document_id=document_id,
            )

        try:
            try:
                document = write(page.document_id)
            except DocumentNotFound:  # the page's document is gone: the page gets a new one
                document = write(None)
        except DocumentBusy as busy:
            if final_attempt:
                return self._ended(page, "failed", busy.message)
            raise RetryLater(busy.message) from busy
        except ParleyError as refused:  # the plan's documents, the chatbot gone…
            return self._ended(page, "failed", refused.message)
        return self._ended(page, "indexed", None, document_id=document.id, **fields)

    def _gone(self, source: WebsiteSource, page: PageRecord, status: PageStatus, reason: str) -> PageRecord:
        """The page ends without content: whatever document an earlier sync wrote for it goes."""
        self._drop_document(source, page.document_id)
        return self._ended(page, status, reason, document_id=None, content_hash=None, etag=None, last_modified=None)

    def _ended(self, page: PageRecord, status: PageStatus, reason: str | None, **fields: object) -> PageRecord:
        return page.model_copy(update={"status": status, "reason": reason, "fetched_at": self.clock(), **fields})

    def _drop_document(self, source: Source, document_id: str | None) -> None:
        if document_id is None:
            return
        with suppress(DocumentNotFound, ChatbotNotFound):
            self.documents.delete(source.tenant_id, source.chatbot_id, document_id, source_id=source.id)

    # The end of a sync.

    def _end_if_done(self, source: WebsiteSource, sync_id: str) -> None:
        current = WebsiteSource.of(self.sources.get(source.tenant_id, source.chatbot_id, source.id))
        if current and current.status == "syncing" and current.sync_id == sync_id and current.outstanding <= 0:
            self._end(current, sync_id)

    def _finish(self, source: WebsiteSource, sync_id: str) -> None:
        """A message to end the sync: documents that were still being indexed, or a sync past its deadline (its
        pages still queued end skipped)."""
        past_deadline = source.sync_deadline is not None and self.clock() >= source.sync_deadline
        if source.outstanding > 0 and not past_deadline:
            return
        if past_deadline:
            for page in self.sources.pages(source):
                if page.sync_id == sync_id and page.status in PENDING:
                    self.sources.put_page(source, self._ended(page, "skipped", TIME_LIMIT))
        self._end(source, sync_id, settle=not past_deadline)

    def _end(self, source: WebsiteSource, sync_id: str, *, settle: bool = True) -> None:
        pages = self.sources.pages(source)
        pending = False
        for page in pages:
            if page.sync_id != sync_id:
                if page.status != "removed":
                    self._drop_document(source, page.document_id)
                    self.sources.put_page(source, self._ended(page, "removed", GONE, document_id=None))
            elif page.status == "indexed" and page.document_id:
                outcome = self._document_outcome(source, page.document_id)
                if outcome is None:
                    pending = True
                elif outcome != "indexed":
                    self.sources.put_page(source, self._ended(page, "failed", outcome))
        if pending and settle:
            self.queue.send(
                CrawlMessage(
                    kind="finish",
                    tenant_id=source.tenant_id,
                    chatbot_id=source.chatbot_id,
                    source_id=source.id,
                    sync_id=sync_id,
                ),
                delay_seconds=self.settle_seconds,
            )
            return
        self._close(source, sync_id, "ready", None)

    def _document_outcome(self, source: Source, document_id: str) -> str | None:
        """ "indexed", a failed document's reason, or None while it is being indexed."""
        document: Document | None = self.document_store.get(source.tenant_id, source.chatbot_id, document_id)
        if document is None:
            return "Its document was deleted"
        if document.status == "failed":
            return document.error or "Its document could not be indexed"
        if document.status == "indexed" and document.awaited is None:
            return "indexed"
        return None

    def _fail(self, source: WebsiteSource, sync_id: str, reason: str) -> None:
        """The whole sync failed (the start address refused or unreachable, robots.txt disallowing it, no sitemap);
        what earlier syncs indexed stays."""
        logger.info("Source sync failed", extra={"reason": reason})
        self._close(source, sync_id, "failed", reason)

    def _close(self, source: WebsiteSource, sync_id: str, status: str, error: str | None) -> None:
        now = self.clock()
        counts = Counts()
        for page in self.sources.pages(source):
            if page.sync_id == sync_id:
                counts.found += 1
                if page.status in ("indexed", "failed", "skipped"):
                    setattr(counts, page.status, getattr(counts, page.status) + 1)
        changes = {
            "status": status,
            "error": error,
            "counts": counts.model_dump(),
            "outstanding": 0,
            "sync_deadline": None,
            "last_synced_at": timestamp(now),
            "next_sync_at": timestamp(now + self.resync),
            "updated_at": timestamp(now),
        }
        if self.sources.end_sync(source, sync_id, changes) is not None:
            logger.info("Source sync ended", extra={"status": status, **counts.model_dump()})

    # A deleted source.

    def _erase(self, message: CrawlMessage) -> None:
        """Delete a deleted source's documents (found by their source, so a page written while the first pass ran
        goes in the second) and pages; the second pass removes the source's record too."""
        source = self.sources.get(message.tenant_id, message.chatbot_id, message.source_id, deleted=True)
        if source is None:
            return
        for document in self.document_store.all(source.tenant_id, source.chatbot_id):
            if document.source_id == source.id and document.deleted_at is None:
                self._drop_document(source, document.id)
        if message.final:
            self.sources.erase_source(source.tenant_id, source.chatbot_id, source.id)
        logger.info("Source erased", extra={"final": message.final})
