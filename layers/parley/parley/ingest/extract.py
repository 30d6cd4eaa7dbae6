"""Text out of uploaded files, with the page and heading each piece came from.

Every failure that lies in the file (encrypted, damaged, empty, scanned, over a limit) is an `UnreadableDocument`
whose message says what is wrong in plain words; it ends the document as `failed` without retries. Extraction
reads nothing but the file's bytes, so whatever a parser raises on them it would raise on every attempt: it is
classified here, once, as the file being unreadable.
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
from parley.domain.ingest_limits import IngestLimits
from parley.domain.qa import QaPair, read_pair
from parley.errors import UnreadableDocument
from parley.ingest.archives import check_archive
from parley.ingest.budget import ReadingBudget
from parley.ingest.pdf_pages import clean_pages
from parley.observability import logger

if TYPE_CHECKING:
    from docx.styles.style import ParagraphStyle


@dataclass(frozen=True)
class Block:
    """A run of text that shares a page and a heading; chunks never straddle two blocks."""

    text: str
    page: int | None = None
    heading: str | None = None
    # The block of a Q&A pair: one chunk, never split.
    pair: QaPair | None = None


def extract(data: bytes, kind: Kind, budget: ReadingBudget | None = None) -> list[Block]:
    """The document's text blocks; raises UnreadableDocument when there is nothing usable to index, the file is
    damaged, or reading it goes over a limit of `budget` (the default limits when None)."""
    if not data:
        raise UnreadableDocument("The file is empty")
    try:
        extracted = _EXTRACTORS[kind](data, budget or ReadingBudget(IngestLimits()))
    except (UnreadableDocument, ImportError):
        raise  # a missing parser is the deployment's fault, not the file's
    except Exception as error:
        # lxml's XMLSyntaxError, BadZipFile, zlib.error, pypdf's PdfReadError and LimitReachedError, csv.Error,
        # RecursionError, MemoryError, or the KeyError of a parser meeting a structure it did not expect.
        logger.warning("The parser failed on the file", extra={"kind": kind, "error": type(error).__name__})
        raise UnreadableDocument(_damaged(kind, error)) from error
    blocks = [block for block in extracted if block.text.strip()]
    if not blocks:
        if kind == "pdf":
            raise UnreadableDocument("The PDF has no extractable text; it may be a scan (images only)")
        raise UnreadableDocument("The file contains no text")
    return blocks


def _damaged(kind: Kind, error: Exception) -> str:
    """What to tell the owner of a file its parser failed on."""
    if kind == "pdf":
        from pypdf.errors import LimitReachedError

        if isinstance(error, LimitReachedError):
            return "The PDF is built beyond the PDF reader's safety limits (a page too complex, too deep or too large)"
        return "The PDF is damaged and cannot be read"
    if kind == "docx":
        return "The Word document is damaged and cannot be read"
    return "The file is malformed and cannot be read"


# pypdf parses a page's whole content stream before it runs the first operator, and that cannot be interrupted:
# its budget for one stream (operators and operands) is lowered from 2,000,000 to what parses in about 4 seconds
# here. A dense page of text is 10,000-20,000; only a drawing of hundreds of thousands of strokes is refused.
PDF_STREAM_WORK = 300_000


def _pdf(data: bytes, budget: ReadingBudget) -> list[Block]:
    from pypdf import PdfReader, apply_configuration

    if not data.lstrip()[:5] == b"%PDF-":
        raise UnreadableDocument("The file is not a PDF")

    # pypdf calls these for every operator of a page's content and every run of text it shows, so a page built
    # to be slow, or to show endless text, is stopped within the page.
    def each_operator(*_: object) -> None:
        budget.check_time()

    def each_text(text: str, *_: object) -> None:
        budget.take_characters(len(text))

    with apply_configuration(stream_parsing_work_maximum_count=PDF_STREAM_WORK):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument("The PDF is password-protected; upload it without a password")
        budget.check_pages(len(reader.pages))
        pages = []
        for page in reader.pages:
            budget.start_page()
            pages.append(_tidy(page.extract_text(visitor_operand_before=each_operator, visitor_text=each_text) or ""))
    return [Block(_tidy(text), page=number) for number, text in enumerate(clean_pages(pages), start=1)]


def _docx(data: bytes, budget: ReadingBudget) -> list[Block]:
    import docx
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableDocument("The file is not a Word document (.docx)")
    check_archive(data, budget)
    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    heading: str | None = None
    lines: list[str] = []
    # Paragraphs and tables in the order they are printed, so a table belongs to the section it stands in.
    for item in document.iter_inner_content():
        budget.check_time()
        if isinstance(item, Table):
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in item.rows]
            budget.take_characters(sum(len(row) for row in rows))
            lines.extend(rows)
            continue
        role = _docx_role(item.style)
        text = item.text
        budget.take_characters(len(text))
        if role == "heading" and text.strip():
            blocks.append(Block("\n\n".join(lines), heading=heading))
            heading, lines = text.strip(), []
        elif role == "body":
            lines.append(text)
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
    """The text of a text file. Decoding costs what the upload size limit allows, so it is done whole."""
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("The file is binary, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("The file's text encoding is not UTF-8")


def _text_of(data: bytes, budget: ReadingBudget) -> str:
    """The file's text, counted against the budget, where the text is what gets indexed."""
    text = _decode(data)
    budget.take_characters(len(text))
    return text


