"""`make eval`: retrieval and answer quality, and speed, through the running product.

Starts the local stack, registers a tenant, creates a chatbot, uploads every corpus document as a file through
the presigned-URL path, waits until every document is indexed, runs every query of the split through
`POST /chatbots/{id}/search`, and prints nDCG@10, Recall@100 and MRR@10 at document level (a document ranks by
its best chunk), ingest throughput, and search latency percentiles. Then, with a chatbot of its own, the answer
set (local/tools/squad.py: SQuAD 2.0 articles as documents, questions with gold answers or none) is asked through
`POST /chatbots/{id}/query`, and the answers table says how often an answer holds a gold answer and how often the
chatbot abstained, on answerable and on unanswerable questions. Without OPENAI_API_KEY the answers are extractive;
with it (and OPENAI_BASE_URL for any OpenAI-compatible server) they are the model's.

    python -m local.tools.eval --dataset ../shared/data/scifact --split test [--store local|pinecone]
        [--answers local/tools/data/squad2/subset.json --answers-part held-out] [--only retrieval|answers]

`--store pinecone` runs the functions with the Pinecone adapter (the real SDK) against local/fakes/pinecone.py
instead of the local index; everything else is the same.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from parley.domain.embeddings import MINILM_SPACE

from local.fakes.pinecone import FakePinecone
from local.stack.process import assign_plan, send_upload, start_stack, stop_stack
from local.stack.stack import ROOT
from local.tools import beir, squad
from local.tools.browser import screenshot
from local.tools.progress import Progress

# Documents uploaded but not yet indexed, at most: as many as one ingest invocation takes (the template's BatchSize),
# so that a corpus meets ingest as a bulk upload does, a backlog whose batches share their paid requests; a smaller
# window would cap every batch at it (100: about 7 embedding requests per 1,000 SciFact chunks, not 2).
BACKLOG = 1000


class Refused(Exception):
    """Parley refused a document: reported with its id, never a crash."""


def _upload(client: httpx.Client, storage: httpx.Client, chatbot: str, filename: str, text: str) -> str:
    data = text.encode()
    created = client.post(
        f"/chatbots/{chatbot}/documents",
        json={"filename": filename, "content_type": "text/plain", "size_bytes": len(data)},
    )
    if created.is_client_error:
        raise Refused(f"{created.status_code} {created.json().get('error', {}).get('message', created.text)}")
    created.raise_for_status()
    stored = send_upload(created.json()["upload"], data, storage)
    if stored.is_client_error:
        raise Refused(f"upload {stored.status_code}")
    stored.raise_for_status()
    return str(created.json()["document"]["id"])


class _Pacer:
    """Keeps at most `window` documents uploaded but not yet indexed, as a steady client would: an unbounded
    backlog would measure how moto's queue copes with thousands of waiting messages, not Parley.

    One tracker thread follows the oldest unsettled document (uploads settle roughly in order)."""

    def __init__(self, client: httpx.Client, chatbot: str, window: int, progress: Progress) -> None:
        self.client, self.chatbot = client, chatbot
        self.progress = progress  # told of each document that is done: indexed, failed, empty or refused
        # One client for the presigned POSTs (no base URL, no bearer token): a new one per upload would load the
        # CA bundle each time, about 30% of a core spent by the measuring client on the cores it measures.
        self.storage = httpx.Client(timeout=60)
        self.slots = threading.BoundedSemaphore(window)
        self.pending: collections.deque[str] = collections.deque()
        self.lock = threading.Lock()
        self.uploading = True
        self.empty: list[str] = []
        self.refused: dict[str, str] = {}  # corpus id -> why
        self.tracker = threading.Thread(target=self._track, daemon=True)
        self.tracker.start()

    def upload(self, corpus_id: str, filename: str, text: str) -> None:
        if not text.strip():
            with self.lock:
                self.empty.append(corpus_id)
            self.progress.advance()
            return
        self.slots.acquire()
        try:
            document = _upload(self.client, self.storage, self.chatbot, filename, text)
        except Refused as refusal:
            self.slots.release()
            with self.lock:
                self.refused[corpus_id] = str(refusal)
            self.progress.advance()
            return
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
            try:
                response = self.client.get(f"/chatbots/{self.chatbot}/documents/{oldest}")
                # A refusal or a gateway error (no document in its body) is looked at again, as a dropped connection.
                status = response.json()["status"] if response.is_success else "unknown"
            except httpx.TransportError:  # a kept-alive connection the server closed as it was reused
                status = "unknown"
            if status in ("indexed", "failed"):
                with self.lock:
                    self.pending.popleft()
                self.slots.release()
                self.progress.advance()
            else:
                # Each look is a request through the gateway, a function and DynamoDB on the cores being measured;
                # half a second is under 1% of any ingest worth measuring.
                time.sleep(0.5)

    def finish(self) -> None:
        """Wait until every uploaded document is indexed or failed."""
        self.uploading = False
        self.tracker.join()
        self.storage.close()


OFF_TOPIC = Path(__file__).with_name("data") / "off_topic_questions.tsv"


def _all_documents(client: httpx.Client, chatbot: str) -> list[dict[str, Any]]:
    """Every document of the chatbot, page after page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(
            f"/chatbots/{chatbot}/documents", params={"limit": 100} | ({"cursor": cursor} if cursor else {})
        ).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def off_topic_questions(split: str) -> list[str]:
    """Questions of other fields (weather, sport, travel, cooking, software…), in halves: `calibration` to choose
    thresholds on, `test` to report."""
    rows = [line.split("\t", 1) for line in OFF_TOPIC.read_text().splitlines()[1:] if line.strip()]
    return [question for half, question in rows if half == split]


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--split", default="test", help="one split, or several separated by commas (one ingest)")
    parser.add_argument("--workers", type=int, default=8, help="parallel uploads")
    parser.add_argument("--limit", type=int, help="only the first N documents (a quick look at speed; scores drop)")
    parser.add_argument("--store", choices=["local", "pinecone"], default="local", help="the vector index")
    parser.add_argument("--answers", type=Path, default=squad.SUBSET, help="the answer set (squad.py's format)")
    parser.add_argument(
        "--answers-part", choices=[*squad.PARTS, "all"], default="held-out", help="which part of the answer set"
    )
    parser.add_argument("--answers-log", type=Path, metavar="JSONL", help="write each question's answer and score")
    parser.add_argument("--only", choices=["retrieval", "answers"], help="run one of the two evaluations")
    parser.add_argument(
        "--ops-screenshot",
        type=Path,
        metavar="PNG",
        help="save the operator page (/_ops) after the run, as Chromium shows it",
    )
    args = parser.parse_args()

    function_env, env = {"POWERTOOLS_LOG_LEVEL": "WARNING"}, {}
    # Hundreds of questions from one tenant: the owners' per-minute limit would only pace the run.
    function_env["PARLEY_TENANT_QUESTIONS_PER_MINUTE"] = "100000"
    pinecone = FakePinecone(dimension=MINILM_SPACE.dimension).start() if args.store == "pinecone" else None
    if pinecone:
        function_env |= {"PARLEY_VECTOR_INDEX": "pinecone", "PARLEY_PINECONE_INDEX_HOST": pinecone.url}
        env["PINECONE_API_KEY"] = "pc-local-eval"
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "stack"
        process, url = start_stack(data_dir, Path(folder) / "stack.log", env=env, function_env=function_env)
        try:
            if args.only != "answers":
                splits = {split: beir.load(args.dataset, split) for split in args.split.split(",")}
                corpus = next(iter(splits.values())).corpus
                if args.limit:
                    corpus = dict(list(corpus.items())[: args.limit])
                queries = ", ".join(f"{len(dataset.queries)} {split}" for split, dataset in splits.items())
                print(f"{args.dataset.name}: {len(corpus)} documents; queries: {queries}; vector index: {args.store}")
                run(url, corpus, splits, workers=args.workers, name=args.dataset.name, data_dir=data_dir)
            if args.only != "retrieval":
                answer_set = squad.load(args.answers, args.answers_part)
                run_answers(url, answer_set, data_dir=data_dir, log=args.answers_log)
            if args.ops_screenshot:
                screenshot(f"{url}/_ops", args.ops_screenshot)
                print(f"\nOperator page after the run: {args.ops_screenshot}")
            if pinecone:
                requests = sum(pinecone.requests.values())
                print(f"\nPinecone requests: {dict(pinecone.requests)} ({requests} in all)")
        finally:
            stop_stack(process)
            if pinecone:
                pinecone.stop()


