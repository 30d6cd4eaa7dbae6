from __future__ import annotations

import io

import docx as python_docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from parley.ingest.extract import UnreadableDocument, extract

from local.samples import docx, encrypted_pdf, pdf, prose


def test_pdf_keeps_page_numbers():
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
def test_unreadable_pdfs_say_why(data, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        extract(data, "pdf")


def test_docx_sections_follow_headings():
    data = docx({"Care": ["Brush weekly.", "Trim hooves."], "Diet": ["Grass and hay."]})

    blocks = extract(data, "docx")

    assert [(block.heading, block.text) for block in blocks] == [
        ("Care", "Brush weekly.\n\nTrim hooves."),
        ("Diet", "Grass and hay."),
    ]


def test_corrupt_docx_is_unreadable():
    with pytest.raises(UnreadableDocument, match="not a Word document"):
        extract(b"this is not a zip", "docx")


def test_html_drops_scripts_and_keeps_headings():
    html = b"<html><head><style>p{}</style></head><body><h1>Care</h1><p>Brush &amp; trim.</p>"
    html += b"<script>track()</script><h2>Diet</h2><p>Hay.</p></body></html>"

    blocks = extract(html, "html")

    assert [(block.heading, block.text) for block in blocks] == [("Care", "Brush & trim."), ("Diet", "Hay.")]


def test_markdown_splits_on_headings():
    blocks = extract(b"Intro line.\n\n# Care\n\nBrush.\n\n## Diet ##\n\nHay.\n", "markdown")

    assert [(block.heading, block.text.strip()) for block in blocks] == [
        (None, "Intro line."),
        ("Care", "Brush."),
        ("Diet", "Hay."),
    ]


def test_csv_rows_name_their_columns():
    blocks = extract(b"animal;food\nllama;hay\nalpaca;grass\n", "csv")

    assert blocks[0].text == "animal: llama; food: hay\nanimal: alpaca; food: grass"


@pytest.mark.parametrize("kind", ["text", "markdown", "csv", "html"])
def test_binary_content_in_a_text_type_is_unreadable(kind):
    with pytest.raises(UnreadableDocument):
        extract(b"\x89PNG\r\n\x1a\n\x00\x00\x00", kind)


def test_whitespace_only_text_is_unreadable():
    with pytest.raises(UnreadableDocument, match="no text"):
        extract(b"   \n\n  ", "text")


def test_long_pdf_extracts_every_page():
    pages = [prose(page, 200) for page in range(30)]

    blocks = extract(pdf(pages), "pdf")

    assert [block.page for block in blocks] == list(range(1, 31))


def test_docx_headings_of_custom_styles_are_headings_and_tables_stay_in_their_section():
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


def test_html_headings_are_whole_headings_and_navigation_is_dropped():
    # Given a page with a navigation menu, a heading marked up inside, and a table
    html = b"<body><nav><h2>Menu</h2><a>Home</a> <a>Shop</a></nav><h1>Care<em>ful</em><br>feeding</h1>"
    html += b"<p>Hay daily.</p><table><tr><th>Food</th><th>Amount</th></tr><tr><td>Hay</td><td>2 kg</td></tr></table>"

    # When it is extracted
    blocks = extract(html, "html")

    # Then the heading is one line of metadata, the menu is gone and table cells are apart
    assert [(block.heading, block.text) for block in blocks] == [
        ("Careful feeding", "Hay daily.\n\nFood Amount\n\nHay 2 kg")
    ]