_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _markdown(data: bytes, budget: ReadingBudget) -> list[Block]:
    text = _text_of(data, budget)
    blocks, heading, start = [], None, 0
    for found in _ATX_HEADING.finditer(text):
        blocks.append(Block(text[start : found.start()], heading=heading))
        heading, start = found.group(2), found.end()
    blocks.append(Block(text[start:], heading=heading))
    return blocks


def _text(data: bytes, budget: ReadingBudget) -> list[Block]:
    return [Block(_text_of(data, budget))]


def _qa(data: bytes, budget: ReadingBudget) -> list[Block]:
    pair = read_pair(data)
    budget.take_characters(len(pair.passage))
    return [Block(pair.passage, pair=pair)]


def _csv(data: bytes, budget: ReadingBudget) -> list[Block]:
    text = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = (row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row))
    header = next(rows, None)
    if header is None:
        return []
    # Each row becomes one line that names its columns, so a chunk of rows still reads on its own. Column names
    # repeat on every line, so the text is counted as it grows: a short file of many columns becomes a long text.
    lines = []
    for row in rows:
        lines.append(_csv_line(header, row))
        budget.take_characters(len(lines[-1]) + 1)
        budget.check_time()
    return [Block("\n".join(lines or [_csv_line(header, header)]))]


def _csv_line(header: list[str], row: list[str]) -> str:
    cells = zip(header, row, strict=False)
    return "; ".join(f"{name.strip()}: {value.strip()}" for name, value in cells if value.strip())


class _HtmlText(HTMLParser):
    # Navigation (menus, a page's table of contents) only points at the content.
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav"})
    _BLOCK = frozenset(
        {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "pre", "blockquote", "dt", "dd"}
    )
    _CELLS = frozenset({"td", "th"})
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self, budget: ReadingBudget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
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
            self.budget.take_characters(len(data))
            self._sink().append(data)

    def _sink(self) -> list[str]:
        """Where text goes now: the heading being read, or the body under the current heading."""
        return self._heading_parts if self._heading_parts is not None else self._parts

    def flush(self) -> None:
        self.blocks.append(Block(_tidy("".join(self._parts)), heading=self._heading))
        self._parts = []


# The HTML parser is fed this many characters at a time, and the clock checked in between. Large pieces, because
# the parser scans an unclosed construct again from its start on every feed.
HTML_PIECE = 1 << 20


def _html(data: bytes, budget: ReadingBudget) -> list[Block]:
    parser = _HtmlText(budget)
    source = _decode(data)
    for start in range(0, len(source), HTML_PIECE):
        parser.feed(source[start : start + HTML_PIECE])
        budget.check_time()
    parser.close()
    parser.flush()
    return parser.blocks


def _tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines that extraction leaves, keeping paragraph breaks."""
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_EXTRACTORS: dict[Kind, Callable[[bytes, ReadingBudget], Iterable[Block]]] = {
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
    "markdown": _markdown,
    "text": _text,
    "csv": _csv,
    "qa": _qa,
}
