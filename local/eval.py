"""`make eval`: retrieval quality and speed through the running product, on any BEIR-format folder.

Starts the local stack, registers a tenant, creates a chatbot, uploads every corpus document as a file through
the presigned-URL path, waits until every document is indexed, runs every query of the split through
`POST /chatbots/{id}/search`, and prints nDCG@10, Recall@100 and MRR@10 at document level (a document ranks by
its best chunk), ingest throughput, and search latency percentiles.

    python -m local.eval --dataset ../shared/data/scifact --split test
"""

from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from local import beir
from local.process import start_stack
from local.stack import ROOT


def _upload(client: httpx.Client, chatbot: str, filename: str, text: str) -> str:
    data = text.encode()
    created = client.post(
        f"/chatbots/{chatbot}/documents",
        json={"filename": filename, "content_type": "text/plain", "size_bytes": len(data)},
    )
    created.raise_for_status()
    ticket = created.json()["upload"]
    httpx.put(ticket["url"], content=data, headers=ticket["headers"], timeout=60).raise_for_status()
    return str(created.json()["document"]["id"])


class _Pacer:
    """Keeps at most `window` documents uploaded but not yet indexed, as a steady client would: an unbounded
    backlog would measure how moto's queue copes with thousands of waiting messages, not Parley.

    One tracker thread follows the oldest unsettled document (uploads settle roughly in order)."""

    def __init__(self, client: httpx.Client, chatbot: str, window: int) -> None:
        self.client, self.chatbot = client, chatbot
        self.slots = threading.BoundedSemaphore(window)
        self.pending: collections.deque[str] = collections.deque()
        self.lock = threading.Lock()
        self.uploading = True
        self.tracker = threading.Thread(target=self._track, daemon=True)
        self.tracker.start()

    def upload(self, filename: str, text: str) -> None:
        self.slots.acquire()
        document = _upload(self.client, self.chatbot, filename, text)
        with self.lock:
            self.pending.append(document)

    def _track(self) -> None:
        while True:
            with self.lock:
                oldest = self.pending[0] if self.pending else None
            if oldest is None:
                if not self.uploading:
                    return
                time.sleep(0.1)
                continue
            status = self.client.get(f"/chatbots/{self.chatbot}/documents/{oldest}").json()["status"]
            if status in ("indexed", "failed"):
                with self.lock:
                    self.pending.popleft()
                self.slots.release()
            else:
                time.sleep(0.2)

    def finish(self) -> None:
        """Wait until every uploaded document is indexed or failed."""
        self.uploading = False
        self.tracker.join()


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--split", default="test")
    parser.add_argument("--workers", type=int, default=8, help="parallel uploads")
    parser.add_argument("--limit", type=int, help="only the first N documents (a quick look at speed; scores drop)")
    args = parser.parse_args()

    dataset = beir.load(args.dataset, args.split)
    if args.limit:
        dataset = beir.Dataset(dict(list(dataset.corpus.items())[: args.limit]), dataset.queries, dataset.qrels)
    print(f"{args.dataset.name} ({args.split}): {len(dataset.corpus)} documents, {len(dataset.queries)} queries")
    with tempfile.TemporaryDirectory() as data_dir:
        process, url = start_stack(
            Path(data_dir) / "stack", Path(data_dir) / "stack.log", env={"POWERTOOLS_LOG_LEVEL": "WARNING"}
        )
        try:
            run(url, dataset, args.workers, f"{args.dataset.name} {args.split}")
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(url: str, dataset: beir.Dataset, workers: int, label: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        email = f"eval-{uuid.uuid4().hex[:8]}@example.com"
        registered = anonymous.post("/auth/register", json={"email": email, "password": "evaluation-1"}).json()
    headers = {"authorization": f"Bearer {registered['tokens']['access_token']}"}
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        chatbot = client.post("/chatbots", json={"name": f"eval {label}"}).json()["id"]
        # Files are named by position, so any corpus id (slashes included) maps back.
        corpus_ids = list(dataset.corpus)
        started = time.perf_counter()
        pacer = _Pacer(client, chatbot, window=100)
        with ThreadPoolExecutor(workers) as pool:
            list(
                pool.map(
                    lambda item: pacer.upload(f"doc-{item[0]}.txt", dataset.corpus[item[1]]),
                    enumerate(corpus_ids),
                )
            )
        pacer.finish()
        ingest = time.perf_counter() - started
        items = client.get(f"/chatbots/{chatbot}/documents", timeout=300).json()["items"]
        totals = {
            "failed": sum(item["status"] == "failed" for item in items),
            "chunks": sum(item["chunk_count"] for item in items),
        }

        client.post(f"/chatbots/{chatbot}/search", json={"query": "warm up", "top_k": 100})
        rankings, latencies = {}, []
        for query_id, text in dataset.queries.items():
            began = time.perf_counter()
            response = client.post(f"/chatbots/{chatbot}/search", json={"query": text, "top_k": 100})
            latencies.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
            files = [hit["filename"] for hit in response.json()["results"]]
            rankings[query_id] = beir.documents_ranking(
                [corpus_ids[int(name.removeprefix("doc-").removesuffix(".txt"))] for name in files]
            )
    result = beir.scores(rankings, dataset.qrels)
    print(f"\n{label}: retrieval through upload → ingest → /search (embedded default, hybrid)")
    print(f"  nDCG@10     {result['nDCG@10']:.3f}")
    print(f"  Recall@100  {result['Recall@100']:.3f}")
    print(f"  MRR@10      {result['MRR@10']:.3f}")
    print(
        f"  ingest      {len(corpus_ids)} documents, {totals['chunks']} chunks, {totals['failed']} failed, in "
        f"{ingest:.0f} s: {len(corpus_ids) / ingest:.1f} documents/s, {totals['chunks'] / ingest:.1f} chunks/s"
    )
    print(
        f"  search      p50 {statistics.median(latencies):.0f} ms, p95 {_percentile(latencies, 95):.0f} ms "
        f"over {len(latencies)} queries (HTTP through the local gateway, top_k=100)"
    )


if __name__ == "__main__":
    main()
