"""Numbered sources in, `[n]` references out: every reference in a returned answer points at a returned citation."""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.domain.conversations import Citation
from parley.retrieval import Passage

_REFERENCE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
SNIPPET_CHARS = 300


def citation(passage: Passage) -> Citation:
    text = " ".join(passage.text.split())
    snippet = text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Citation(
        document_id=passage.document_id,
        filename=passage.filename,
        chunk_id=passage.chunk_id,
        score=passage.score,
        snippet=snippet,
        page=passage.page,
    )


def resolve(answer: str, sources: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Renumber the sources the answer cites as [1]..[m] in order of first use; drop references to no source."""
    order: dict[int, int] = {}

    def renumber(match: re.Match[str]) -> str:
        numbers = []
        for part in match.group(1).split(","):
            source = int(part)
            if 1 <= source <= len(sources):
                numbers.append(order.setdefault(source, len(order) + 1))
        return "".join(f"[{number}]" for number in dict.fromkeys(numbers))

    text = _REFERENCE.sub(renumber, answer)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return text, [citation(sources[source - 1]) for source in order]


def references(text: str) -> list[int]:
    """The numbers of every [n] in `text` (for checks and tests)."""
    return [int(part) for match in _REFERENCE.finditer(text) for part in match.group(1).split(",")]
