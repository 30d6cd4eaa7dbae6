"""SciFact abstracts uploaded through the API of a local stack whose functions embed and index through the OpenAI and
Pinecone SDKs, against fakes in this process: embedding requests and upserts per 1,000 chunks, the ingest function's
invocations (its REPORT lines), and documents and chunks a second from the first upload to the last document ended.

    python -m tests.benchmarks.ingest_stack [--documents 300] [--parameter IngestBatchingWindowSeconds=5]

Run from a checkout with its own `.venv` to compare commits in the same conditions (the script uses only what
`local` offered before issue 25's floor). Uploads go 8 at a time, as the eval's; unlike the eval, without keeping
the backlog under 100 documents, so a batch may gather what a bulk upload brings within the batching window.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.stack.process import assign_plan, send_upload, start_stack, stop_stack
from local.tools import beir
from tests.benchmarks.ingest import DATASET

# The stack's log line of one invocation of the ingest function (not of its dead-letter function).
INGEST_REPORT = re.compile(r"local\.IngestFunction \S+ REPORT RequestId")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--parameter", action="append", default=[], help="a template parameter, NAME=VALUE")
    args = parser.parse_args()
    parameters = dict(item.split("=", 1) for item in args.parameter)
    corpus = list(beir.load(DATASET, "test").corpus.items())[: args.documents]
    openai_fake, pinecone_fake = FakeOpenAI().start(), FakePinecone(dimension=512).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            data_dir, log = Path(scratch) / "data", Path(scratch) / "stack.log"
            process, url = start_stack(
                data_dir,
                log,
                limit_seconds=300,
                env={"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": openai_fake.base_url, "PINECONE_API_KEY": "pc"},
                function_env={
                    "PARLEY_EMBEDDER": "openai",
                    "PARLEY_VECTOR_INDEX": "pinecone",
                    "PARLEY_PINECONE_INDEX_HOST": pinecone_fake.url,
                    "POWERTOOLS_LOG_LEVEL": "WARNING",
                },
                parameters=parameters,
            )
            try:
                ran = _ingest(url, data_dir, corpus, openai_fake, pinecone_fake)
            finally:
                stop_stack(process)
            invocations = len(INGEST_REPORT.findall(log.read_text(errors="ignore")))
    finally:
        openai_fake.stop()
        pinecone_fake.stop()
    chunks, documents, seconds = ran.chunks, len(corpus), ran.seconds
    print(f"SciFact through the stack: {documents} abstracts {dict(ran.statuses)}, {chunks} chunks {parameters}")
    print(f"  embedding requests {ran.embeddings:5d}  {ran.embeddings * 1000 / chunks:7.1f} per 1,000 chunks")
    print(f"  upsert requests    {ran.upserts:5d}  {ran.upserts * 1000 / chunks:7.1f} per 1,000 chunks")
    # (One invocation more than the uploads need: S3's s3:TestEvent when the stack set the notification up.)
    print(f"  ingest invocations {invocations:5d}  {documents / max(invocations, 1):7.1f} documents an invocation")
    print(f"  {documents / seconds:.2f} documents/s, {chunks / seconds:.2f} chunks/s ({seconds:.0f} s)")


@dataclass
class _Ran:
    chunks: int
    statuses: Counter[str]
    embeddings: int
    upserts: int
    seconds: float


def _ingest(
    url: str, data_dir: Path, corpus: list[tuple[str, str]], openai_fake: FakeOpenAI, pinecone_fake: FakePinecone
) -> _Ran:
    api, storage = httpx.Client(base_url=url, timeout=120), httpx.Client(timeout=120)
    account = api.post("/auth/register", json={"email": "bench@example.com", "password": "correct-horse-1"}).json()
    assign_plan(data_dir, account["tenant"]["id"], "business")
    auth = {"authorization": f"Bearer {account['tokens']['access_token']}"}
    bot = api.post("/chatbots", headers=auth, json={"name": "SciFact"}).json()["id"]
    embeddings, upserts = openai_fake.requests["/v1/embeddings"], pinecone_fake.requests["/vectors/upsert"]

    def upload(item: tuple[str, str]) -> str:
        doc_id, text = item
        data = text.encode()
        body = {"filename": f"{doc_id}.md", "content_type": "text/markdown", "size_bytes": len(data)}
        created = api.post(f"/chatbots/{bot}/documents", headers=auth, json=body).json()
        send_upload(created["upload"], data, storage).raise_for_status()
        return str(created["document"]["id"])

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        pending = list(pool.map(upload, corpus))
    chunks, statuses = 0, Counter[str]()
    while pending:
        item = api.get(f"/chatbots/{bot}/documents/{pending[0]}", headers=auth).json()
        if item.get("status") in ("indexed", "failed"):
            pending.pop(0)
            chunks += int(item.get("chunk_count") or 0)
            statuses[item["status"] if item["status"] == "indexed" else f"failed: {item.get('error')}"] += 1
        else:
            time.sleep(0.5)
    return _Ran(
        chunks,
        statuses,
        openai_fake.requests["/v1/embeddings"] - embeddings,
        pinecone_fake.requests["/vectors/upsert"] - upserts,
        time.monotonic() - started,
    )


if __name__ == "__main__":
    main()
