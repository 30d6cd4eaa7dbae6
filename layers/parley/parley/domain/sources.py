"""Sources: content a chatbot answers from besides uploaded files - a website (crawled or read from its sitemap and
synced again), a text snippet, or a Q&A pair. Each writes ordinary documents that name it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, StringConstraints, field_validator

from parley.domain.common import Model, Paged, Request
from parley.domain.documents import FILE_TYPES, QA_TYPE, FileType
from parley.domain.qa import QaPair
from parley.domain.urls import MAX_URL_LENGTH, normalize

SourceType = Literal["website", "text", "qa"]
SourceStatus = Literal["syncing", "ready", "failed"]
CrawlMode = Literal["sitemap", "crawl"]
PageStatus = Literal["queued", "fetching", "indexed", "failed", "skipped", "removed"]
# Where a page's crawl stands: still to be fetched in this sync, or ended.
PENDING: tuple[PageStatus, ...] = ("queued", "fetching")

DEFAULT_MAX_PAGES = 50

PathPrefix = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^/[^\s\x00-\x1f\x7f]*$")]
PathPrefixes = Annotated[list[PathPrefix], Field(max_length=20)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Question = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Answer = Annotated[str, StringConstraints(min_length=1, max_length=5000)]


def _web_address(url: str) -> str:
    """An http(s) address with a host, in its one spelling (`normalize`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise ValueError("must be an http or https address with a host, e.g. https://example.com/docs/")
    return normalize(url)  # ValueError (a 422) for an address it cannot read, e.g. a port out of range


# A source's page cap: bounded so that it is a number DynamoDB stores (at most 38 digits); the plans' monthly pages
# (200,000 at most) stop a crawl long before.
MaxPages = Annotated[int, Field(ge=1, le=1_000_000)]


class WebsiteSourceCreate(Request):
    type: Literal["website"]
    url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
    mode: CrawlMode = "crawl"
    max_pages: MaxPages = DEFAULT_MAX_PAGES
    include: PathPrefixes = Field(default_factory=list)
    exclude: PathPrefixes = Field(default_factory=list)

    _url = field_validator("url")(_web_address)


class TextSourceCreate(Request):
    type: Literal["text"]
    title: Title
    text: Text


class QaSourceCreate(Request):
    type: Literal["qa"]
    question: Question
    answer: Answer


SourceCreate = Annotated[WebsiteSourceCreate | TextSourceCreate | QaSourceCreate, Field(discriminator="type")]


class SourceUpdate(Request):
    """A change to a source: text sources take title and text, Q&A pairs question and answer, websites their limits."""

    title: Title | None = None
    text: Text | None = None
    question: Question | None = None
    answer: Answer | None = None
    max_pages: MaxPages | None = None
    include: PathPrefixes | None = None
    exclude: PathPrefixes | None = None


# The fields each type of source may change.
EDITABLE: dict[SourceType, frozenset[str]] = {
    "website": frozenset({"max_pages", "include", "exclude"}),
    "text": frozenset({"title", "text"}),
    "qa": frozenset({"question", "answer"}),
}


class Counts(BaseModel):
    found: int = 0
    indexed: int = 0
    failed: int = 0
    skipped: int = 0


class Source(Model):
    id: str
    tenant_id: str
    chatbot_id: str
    type: SourceType
    status: SourceStatus
    title: str
    url: str | None = None
    mode: CrawlMode | None = None
    max_pages: int | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    text: str | None = None
    question: str | None = None
    answer: str | None = None
    # The one document of a text snippet or a Q&A pair.
    document_id: str | None = None
    counts: Counts = Counts()
    error: str | None = None
    # The sync under way (or the last one), when it must end by, and how many of its pages (and its start) are
    # still to be crawled: it ends when that reaches 0.
    sync_id: str | None = None
    sync_deadline: datetime | None = None
    outstanding: int = 0
    last_synced_at: datetime | None = None
    next_sync_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class WebsiteSource(Source):
    """A website source: the type says it has a start address, a way to find its pages and a limit on them."""

    type: Literal["website"]
    url: str
    mode: CrawlMode
    max_pages: int

    @classmethod
    def of(cls, source: Source | None) -> WebsiteSource | None:
        """The source as a website source; None for no source, or one of another type."""
        if source is None or source.type != "website":
            return None
        return source if isinstance(source, WebsiteSource) else cls.model_validate(source.model_dump())


class SourcePublic(BaseModel):
    id: str
    type: SourceType
    status: SourceStatus
    title: str
    url: str | None = None
    mode: CrawlMode | None = None
    max_pages: int | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None
    text: str | None = None
    question: str | None = None
    answer: str | None = None
    counts: Counts
    error: str | None = None
    last_synced_at: datetime | None = None
    next_sync_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class SourceList(Paged):
    items: list[SourcePublic]


class PageRecord(Model):
    """One address of a website source, as its syncs found it."""

    url: str
    status: PageStatus
    sync_id: str  # the sync that last found it: a page no sync found since the last one ended is removed
    depth: int = 0
    # The address whose crawl claimed it into its sync (or the sync's start): a message delivered again queues
    # again what it claimed, and nothing another page claimed.
    parent: str | None = None
    reason: str | None = None
    document_id: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    fetched_at: datetime | None = None
    # The in-scope addresses an HTML page links to (crawl mode): followed again when the page is unchanged (304).
    links: list[str] = Field(default_factory=list)


class SourcePage(BaseModel):
    url: str
    status: PageStatus
    reason: str | None = None
    document_id: str | None = None
    title: str | None = None
    fetched_at: datetime | None = None


class SourcePageList(Paged):
    items: list[SourcePage]


def url_hash(url: str) -> str:
    """A page's key within its source: its normalized address, hashed (addresses may be longer than a key)."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def snippet_document(title: str, text: str) -> tuple[str, FileType, bytes]:
    """A text snippet as its document: the title as the first line, then the text."""
    return f"{title[:251]}.txt", FILE_TYPES[".txt"], f"{title}\n\n{text}".encode()


def qa_document(question: str, answer: str) -> tuple[str, FileType, bytes]:
    """A Q&A pair as its document (kind "qa"): named by its question, the pair as JSON."""
    return question[:255], QA_TYPE, QaPair(question, answer).data()


class CrawlMessage(BaseModel):
    """A message of the crawl queue: a sync's start, one page, a sync to end (its documents indexed, or its deadline
    passed), or a deleted source to erase (`final`: the second pass, which also removes the source's record)."""

    kind: Literal["start", "page", "finish", "erase"]
    tenant_id: str
    chatbot_id: str
    source_id: str
    sync_id: str | None = None
    url: str | None = None
    depth: int = 0
    final: bool = False
