"""Every route's AWS calls and latency, and ingest's calls per document and per chunk, through the local stack.

For each route of shared/openapi.json and the WebSocket's sendMessage: the AWS calls one request makes (read from the
AWS proxy's counts, /_ops/aws-calls.json: every call a function signs and moto answers, by operation; the route's
function and the HTTP authorizer, not what runs later from a queue) and the local p50/p95 of RUNS requests after one
to warm the function. Then SciFact abstracts uploaded through the API: the calls per document and per chunk of
everything that ran (upload, ingest), and the chunks a second through the stack beside the embedder's own rate on
the same abstracts in this process. The stack is `make run`'s (MiniLM, the local index, extractive answers: no model
key), the owner on the business plan.

    python -m tests.benchmarks.requests [--root /tmp/worktree-of-main --python /tmp/worktree-of-main/.venv/bin/python]

With `--root`, the stack is another checkout's (its own interpreter), driven by the same requests: a commit whose
stack does not count calls gets latencies only. Timings are of a shared 2-core machine: read the counts first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from parley.domain.plans import PAGE_CHARACTERS
from websockets.sync.client import ClientConnection, connect

from local.fakes.sample_site import SampleSite, every_kind_of_page
from local.fakes.samples import GUIDE
from local.stack.process import free_port, send_upload, stop_stack
from local.stack.stack import ROOT
from local.tools import beir
from tests.benchmarks import costs

RUNS = 30
DATASET = Path(os.environ.get("PARLEY_BENCH_DATASET", ROOT.parent / "shared" / "data" / "scifact"))
# Ingest's sample: enough abstracts that the batching window (5 s before the first batch) and the last batch's tail
# are a small part of the time, uploaded UPLOADS at a time as the console and the eval upload.
INGEST_DOCUMENTS = 300
UPLOADS = 8
ENDED = ("indexed", "failed")
CORE_DOCUMENTS = 30
SITE = "https://shop.example.com"
# Functions that run from queues and schedules, never as a request's own work.
BACKGROUND = (
    "IngestFunction",
    "IngestDeadLetterFunction",
    "ErasureFunction",
    "CrawlFunction",
    "SourceSyncFunction",
    "UploadExpiryFunction",
)

Calls = dict[str, int]


@dataclass
class Measured:
    route: str
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    calls: list[Calls] = field(default_factory=list)

    def typical_calls(self) -> Calls | None:
        """The calls most requests made (requests of one route make the same calls, unless a cache expired)."""
        if not self.calls:
            return None
        counted = Counter(json.dumps(calls, sort_keys=True) for calls in self.calls)
        return dict(json.loads(counted.most_common(1)[0][0]))

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Bench:
    def __init__(self, url: str) -> None:
        self.url = url
        self.api = httpx.Client(base_url=url, timeout=120)
        self.counting = self.api.get("/_ops/aws-calls.json").status_code == 200
        self.results: list[Measured] = []

    def counts(self) -> dict[str, Calls]:
        return dict(self.api.get("/_ops/aws-calls.json").json()) if self.counting else {}

    def measure(self, route: str, request: Callable[[int], int], runs: int = RUNS, *, warm: bool = True) -> Measured:
        """`request(n)` makes the n-th request and returns its status; one more first (n = -1) warms the function."""
        if warm:
            request(-1)
        measured = Measured(route)
        for n in range(runs):
            before = self.counts()
            started = time.perf_counter()
            status = request(n)
            measured.latencies_ms.append((time.perf_counter() - started) * 1000)
            measured.statuses[status] += 1
            if self.counting:
                measured.calls.append(_foreground(_difference(before, self.counts())))
        self.results.append(measured)
        return measured


def _difference(before: Mapping[str, Calls], after: Mapping[str, Calls]) -> dict[str, Calls]:
    made = {}
    for function, operations in after.items():
        counted = {op: n - before.get(function, {}).get(op, 0) for op, n in operations.items()}
        if any(counted.values()):
            made[function] = {op: n for op, n in counted.items() if n}
    return made


def _foreground(made: Mapping[str, Calls]) -> Calls:
    total: Counter[str] = Counter()
    for function, operations in made.items():
        if function not in BACKGROUND:
            total.update(operations)
    return dict(total)


def _register(api: httpx.Client) -> dict[str, Any]:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    response = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
    response.raise_for_status()
    return {**response.json(), "email": email}


def _bearer(account: Mapping[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {account['tokens']['access_token']}"}


def _wait_indexed(
    api: httpx.Client, auth: Mapping[str, str], bot: str, documents: list[str], limit: float, every: float = 0.5
) -> None:
    """Wait until every document is indexed or failed: read from the chatbot's document list, a page of 100 a
    request, each `every` seconds (polling each document would take the stack's CPU from the ingest it measures);
    from each document where the stack lists no pages (an older commit)."""
    started = time.monotonic()
    pending = set(documents)
    while pending:
        if time.monotonic() - started > limit:
            raise RuntimeError(f"{len(pending)} documents not indexed within {limit} s")
        pending -= {document for document, status in _statuses(api, auth, bot, pending) if status in ENDED}
        time.sleep(every)


def _statuses(api: httpx.Client, auth: Mapping[str, str], bot: str, documents: set[str]) -> list[tuple[str, str]]:
    listed = api.get(f"/chatbots/{bot}/documents", headers=auth, params={"limit": 100}).json()
    if not isinstance(listed, dict) or "items" not in listed:
        return [(d, api.get(f"/chatbots/{bot}/documents/{d}", headers=auth).json()["status"]) for d in documents]
    found = [(item["id"], item["status"]) for item in listed["items"]]
    while listed.get("next_cursor"):
        params = {"limit": 100, "cursor": listed["next_cursor"]}
        listed = api.get(f"/chatbots/{bot}/documents", headers=auth, params=params).json()
        found += [(item["id"], item["status"]) for item in listed["items"]]
    return found


def _upload(api: httpx.Client, auth: Mapping[str, str], bot: str, name: str, text: str) -> str:
    data = text.encode()
    created = api.post(
        f"/chatbots/{bot}/documents",
        headers=auth,
        json={"filename": name, "content_type": "text/markdown", "size_bytes": len(data)},
    )
    created.raise_for_status()
    ticket = created.json()["upload"]
    if "fields" in ticket:
        send_upload(ticket, data).raise_for_status()
    else:  # a commit from before form uploads: a presigned PUT
        httpx.put(ticket["url"], content=data, headers=ticket["headers"], timeout=60).raise_for_status()
    return str(created.json()["document"]["id"])


def routes(bench: Bench, data_dir: Path, python: str, root: Path) -> None:
    api = bench.api
    owner = _register(api)
    _assign_plan(python, root, data_dir, owner["tenant"]["id"])
    auth = _bearer(owner)
    bot = api.post(
        "/chatbots", headers=auth, json={"name": "Llamas", "visibility": "public", "allowed_origins": [SITE]}
    ).json()
    chatbot = f"/chatbots/{bot['id']}"
    _wait_indexed(api, auth, bot["id"], [_upload(api, auth, bot["id"], "guide.md", GUIDE)], 120)
    documents = [_upload(api, auth, bot["id"], f"note-{n}.md", f"# Note {n}\n\nLlamas hum {n}.") for n in range(3)]
    _wait_indexed(api, auth, bot["id"], documents, 120)

    def get(path: str, **options: Any) -> Callable[[int], int]:
        return lambda _n: api.get(path, headers=options.pop("headers", auth), **options).status_code

    def post(path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Callable[[int], int]:
        return lambda _n: api.post(path, headers=headers or auth, json=body).status_code

    bench.measure("GET /health", get("/health"))
    bench.measure("POST /auth/register", lambda _n: api.post("/auth/register", json=_new_account()).status_code, 10)
    login = {"email": owner["email"], "password": "correct-horse-1"}
    bench.measure("POST /auth/login", lambda _n: api.post("/auth/login", json=login).status_code, 10)
    refresh = {"refresh_token": owner["tokens"]["refresh_token"]}
    bench.measure("POST /auth/refresh", lambda _n: api.post("/auth/refresh", json=refresh).status_code, 10)
    bench.measure("GET /auth/me", get("/auth/me"))
    bench.measure("GET /chatbots", get("/chatbots"))
    bench.measure("POST /chatbots", post("/chatbots", {"name": "Another"}), 10)
    bench.measure("GET /chatbots/{chatbot_id}", get(chatbot))
    bench.measure(
        "PATCH /chatbots/{chatbot_id}",
        lambda n: api.patch(chatbot, headers=auth, json={"description": f"v{n}"}).status_code,
    )
    created: list[dict[str, Any]] = []

    def create_document(n: int) -> int:
        response = api.post(
            f"{chatbot}/documents",
            headers=auth,
            json={"filename": f"later-{n}.md", "content_type": "text/markdown", "size_bytes": 10},
        )
        created.append(response.json())
        return response.status_code

    bench.measure("POST /chatbots/{chatbot_id}/documents", create_document, 10)
    bench.measure("GET /chatbots/{chatbot_id}/documents", get(f"{chatbot}/documents"))
    document = f"{chatbot}/documents/{documents[0]}"
    replace = {"filename": "note-0.md", "content_type": "text/markdown", "size_bytes": 20}
    bench.measure(
        "PUT /chatbots/{chatbot_id}/documents/{document_id}",
        lambda _n: api.put(document, headers=auth, json=replace).status_code,
        10,
    )
    bench.measure("GET /chatbots/{chatbot_id}/documents/{document_id}", get(document))
    unused = iter(item["document"]["id"] for item in created)
    bench.measure(
        "DELETE /chatbots/{chatbot_id}/documents/{document_id}",
        lambda _n: api.delete(f"{chatbot}/documents/{next(unused)}", headers=auth).status_code,
        len(created) - 1,
    )
    search = {"query": "What do llamas eat?", "top_k": 10}
    bench.measure("POST /chatbots/{chatbot_id}/search", post(f"{chatbot}/search", search))
    answers: list[dict[str, Any]] = []

    def ask(n: int) -> int:
        response = api.post(f"{chatbot}/query", headers=auth, json={"question": f"What do llamas eat? ({n})"})
        answers.append(response.json())
        return response.status_code

    bench.measure("POST /chatbots/{chatbot_id}/query", ask)
    bench.measure("GET /chatbots/{chatbot_id}/conversations", get(f"{chatbot}/conversations"))
    conversation = f"{chatbot}/conversations/{answers[0]['conversation_id']}"
    bench.measure("GET /chatbots/{chatbot_id}/conversations/{conversation_id}", get(conversation))
    bench.measure("GET /chatbots/{chatbot_id}/conversations/export", get(f"{chatbot}/conversations/export"), 10)
    rated = iter(answers)
    bench.measure(
        "POST /chatbots/{chatbot_id}/messages/{message_id}/feedback",
        lambda _n: (
            api.post(
                f"{chatbot}/messages/{next(rated)['message_id']}/feedback", headers=auth, json={"rating": "up"}
            ).status_code
        ),
        10,
    )
    bench.measure("GET /chatbots/{chatbot_id}/analytics", get(f"{chatbot}/analytics"))
    public = f"/public/chatbots/{bot['public_key']}"
    visitor = {"origin": SITE, "x-visitor-id": "visitor-bench-0001"}
    bench.measure("GET /public/chatbots/{public_key}", lambda _n: api.get(public, headers=visitor).status_code)
    public_answers: list[tuple[dict[str, str], dict[str, Any]]] = []

    def ask_publicly(n: int) -> int:
        visitor_n = {**visitor, "x-visitor-id": f"visitor-bench-{n + 2:04d}"}
        response = api.post(f"{public}/query", headers=visitor_n, json={"question": "What do llamas eat?"})
        public_answers.append((visitor_n, response.json()))
        return response.status_code

    bench.measure("POST /public/chatbots/{public_key}/query", ask_publicly, 10)

    def rate_publicly(n: int) -> int:
        who, answer = public_answers[n + 1]
        path = f"{public}/messages/{answer['message_id']}/feedback"
        return api.post(path, headers=who, json={"rating": "up"}).status_code

    bench.measure(
        "POST /public/chatbots/{public_key}/messages/{message_id}/feedback", rate_publicly, len(public_answers) - 1
    )
    with connect(_ws(bench.url, owner["tokens"]["access_token"]), open_timeout=60) as socket:
        bench.measure("sendMessage (WebSocket)", _chat(socket, bot["id"]), 10)
    keys: list[str] = []

    def create_key(n: int) -> int:
        response = api.post("/api-keys", headers=auth, json={"name": f"key {n}"})
        keys.append(response.json()["id"])
        return response.status_code

    bench.measure("POST /api-keys", create_key, 10)
    bench.measure("GET /api-keys", get("/api-keys"))
    bench.measure(
        "DELETE /api-keys/{key_id}", lambda _n: api.delete(f"/api-keys/{keys.pop()}", headers=auth).status_code, 9
    )
    bench.measure("GET /members", get("/members"))
    invitations: list[tuple[str, str]] = []

    def invite(n: int) -> int:
        email = f"member-{n + 1}-{uuid.uuid4().hex[:6]}@example.com"
        response = api.post("/members/invitations", headers=auth, json={"email": email, "role": "member"})
        invitations.append((email, response.json()["code"]))
        return response.status_code

    bench.measure("POST /members/invitations", invite, 12)
    # The first four are withdrawn, the next five accepted.
    by_email = {item["email"]: item["id"] for item in api.get("/members", headers=auth).json()["invitations"]}
    pending = iter(by_email[email] for email, _ in invitations[:4])
    bench.measure(
        "DELETE /members/invitations/{invitation_id}",
        lambda _n: api.delete(f"/members/invitations/{next(pending)}", headers=auth).status_code,
        4,
        warm=False,
    )
    invitees = [
        (api.post("/auth/register", json={"email": email, "password": "correct-horse-1"}).json(), code)
        for email, code in invitations[4:9]
    ]
    members = [member["user"]["id"] for member, _ in invitees]
    bench.measure(
        "POST /members",
        lambda n: (
            api.post("/members", headers=_bearer(invitees[n][0]), json={"invitation": invitees[n][1]}).status_code
        ),
        5,
        warm=False,
    )
    bench.measure(
        "PATCH /members/{user_id}",
        lambda n: api.patch(f"/members/{members[n]}", headers=auth, json={"role": "admin"}).status_code,
        4,
        warm=False,
    )
    bench.measure(
        "DELETE /members/{user_id}",
        lambda n: api.delete(f"/members/{members[n]}", headers=auth).status_code,
        4,
        warm=False,
    )
    bench.measure("GET /usage", get("/usage"))
    sources: list[str] = []

    def add_source(n: int) -> int:
        body = {"type": "text", "title": f"Snippet {n}", "text": f"Llamas hum softly, note {n}."}
        response = api.post(f"{chatbot}/sources", headers=auth, json=body)
        sources.append(response.json().get("id", ""))
        return response.status_code

    bench.measure("POST /chatbots/{chatbot_id}/sources", add_source, 10)
    bench.measure("GET /chatbots/{chatbot_id}/sources", get(f"{chatbot}/sources"))
    source = f"{chatbot}/sources/{sources[0]}"
    bench.measure("GET /chatbots/{chatbot_id}/sources/{source_id}", get(source))
    bench.measure(
        "PATCH /chatbots/{chatbot_id}/sources/{source_id}",
        lambda n: api.patch(source, headers=auth, json={"title": f"Snippet v{n}"}).status_code,
        10,
    )
    bench.measure(
        "DELETE /chatbots/{chatbot_id}/sources/{source_id}",
        lambda _n: api.delete(f"{chatbot}/sources/{sources.pop()}", headers=auth).status_code,
        9,
    )
    site = SampleSite().start()
    try:
        every_kind_of_page(site)
        body = {"type": "website", "url": f"{site.url}/docs/", "mode": "sitemap", "max_pages": 5}
        website = f"{chatbot}/sources/{api.post(f'{chatbot}/sources', headers=auth, json=body).json()['id']}"
        _wait_synced(api, auth, website)
        bench.measure("GET /chatbots/{chatbot_id}/sources/{source_id}/pages", get(f"{website}/pages"))

        def sync(_n: int) -> int:
            status = api.post(f"{website}/sync", headers=auth).status_code
            _wait_synced(api, auth, website)
            return status

        bench.measure("POST /chatbots/{chatbot_id}/sources/{source_id}/sync", sync, 3, warm=False)
    finally:
        site.stop()
    spare = [api.post("/chatbots", headers=auth, json={"name": f"Spare {n}"}).json()["id"] for n in range(6)]
    bench.measure(
        "DELETE /chatbots/{chatbot_id}",
        lambda _n: api.delete(f"/chatbots/{spare.pop()}", headers=auth).status_code,
        5,
    )
    leaving = [_bearer(_register(api)) for _ in range(10)]
    bench.measure(
        "POST /auth/logout", lambda n: api.post("/auth/logout", headers=leaving[n]).status_code, 5, warm=False
    )
    bench.measure(
        "DELETE /account", lambda n: api.delete("/account", headers=leaving[5 + n]).status_code, 5, warm=False
    )


def core(bench: Bench, data_dir: Path, python: str, root: Path) -> None:
    """The routes issue 25 measured first, on an owner with SciFact abstracts indexed: what any commit serves."""
    api = bench.api
    owner = _register(api)
    _assign_plan(python, root, data_dir, owner["tenant"]["id"])
    auth = _bearer(owner)
    bot = api.post("/chatbots", headers=auth, json={"name": "SciFact"}).json()["id"]
    corpus = list(beir.load(DATASET, "test").corpus.items())[:CORE_DOCUMENTS]
    documents = [_upload(api, auth, bot, f"{doc_id}.md", text) for doc_id, text in corpus]
    _wait_indexed(api, auth, bot, documents, 1800)
    bench.measure("GET /health", lambda _n: api.get("/health").status_code)
    bench.measure("GET /chatbots", lambda _n: api.get("/chatbots", headers=auth).status_code)
    search = {"query": "What do llamas eat?", "top_k": 10}
    bench.measure(
        "POST /chatbots/{chatbot_id}/search",
        lambda _n: api.post(f"/chatbots/{bot}/search", headers=auth, json=search).status_code,
    )
    bench.measure(
        "POST /chatbots/{chatbot_id}/query",
        lambda n: (
            api.post(f"/chatbots/{bot}/query", headers=auth, json={"question": f"What is BRCA1? ({n})"}).status_code
        ),
    )


def _wait_synced(api: httpx.Client, auth: Mapping[str, str], source: str) -> None:
    deadline = time.monotonic() + 120
    while api.get(source, headers=auth).json()["status"] == "syncing":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{source} still syncing after 120 s")
        time.sleep(0.25)


def _new_account() -> dict[str, str]:
    return {"email": f"bench-{uuid.uuid4().hex[:10]}@example.com", "password": "correct-horse-1"}


def _ws(url: str, token: str) -> str:
    return "ws" + url.removeprefix("http") + "/?token=" + token


def _chat(socket: ClientConnection, bot: str) -> Callable[[int], int]:
    def send(n: int) -> int:
        socket.send(json.dumps({"action": "sendMessage", "chatbot_id": bot, "question": f"When do llamas hum? ({n})"}))
        frames = [json.loads(socket.recv(timeout=120))]
        while frames[-1]["type"] not in ("done", "error"):
            frames.append(json.loads(socket.recv(timeout=120)))
        return 200 if frames[-1]["type"] == "done" else 500

    return send


def ingest(bench: Bench, data_dir: Path, python: str, root: Path) -> dict[str, Any]:
    """SciFact abstracts uploaded at once through the API: calls per document and per chunk, chunks a second."""
    api = bench.api
    owner = _register(api)
    _assign_plan(python, root, data_dir, owner["tenant"]["id"])
    auth = _bearer(owner)
    bot = api.post("/chatbots", headers=auth, json={"name": "SciFact"}).json()["id"]
    corpus = list(beir.load(DATASET, "test").corpus.items())[:INGEST_DOCUMENTS]
    before = bench.counts()
    started = datetime.now(UTC)
    with ThreadPoolExecutor(UPLOADS) as pool:
        documents = list(pool.map(lambda item: _upload(api, auth, bot, f"{item[0]}.md", item[1]), corpus))
    uploaded = bench.counts()
    # Polled every 2 s: the list's pages cost the stack's CPU, which the ingest measured needs. The time is the
    # stack's own, when the last document ended, not when a poll saw it.
    _wait_indexed(api, auth, bot, documents, 1800, every=2)
    # The uploads' calls (create, the browser's POST), and the ingest function's until the last document ended: not
    # the status polls of this script's wait.
    made = {f: c for f, c in _difference(before, uploaded).items() if f != "IngestFunction"}
    made["IngestFunction"] = _difference(before, bench.counts()).get("IngestFunction", {})
    listed = [api.get(f"/chatbots/{bot}/documents/{d}", headers=auth).json() for d in documents]
    chunks = sum(int(item.get("chunk_count") or item.get("chunks") or 0) for item in listed)
    statuses = Counter(item["status"] for item in listed)
    ended = max(datetime.fromisoformat(item["updated_at"]) for item in listed)
    # The pages the documents count as on a plan (text: a page per PAGE_CHARACTERS), for the cost of 1,000 pages.
    pages = sum(max(1, math.ceil(len(text) / PAGE_CHARACTERS)) for _, text in corpus)
    return {
        "documents": len(documents),
        "statuses": dict(statuses),
        "chunks": chunks,
        "pages": pages,
        "tokens": sum(int(item.get("token_count") or 0) for item in listed),
        "seconds": (ended - started).total_seconds(),
        "calls": made,
    }


def embedder_rate(texts: list[str]) -> float:
    """Passages a second the embedded model alone embeds, in batches as ingest sends them."""
    from parley.adapters.embedded.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    embedder.embed_documents(texts[:8])
    started = time.perf_counter()
    embedder.embed_documents(texts)
    return len(texts) / (time.perf_counter() - started)


def _assign_plan(python: str, root: Path, data_dir: Path, tenant: str) -> None:
    if not (root / "local" / "tools" / "plans.py").exists():
        return  # a commit from before plans: no plan limits either
    command = [python, "-m", "local.tools.plans", "assign", tenant, "business"]
    environment = {**os.environ, "PARLEY_DATA_DIR": str(data_dir)}
    subprocess.run(command, check=True, cwd=root, stdout=subprocess.DEVNULL, env=environment)


def start(root: Path, python: str, data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    arguments = ["--port", str(port), "--data-dir", str(data_dir)]
    # What an older commit's stack does not take, it goes without (it keeps no state and logs as it logs).
    usage = subprocess.run([python, "-m", "local", "--help"], check=False, cwd=root, capture_output=True, text=True)
    accepted = usage.stdout
    arguments += [
        option for option in ("--ephemeral", "--env=POWERTOOLS_LOG_LEVEL=WARNING") if option.split("=")[0] in accepted
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [python, "-m", "local", *arguments], cwd=root, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the stack at {root} did not start:\n{log.read_text()[-3000:]}")


def _operations(calls: Calls | None) -> str:
    if calls is None:
        return "(not counted)"
    if not calls:
        return "none"
    return ", ".join(f"{op} x {n}" if n > 1 else op for op, n in sorted(calls.items()))


def report(label: str, bench: Bench, ingested: Mapping[str, Any] | None, rate: float | None) -> dict[str, Any]:
    print(f"\n{label}: {RUNS} requests a route (fewer for routes that use something up), after one to warm up")
    print(f"  {'route':62} {'p50 ms':>7} {'p95 ms':>7} {'calls':>5}  AWS calls of one request")
    rows = []
    for measured in bench.results:
        calls = measured.typical_calls()
        total = sum(calls.values()) if calls is not None else None
        p50, p95 = statistics.median(measured.latencies_ms), measured.percentile(0.95)
        odd = {status: n for status, n in measured.statuses.items() if status >= 400}
        note = f"  (statuses {dict(measured.statuses)})" if odd else ""
        shown = "-" if total is None else str(total)
        print(f"  {measured.route:62} {p50:7.0f} {p95:7.0f} {shown:>5}  {_operations(calls)}{note}")
        rows.append({"route": measured.route, "p50_ms": p50, "p95_ms": p95, "calls": calls})
    summary: dict[str, Any] = {"routes": rows}
    if ingested is not None and rate is not None:
        chunks, documents = ingested["chunks"], ingested["documents"]
        through = chunks / ingested["seconds"]
        seconds = ingested["seconds"]
        print(f"  ingest: {documents} SciFact abstracts ({ingested['statuses']}), {chunks} chunks in {seconds:.1f} s")
        print(
            f"    through the stack {through:6.1f} chunks/s, the embedder alone {rate:6.1f} passages/s in this process"
        )
        print(f"    ratio {through / rate:.0%}")
        ingest_calls: Counter[str] = Counter()
        for operations in ingested["calls"].values():
            ingest_calls.update(operations)
        for operation, count in sorted(ingest_calls.items()):
            print(f"    {operation:36} {count / documents:7.2f} a document {count / max(chunks, 1):7.2f} a chunk")
        summary["ingest"] = {**ingested, "through_per_s": through, "embedder_per_s": rate}
    return summary


def run(root: Path, python: str, label: str, *, with_ingest: bool, core_only: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        process, url = start(root, python, data_dir, Path(scratch) / "stack.log")
        try:
            bench = Bench(url)
            ingested = None
            try:
                (core if core_only else routes)(bench, data_dir, python, root)
                ingested = ingest(bench, data_dir, python, root) if with_ingest else None
            except Exception as error:
                print(f"{label}: the tour stopped at {type(error).__name__}: {error}")
        finally:
            stop_stack(process)
    rate = None
    if ingested is not None:
        texts = [text for _, text in list(beir.load(DATASET, "test").corpus.items())[:INGEST_DOCUMENTS]]
        rate = embedder_rate(texts)
    return report(label, bench, ingested, rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose stack to measure")
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--no-ingest", action="store_true")
    parser.add_argument("--core", action="store_true", help="the four routes of issue 25's table only (older commits)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--before",
        type=Path,
        action="append",
        default=[],
        help="a checkout (with its own .venv) to measure first, on the core routes: `make bench BEFORE=…`",
    )
    args = parser.parse_args()
    figures = {}
    for before in args.before:
        python = str(before / ".venv" / "bin" / "python")
        figures[f"before: {before}"] = run(before, python, f"before: {before}", with_ingest=False, core_only=True)
    label = args.label
    figures[label] = run(args.root, args.python, label, with_ingest=not args.no_ingest, core_only=args.core)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if not args.core and all(row["calls"] is not None for row in figures[label]["routes"]):
        costs.report(figures[label])


if __name__ == "__main__":
    main()
