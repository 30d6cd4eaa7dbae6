"""BEIR-format retrieval data sets (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) and their metrics."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dataset:
    corpus: dict[str, str]  # document id → title and text, as one file's content
    queries: dict[str, str]  # query id → text, only the queries with judgements in the split
    qrels: dict[str, dict[str, int]]  # query id → document id → relevance


def load(folder: Path, split: str) -> Dataset:
    corpus = {}
    with (folder / "corpus.jsonl").open() as lines:
        for line in lines:
            item = json.loads(line)
            corpus[str(item["_id"])] = f"{item.get('title', '')}\n\n{item.get('text', '')}".strip()
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open() as rows:
        reader = csv.reader(rows, delimiter="\t")
        header = next(reader)
        if header[0].isdigit():  # no header line
            qrels.setdefault(header[0], {})[header[1]] = int(header[2])
        for query_id, document_id, score in reader:
            qrels.setdefault(query_id, {})[document_id] = int(score)
    queries = {}
    with (folder / "queries.jsonl").open() as lines:
        for line in lines:
            item = json.loads(line)
            if str(item["_id"]) in qrels:
                queries[str(item["_id"])] = item["text"]
    return Dataset(corpus, queries, {query: docs for query, docs in qrels.items() if query in queries})


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains, as trec_eval computes it."""
    gains = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sorted((score for score in relevant.values() if score > 0), reverse=True)[:k]
    best = sum(score / math.log2(rank + 2) for rank, score in enumerate(ideal))
    return gains / best if best else 0.0


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    wanted = {doc for doc, score in relevant.items() if score > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for rank, doc in enumerate(ranking[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def scores(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries (a missing ranking scores zero)."""
    metrics = {"nDCG@10": ndcg_at, "Recall@100": recall_at, "MRR@10": mrr_at}
    return {
        name: sum(metric(rankings.get(query, []), relevant) for query, relevant in qrels.items()) / len(qrels)
        for name, metric in metrics.items()
    }


def documents_ranking(chunk_documents: Sequence[str]) -> list[str]:
    """Document ids in the order of their best chunk."""
    return list(dict.fromkeys(chunk_documents))
