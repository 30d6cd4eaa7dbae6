"""Words a typesetter hyphenated at the end of a line, made whole again ("compre-" + "hensive")."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A word broken at the end of a line (hyphen, Unicode hyphen or soft hyphen), with whatever else of its token
# came before (a parenthesis, the first parts of "state-of-").
_BROKEN = re.compile(r"(\S*?)([^\W\d_]+)[-\u2010\u00ad]$")
# The rest of the word at the start of the next line, with the punctuation that sticks to it.
_REST = re.compile(r"([^\W\d_]+)(\S*)\s*")
_COMPOUND = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)+")


def hyphenated_compounds(texts: Iterable[str]) -> frozenset[str]:
    """The hyphenated compounds a document writes within its lines ("well-known"), lower-cased."""
    return frozenset(found.lower() for text in texts for found in _COMPOUND.findall(text))


def join_hyphenated(lines: list[str], compounds: frozenset[str]) -> list[str]:
    """The lines with each word broken across a line end joined on the first line.

    Most hyphens at a line end only split a word, so the parts are joined without the hyphen. The hyphen stays
    (the word is a real compound) when the document writes the word with that hyphen elsewhere ("well-known"),
    when the part before already holds a hyphen ("state-of-"), or when the next line starts with a capital
    ("Anglo-Saxon", "non-ASCII") unless both parts are in capitals (a capitalised word split: "OP-" "TIONAL").
    A line emptied by the move is dropped; the other lines stay where they were."""
    lines = list(lines)
    emptied: set[int] = set()
    for number in range(len(lines) - 1):
        broken, rest = _BROKEN.search(lines[number]), _REST.match(lines[number + 1])
        if broken is None or rest is None:
            continue
        before, head = broken.group(1), broken.group(2)
        tail = rest.group(1)
        word = f"{head}-{tail}" if _is_compound(before, head, tail, compounds) else head + tail
        lines[number] = lines[number][: broken.start(2)] + word + rest.group(2)
        lines[number + 1] = lines[number + 1][rest.end() :]
        if not lines[number + 1].strip():
            emptied.add(number + 1)
    return [line for number, line in enumerate(lines) if number not in emptied]


def _is_compound(before: str, head: str, tail: str, compounds: frozenset[str]) -> bool:
    if f"{head}-{tail}".lower() in compounds or "-" in before:
        return True
    return tail[0].isupper() and not (head.isupper() and tail.isupper())
