"""Sample documents made in code, for demos, tests and benchmarks: no binary fixtures in the repository."""

from __future__ import annotations

import io
import textwrap
from typing import NamedTuple


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(pages: list[str], *, images_only: bool = False) -> bytes:
    """A valid PDF with one page per string (Helvetica, wrapped lines); `images_only` draws no text at all."""
    streams = []
    for text in pages:
        if images_only:
            streams.append("0.5 g 72 72 468 648 re f")
            continue
        lines = [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, 90) or [""])]
        shown = " ".join(f"({_pdf_text(line)}) Tj T*" for line in lines[:50])
        streams.append(f"BT /F1 10 Tf 14 TL 72 740 Td {shown} ET")
    return _pdf_file(streams)


class Placed(NamedTuple):
    """One line of text drawn at explicit coordinates (points from the bottom left), as real PDFs place text."""

    x: float
    y: float
    text: str
    size: float = 10
    bold: bool = False


def laid_out_pdf(pages: list[list[Placed]]) -> bytes:
    """A PDF whose pages draw each line where it is placed, in the order given (the order text extraction sees)."""
    return _pdf_file([" ".join(_draw(line) for line in page) for page in pages])


def _draw(line: Placed) -> str:
    font = "F2" if line.bold else "F1"
    return f"BT /{font} {line.size} Tf 1 0 0 1 {line.x} {line.y} Tm ({_pdf_text(line.text)}) Tj ET"


def manual_pdf(
    sections: dict[str, list[str]], *, header: str, footer: str = "Page {page} of {pages}", lines_per_page: int = 12
) -> bytes:
    """A manual laid out as printed ones are, to test that extraction keeps the content and drops the rest.

    A contents page (dotted leaders) numbered "i" comes first; then each section's numbered title and its lines, at
    most `lines_per_page` rows a page, numbered from 1. Every page has the running `header` at its top and the
    `footer` at its bottom (`{page}` and `{pages}` are the printed page number and the count of numbered pages).
    A section's lines are printed as given, one string a line, so a test chooses where a word is hyphenated."""
    # A row is the runs of text that share a baseline; its y is set when its page is laid out.
    body: list[list[list[Placed]]] = [[]]
    starts: dict[str, int] = {}
    for number, (title, lines) in enumerate(sections.items(), start=1):
        if len(body[-1]) + 2 > lines_per_page:
            body.append([])
        starts[f"{number} {title}"] = len(body)
        body[-1].append([Placed(72, 0, f"{number} {title}", size=13, bold=True)])
        for line in lines:
            if len(body[-1]) >= lines_per_page:
                body.append([])
            body[-1].append([Placed(72, 0, line)])
    contents = [[Placed(72, 0, "Contents", size=16, bold=True)]] + [
        [Placed(72, 0, title), Placed(200, 0, ". " * 40), Placed(524, 0, str(page))] for title, page in starts.items()
    ]
    labels = ["i", *(str(page) for page in range(1, len(body) + 1))]
    return laid_out_pdf(
        [
            _page(header, rows, footer.format(page=label, pages=len(body)))
            for label, rows in zip(labels, [contents, *body], strict=True)
        ]
    )


def _page(header: str, rows: list[list[Placed]], footer: str) -> list[Placed]:
    """The header at the top, the rows down the text area (more space above a bold title), the footer at the foot."""
    placed, y = [Placed(72, 756, header, size=8)], 720.0
    for row in rows:
        y -= 22 if row[0].bold else 14
        placed.extend(run._replace(y=y) for run in row)
    placed.append(Placed(290, 36, footer, size=8))
    return placed


def _pdf_file(streams: list[str]) -> bytes:
    """The bytes of a PDF with one page per content stream, Helvetica as /F1 and Helvetica-Bold as /F2."""
    objects: list[bytes] = []
    page_ids = [5 + 2 * i for i in range(len(streams))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(streams)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    for page_id, stream in zip(page_ids, streams, strict=True):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
            f"/Contents {page_id + 1} 0 R >>".encode()
        )
        data = stream.encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    return _pdf_objects(objects)


