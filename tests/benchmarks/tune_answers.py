"""Choose the extractive answer's parameters on the answer set's tuning part, in process, through the product's own
steps: ingest's extraction and chunking, MiniLM, the local index, the Retriever and the extractive answerer (as
AnswerService answers without a model). Prints what `make eval` prints for answers, and how many off-topic questions
(the calibration half of local/tools/data/off_topic_questions.tsv) abstain; never look at held-out to choose.

    python -m tests.benchmarks.tune_answers [--part tuning] [--min-score 0.35,0.4] [--candidates 16] [--pool 20]
        [--chunk-size 400] [--title-context] [--log answers.jsonl]

Vectors are cached under .tuning/answers/ by text, so a second run embeds only what changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import pickle
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.answers.abstention import not_found
from parley.answers.extractive import (
    CANDIDATES,
    DENSE_SHARE,
    SECOND_WITHIN,
    ExtractiveAnswerer,
    JudgedQuestion,
)
from parley.domain.embeddings import MINILM_SPACE
from parley.domain.lexical import Contribution, chunk_terms
from parley.domain.vectors import ChunkMetadata, VectorRecord
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import extract
from parley.services.answers import EXTRACTIVE_POOL
from parley.services.retrieval import Retriever

from local.stack.stack import ROOT
from local.tools import squad
from local.tools.eval import off_topic_questions
from tests.benchmarks.tune_fusion import CHATBOT, TENANT, CorpusLexicon

CACHE = ROOT / ".tuning" / "answers" / "vectors.pkl"


class CachedEmbedder:
    """MiniLM with its vectors kept by text between runs."""

    model = MINILM_SPACE.model
    dimension = MINILM_SPACE.dimension

    def __init__(self) -> None:
        self.inner = MiniLMEmbedder()
        self.vectors: dict[str, list[float]] = pickle.loads(CACHE.read_bytes()) if CACHE.exists() else {}
        self.added = 0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [text for text in dict.fromkeys(texts) if _key(text) not in self.vectors]
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            for text, vector in zip(batch, self.inner.embed_documents(batch), strict=True):
                self.vectors[_key(text)] = vector
        self.added += len(missing)
        return [self.vectors[_key(text)] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def save(self) -> None:
        if self.added:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_bytes(pickle.dumps(self.vectors))


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def build(
    answer_set: squad.AnswerSet, embedder: CachedEmbedder, folder: Path, plan: ChunkPlan, *, titled: bool = False
) -> Retriever:
    """The answer set's documents indexed as ingest indexes them."""
    index = LocalVectorIndex(folder, MINILM_SPACE.model, MINILM_SPACE.dimension)
    all_terms = []
    for number, (name, text) in enumerate(answer_set.documents.items()):
        chunks = chunk_blocks(extract(text.encode(), "text"), plan)
        if titled:
            # Title context: every chunk opens with the document's first line (a SQuAD article's title).
            title = text.split("\n", 1)[0]
            chunks = [
                chunk if chunk.text.startswith(title) else dataclasses.replace(chunk, text=f"{title}\n{chunk.text}")
                for chunk in chunks
            ]
        terms = [chunk_terms(chunk.text) for chunk in chunks]
        all_terms += terms
        vectors = embedder.embed_documents([chunk.text for chunk in chunks])
        records = [
            VectorRecord(
                id=f"doc{number}#{chunk.no}",
                values=vector,
                sparse=lexical.vector(),
                metadata=ChunkMetadata(
                    chatbot_id=CHATBOT,
                    document_id=f"doc{number}",
                    filename=name,
                    chunk_no=chunk.no,
                    heading=chunk.heading,
                    text=chunk.text,
                ),
            )
            for chunk, vector, lexical in zip(chunks, vectors, terms, strict=True)
        ]
        index.upsert(TENANT, records)
    return Retriever(embedder, index, CorpusLexicon(Contribution.of(all_terms)))  # type: ignore[arg-type]


