"""The text of a PDF's pages without what the typesetter added around the content: running headers and footers,
page numbers, contents and index pages, and hyphens that only broke a word at a line end.

Furniture is told apart statistically, from how lines recur across the document's pages, never from the strings
of one document: a running header is a line found at the top or bottom of many pages; a page number is a number
at the top or bottom that counts up with the pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from parley.ingest.hyphenation import hyphenated_compounds, join_hyphenated
from parley.text.page_furniture import is_contents_entry, page_number

# Furniture sits among the first and last few lines of a page (a header, a rule, a chapter title; a footer, a
# page number), in whichever order the PDF drew them.
EDGE_LINES = 3
# A line is a running header or footer when found at a page edge on at least this many pages, and on at least
# RECURRING_SHARE of them. A third, not a half, so that headers alternating between left and right pages (book
# title, chapter title) are caught in a document with front matter.
RECURRING_PAGES = 3
RECURRING_SHARE = 1 / 3
# A header or footer that holds the page number among other words is short.
HEADER_WORDS = 12

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
# A number that starts or ends a line: "12 Chapter 2: Care" on a left page, "Chapter 2: Care 13" on a right one.
_NUMBER_AT_AN_END = re.compile(r"(\d{1,4})\s+\S.*|.*\S\s+(\d{1,4})")
_CONTENTS_TITLE = re.compile(r"(?:table\s+of\s+)?contents|(?:\S+\s+){0,3}index", re.IGNORECASE)
# "Care and feeding 12", "Llamas, 3, 17": a title followed by page numbers, as in a contents page without leaders.
_TRAILING_PAGES = re.compile(r".*[^\W\d]\W*\s+(\d{1,4}(?:\s*,\s*\d{1,4})*)")


def clean_pages(pages: Sequence[str]) -> list[str]:
    """Each page's text (lines separated by newlines) with the furniture removed; a contents or index page
    becomes empty, so the list still has one text per page."""
    lines = [page.split("\n") for page in pages]
    recurring = _recurring_edge_lines(lines)
    offset = _page_number_offset(lines)
    kept = [
        _without_edges(page, recurring, None if offset is None else index + offset)
        for index, page in enumerate(lines, start=1)
    ]
    last_page = len(pages) + max(offset or 0, 0)
    kept = [[] if _is_contents_page(page, last_page) else _without_contents_entries(page) for page in kept]
    compounds = hyphenated_compounds(line for page in kept for line in page)
    return ["\n".join(join_hyphenated(page, compounds)) for page in kept]


def _edges(page: Sequence[str]) -> tuple[list[int], list[int]]:
    """The positions of the first and of the last EDGE_LINES non-blank lines of a page."""
    filled = [number for number, line in enumerate(page) if line.strip()]
    return filled[:EDGE_LINES], filled[::-1][:EDGE_LINES]


def _normal(line: str) -> str:
    """A line as it recurs from page to page: page and chapter numbers change, the words do not."""
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().casefold()


def _recurring_edge_lines(pages: Sequence[Sequence[str]]) -> frozenset[str]:
    """The normalised lines found at an edge of enough pages to be a running header or footer."""
    seen: Counter[str] = Counter()
    for page in pages:
        top, bottom = _edges(page)
        seen.update({_normal(page[number]) for number in top + bottom})
    needed = max(RECURRING_PAGES, len(pages) * RECURRING_SHARE)
    # A header has words. A lone number or a brace recurs too (page numbers, code listings), but whether it is
    # furniture is for the page numbering to tell.
    return frozenset(line for line, count in seen.items() if count >= needed and _LETTER.search(line))


def _numbers_at_edges(page: Sequence[str]) -> Iterable[tuple[int, int, bool]]:
    """(position, number, alone) for each edge line that shows a number: alone when the line is only a page
    number ("7", "Page 7 of 20"), not alone when the number starts or ends a short header or footer."""
    top, bottom = _edges(page)
    for number in dict.fromkeys(top + bottom):
        line = page[number].strip()
        shown = page_number(line)
        if shown is not None:
            yield number, shown, True
            continue
        around = _NUMBER_AT_AN_END.fullmatch(line)
        if around and len(line.split()) <= HEADER_WORDS:
            yield number, int(around.group(1) or around.group(2)), False


def _page_number_offset(pages: Sequence[Sequence[str]]) -> int | None:
    """How far printed page numbers run from the pages' positions (printed 1 on the third page: -2), when enough
    pages show a number at an edge that counts up with them; None when the numbering cannot be told."""
    votes: Counter[int] = Counter()
    for position, page in enumerate(pages, start=1):
        votes.update({shown - position for _, shown, _ in _numbers_at_edges(page)})
    if not votes:
        return None
    offset, count = votes.most_common(1)[0]
    return offset if count >= max(RECURRING_PAGES, len(pages) * RECURRING_SHARE) else None


def _page_number_line(page: Sequence[str], expected: int | None) -> int | None:
    """The position of the line that prints this page's number. A page prints it once: a line that is only the
    number wins over a header that ends with it, so "1 Introduction" under a lone "1" stays a heading."""
    if expected is None:
        return None
    found = [(not alone, number) for number, shown, alone in _numbers_at_edges(page) if shown == expected]
    return min(found)[1] if found else None


def _is_explicit_page_number(line: str) -> bool:
    """A page number in a form no sentence takes ("Page 7", "7 of 20", "- 7 -", "vii"); a bare "7" is not one:
    it may be a number in a table, and counts as a page number only where it counts up with the pages."""
    return page_number(line) is not None and not line.strip().isdigit()


def _without_edges(page: list[str], recurring: frozenset[str], expected: int | None) -> list[str]:
    """The page without the furniture at its top and bottom. Lines are peeled from each edge inwards and the
    peeling stops at the first line that is not furniture, so a line inside the content is never taken."""
    numbered = _page_number_line(page, expected)
    dropped: set[int] = set()
    for edge in _edges(page):
        for number in edge:
            line = page[number]
            if _normal(line) in recurring or number == numbered or _is_explicit_page_number(line):
                dropped.add(number)
            else:
                break
    return [line for number, line in enumerate(page) if number not in dropped]


def _entry_pages(line: str, last_page: int) -> list[int] | None:
    """The page numbers a line of a contents or index page points to ("Care 12", "Llamas, 3, 17"); None when
    the line does not end in page numbers of this document."""
    found = _TRAILING_PAGES.fullmatch(line)
    if found is None:
        return None
    pages = [int(number) for number in _DIGITS.findall(found.group(1))]
    return pages if all(page <= last_page for page in pages) else None


def _is_contents_page(page: Sequence[str], last_page: int) -> bool:
    """A table of contents or an index: a page titled so whose other lines are at least a third entries; or a
    page whose lines are mostly entries that have dotted leaders or run in page order. The untitled case asks
    for one or the other because a table of data (a name, a small number) has lines ending in numbers too."""
    lines = [line.strip() for line in page if line.strip()]
    if len(lines) < 2:
        return False
    leaders = [line for line in lines if is_contents_entry(line)]
    pointers = [pages for line in lines if not is_contents_entry(line) and (pages := _entry_pages(line, last_page))]
    entries = len(leaders) + len(pointers)
    if _CONTENTS_TITLE.fullmatch(lines[0]):
        return 3 * entries >= len(lines) - 1
    if len(lines) < 4 or entries < 0.6 * len(lines):
        return False
    in_page_order = [pages[0] for pages in pointers] == sorted(pages[0] for pages in pointers)
    return len(leaders) >= len(pointers) or in_page_order


def _without_contents_entries(page: list[str]) -> list[str]:
    """A content page without the odd contents line (a short contents list at the head of a chapter)."""
    return [line for line in page if not is_contents_entry(line)]
