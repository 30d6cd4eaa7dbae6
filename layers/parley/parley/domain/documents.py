"""Documents a tenant uploads to a chatbot, and the rules for what may be uploaded."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from parley.domain.common import Model, Paged, Request

DocumentStatus = Literal["pending_upload", "processing", "indexed", "failed"]
Kind = Literal["pdf", "docx", "html", "markdown", "text", "csv", "qa"]


@dataclass(frozen=True)
class FileType:
    kind: Kind
    content_type: str  # the canonical type the object is stored with
    accepted: frozenset[str]  # what browsers and tools send for such a file


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_TYPES: dict[str, FileType] = {
    ".pdf": FileType("pdf", "application/pdf", frozenset({"application/pdf"})),
    ".docx": FileType("docx", _DOCX, frozenset({_DOCX})),
    ".html": FileType("html", "text/html", frozenset({"text/html"})),
    ".htm": FileType("html", "text/html", frozenset({"text/html"})),
    ".md": FileType("markdown", "text/markdown", frozenset({"text/markdown", "text/x-markdown", "text/plain"})),
    ".markdown": FileType("markdown", "text/markdown", frozenset({"text/markdown", "text/x-markdown", "text/plain"})),
    ".txt": FileType("text", "text/plain", frozenset({"text/plain"})),
    ".csv": FileType("csv", "text/csv", frozenset({"text/csv", "application/csv", "application/vnd.ms-excel"})),
}


# A Q&A pair (parley.domain.qa), written by its source, never uploaded: no file extension maps to it.
QA_TYPE = FileType("qa", "application/x-parley-qa+json", frozenset({"application/x-parley-qa+json"}))


def file_type(filename: str, content_type: str) -> FileType | None:
    """The supported type a file is, judged by extension and declared content type together."""
    found = FILE_TYPES.get(PurePosixPath(filename.lower()).suffix)
    declared = content_type.split(";", maxsplit=1)[0].strip().lower()
    return found if found and declared in found.accepted else None


def safe_filename(filename: str) -> str:
    """A name safe in an object key and a download header: no paths, no control or exotic characters."""
    name = unicodedata.normalize("NFKC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "document"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    return f"{stem[:150]}.{suffix}" if suffix else stem[:150]


# Uploads land under a prefix of their own, one key per document (a document gets exactly one ticket), and only
# there: the bucket notifies ingest of this prefix alone, and expires what is left in it. Ingest copies an upload it
# claims to the document's file key and deletes it, so a second upload with a used ticket lands here, never on an
# indexed document's file.
UPLOADS_PREFIX = "uploads/"


def files_prefix(tenant_id: str, chatbot_id: str | None = None) -> str:
    """Where the files of a tenant (or of one of its chatbots) are stored."""
    return f"tenants/{tenant_id}/" + (f"chatbots/{chatbot_id}/" if chatbot_id else "")


def uploads_prefix(tenant_id: str, chatbot_id: str | None = None) -> str:
    """Where the uploads of a tenant (or of one of its chatbots) wait for ingest."""
    return f"{UPLOADS_PREFIX}{tenant_id}/" + (f"{chatbot_id}/" if chatbot_id else "")


def stored_prefixes(tenant_id: str, chatbot_id: str | None = None) -> tuple[str, str]:
    """Every prefix holding objects of a tenant (or of one of its chatbots): what erasing them deletes."""
    return files_prefix(tenant_id, chatbot_id), uploads_prefix(tenant_id, chatbot_id)


def object_key(tenant_id: str, chatbot_id: str, document_id: str, filename: str) -> str:
    """Where the file of an indexed document is kept."""
    return f"{files_prefix(tenant_id, chatbot_id)}documents/{document_id}/{safe_filename(filename)}"


def upload_key(tenant_id: str, chatbot_id: str, document_id: str, version: int = 1) -> str:
    """Where the upload of one version of a document waits for ingest (its first version, or a replacement)."""
    key = f"{uploads_prefix(tenant_id, chatbot_id)}{document_id}"
    return key if version == 1 else f"{key}/v{version}"


_ID = "([0-9a-f]{32})"
_UPLOAD_KEY = re.compile(rf"^{UPLOADS_PREFIX}{_ID}/{_ID}/{_ID}(?:/v([1-9][0-9]{{0,8}}))?$")


@dataclass(frozen=True)
class DocumentRef:
    tenant_id: str
    chatbot_id: str
    document_id: str
    version: int = 1


def parse_upload_key(key: str) -> DocumentRef | None:
    """Which version of which document an upload belongs to, or None for a key Parley did not hand out."""
    found = _UPLOAD_KEY.match(key)
    if not found:
        return None
    tenant_id, chatbot_id, document_id, version = found.groups()
    return DocumentRef(tenant_id, chatbot_id, document_id, int(version or 1))


DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]


class DocumentCreate(Request):
    filename: DisplayName
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size_bytes: Annotated[int, Field(gt=0)]


class Content(Model):
    """What one version of a document holds: its file's name, type and size."""

    filename: str
    content_type: str
    kind: Kind
    size_bytes: int
    object_key: str


class Awaited(Content):
    """A version of an indexed (or failed) document whose upload is awaited: it replaces the current content, under the
    same document id, once it is indexed; until then the current content is what answers cite."""

    version: int
    expires_at: datetime


class Document(Model):
    id: str
    tenant_id: str
    chatbot_id: str
    filename: str
    content_type: str
    kind: Kind
    size_bytes: int
    object_key: str
    status: DocumentStatus
    chunk_count: int = 0
    token_count: int = 0
    error: str | None = None
    # Which upload of the object the current status describes (eTag and event time or sequencer).
    source: str | None = None
    duration_ms: int | None = None
    # When the upload ticket stops working; a document still `pending_upload` well after it ends `failed`.
    upload_expires_at: datetime | None = None
    # Which version of its content the fields above describe (1 = the first upload), and the next one, when a
    # replacement was asked for and its upload has not been taken up yet.
    version: int = 1
    awaited: Awaited | None = None
    # Documents written by a source (a web page, a text snippet, a Q&A pair) name it, and a page its address; they
    # change with their source, never on their own.
    source_id: str | None = None
    url: str | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    # Which version's pages and bytes are counted against the plan, how many pages, and when (ingest writes them in
    # the transaction that counts them, and removes them in the one that gives them back): so a version is counted
    # once however many attempts index it, and given back once.
    counted_version: int | None = None
    counted_pages: int | None = None
    counted_at: datetime | None = None

    @property
    def counted(self) -> bool:
        """Whether this version's pages and bytes are counted against the plan."""
        return self.counted_version == self.version


class DocumentPublic(BaseModel):
    id: str
    filename: str
    content_type: str
    size_bytes: int
    status: DocumentStatus
    chunk_count: int
    token_count: int
    error: str | None = None
    version: int = 1
    # Set while a replacement's upload is awaited: the version that will replace this one once indexed.
    replacing_with: int | None = None
    source_id: str | None = None
    url: str | None = None
    created_at: datetime
    updated_at: datetime


class UploadTicket(BaseModel):
    """A presigned POST: send `fields` and then the file (last) as multipart/form-data to `url`, once, before
    `expires_in` seconds pass. S3 refuses any other key, content type or size than the document's."""

    url: str
    method: Literal["POST"] = "POST"
    fields: dict[str, str]
    expires_in: int


class DocumentUpload(BaseModel):
    document: DocumentPublic
    upload: UploadTicket


class DocumentList(Paged):
    items: list[DocumentPublic]
