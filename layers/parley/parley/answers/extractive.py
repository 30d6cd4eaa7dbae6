"""An answer without a language model: the sentence of the retrieved passages that answers the question (with a second
one when it adds what the first lacks), quoted whole and cited, or "not found" when even the best sentence is weak.

Sentences are judged, not passages: a passage can score high on a question it does not answer (an introduction that
names everything the manual covers), and the sentence that answers can sit in a passage about something else (a list
of supported types, then "This version doesn't handle the REAL type."). A sentence scores DENSE_SHARE times its
similarity to the question (by the embedder the index uses) plus the rest times the share of the question's term
weight it holds (inverse document frequency from the chatbot's own statistics, as lexical search weighs the
question's terms), a negated question counting its negation as one of its heaviest terms.

The similarity is the mean of the sentence's cosine with the question and with the question less its subject: the
words that at least half of the passages hold ("libtasn1", "ASN.1" in a manual of libtasn1). Embeddings weigh such
words heavily, so every sentence that names the subject looks like an answer to any question about it; without
them, "Which ASN.1 type does libtasn1 not handle?" asks "Which type does not handle?", and the sentence that says
which type is not handled stands out.

Only sentences of content are candidates (parley.answers.quotable), and only the CANDIDATES that hold most of the
question's term weight are embedded. The shares, the number of candidates and the threshold were chosen on the tuning
part of the answer set (tests/benchmarks/tune_answers.py; `make eval` reports the held-out part).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parley.answers.quotable import quotable_sentences
from parley.domain.lexical import chunk_terms, query_term_ids, term_id, terms
from parley.domain.passages import Passage
from parley.ports import Embedder

# A sentence's score: DENSE_SHARE * cosine similarity + (1 - DENSE_SHARE) * the question's term weight it holds.
DENSE_SHARE = 0.7
# The sentences embedded per question: those holding most of the question's term weight (then the best passages').
CANDIDATES = 4
# A second sentence is quoted when it scores within this of the best and holds terms of the question the best lacks.
SECOND_WITHIN = 0.15
# A sentence that opens by pointing back ("It returns…", "She was…") is judged and quoted with the sentence before it.
_ANAPHOR = re.compile(r"(?:It|Its|This|These|That|Those|They|Their|Them|He|His|Him|She|Her|Such)\b")
# A question's word held by at least this share of the passages judged names their subject, if there are at least
# SUBJECT_PASSAGES of them (in fewer, what they share says nothing of a subject: one passage shares all its words).
SUBJECT_SHARE = 0.5
SUBJECT_PASSAGES = 4
# The words that make a question, or a sentence, negative; a negated question is answered by a negative sentence.
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot)\b|n[\u2019']t\b", re.IGNORECASE)
# The negation's place among a question's term ids (term ids are CRC-32 values: 32 bits, never negative).
NEGATION = -1


@dataclass(frozen=True)
class JudgedQuestion:
    """The question sentences are judged against: its text, its dense vector if the search already made it (else it
    is embedded with the candidates), and its terms' weights (term id → share of the question's IDF, summing to 1)."""

    text: str
    vector: Sequence[float] | None
    weights: Mapping[int, float]

    def about(self, text: str) -> JudgedQuestion:
        """This question narrowed to `text`, a part of it (a follow-up searched with the question before it): judged
        on `text`'s own terms, weighed as in the whole. A part with no terms of its own ("Why?") is judged whole."""
        own = set(query_term_ids(text))
        weights = {term: weight for term, weight in self.weights.items() if term in own}
        total = sum(weights.values())
        if not total:
            return self
        return JudgedQuestion(text, None, {term: weight / total for term, weight in weights.items()})


@dataclass(frozen=True)
class Extract:
    """The quoted sentences, each followed by [n], n the position of its passage in `sources`: the passages judged,
    in the same order, those quoted carrying the sentence they quote first (their citation's snippet starts there)."""

    text: str
    sources: list[Passage]


@dataclass(frozen=True)
class _Candidate:
    number: int  # the passage's position among those judged, from 1
    position: int  # the sentence's position in its passage (the first of two, quoted with the one before it)
    last: int  # the position of its last sentence
    text: str
    terms: frozenset[int]
    coverage: float
    score: float = 0.0