class _OwnerSession(httpx.Auth):
    """The evaluating owner's bearer token, renewed once it has ended: ingesting a corpus on a busy machine can
    outlive an access token's hour, and a 401 halfway through would lose the run."""

    requires_response_body = True

    def __init__(self, tokens: dict[str, Any]) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        sent = self.tokens["access_token"]
        request.headers["authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code != 401:
            return
        if self.tokens["access_token"] == sent:  # another thread may have renewed it meanwhile
            renewed = yield httpx.Request(
                "POST",
                request.url.copy_with(path="/auth/refresh", query=None),
                json={"refresh_token": self.tokens["refresh_token"]},
            )
            renewed.raise_for_status()
            self.tokens = {**self.tokens, **renewed.json()["tokens"]}
        request.headers["authorization"] = f"Bearer {self.tokens['access_token']}"
        yield request


def _evaluating_tenant(url: str, data_dir: Path) -> _OwnerSession:
    """A new tenant of the stack at `url` on the largest plan (as an operator would give it for a corpus of thousands
    of documents and hundreds of questions); returns its owner's session."""
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        email = f"eval-{uuid.uuid4().hex[:8]}@example.com"
        registered = anonymous.post("/auth/register", json={"email": email, "password": "evaluation-1"}).json()
    assign_plan(data_dir, registered["tenant"]["id"], "business")
    return _OwnerSession(registered["tokens"])


def _ingest(client: httpx.Client, chatbot: str, documents: list[tuple[str, str, str]], workers: int) -> _Pacer:
    """Upload (key, file name, text) documents and wait until each is indexed or failed (with a progress line)."""
    progress = Progress("ingest", len(documents), "documents")
    pacer = _Pacer(client, chatbot, window=BACKLOG, progress=progress)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda item: pacer.upload(*item), documents))
    pacer.finish()
    progress.finish()
    return pacer


