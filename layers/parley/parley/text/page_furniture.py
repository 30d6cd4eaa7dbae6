"""Lines that lay out a printed document rather than say something: page numbers and contents entries.

Ingest drops them from PDF text (parley.ingest.pdf_pages) and extractive answers never quote them
(parley.answers.extractive), whichever document a passage came from.
"""

from __future__ import annotations

import re

# Roman numerals from i to xxxix, the range front matter is numbered in; a longer "numeral" is more likely a word.
_ROMAN = re.compile(r"(?=[ivx])(x{0,3})(ix|iv|v?i{0,3})", re.IGNORECASE)
_ROMAN_VALUES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
_PAGE_FORMS = (
    re.compile(r"(\d{1,4})"),  # 7
    re.compile(r"(?:page|pg\.?|p\.)\s*(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE),  # Page 7, Page 7 of 20
    re.compile(r"(\d{1,4})\s*(?:of|/)\s*\d{1,4}", re.IGNORECASE),  # 7 of 20, 7/20
    re.compile(r"[-\u2013\u2014]\s*(\d{1,4})\s*[-\u2013\u2014]"),  # - 7 -
)
# Dotted leaders running to a page number: "Introduction . . . . . 3", "Care........vii".
_LEADERS = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,7})$", re.IGNORECASE)


def page_number(line: str) -> int | None:
    """The number shown by a line that is nothing but a page number ("7", "Page 7", "7 of 20", "- 7 -", "vii")."""
    line = line.strip()
    for form in _PAGE_FORMS:
        found = form.fullmatch(line)
        if found:
            return int(found.group(1))
    roman = _ROMAN.fullmatch(line)
    if roman:
        return 10 * len(roman.group(1)) + _ROMAN_VALUES.get(roman.group(2).lower(), 0)
    return None


def is_contents_entry(line: str) -> bool:
    """A line of a table of contents or an index: a title, dotted leaders, a page number."""
    return bool(_LEADERS.search(line.strip()))
