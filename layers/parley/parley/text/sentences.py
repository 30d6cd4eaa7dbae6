"""Where sentences begin and end in running text, so that what an answer quotes, and the snippet a citation shows, is
whole sentences: never "Dubose chastises Scout…" cut from "Mrs. Dubose chastises Scout…", nor "(r." cut from
"the Jiajing Emperor (r. 1521-1567)".

A full stop, question or exclamation mark (with any closing quotes or brackets) ends a sentence when white space and
more text follow, except after an abbreviation that is usually followed by a name or a number ("Mrs.", "St.", "Dr.",
"No.", "Fig.") and after an initial or a dotted abbreviation ("Turrell V. Wylie", "U.S. Civil War", "e.g. the"). A
sentence may open in lower case ("asn1Parser reads a file."): manuals name commands and functions that way.
"""

from __future__ import annotations

import re

# Abbreviations written with a full stop that do not end a sentence when a name, a number or a word follows them.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof st mt ft jr sr sen rep gen col lt sgt capt cmdr adm gov pres rev hon messrs mme mlle
    vs etc eg ie cf al approx ca est no nos vol vols fig figs ed eds pp op ch sec art inc ltd co corp bros dept univ
    jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()  # noqa: SIM905 - a paragraph of words reads better than a list of seventy strings
)
_CLOSING = "\"')]}\u201d\u2019\u00bb"
# An end mark and its closing quotes or brackets, the white space after it, and the first character after that.
_BOUNDARY = re.compile(rf"[.!?\u2026]+[{re.escape(_CLOSING)}]*(\s+)(?=\S)")
# The word a full stop follows (after any opening bracket or quote).
_WORD_BEFORE = re.compile(r"[\"'(\[{\u201c\u2018]*([^\s\"'(\[{\u201c\u2018]+)\.$")
# An initial, or letters each followed by a full stop: "V", "U.S", "e.g", "i.e".
_INITIALS = re.compile(r"[^\W\d_](?:\.[^\W\d_])*")


def sentence_starts(text: str) -> list[int]:
    """The offsets in `text` at which its sentences start (0 first, if the text has any character)."""
    starts = [0] if text.strip() else []
    for boundary in _BOUNDARY.finditer(text):
        after = boundary.end()
        if _ends_sentence(text[: boundary.start(1)]):
            starts.append(after)
    return starts


def split_sentences(text: str) -> list[str]:
    """The text's sentences, white space inside each collapsed."""
    starts = sentence_starts(text)
    pieces = [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [" ".join(piece.split()) for piece in pieces if piece.strip()]


def _ends_sentence(before: str) -> bool:
    """Whether the end mark that closes `before` ends a sentence."""
    stripped = before.rstrip(_CLOSING)
    if not stripped.endswith(".") or stripped.endswith(".."):
        return True  # "?", "!" or an ellipsis
    word = _WORD_BEFORE.search(stripped)
    if word is None:
        return True
    token = word.group(1)
    # An initial ("V.", "U.S.", "e.g.") or an abbreviation is not an end; "in 2003." and "libtasn1.h." are.
    return not (_INITIALS.fullmatch(token) or token.lower() in ABBREVIATIONS)
