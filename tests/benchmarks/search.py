"""Search latency at scale: one chatbot's hybrid search over 10k and 100k chunks of the local index.

Chunks are real text (SciFact sentences recombined into chunks of about 100 words, their sparse vectors and the
chatbot's statistics computed as ingest computes them); dense vectors are random unit vectors (the cost of a dense
search does not depend on their values). Queries are SciFact's test questions.

For each size, one chatbot's chunks are written into a running local stack's index (and its statistics into the
stack's DynamoDB), then p50/p95 of:
- in-process: `LocalVectorIndex.search` by a fresh reader in this process, with the query the Retriever builds
  (statistics from memory);
- HTTP: `POST /chatbots/{id}/search` through the local stack (gateway, query function, MiniLM for the question,
  DynamoDB for the statistics, the local index in the query function's process);
each idle, then while another process keeps adding chunks (INGEST_RATE a second, in batches, as ingest appends).

    python tests/benchmarks/search.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import serialize
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.domain.embeddings import MINILM_SPACE
from parley.domain.lexical import ChunkTerms, Contribution, Statistics, chunk_terms, query_term_ids, query_vector
from parley.domain.vectors import ChunkMetadata, HybridQuery, VectorRecord
from parley.services.retrieval import DENSE_WEIGHT
from parley.text.sentences import split_sentences

from local.stack.process import assign_plan, moto_client, start_stack, stop_stack
from local.stack.stack import ROOT
from local.tools import beir
from local.tools.progress import Progress

# SciFact beside the checkout, or where PARLEY_BENCH_DATASET says (a worktree elsewhere).
DATASET = Path(os.environ.get("PARLEY_BENCH_DATASET", ROOT.parent / "shared" / "data" / "scifact"))
DIMENSION = MINILM_SPACE.dimension
QUERIES = 300
QUESTIONS = 100
INGEST_RATE = 200  # chunks a second, in batches of INGEST_BATCH
INGEST_BATCH = 20


@functools.cache
def _sentences() -> list[str]:
    corpus = beir.load(DATASET, "test").corpus
    return [sentence for text in corpus.values() for sentence in split_sentences(text) if len(sentence) > 20]


def chunk_texts(count: int, seed: int = 0) -> list[str]:
    """`count` chunks of about 100 words, each a run of whole SciFact sentences drawn at random (with their full
    stops: the extractive answer judges a chunk's sentences, as it would a real document's)."""
    sentences = _sentences()
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words: list[str] = []
        while len(words) < 100:
            words += rng.choice(sentences).split()
        texts.append(" ".join(words))
    return texts


def records(
    chatbot_id: str, texts: Sequence[str], prefix: str, seed: int
) -> tuple[list[VectorRecord], list[ChunkTerms]]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(texts), DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    terms = [chunk_terms(text) for text in texts]
    built = [
        VectorRecord(
            id=f"{prefix}{n // 100}#{n % 100}",
            values=vector.tolist(),
            sparse=lexical.vector(),
            metadata=ChunkMetadata(
                chatbot_id=chatbot_id,
                document_id=f"{prefix}{n // 100}",
                filename="bench.txt",
                chunk_no=n % 100,
                text=text,
            ),
        )
        for n, (text, vector, lexical) in enumerate(zip(texts, vectors, terms, strict=True))
    ]
    return built, terms


def fill(index: LocalVectorIndex, namespace: str, chatbot_id: str, size: int) -> Contribution:
    """Index `size` chunks of one chatbot; returns their statistics."""
    all_terms: list[ChunkTerms] = []
    progress = Progress("index", size, "chunks")
    for start in range(0, size, 5000):
        batch, terms = records(chatbot_id, chunk_texts(min(5000, size - start), seed=start), "doc", seed=start)
        index.upsert(namespace, batch)
        all_terms += terms
        progress.advance(len(batch))
    progress.finish()
    return Contribution.of(all_terms)


def keep_ingesting(root: Path, namespace: str, chatbot_id: str, stop: Any) -> None:
    """Another process appending chunks to the namespace at INGEST_RATE, as ingest functions do."""
    index = LocalVectorIndex(root, MINILM_SPACE.model, DIMENSION)
    texts = chunk_texts(20_000, seed=99)
    batch = 0
    while not stop.is_set():
        began = time.monotonic()
        window = texts[(batch * INGEST_BATCH) % len(texts) :][:INGEST_BATCH]
        index.upsert(namespace, records(chatbot_id, window, f"new{batch}-", seed=batch)[0])
        batch += 1
        time.sleep(max(0.0, INGEST_BATCH / INGEST_RATE - (time.monotonic() - began)))


def measure(search: Callable[[str], object], questions: Sequence[str]) -> tuple[float, float]:
    latencies = []
    for question in questions:
        began = time.perf_counter()
        search(question)
        latencies.append((time.perf_counter() - began) * 1000)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return quantiles[49], quantiles[94]


def while_ingesting(
    root: Path, namespace: str, chatbot_id: str, run: Callable[[], tuple[float, float]]
) -> tuple[float, float]:
    stop = multiprocessing.Event()
    writer = multiprocessing.Process(target=keep_ingesting, args=(root, namespace, chatbot_id, stop))
    writer.start()
    try:
        time.sleep(1)  # the writer is under way
        return run()
    finally:
        stop.set()
        writer.join(timeout=30)


def in_process(
    root: Path, namespace: str, chatbot_id: str, contribution: Contribution, questions: Sequence[str]
) -> str:
    """Search latency of a fresh reader of the index in this process, idle and while another process writes."""
    started = time.perf_counter()
    reader = LocalVectorIndex(root, MINILM_SPACE.model, DIMENSION)
    reader.namespace(namespace)
    loaded = time.perf_counter() - started
    rng = np.random.default_rng(1)

    def search(question: str) -> object:
        terms = query_term_ids(question)
        counts = {term: contribution.frequencies[term] for term in terms if term in contribution.frequencies}
        sparse = query_vector(terms, Statistics(contribution.chunks, counts))
        dense = rng.standard_normal(DIMENSION).astype(np.float32)
        dense *= DENSE_WEIGHT / np.linalg.norm(dense)
        query = HybridQuery(dense.tolist(), sparse.scaled(1 - DENSE_WEIGHT) if sparse else None)
        return reader.search(namespace, query, 10, chatbot_id)

    measure(search, questions[:20])  # warm
    idle = measure(search, questions)
    busy = while_ingesting(root, namespace, chatbot_id, lambda: measure(search, questions))
    return (
        f"in-process  idle p50 {idle[0]:6.1f} ms  p95 {idle[1]:6.1f} ms   while ingesting p50 {busy[0]:6.1f} ms  "
        f"p95 {busy[1]:6.1f} ms   (a fresh process loads the index in {loaded:.1f} s)"
    )


def seed_statistics(stack: Path, tenant_id: str, chatbot_id: str, contribution: Contribution) -> None:
    """Write the chatbot's counters (shard 0) straight into the stack's DynamoDB, as ingest would have left them."""
    config = __import__("json").loads((stack / "stack.json").read_text())
    table = config["resources"]["Table"]["Ref"]
    client = moto_client(config, "dynamodb")
    items = [{"SK": keys.lexicon_totals(0), "chunks": contribution.chunks, "length": contribution.length}]
    items += [{"SK": keys.lexicon_term(term, 0), "df": count} for term, count in contribution.frequencies.items()]
    for start in range(0, len(items), 25):
        requests = [
            {"PutRequest": {"Item": serialize({"PK": keys.lexicon(tenant_id, chatbot_id), **item})}}
            for item in items[start : start + 25]
        ]
        pending = {table: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def at_size(size: int, questions: Sequence[str]) -> None:
    """One chatbot of `size` chunks in a running local stack: searched in this process, then over HTTP."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "stack"
        # A hundred questions in well under a minute: more than one tenant's 60 a minute (the setting, not a plan).
        environment = {"POWERTOOLS_LOG_LEVEL": "WARNING", "PARLEY_TENANT_QUESTIONS_PER_MINUTE": "100000"}
        process, url = start_stack(data, Path(folder) / "stack.log", limit_seconds=60, function_env=environment)
        try:
            with httpx.Client(base_url=url, timeout=120) as api:
                account = api.post(
                    "/auth/register", json={"email": "bench@example.com", "password": "correct-horse-1"}
                ).json()
                api.headers["authorization"] = f"Bearer {account['tokens']['access_token']}"
                chatbot = api.post("/chatbots", json={"name": "Search at scale"}).json()["id"]
                tenant = account["user"]["tenant_id"]
                root = data / "index"
                started = time.perf_counter()
                contribution = fill(LocalVectorIndex(root, MINILM_SPACE.model, DIMENSION), tenant, chatbot, size)
                seed_statistics(data, tenant, chatbot, contribution)
                built = time.perf_counter() - started
                print(f"{size:>8} chunks  (built in {built:.0f} s)")
                print(f"{'':>16}{in_process(root, tenant, chatbot, contribution, questions)}")

                def search(question: str) -> object:
                    response = api.post(f"/chatbots/{chatbot}/search", json={"query": question, "top_k": 10})
                    response.raise_for_status()
                    return response

                def ask(question: str) -> object:
                    response = api.post(f"/chatbots/{chatbot}/query", json={"question": question})
                    response.raise_for_status()
                    return response

                measure(search, questions[:20])  # the query function loads the index: a cold start, not latency
                idle = measure(search, questions)
                busy = while_ingesting(root, tenant, chatbot, lambda: measure(search, questions))
                # An extractive answer (no model key): the search, the quotable sentences, the conversation stored.
                assign_plan(data, tenant, "business")  # more questions than the free plan's minute allows
                answered = measure(ask, questions[:QUESTIONS])
            print(
                f"{'':>16}HTTP search idle p50 {idle[0]:6.1f} ms  p95 {idle[1]:6.1f} ms   "
                f"while ingesting p50 {busy[0]:6.1f} ms  p95 {busy[1]:6.1f} ms"
            )
            print(f"{'':>16}HTTP query (extractive) idle p50 {answered[0]:6.1f} ms  p95 {answered[1]:6.1f} ms")
        finally:
            stop_stack(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    questions = list(beir.load(DATASET, "test").queries.values())[:QUERIES]
    print(
        f"search latency, top 10 of one chatbot, {len(questions)} SciFact questions; ingest at {INGEST_RATE} chunks/s"
    )
    for size in (int(size) for size in args.sizes.split(",")):
        at_size(size, questions)


if __name__ == "__main__":
    main()
