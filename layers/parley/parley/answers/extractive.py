"""An answer without a language model: the sentences of the top passages that best match the question.

Only sentences of content are candidates (parley.answers.quotable): never a heading, a contents line, page
furniture or an instruction aimed at the assistant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.answers.abstention import not_found
from parley.answers.quotable import quotable_sentences
from parley.domain.passages import Passage

_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def _terms(text: str) -> set[str]:
    # A light stem (plural and verb endings) is enough to match "llamas" with "llama" and "eating" with "eat".
    terms = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        stem = word
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 2 and word.endswith(suffix):
                stem = word[: -len(suffix)]
                break
        terms.add(stem)
    return terms


def extractive_answer(question: str, sources: Sequence[Passage], *, sentences: int = 3) -> str:
    """Up to `sentences` sentences, each cited as [n] with the number of its source; the not-found answer (in the
    question's language) if none shares a word with the question."""
    wanted = _terms(question)
    scored = []
    seen: set[str] = set()
    for number, passage in enumerate(sources[:5], start=1):
        body = passage.text
        if passage.heading and body.startswith(passage.heading):
            body = body[len(passage.heading) :]
        for position, sentence in enumerate(quotable_sentences(body)):
            overlap = len(wanted & _terms(sentence))
            # Consecutive chunks share their edges: a sentence found in two passages is quoted once, from the first.
            if overlap and sentence not in seen:
                seen.add(sentence)
                # Earlier passages rank higher; within a passage, the sentence that matches more terms wins.
                scored.append((overlap - 0.1 * number, number, position, sentence.strip()))
    if not scored:
        return not_found(question)
    # Sentences that share only a word or two with the question, when others share many, are noise.
    strongest = max(item[0] for item in scored)
    best = sorted((item for item in scored if item[0] >= strongest / 2), key=lambda item: -item[0])[:sentences]
    best.sort(key=lambda item: (item[1], item[2]))
    return " ".join(f"{sentence} [{number}]" for _, number, _, sentence in best)
