from __future__ import annotations

import io
import tracemalloc
from typing import Any

import docx as python_docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from parley.domain.ingest_limits import IngestLimits
from parley.errors import UnreadableDocument
from parley.ingest import extract as extract_module
from parley.ingest.budget import ReadingBudget
from parley.ingest.extract import extract

from local.fakes.samples import deep_pdf, docx, encrypted_pdf, minimal_docx, pdf, prose, slow_pdf, understated_zip


def test_pdf_keeps_page_numbers() -> None:
    blocks = extract(pdf(["Llamas live in the Andes.", "", "Alpacas are smaller."]), "pdf")

    assert [(block.page, block.text) for block in blocks] == [
        (1, "Llamas live in the Andes."),
        (3, "Alpacas are smaller."),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"%PDF-1.4\n1 0 obj garbage", "damaged"),
        (b"PK\x03\x04 not a pdf", "not a PDF"),
        (pdf(["x"], images_only=True), "scan"),
        (encrypted_pdf(["secret plans"]), "password"),
    ],
)
def test_unreadable_pdfs_say_why(data: Any, reason: Any) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        extract(data, "pdf")


def test_docx_sections_follow_headings() -> None:
    data = docx({"Care": ["Brush weekly.", "Trim hooves."], "Diet": ["Grass and hay."]})

    blocks = extract(data, "docx")

    assert [(block.heading, block.text) for block in blocks] == [
        ("Care", "Brush weekly.\n\nTrim hooves."),
        ("Diet", "Grass and hay."),
    ]


def test_corrupt_docx_is_unreadable() -> None:
    with pytest.raises(UnreadableDocument, match="not a Word document"):
        extract(b"this is not a zip", "docx")


def test_html_drops_scripts_and_keeps_headings() -> None:
    html = b"<html><head><style>p{}</style></head><body><h1>Care</h1><p>Brush &amp; trim.</p>"
    html += b"<script>track()</script><h2>Diet</h2><p>Hay.</p></body></html>"

    blocks = extract(html, "html")

    assert [(block.heading, block.text) for block in blocks] == [("Care", "Brush & trim."), ("Diet", "Hay.")]


def test_markdown_splits_on_headings() -> None:
    blocks = extract(b"Intro line.\n\n# Care\n\nBrush.\n\n## Diet ##\n\nHay.\n", "markdown")

    assert [(block.heading, block.text.strip()) for block in blocks] == [
        (None, "Intro line."),
        ("Care", "Brush."),
        ("Diet", "Hay."),
    ]


def test_csv_rows_name_their_columns() -> None:
    blocks = extract(b"animal;food\nllama;hay\nalpaca;grass\n", "csv")

    assert blocks[0].text == "animal: llama; food: hay\nanimal: alpaca; food: grass"


@pytest.mark.parametrize("kind", ["text", "markdown", "csv", "html"])
def test_binary_content_in_a_text_type_is_unreadable(kind: Any) -> None:
    with pytest.raises(UnreadableDocument):
        extract(b"\x89PNG\r\n\x1a\n\x00\x00\x00", kind)


def test_whitespace_only_text_is_unreadable() -> None:
    with pytest.raises(UnreadableDocument, match="no text"):
        extract(b"   \n\n  ", "text")


def test_long_pdf_extracts_every_page() -> None:
    pages = [prose(page, 200) for page in range(30)]

    blocks = extract(pdf(pages), "pdf")

    assert [block.page for block in blocks] == list(range(1, 31))