def _pdf_objects(objects: list[bytes]) -> bytes:
    """A PDF of these objects, numbered from 1 (the first is the catalog), with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def encrypted_pdf(pages: list[str], password: str = "secret") -> bytes:  # noqa: S107 - a sample file
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(pages))).pages:
        writer.add_page(page)
    writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(sections: dict[str, list[str]]) -> bytes:
    """A Word document: each key a heading, each value its paragraphs."""
    import docx as python_docx

    document = python_docx.Document()
    for heading, paragraphs in sections.items():
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_WORDS = [
    "llamas",
    "graze",
    "on",
    "high",
    "plateaus",
    "where",
    "the",
    "air",
    "is",
    "thin",
    "and",
    "the",
    "nights",
    "are",
    "cold",
    "while",
    "herders",
    "move",
    "the",
    "animals",
    "between",
    "pastures",
    "as",
    "the",
    "seasons",
    "turn",
    "and",
    "wool",
    "is",
    "sheared",
    "in",
    "spring",
    "to",
    "be",
    "spun",
    "and",
    "woven",
]


def prose(seed: int, words: int) -> str:
    """Deterministic English-like text of `words` words, in sentences."""
    out = []
    for i in range(words):
        word = _WORDS[(seed * 7 + i * 13 + i // 5) % len(_WORDS)]
        out.append(word.capitalize() if i % 12 == 0 else word)
        if i % 12 == 11:
            out[-1] += "."
    return " ".join(out) + "."


# A llama keeper's guide (Markdown, two sections): the document most tests and benchmarks give a chatbot to answer
# from ("What do llamas eat?", "When do llamas hum?").
GUIDE = (
    "# Feeding\n\nLlamas eat grass and hay. An adult llama needs about two percent of its weight in food daily.\n\n"
    "# Sounds\n\nLlamas hum when they are calm or curious. An alarm call sounds like a braying donkey.\n"
)


# A few sections of a software manual (Markdown), for chatbots that must tell what it does not cover.
MANUAL = """# Installing the library

Run the installer from the release archive, then add the library's folder to your include path.
The library needs a C compiler that supports C99.

# Decoding DER data

Call asn1_der_decoding with the element definitions and the DER-encoded buffer.
It returns ASN1_SUCCESS when the whole buffer was decoded, and an error code otherwise.

# Error codes

ASN1_DER_ERROR means the buffer is not valid DER. ASN1_MEM_ERROR means the output buffer was too small.
"""


# Hostile files, as the security review built them: small uploads that cost far more than their size to read.

_DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def minimal_docx(paragraph: str, repeat: int = 1, *, document_xml: bytes | None = None) -> bytes:
    """The smallest Word document python-docx opens: `paragraph` `repeat` times, streamed into the zip, so a
    body of gigabytes never sits in memory; or the given `document_xml` verbatim."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _DOCX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as body:
            if document_xml is not None:
                body.write(document_xml)
            else:
                body.write(f'<w:document xmlns:w="{_WORD_NS}"><w:body>'.encode())
                run = f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p>".encode()
                batch = max(1, (1 << 20) // len(run))
                for start in range(0, repeat, batch):
                    body.write(run * min(batch, repeat - start))
                body.write(b"</w:body></w:document>")
    return out.getvalue()


def understated_zip(data: bytes, member: str, declared: int) -> bytes:
    """`data` (a zip) with `member`'s uncompressed size in the central directory set to `declared`, as a zip
    bomb that lies about its size would have it."""
    import struct

    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(member.encode()))
    return data[: entry + 24] + struct.pack("<I", declared) + data[entry + 28 :]


def slow_pdf(pages: int, operators: int) -> bytes:
    """A PDF of `pages` pages that all draw one shared, compressed content stream of `operators` text moves:
    a few kilobytes that take pypdf seconds per page to read."""
    import zlib

    content = zlib.compress(b"BT /F1 1 Tf " + b"0 0 Td " * operators + b"(x) Tj ET", 9)
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    kids = " ".join(f"{4 + page} 0 R" for page in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} >> >> "
    objects += [f"{page}/Contents 3 0 R >>".encode()] * pages
    return _pdf_objects(objects)


def deep_pdf(depth: int) -> bytes:
    """A PDF whose page tree nests `depth` levels of /Pages before its one page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        objects.append(f"<< /Type /Pages /Kids [{3 + level} 0 R] /Count 1 >>".encode())
    objects.append(b"<< /Type /Page /MediaBox [0 0 612 792] >>")
    return _pdf_objects(objects)
