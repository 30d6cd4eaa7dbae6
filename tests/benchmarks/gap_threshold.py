"""Measure the similarity from which two unanswered questions are one knowledge gap (MINILM_SPACE.gap_threshold).

The labelled set is the Q&A matching set (tests/benchmarks/data/qa_pairs.jsonl, written for this project): per
domain, each pair's stored question with its paraphrases is one group of questions that ask the same thing, and each
same-topic near-miss is a group of its own. Every two questions of a domain are scored by the cosine of their
embeddings (as the gaps route embeds them); a pair of questions is *grouped* at a threshold when its score reaches
it, and *rightly* when both ask the same thing. Precision: right groupings among all; recall: right groupings among
every two questions that ask the same thing. Grouping is greedy (a question joins the first group whose first
question is close enough), so a pairwise miss splits a gap in two and a pairwise false match merges two gaps. Merging
is the worse error (a gap's count and examples then mix questions the owner must answer apart), so the threshold is
the one of best F0.5 (precision weighted twice recall) on the train half (the even-numbered pairs), and the test half
reports what it gives.

    python -m tests.benchmarks.gap_threshold [--embedder minilm|openai]
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from parley.container import Container
from parley.settings import Settings

from tests.benchmarks.qa_threshold import Labelled, load


@dataclass(frozen=True)
class Scored:
    similarity: float
    same: bool


def score(embedder: Container, labelled: Sequence[Labelled], parity: int) -> list[Scored]:
    """Every two questions of one domain, among the pairs whose number has `parity`."""
    questions: list[tuple[str, str, str]] = []  # (domain, group, question)
    for number, item in enumerate(labelled):
        if number % 2 != parity:
            continue
        for question in (item.pair.question, *item.paraphrases):
            questions.append((item.domain, f"pair{number}", question))
        for miss, question in enumerate(item.near_misses):
            questions.append((item.domain, f"miss{number}.{miss}", question))
    vectors = np.array(embedder.embedder.embed_documents([q for _, _, q in questions]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scored = []
    for (a, first), (b, second) in itertools.combinations(enumerate(questions), 2):
        if first[0] == second[0]:
            scored.append(Scored(float(vectors[a] @ vectors[b]), same=first[1] == second[1]))
    return scored


@dataclass(frozen=True)
class Figures:
    threshold: float
    precision: float
    recall: float

    def f(self, beta: float) -> float:
        total = beta * beta * self.precision + self.recall
        return (1 + beta * beta) * self.precision * self.recall / total if total else 0.0


def figures(scored: Sequence[Scored], threshold: float) -> Figures:
    grouped = [item for item in scored if item.similarity >= threshold]
    right = sum(item.same for item in grouped)
    same = sum(item.same for item in scored)
    return Figures(threshold, right / len(grouped) if grouped else 1.0, right / same if same else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", choices=["minilm", "openai"], default="minilm")
    args = parser.parse_args()
    settings = Settings.from_env({**os.environ, "PARLEY_EMBEDDER": args.embedder})
    container = Container(settings)
    labelled = load()
    train, test = score(container, labelled, 0), score(container, labelled, 1)
    candidates = [figures(train, step / 100) for step in range(30, 100)]
    chosen = max(candidates, key=lambda found: (found.f(0.5), found.threshold))
    print(
        f"Gap grouping with {settings.providers.embedding_space.model}: {len(labelled)} pairs' questions, "
        f"{len(train)} train and {len(test)} test question pairs of one domain "
        f"({sum(s.same for s in train)} and {sum(s.same for s in test)} asking the same thing)"
    )
    for name, scored in (("train", train), ("test ", test)):
        for step in range(-10, 11, 5):
            found = figures(scored, round(chosen.threshold + step / 100, 2))
            mark = "  <- best F0.5 on train" if name == "train" and step == 0 else ""
            print(
                f"  {name} threshold {found.threshold:.2f}  precision {found.precision:.3f}  recall {found.recall:.3f}"
                f"  F1 {found.f(1):.3f}  F0.5 {found.f(0.5):.3f}{mark}"
            )


if __name__ == "__main__":
    main()