class ExtractiveAnswerer:
    """Picks the sentences that answer a question from ranked passages; `min_score` is the embedding space's (a
    sentence scoring below it does not answer)."""

    def __init__(
        self,
        embedder: Embedder,
        min_score: float,
        *,
        candidates: int = CANDIDATES,
        dense_share: float = DENSE_SHARE,
        second_within: float = SECOND_WITHIN,
    ) -> None:
        self.embedder = embedder
        self.min_score = min_score
        self.candidates = candidates
        self.dense_share = dense_share
        self.second_within = second_within

    def answer(self, question: JudgedQuestion, passages: Sequence[Passage]) -> Extract | None:
        """The sentences that answer `question`, or None when no sentence of the passages scores `min_score`."""
        weights = _with_negation(question)
        found = self._candidates(passages, weights)
        if not found:
            return None
        # One call embeds what is needed: the question unless the search did, its subject-less form if it has one,
        # and the candidates.
        bare = _without_subject(question.text, passages)
        texts = [question.text] if question.vector is None else []
        texts += [bare] if bare != question.text else []
        vectors = self.embedder.embed_documents([*texts, *(candidate.text for candidate in found)])
        asked = list(question.vector) if question.vector is not None else vectors.pop(0)
        unsubjected = vectors.pop(0) if bare != question.text else asked
        scored = sorted(
            (
                dataclasses.replace(
                    candidate,
                    score=self.dense_share * (_cosine(asked, vector) + _cosine(unsubjected, vector)) / 2
                    + (1 - self.dense_share) * candidate.coverage,
                )
                for candidate, vector in zip(found, vectors, strict=True)
            ),
            key=lambda candidate: (-candidate.score, candidate.number, candidate.position),
        )
        best = scored[0]
        if best.score < self.min_score:
            return None
        quoted = [best]
        runner_up = next((candidate for candidate in scored[1:] if not _overlap(candidate, best)), None)
        adds = runner_up and (runner_up.terms - best.terms) & weights.keys()
        if runner_up and adds and runner_up.score >= best.score - self.second_within:
            quoted.append(runner_up)
        quoted.sort(key=lambda candidate: (candidate.number, candidate.position))
        sources = list(passages)
        for candidate in reversed(quoted):  # the first quote of a passage is where its snippet starts
            sources[candidate.number - 1] = dataclasses.replace(sources[candidate.number - 1], quote=candidate.text)
        return Extract(" ".join(f"{candidate.text} [{candidate.number}]" for candidate in quoted), sources)

    def _candidates(self, passages: Sequence[Passage], weights: Mapping[int, float]) -> list[_Candidate]:
        """The CANDIDATES sentences holding most of the question's term weight (ties: the better passage's, the
        earlier), each once: consecutive chunks share their edges, and a shared sentence is quoted from the first."""
        found: list[_Candidate] = []
        seen: set[str] = set()
        for number, passage in enumerate(passages, start=1):
            if passage.pair:
                continue  # a Q&A pair answers as a pair, never as a quoted sentence
            body = passage.text
            if passage.heading and body.startswith(passage.heading):
                body = body[len(passage.heading) :]
            sentences = quotable_sentences(body)
            for position, sentence in enumerate(sentences):
                if sentence in seen:
                    continue
                seen.add(sentence)
                spans = [(position, sentence)]
                if position and _ANAPHOR.match(sentence):
                    # "It returns ASN1_SUCCESS…" may say what it answers only with the sentence before it.
                    spans.append((position - 1, f"{sentences[position - 1]} {sentence}"))
                for first, text in spans:
                    terms = _terms(text)
                    coverage = sum(weight for term, weight in weights.items() if term in terms)
                    found.append(_Candidate(number, first, position, text, terms, coverage))
        found.sort(key=lambda candidate: (-candidate.coverage, candidate.number, candidate.position))
        return found[: self.candidates]


def _overlap(one: _Candidate, other: _Candidate) -> bool:
    return one.number == other.number and one.position <= other.last and other.position <= one.last


def _without_subject(question: str, passages: Sequence[Passage]) -> str:
    """The question less its words that at least SUBJECT_SHARE of the passages hold, if a word of content is left;
    else the question as it is."""
    if len(passages) < SUBJECT_PASSAGES:
        return question
    held = Counter(term for passage in passages for term in set(chunk_terms(passage.text).counts))
    subject = {term for term, count in held.items() if count >= SUBJECT_SHARE * len(passages)}
    words = question.split()
    kept = [word for word in words if not subject.intersection(map(term_id, terms(word)))]
    if len(kept) == len(words) or not any(terms(word) for word in kept):
        return question
    return " ".join(kept)


def _terms(text: str) -> frozenset[int]:
    """The text's term ids, as lexical search counts them, with NEGATION if it is negative."""
    terms = set(chunk_terms(text).counts)
    if _NEGATION.search(text):
        terms.add(NEGATION)
    return frozenset(terms)


def _with_negation(question: JudgedQuestion) -> dict[int, float]:
    """The question's term weights; a negated question ("Which type does it not handle?") asks for what a negative
    sentence says, so its negation weighs as much as its heaviest term (then all are scaled to sum to 1 again)."""
    weights = dict(question.weights)
    if not _NEGATION.search(question.text):
        return weights
    weights[NEGATION] = max(weights.values(), default=1.0)
    total = sum(weights.values())
    return {term: weight / total for term, weight in weights.items()}


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5
    return dot / norms if norms else 0.0