def run(
    url: str, corpus: dict[str, str], splits: dict[str, beir.Dataset], *, workers: int, name: str, data_dir: Path
) -> None:
    """Evaluate through the stack at `url`, whose data is in `data_dir` (its tenant is put on the largest plan)."""
    with httpx.Client(base_url=url, timeout=60, auth=_evaluating_tenant(url, data_dir)) as client:
        chatbot = client.post("/chatbots", json={"name": f"eval {name}"}).json()["id"]
        # Files are named by position, so any corpus id (slashes included) maps back.
        corpus_ids = list(corpus)
        started = time.perf_counter()
        pacer = _ingest(
            client, chatbot, [(id_, f"doc-{n}.txt", corpus[id_]) for n, id_ in enumerate(corpus_ids)], workers
        )
        ingest = time.perf_counter() - started
        items = _all_documents(client, chatbot)
        chunks = sum(item["chunk_count"] for item in items)
        failed = {item["filename"]: item["error"] for item in items if item["status"] == "failed"}
        print(
            f"ingest: {len(corpus_ids)} documents, {chunks} chunks, {len(failed)} failed, "
            f"{len(pacer.empty)} empty (skipped), {len(pacer.refused)} refused, in {ingest:.0f} s: "
            f"{len(items) / ingest:.1f} documents/s, {chunks / ingest:.1f} chunks/s "
            "(upload through presigned URLs, S3 notification, SQS, ingest function)"
        )
        for corpus_id, why in sorted(pacer.refused.items()):
            print(f"  refused {corpus_id}: {why}")
        for filename, why in sorted(failed.items()):
            position = int(filename.removeprefix("doc-").removesuffix(".txt"))
            print(f"  failed {corpus_ids[position]}: {why}")
        client.post(f"/chatbots/{chatbot}/search", json={"query": "warm up", "top_k": 100})
        print(f"\n{'split':<8}{'queries':>8}{'nDCG@10':>9}{'Recall@100':>12}{'MRR@10':>9}{'p50 ms':>8}{'p95 ms':>8}")
        for split, dataset in splits.items():
            rankings, latencies = {}, []
            for query_id, text in dataset.queries.items():
                began = time.perf_counter()
                response = client.post(f"/chatbots/{chatbot}/search", json={"query": text, "top_k": 100})
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
                files = [hit["filename"] for hit in response.json()["results"]]
                positions = [int(name.removeprefix("doc-").removesuffix(".txt")) for name in files]
                rankings[query_id] = beir.documents_ranking([corpus_ids[position] for position in positions])
            result = beir.scores(rankings, dataset.qrels)
            print(
                f"{split:<8}{len(dataset.queries):>8}{result['nDCG@10']:>9.3f}{result['Recall@100']:>12.3f}"
                f"{result['MRR@10']:>9.3f}{statistics.median(latencies):>8.0f}{_percentile(latencies, 95):>8.0f}"
            )
        print("\nlatency: POST /search with top_k=100, HTTP through the local gateway, one client, after one warm-up")
        asked = {f"{split} (answerable)": list(dataset.queries.values()) for split, dataset in splits.items()}
        asked["off-topic (test)"] = off_topic_questions("test")
        print(f"\n{'abstention':<22}{'questions':>10}{'abstained':>11}")
        for label, questions in asked.items():
            rate = _abstain_rate(client, chatbot, questions)
            print(f"{label:<22}{len(questions):>10}{rate:>11.1%}")
        print(
            "abstained: no passage among the chatbot's top_k comes close enough to answer (its min_relevance), so "
            "the answer is 'not in the documents'; off-topic: local/tools/data/off_topic_questions.tsv"
        )


