"""Measure the similarity from which a Q&A pair answers a question directly (settings.MINILM_QA_THRESHOLD).

The labelled set (tests/benchmarks/data/qa_pairs.jsonl) holds, per domain (one chatbot each), pairs with their
stored question, paraphrases a visitor might type (each should be answered by its pair) and near-misses on the
same topic that no pair of the domain answers (each should fall back to retrieval). Every visitor question is
scored as the answer path scores it: cosine similarity between its query embedding and each pair's dense vector,
which is the pair's question alone embedded as a document (services/indexer.py), keeping the best pair of its domain.

A direct answer is *right* when the best pair is the visitor question's own pair, and *wrong* otherwise (a
near-miss, or another pair). A wrong direct answer is worse than falling back to retrieval, so the threshold is the
lowest at which precision on the train half (the file's even-numbered pairs) is at least TARGET_PRECISION; the test
half (odd-numbered pairs) reports what it gives. The matching is also measured with pairs embedded as question
and answer together, the alternative design, for comparison.

    python tests/benchmarks/qa_threshold.py [--embedder minilm|openai]

`--embedder openai` reads the same PARLEY_* settings as a deployment (the API key's secret, model, dimensions):
another embedding model spreads cosines differently, so its threshold is measured again, never carried over.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from parley.container import Container
from parley.domain.qa import QaPair
from parley.ports import Embedder
from parley.settings import Settings

DATA = Path(__file__).parent / "data" / "qa_pairs.jsonl"
TARGET_PRECISION = 0.98


@dataclass(frozen=True)
class Labelled:
    domain: str
    pair: QaPair
    paraphrases: list[str]
    near_misses: list[str]


@dataclass(frozen=True)
class Scored:
    """A visitor question's best pair in its domain, and whether that pair answers it."""

    similarity: float
    right: bool  # the best pair is the question's own pair (near-misses have none)
    should_match: bool  # a paraphrase (some pair answers it) rather than a near-miss


def load(path: Path = DATA) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        Labelled(row["domain"], QaPair(row["question"], row["answer"]), row["paraphrases"], row["near_misses"])
        for row in rows
    ]


def score(embedder: Embedder, labelled: Sequence[Labelled], *, with_answer: bool = False) -> list[list[Scored]]:
    """Each pair's visitor questions scored against every pair of its domain: [paraphrases + near-misses] per pair."""
    stored = embedder.embed_documents([item.pair.passage if with_answer else item.pair.question for item in labelled])
    pairs = np.array(stored, dtype=np.float32)
    scored = []
    for own, item in enumerate(labelled):
        domain = [index for index, other in enumerate(labelled) if other.domain == item.domain]
        questions = [*item.paraphrases, *item.near_misses]
        asked = np.array([embedder.embed_query(question) for question in questions], dtype=np.float32)
        similarities = asked @ pairs[domain].T
        best = similarities.argmax(axis=1)
        scored.append(
            [
                Scored(
                    float(similarities[row, best[row]]),
                    right=row < len(item.paraphrases) and domain[best[row]] == own,
                    should_match=row < len(item.paraphrases),
                )
                for row in range(len(questions))
            ]
        )
    return scored


@dataclass(frozen=True)
class Figures:
    threshold: float
    precision: float
    recall: float  # of paraphrases answered directly by their own pair
    wrong: int  # direct answers given by the wrong pair, or to a near-miss
    paraphrases: int
    near_misses: int


def figures(scored: Sequence[Scored], threshold: float) -> Figures:
    answered = [item for item in scored if item.similarity >= threshold]
    right = sum(item.right for item in answered)
    paraphrases = sum(item.should_match for item in scored)
    return Figures(
        threshold,
        precision=right / len(answered) if answered else 1.0,
        recall=right / paraphrases if paraphrases else 0.0,
        wrong=len(answered) - right,
        paraphrases=paraphrases,
        near_misses=len(scored) - paraphrases,
    )


def choose(scored: Sequence[Scored]) -> Figures:
    """The lowest threshold (at 0.01 steps) whose precision reaches TARGET_PRECISION."""
    for step in range(101):
        found = figures(scored, round(step / 100, 2))
        if found.precision >= TARGET_PRECISION:
            return found
    raise SystemExit("No threshold reaches the target precision")


def show(name: str, found: Figures) -> str:
    return (
        f"{name}: threshold {found.threshold:.2f}  precision {found.precision:.3f}  recall {found.recall:.3f}  "
        f"wrong direct answers {found.wrong} ({found.paraphrases} paraphrases, {found.near_misses} near-misses)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", choices=["minilm", "openai"], default="minilm")
    args = parser.parse_args()
    settings = Settings.from_env({**os.environ, "PARLEY_EMBEDDER": args.embedder})
    embedder = Container(settings).embedder
    labelled = load()
    print(
        f"Q&A matching with {settings.providers.embedding_space.model}: {len(labelled)} pairs, train = even, test = odd"
    )
    for design, with_answer in (("question alone (the product's)", False), ("question and answer", True)):
        scored = score(embedder, labelled, with_answer=with_answer)
        train = [item for number, row in enumerate(scored) if number % 2 == 0 for item in row]
        test = [item for number, row in enumerate(scored) if number % 2 == 1 for item in row]
        chosen = choose(train)
        print(f"pairs embedded as {design}")
        print("  " + show("train", chosen))
        print("  " + show("test ", figures(test, chosen.threshold)))
        for threshold in (chosen.threshold - 0.05, chosen.threshold + 0.05):
            print("  " + show("test ", figures(test, round(threshold, 2))))


if __name__ == "__main__":
    main()
