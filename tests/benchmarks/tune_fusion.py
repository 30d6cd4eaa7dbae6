"""Choose the hybrid fusion on a training split (default: SciFact train), with the same chunking, embedder and
local index as the product. Prints nDCG@10 / Recall@100 / MRR@10 per fusion; never look at test to choose.

    python tests/benchmarks/tune_fusion.py [--dataset ../shared/data/scifact] [--split train]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.domain.vectors import ChunkMetadata, VectorRecord
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import extract
from parley.retrieval import Fusion, fuse

from local import beir
from local.stack import ROOT

CHATBOT = "tuning"
FUSIONS = [
    Fusion("dense"),
    Fusion("lexical"),
    Fusion("rrf", rrf_k=60),
    *(Fusion("minmax", dense_weight=weight) for weight in (0.3, 0.4, 0.5, 0.6, 0.7)),
]


def build_index(dataset: beir.Dataset, folder: Path, embedder: MiniLMEmbedder) -> LocalVectorIndex:
    """Index the corpus once; the index persists, so later runs reuse it."""
    index = LocalVectorIndex(folder, embedder.model, embedder.dimension)
    if index.ids("corpus", ""):
        return index
    started, batch = time.perf_counter(), []
    for document_id, text in dataset.corpus.items():
        for chunk in chunk_blocks(extract(text.encode(), "text"), ChunkPlan()):
            metadata = ChunkMetadata(
                chatbot_id=CHATBOT,
                document_id=document_id,
                filename=f"{document_id}.txt",
                chunk_no=chunk.no,
                text=chunk.text,
            )
            batch.append((f"{document_id}#{chunk.no}", chunk.text, metadata))
    for start in range(0, len(batch), 256):
        window = batch[start : start + 256]
        vectors = embedder.embed_documents([text for _, text, _ in window])
        index.upsert(
            "corpus", [VectorRecord(id=i, values=v, metadata=m) for (i, _, m), v in zip(window, vectors, strict=True)]
        )
    print(f"indexed {len(batch)} chunks of {len(dataset.corpus)} documents in {time.perf_counter() - started:.0f} s")
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--split", default="train")
    args = parser.parse_args()

    dataset = beir.load(args.dataset, args.split)
    embedder = MiniLMEmbedder()
    index = build_index(dataset, ROOT / ".tuning" / args.dataset.name, embedder)
    candidates = {}
    for query_id, text in dataset.queries.items():
        dense = index.dense("corpus", embedder.embed_query(text), 100, CHATBOT)
        lexical = index.lexical("corpus", text, 100, CHATBOT)
        candidates[query_id] = (dense, lexical)
    print(f"{args.dataset.name} {args.split}: {len(dataset.queries)} queries")
    print(f"{'fusion':<24}{'nDCG@10':>9}{'Recall@100':>12}{'MRR@10':>9}")
    for fusion in FUSIONS:
        rankings = {
            query_id: beir.documents_ranking([id_.split("#")[0] for id_, _ in fuse(dense, lexical, fusion)])
            for query_id, (dense, lexical) in candidates.items()
        }
        result = beir.scores(rankings, dataset.qrels)
        name = fusion.method + (f" w={fusion.dense_weight}" if fusion.method == "minmax" else "")
        name += f" k={fusion.rrf_k}" if fusion.method == "rrf" else ""
        print(f"{name:<24}{result['nDCG@10']:>9.3f}{result['Recall@100']:>12.3f}{result['MRR@10']:>9.3f}")


if __name__ == "__main__":
    main()
