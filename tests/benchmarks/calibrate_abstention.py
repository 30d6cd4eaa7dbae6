"""Choose the default `min_relevance` (below it, a chatbot says the answer is not in its documents) on calibration
data: SciFact *train* questions, each answerable from the corpus, and the calibration half of
local/tools/data/off_topic_questions.tsv (questions of other fields asked of the same corpus). Prints, for thresholds
on the best passage's score, the share of each set that would abstain; never look at test to choose.

    python -m tests.benchmarks.calibrate_abstention [--dataset ../shared/data/scifact] [--split train]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.domain.lexical import Contribution, chunk_terms
from parley.services.retrieval import Retriever

from local.stack.stack import ROOT
from local.tools import beir
from local.tools.eval import off_topic_questions
from tests.benchmarks.tune_fusion import (
    CHATBOT,
    TENANT,
    CachedQueries,
    CorpusLexicon,
    build_index,
    chunks_of,
    dense_vectors,
)

THRESHOLDS = [round(0.26 + 0.02 * step, 2) for step in range(12)]
TOP_K = 5  # a chatbot's default top_k: answers look at this many passages


def signals(retriever: Retriever, question: str) -> dict[str, float]:
    """The candidate relevance signals of one question's passages."""
    passages = retriever.search(TENANT, CHATBOT, question, TOP_K)
    best = passages[0]
    weight = retriever.dense_weight
    return {
        "similarity": max(passage.similarity for passage in passages),  # the one chosen
        "hybrid score": best.score,
        "lexical coverage": (best.score - weight * best.similarity) / (1 - weight),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--split", default="train")
    parser.add_argument("--off-topic", default="calibration", help="which half of the off-topic questions")
    args = parser.parse_args()

    dataset = beir.load(args.dataset, args.split)
    embedder = MiniLMEmbedder()
    chunks = chunks_of(dataset)
    vectors = dense_vectors(chunks, embedder, ROOT / ".tuning" / args.dataset.name / "chunks.npy")
    sets = {"answerable": list(dataset.queries.values()), "off-topic": off_topic_questions(args.off_topic)}
    queries = CachedQueries(embedder, [question for questions in sets.values() for question in questions])
    lexical_terms = [chunk_terms(text) for _, _, text in chunks]
    with tempfile.TemporaryDirectory() as folder:
        index = build_index(Path(folder), chunks, vectors, lexical_terms)
        retriever = Retriever(queries, index, CorpusLexicon(Contribution.of(lexical_terms)))  # type: ignore[arg-type]
        measured = {name: [signals(retriever, question) for question in questions] for name, questions in sets.items()}
    counts = ", ".join(f"{len(questions)} {name}" for name, questions in sets.items())
    print(f"{args.dataset.name} {args.split}: {counts} ({args.off_topic} half); share abstaining below a threshold")
    for signal in ("similarity", "hybrid score", "lexical coverage"):
        print(f"\n{signal} (best of top {TOP_K})" if signal == "similarity" else f"\n{signal} (top passage)")
        print(f"{'threshold':>10}{'answerable':>12}{'off-topic':>11}")
        scale = 2.5 if signal == "lexical coverage" else 1.0  # coverage runs about 0 to 1.5
        for threshold in (round(value * scale, 2) for value in THRESHOLDS):
            rates = {name: sum(row[signal] < threshold for row in rows) / len(rows) for name, rows in measured.items()}
            print(f"{threshold:>10.2f}{rates['answerable']:>12.1%}{rates['off-topic']:>11.1%}")


if __name__ == "__main__":
    main()
