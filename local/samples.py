"""Sample documents made in code, for demos, tests and benchmarks: no binary fixtures in the repository."""

from __future__ import annotations

import io
import textwrap


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(pages: list[str], *, images_only: bool = False) -> bytes:
    """A valid PDF with one page per string (Helvetica, wrapped lines); `images_only` draws no text at all."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for page_id, text in zip(page_ids, pages, strict=True):
        if images_only:
            stream = "0.5 g 72 72 468 648 re f"
        else:
            lines = [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, 90) or [""])]
            shown = " ".join(f"({_pdf_text(line)}) Tj T*" for line in lines[:50])
            stream = f"BT /F1 10 Tf 14 TL 72 740 Td {shown} ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {page_id + 1} 0 R >>".encode()
        )
        data = stream.encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
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