def _abstain_rate(client: httpx.Client, chatbot: str, questions: list[str]) -> float:
    """The share of questions the chatbot would answer with "not in the documents" (searched as answers search)."""
    abstained = 0
    for question in questions:
        response = client.post(f"/chatbots/{chatbot}/search", json={"query": question})
        response.raise_for_status()
        abstained += not response.json()["answerable"]
    return abstained / len(questions)


def run_answers(url: str, answer_set: squad.AnswerSet, *, data_dir: Path, log: Path | None = None) -> None:
    """Ask every question of the answer set through the stack at `url` (a chatbot holding its articles, of a tenant
    of its own) and print the answers table; `log` gets each question's answer and score as JSON Lines."""
    with httpx.Client(base_url=url, timeout=120, auth=_evaluating_tenant(url, data_dir)) as client:
        chatbot = client.post("/chatbots", json={"name": f"eval {answer_set.name}"}).json()["id"]
        started = time.perf_counter()
        pacer = _ingest(client, chatbot, [(name, name, text) for name, text in answer_set.documents.items()], 4)
        items = _all_documents(client, chatbot)
        chunks = sum(item["chunk_count"] for item in items)
        failed = [item["filename"] for item in items if item["status"] != "indexed"]
        print(
            f"\n{answer_set.name}: {len(answer_set.documents)} documents, {chunks} chunks, in "
            f"{time.perf_counter() - started:.0f} s; {len(failed) + len(pacer.refused)} not indexed"
        )
        rows, latencies, modes = [], [], collections.Counter[str]()
        for question in answer_set.questions:
            began = time.perf_counter()
            body = _asked(client, chatbot, question.text)
            latencies.append((time.perf_counter() - began) * 1000)
            modes[body["mode"]] += 1
            abstained = squad.abstains(body["answer"], body["answerable"])
            row = {
                "id": question.id,
                "article": question.article,
                "question": question.text,
                "gold": list(question.answers),
                "answer": body["answer"],
                "abstained": abstained,
                "holds": not abstained and squad.holds(body["answer"], question.answers),
            }
            rows.append(row)
        if log:
            log.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    answerable = [row for row in rows if row["gold"]]
    unanswerable = [row for row in rows if not row["gold"]]
    answered = [row for row in answerable if not row["abstained"]]
    words = statistics.mean(len(row["answer"].split()) for row in answered) if answered else 0.0
    print(
        f"\n{'answers':<18}{'questions':>10}{'holds gold':>12}{'abstained':>11}{'abstained':>11}{'words':>7}"
        f"{'p50 ms':>8}\n{'':<18}{'':>10}{'(answerable)':>12}{'(answer.)':>11}{'(unans.)':>11}{'':>7}{'':>8}"
    )
    print(
        f"{answer_set.name:<18}{f'{len(answerable)}+{len(unanswerable)}':>10}"
        f"{_share(answerable, 'holds'):>12}{_share(answerable, 'abstained'):>11}"
        f"{_share(unanswerable, 'abstained'):>11}{words:>7.0f}{statistics.median(latencies):>8.0f}"
    )
    print(
        f"questions: answerable+unanswerable; holds gold: the answer holds a gold answer (SQuAD's normalisation); "
        f"words: mean length of the answers given; mode: {dict(modes)}"
    )


def _asked(client: httpx.Client, chatbot: str, question: str) -> dict[str, Any]:
    """The chatbot's answer to a question (waiting out a rate limit the stack may still hold)."""
    while True:
        response = client.post(f"/chatbots/{chatbot}/query", json={"question": question})
        if response.status_code != 429:
            response.raise_for_status()
            return dict(response.json())
        time.sleep(float(response.headers.get("retry-after", "1")))


def _share(rows: list[dict[str, Any]], key: str) -> str:
    return f"{sum(row[key] for row in rows) / len(rows):.1%}" if rows else "-"


if __name__ == "__main__":
    main()
