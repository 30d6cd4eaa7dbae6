"""Markdown as HTML, for the pages the stand-in serves: a dashboard's text widgets on `/_ops` and the API's
descriptions on `/docs`. The part of Markdown they use (headings, paragraphs, lists, bold, italics, inline code,
links); everything else is shown as its text.

The text is the template's or the API's, but it is escaped before any tag is added: no markup written in it reaches
the page, and a link goes only to an http(s) address or a path of this site.
"""

from __future__ import annotations

import re
from html import escape

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*[-*+]\s+(.*)$")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+|/[^\s)]*)\)")


def markdown_html(text: str) -> str:
    """`text` (Markdown) as HTML: one block per heading line, list or paragraph (a paragraph's lines run on, as in
    Markdown)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<ul>{''.join(f'<li>{_inline(item)}</li>' for item in items)}</ul>")
            items.clear()

    for line in text.strip().splitlines():
        heading, item = _HEADING.match(line), _ITEM.match(line)
        if not line.strip():
            close()
        elif heading:
            close()
            # Under the page's dashboard heading (h2): `#` and `##` are a widget's heading (h3), deeper ones below.
            level = min(max(len(heading.group(1)), 2) + 1, 6)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            if paragraph:
                close()
            items.append(item.group(1))
        else:
            if items:
                close()
            paragraph.append(line.strip())
    close()
    return "".join(blocks)


def markdown_inline(text: str) -> str:
    """One run of `text` (a list item's or a table cell's): its lines joined, bold, italics, links and code only."""
    return _inline(" ".join(text.split()))


def _inline(text: str) -> str:
    """Bold, italics, links and code spans of one line, the rest escaped (a code span's text is left as it is)."""
    # split() alternates text and code spans: even positions are text, odd ones the spans' contents.
    return "".join(
        f"<code>{escape(part)}</code>" if index % 2 else _emphasis(escape(part))
        for index, part in enumerate(_CODE.split(text))
    )


def _emphasis(escaped: str) -> str:
    linked = _LINK.sub(r'<a href="\2">\1</a>', escaped)
    bold = _BOLD.sub(lambda found: f"<strong>{found.group(1) or found.group(2)}</strong>", linked)
    return _ITALIC.sub(lambda found: f"<em>{found.group(1) or found.group(2)}</em>", bold)