def answer(retriever: Retriever, answerer: ExtractiveAnswerer, question: str, pool: int) -> tuple[str, bool]:
    """The answer and whether the documents answered, as AnswerService.answer decides them without a model."""
    retrieval = retriever.retrieve(TENANT, CHATBOT, question, pool)
    extract = answerer.answer(JudgedQuestion(question, retrieval.vector, retrieval.weights), retrieval.passages)
    if extract is None:
        return not_found(question), False
    return extract.text, True


def evaluate(
    answer_set: squad.AnswerSet, retriever: Retriever, answerer: ExtractiveAnswerer, pool: int, off_topic: list[str]
) -> tuple[list[dict[str, Any]], str]:
    """Every question of the set answered and scored, and the line that sums them up."""
    rows: list[dict[str, Any]] = []
    for question in answer_set.questions:
        text, found = answer(retriever, answerer, question.text, pool)
        abstained = squad.abstains(text, found)
        rows.append(
            {
                "id": question.id,
                "article": question.article,
                "question": question.text,
                "gold": list(question.answers),
                "answer": text,
                "abstained": abstained,
                "holds": not abstained and squad.holds(text, question.answers),
            }
        )
    off = sum(not answer(retriever, answerer, question, pool)[1] for question in off_topic) / len(off_topic)
    answerable = [row for row in rows if row["gold"]]
    unanswerable = [row for row in rows if not row["gold"]]
    answered = [row for row in answerable if not row["abstained"]]
    words = statistics.mean(len(row["answer"].split()) for row in answered) if answered else 0.0

    def share(rows: list[dict[str, Any]], key: str) -> float:
        return sum(bool(row[key]) for row in rows) / len(rows)

    summary = (
        f"holds gold {share(answerable, 'holds'):6.1%}  abstained: answerable {share(answerable, 'abstained'):6.1%}, "
        f"unanswerable {share(unanswerable, 'abstained'):6.1%}, off-topic {off:6.1%}  words {words:3.0f}"
    )
    return rows, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="tuning")
    parser.add_argument("--chunk-size", type=int, default=ChunkPlan().size)
    parser.add_argument("--chunk-overlap", type=int, default=ChunkPlan().overlap)
    parser.add_argument("--min-score", default=str(MINILM_SPACE.min_sentence_score), help="comma-separated")
    parser.add_argument("--candidates", default=str(CANDIDATES), help="comma-separated")
    parser.add_argument("--dense-share", default=str(DENSE_SHARE), help="comma-separated")
    parser.add_argument("--second-within", default=str(SECOND_WITHIN), help="comma-separated")
    parser.add_argument("--pool", default=str(EXTRACTIVE_POOL), help="comma-separated")
    parser.add_argument("--title-context", action="store_true", help="chunks open with their document's title")
    parser.add_argument("--log", type=Path, help="each question's answer of the first setting, as JSON Lines")
    args = parser.parse_args()

    answer_set = squad.load(squad.SUBSET, args.part)
    off_topic = off_topic_questions("calibration")
    embedder = CachedEmbedder()
    answerable = sum(question.answerable for question in answer_set.questions)
    print(
        f"{answer_set.name}: {answerable} answerable and {len(answer_set.questions) - answerable} unanswerable "
        f"questions, {len(off_topic)} off-topic (calibration half)"
    )
    settings = itertools.product(
        map(float, args.dense_share.split(",")),
        map(float, args.min_score.split(",")),
        map(int, args.candidates.split(",")),
        map(int, args.pool.split(",")),
        map(float, args.second_within.split(",")),
    )
    with tempfile.TemporaryDirectory() as folder:
        retriever = build(
            answer_set,
            embedder,
            Path(folder),
            ChunkPlan(args.chunk_size, args.chunk_overlap),
            titled=args.title_context,
        )
        for number, (share, min_score, candidates, pool, within) in enumerate(settings):
            answerer = ExtractiveAnswerer(
                embedder,
                min_score,
                candidates=candidates,
                dense_share=share,
                second_within=within,
            )
            rows, summary = evaluate(answer_set, retriever, answerer, pool, off_topic)
            print(
                f"dense {share:3.1f}  min {min_score:5.3f}  candidates {candidates:2}  pool {pool:2}  "
                f"second within {within:4.2f}  {summary}"
            )
            if args.log and number == 0:
                args.log.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
            embedder.save()


if __name__ == "__main__":
    main()
