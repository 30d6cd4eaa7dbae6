"""Text out of uploaded files, with the page and heading each piece came from.

Every failure a person can act on (encrypted, corrupt, empty, scanned) is an `UnreadableDocument` whose
message says what is wrong in plain words; it ends the document as `failed` without retries.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Literal

from parley.domain.documents import Kind
from parley.errors import ParleyError
from parley.ingest.pdf_pages import clean_pages

if TYPE_CHECKING:
    from docx.styles.style import ParagraphStyle


class UnreadableDocument(ParleyError):
    code, status = "unreadable_document", 422


@dataclass(frozen=True)
class Block:
    """A run of text that shares a page and a heading; chunks never straddle two blocks."""

    text: str
    page: int | None = None
    heading: str | None = None


def extract(data: bytes, kind: Kind) -> list[Block]:
    """The document's text blocks; raises UnreadableDocument when there is nothing usable to index."""
    if not data:
        raise UnreadableDocument("The file is empty")
    blocks = [block for block in _EXTRACTORS[kind](data) if block.text.strip()]
    if not blocks:
        if kind == "pdf":
            raise UnreadableDocument("The PDF has no extractable text; it may be a scan (images only)")
        raise UnreadableDocument("The file contains no text")
    return blocks


def _pdf(data: bytes) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5] == b"%PDF-":
        raise UnreadableDocument("The file is not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument("The PDF is password-protected; upload it without a password")
        texts = clean_pages([_tidy(page.extract_text() or "") for page in reader.pages])
        return [Block(_tidy(text), page=number) for number, text in enumerate(texts, start=1)]
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as error:
        raise UnreadableDocument("The PDF is damaged and cannot be read") from error


def _docx(data: bytes) -> list[Block]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableDocument("The file is not a Word document (.docx)")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise UnreadableDocument("The Word document is damaged and cannot be read") from error
    blocks: list[Block] = []
    heading: str | None = None
    lines: list[str] = []
    # Paragraphs and tables in the order they are printed, so a table belongs to the section it stands in.
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in item.rows)
            continue
        role = _docx_role(item.style)
        if role == "heading" and item.text.strip():
            blocks.append(Block("\n\n".join(lines), heading=heading))
            heading, lines = item.text.strip(), []
        elif role == "body":
            lines.append(item.text)
    blocks.append(Block("\n\n".join(lines), heading=heading))
    return blocks


_DOCX_CONTENTS_STYLE = re.compile(r"(?:toc|index) (?:\d|heading)")


def _docx_role(style: ParagraphStyle | None) -> Literal["heading", "contents", "body"]:
    """What a paragraph of this style is: a "heading", "contents" (an entry or the title of a generated table of
    contents or index, which only points at the text) or "body". A custom style is what its base style is."""
    for _ in range(10):  # a damaged file may chain styles in a loop
        if style is None:
            break
        name = (style.name or "").lower()
        if _DOCX_CONTENTS_STYLE.match(name):
            return "contents"
        if name.startswith(("heading", "title")):
            return "heading"
        style = style.base_style
    return "body"


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("The file is binary, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("The file's text encoding is not UTF-8")


_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _markdown(data: bytes) -> list[Block]:
    text = _decode(data)
    blocks, heading, start = [], None, 0
    for found in _ATX_HEADING.finditer(text):
        blocks.append(Block(text[start : found.start()], heading=heading))
        heading, start = found.group(2), found.end()
    blocks.append(Block(text[start:], heading=heading))
    return blocks


def _text(data: bytes) -> list[Block]:
    return [Block(_decode(data))]


def _csv(data: bytes) -> list[Block]:
    text = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:] or [rows[0]]
    # Each row becomes one line that names its columns, so a chunk of rows still reads on its own.
    lines = [
        "; ".join(f"{name.strip()}: {value.strip()}" for name, value in zip(header, row, strict=False) if value.strip())
        for row in body
    ]
    return [Block("\n".join(lines))]


class _HtmlText(HTMLParser):
    # Navigation (menus, a page's table of contents) only points at the content.
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav"})
    _BLOCK = frozenset(
        {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "pre", "blockquote", "dt", "dd"}
    )
    _CELLS = frozenset({"td", "th"})
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._heading: str | None = None
        self._parts: list[str] = []
        self._heading_parts: list[str] | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif self._skipping:
            return
        elif tag in self._HEADINGS:
            self._heading_parts = []
        elif tag in self._BLOCK:
            self._sink().append("\n\n" if tag == "p" else "\n")
        elif tag in self._CELLS:
            self._sink().append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif self._skipping:
            return
        elif tag in self._HEADINGS and self._heading_parts is not None:
            self.flush()
            # A heading is one line, however it was broken or marked up inside.
            self._heading = " ".join("".join(self._heading_parts).split()) or None
            self._heading_parts = None
        elif tag in self._BLOCK:
            self._sink().append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._sink().append(data)

    def _sink(self) -> list[str]:
        """Where text goes now: the heading being read, or the body under the current heading."""
        return self._heading_parts if self._heading_parts is not None else self._parts

    def flush(self) -> None:
        self.blocks.append(Block(_tidy("".join(self._parts)), heading=self._heading))
        self._parts = []


def _html(data: bytes) -> list[Block]:
    parser = _HtmlText()
    parser.feed(_decode(data))
    parser.close()
    parser.flush()
    return parser.blocks


def _tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines that extraction leaves, keeping paragraph breaks."""
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_EXTRACTORS: dict[Kind, Callable[[bytes], Iterable[Block]]] = {
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
    "markdown": _markdown,
    "text": _text,
    "csv": _csv,
}