def test_docx_headings_of_custom_styles_are_headings_and_tables_stay_in_their_section() -> None:
    # Given a Word document with a generated table of contents, a heading in a style based on Heading 1
    # and a table under the first heading
    document = python_docx.Document()
    toc = document.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    chapter = document.styles.add_style("Chapter Title", WD_STYLE_TYPE.PARAGRAPH)
    chapter.base_style = document.styles["Heading 1"]
    document.add_paragraph("Care\t1", style=toc)
    document.add_paragraph("Diet\t2", style=toc)
    document.add_heading("Care", level=1)
    document.add_paragraph("Brush weekly.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Brush", "Weekly"
    document.add_paragraph("Diet", style=chapter)
    document.add_paragraph("Grass and hay.")
    out = io.BytesIO()
    document.save(out)

    # When it is extracted
    blocks = extract(out.getvalue(), "docx")

    # Then the contents entries are gone, both headings are headings, and the table is under its heading
    assert [(block.heading, block.text) for block in blocks] == [
        ("Care", "Brush weekly.\n\nBrush | Weekly"),
        ("Diet", "Grass and hay."),
    ]


def test_html_headings_are_whole_headings_and_navigation_is_dropped() -> None:
    # Given a page with a navigation menu, a heading marked up inside, and a table
    html = b"<body><nav><h2>Menu</h2><a>Home</a> <a>Shop</a></nav><h1>Care<em>ful</em><br>feeding</h1>"
    html += b"<p>Hay daily.</p><table><tr><th>Food</th><th>Amount</th></tr><tr><td>Hay</td><td>2 kg</td></tr></table>"

    # When it is extracted
    blocks = extract(html, "html")

    # Then the heading is one line of metadata, the menu is gone and table cells are apart
    assert [(block.heading, block.text) for block in blocks] == [
        ("Careful feeding", "Hay daily.\n\nFood Amount\n\nHay 2 kg")
    ]


# Hostile files: each fails with the sentence of the limit it breaks, before the cost is paid.


def test_docx_unpacking_to_more_than_the_limit_is_refused_from_its_directory() -> None:
    # A docx whose directory declares 120 MB of XML: the sizes it declares are checked before anything is unpacked
    # (building a real 120 MB bomb took most of a second and reaches the same check)
    declared = understated_zip(minimal_docx("llama " * 100), "word/document.xml", 120_000_000)
    # And a real bomb, under a limit lowered to scale: 1.2 MB of XML in a few kilobytes
    bomb = minimal_docx("llama " * 100, 1_200_000 // 640)
    assert len(bomb) < 10_000

    with pytest.raises(UnreadableDocument, match=r"^The file unpacks to more than 100 MB \(limit 100 MB\)$"):
        extract(declared, "docx")
    with pytest.raises(UnreadableDocument, match=r"^The file unpacks to more than 1 MB \(limit 1 MB\)$"):
        extract(bomb, "docx", ReadingBudget(IngestLimits(expanded_bytes=1_000_000)))


def test_tiny_docx_of_endless_text_is_refused_for_its_compression_ratio() -> None:
    # The review's "2 KB .docx that became 2,851 embeddings": a few kilobytes holding over a megabyte of text.
    bomb = minimal_docx("Llamas hum and graze in the high Andes. " * 20, 1500)
    assert len(bomb) < 10_000

    with pytest.raises(UnreadableDocument, match=r"compressed more than 100 to 1.*\(limit 100 to 1\)"):
        extract(bomb, "docx")


def test_zip_entry_holding_more_than_it_declares_is_damaged_and_never_unpacked_past_its_declared_size() -> None:
    honest = minimal_docx("x" * 1000, 20_000)  # 20 MB of XML: twice the memory the test allows
    lying = understated_zip(honest, "word/document.xml", 2_000)

    tracemalloc.start()
    try:
        with pytest.raises(UnreadableDocument, match="damaged"):
            extract(lying, "docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 10_000_000


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [
        (minimal_docx("", document_xml=b"<w:document <<"), "docx", "damaged"),  # XMLSyntaxError
        (minimal_docx("", document_xml=b"<a>" * 300 + b"</a>" * 300), "docx", "damaged"),  # lxml's depth limit
        (b"PK\x03\x04" + b"\x00" * 100, "docx", "not a Word document"),  # BadZipFile
        (deep_pdf(150), "pdf", "safety limits"),  # pypdf's LimitReachedError
        (b'a,b\n"' + b"x" * 200_000 + b'",1\n', "csv", "malformed"),  # csv.Error: field larger than field limit
    ],
)
def test_parser_errors_are_unreadable_documents(data: Any, kind: Any, reason: Any) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        extract(data, kind)


def test_any_error_a_parser_raises_on_the_bytes_is_an_unreadable_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def recursing(data: Any, budget: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(extract_module._EXTRACTORS, "text", recursing)

    with pytest.raises(UnreadableDocument, match="malformed"):
        extract(b"anything", "text")


def test_pdf_of_more_pages_than_the_limit_is_refused_before_a_page_is_read() -> None:
    with pytest.raises(UnreadableDocument, match=r"^The PDF has 3 pages \(limit 2\)$"):
        extract(pdf(["one", "two", "three"]), "pdf", ReadingBudget(IngestLimits(pages=2)))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"Llamas hum. " * 10, "text"),
        (b"# Llamas\n\n" + b"Llamas hum. " * 10, "markdown"),
        (b"<p>" + b"Llamas hum. " * 10 + b"</p>", "html"),
        (pdf(["Llamas hum. " * 10]), "pdf"),
        (docx({"Care": ["Llamas hum. " * 10]}), "docx"),
    ],
)
def test_text_over_the_character_limit_is_refused_while_it_is_read(data: Any, kind: Any) -> None:
    limits = IngestLimits(characters=100)

    with pytest.raises(UnreadableDocument, match=r"^The file holds more than 100 characters of text \(limit 100\)$"):
        extract(data, kind, ReadingBudget(limits))


def test_small_csv_whose_column_names_repeat_into_endless_text_is_refused() -> None:
    # 250 KB of ones under 200 long column names: 6 million characters once every value is named.
    header = ",".join(f"measurement number {column} of the llama herd survey" for column in range(200))
    data = (header + "\n" + ("1," * 199 + "1\n") * 600).encode()

    with pytest.raises(UnreadableDocument, match=r"more than 5,000,000 characters of text \(limit 5,000,000\)"):
        extract(data, "csv")


class SteppingClock:
    """A clock that moves `step` seconds each time it is read: time passes with the work done, not the machine."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_pdf_page_built_to_be_slow_is_stopped_within_the_page() -> None:
    # The review's "100 KB PDF taking 110 s of CPU", scaled down: pages that draw thousands of operators each.
    slow = slow_pdf(pages=20, operators=5_000)
    clock = SteppingClock(0.01)
    budget = ReadingBudget(IngestLimits(), clock=clock)  # 5,000 operators: 50 "seconds" a page

    with pytest.raises(UnreadableDocument, match=r"^A page of the file takes longer than 10 seconds to read"):
        extract(slow, "pdf", budget)

    assert clock.now < 12  # stopped on the first page, a step after its limit


def test_reading_that_outlasts_the_document_limit_is_stopped() -> None:
    pages = pdf([f"Page {number}: llamas hum." for number in range(50)])
    budget = ReadingBudget(IngestLimits(seconds=20), clock=SteppingClock(1))

    with pytest.raises(UnreadableDocument, match=r"^Reading the file took longer than 20 seconds \(limit 20 s"):
        extract(pages, "pdf", budget)


def test_the_reviews_slow_pdf_fails_with_the_default_limits() -> None:
    # 10 KB whose pages each parse 600,000 operators (about 30 s each in pypdf with its own limits).
    with pytest.raises(UnreadableDocument, match="safety limits"):
        extract(slow_pdf(pages=20, operators=600_000), "pdf")
