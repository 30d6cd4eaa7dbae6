"""Choose retrieval's parameters on a training split (default: SciFact train) through the product's own path:
its chunking, MiniLM, the sparse vectors of parley.domain.lexical, the local index and the Retriever. Prints nDCG@10 /
Recall@100 / MRR@10 for each setting; never look at test to choose.

    python tests/benchmarks/tune_fusion.py [--dataset ../shared/data/scifact] [--split train] [--grid]

Dense vectors are embedded once and cached under .tuning/. Without --grid only the dense weight is varied, with
the BM25 constants of parley.domain.lexical; with --grid every (K1, B, REFERENCE_LENGTH) of GRID is tried too (the
sparse vectors are rebuilt for each).
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.domain import lexical
from parley.domain.lexical import ChunkTerms, Contribution, Statistics, chunk_terms
from parley.domain.vectors import ChunkMetadata, VectorRecord
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import extract
from parley.services.retrieval import Retriever

from local.stack.stack import ROOT
from local.tools import beir

TENANT, CHATBOT = "tuning", "tuning"
WEIGHTS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)
GRID = list(itertools.product((0.9, 1.2, 1.5), (0.5, 0.75), (80, 120, 200)))


class CorpusLexicon:
    """The statistics of the whole corpus, as the table would hold them once every document is indexed."""

    def __init__(self, contribution: Contribution) -> None:
        self.contribution = contribution

    def statistics(self, tenant_id: str, chatbot_id: str, term_ids: Sequence[int]) -> Statistics:
        frequencies = self.contribution.frequencies
        return Statistics(
            self.contribution.chunks, {term: frequencies[term] for term in term_ids if term in frequencies}
        )


class CachedQueries:
    """The embedder's query vectors, computed once for every setting."""

    def __init__(self, embedder: MiniLMEmbedder, queries: Sequence[str]) -> None:
        self.vectors = dict(zip(queries, embedder.embed_documents(list(queries)), strict=True))

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


def chunks_of(dataset: beir.Dataset) -> list[tuple[str, int, str]]:
    return [
        (document_id, chunk.no, chunk.text)
        for document_id, text in dataset.corpus.items()
        for chunk in chunk_blocks(extract(text.encode(), "text"), ChunkPlan())
    ]


def dense_vectors(chunks: Sequence[tuple[str, int, str]], embedder: MiniLMEmbedder, cache: Path) -> np.ndarray:
    if cache.exists():
        vectors: np.ndarray = np.load(cache)
        if len(vectors) == len(chunks):
            return vectors
    started = time.perf_counter()
    texts = [text for _, _, text in chunks]
    vectors = np.asarray(
        [
            vector
            for start in range(0, len(texts), 64)
            for vector in embedder.embed_documents(texts[start : start + 64])
        ],
        dtype=np.float32,
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    print(f"embedded {len(chunks)} chunks in {time.perf_counter() - started:.0f} s")
    return vectors


def build_index(
    folder: Path, chunks: Sequence[tuple[str, int, str]], vectors: np.ndarray, lexical_terms: Sequence[ChunkTerms]
) -> LocalVectorIndex:
    """The chunks in a local index under `folder`, as ingest writes them (sparse vectors with the current BM25
    constants)."""
    index = LocalVectorIndex(folder, "minilm", vectors.shape[1])
    records = [
        VectorRecord(
            id=f"{document_id}#{no}",
            values=vector.tolist(),
            sparse=terms.vector(),
            metadata=ChunkMetadata(
                chatbot_id=CHATBOT, document_id=document_id, filename=f"{document_id}.txt", chunk_no=no, text=text
            ),
        )
        for (document_id, no, text), vector, terms in zip(chunks, vectors, lexical_terms, strict=True)
    ]
    for start in range(0, len(records), 1000):
        index.upsert(TENANT, records[start : start + 1000])
    return index


def evaluate(
    dataset: beir.Dataset, chunks: Sequence[tuple[str, int, str]], vectors: np.ndarray, queries: CachedQueries
) -> dict[float, dict[str, float]]:
    """Index the chunks with the current BM25 constants; score every dense weight."""
    lexical_terms = [chunk_terms(text) for _, _, text in chunks]
    with tempfile.TemporaryDirectory() as folder:
        index = build_index(Path(folder), chunks, vectors, lexical_terms)
        lexicon = CorpusLexicon(Contribution.of(lexical_terms))
        results = {}
        for weight in WEIGHTS:
            retriever = Retriever(queries, index, lexicon, dense_weight=weight)  # type: ignore[arg-type]
            rankings = {
                query_id: beir.documents_ranking(
                    [passage.document_id for passage in retriever.search(TENANT, CHATBOT, text, 100)]
                )
                for query_id, text in dataset.queries.items()
            }
            results[weight] = beir.scores(rankings, dataset.qrels)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--split", default="train")
    parser.add_argument("--grid", action="store_true", help="also try every BM25 setting of GRID")
    args = parser.parse_args()

    dataset = beir.load(args.dataset, args.split)
    embedder = MiniLMEmbedder()
    chunks = chunks_of(dataset)
    vectors = dense_vectors(chunks, embedder, ROOT / ".tuning" / args.dataset.name / "chunks.npy")
    queries = CachedQueries(embedder, list(dataset.queries.values()))
    settings = GRID if args.grid else [(lexical.K1, lexical.B, lexical.REFERENCE_LENGTH)]
    print(f"{args.dataset.name} {args.split}: {len(dataset.queries)} queries, {len(chunks)} chunks")
    print(f"{'K1':>5}{'B':>6}{'length':>8}{'dense weight':>14}{'nDCG@10':>9}{'Recall@100':>12}{'MRR@10':>9}")
    for k1, b, length in settings:
        lexical.K1, lexical.B, lexical.REFERENCE_LENGTH = k1, b, length
        for weight, result in evaluate(dataset, chunks, vectors, queries).items():
            print(
                f"{k1:>5}{b:>6}{length:>8}{weight:>14}"
                f"{result['nDCG@10']:>9.3f}{result['Recall@100']:>12.3f}{result['MRR@10']:>9.3f}"
            )


if __name__ == "__main__":
    main()
