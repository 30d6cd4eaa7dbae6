"""Crawl benchmark, on the local stack as `make run` serves it (embeddings through the OpenAI fake, which counts them).

1. Throughput: a generated 100-page site on 127.0.0.1 added as a website source (crawl mode), from the request to the
   source `ready` (every page fetched, written, indexed by ingest): pages per second.
2. Re-sync cost of the same site unchanged: requests the site received (and how many were answered 304), seconds
   until `ready` again, embedding requests (expected 0).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import httpx

from local.fakes.openai import FakeOpenAI
from local.fakes.sample_site import Response, SampleSite, page
from local.fakes.samples import prose
from local.stack.process import assign_plan, start_stack, stop_stack

PAGES = 100
WAIT_SECONDS = 900


def _site() -> SampleSite:
    site = SampleSite().start()
    others = tuple(f"/p/{n}" for n in range(PAGES - 1))
    site.pages["/robots.txt"] = Response(b"User-agent: *\nAllow: /\n", "text/plain")
    site.pages["/"] = page("Home", prose(0, 100), links=others)
    for n in range(PAGES - 1):
        neighbours = tuple(f"/p/{(n + step) % (PAGES - 1)}" for step in (1, 2, 3))
        site.pages[f"/p/{n}"] = page(f"Page {n}", prose(n + 1, 300), links=("/", *neighbours))
    return site


def _until_ready(api: httpx.Client, auth: dict[str, str], path: str) -> dict[str, object]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        source = api.get(path, headers=auth).json()
        if source["status"] != "syncing":
            return dict(source)
        if time.monotonic() > deadline:
            raise RuntimeError(f"the source was still syncing after {WAIT_SECONDS} s: {source}")
        time.sleep(0.2)


def main() -> None:
    model = FakeOpenAI().start()
    site = _site()
    folder = Path(tempfile.mkdtemp(prefix="parley-crawl-bench-"))
    process, url = start_stack(
        folder / "data",
        folder / "stack.log",
        env={"OPENAI_API_KEY": "sk-local-bench", "OPENAI_BASE_URL": model.base_url},
        function_env={"PARLEY_EMBEDDER": "openai", "PARLEY_CRAWL_SETTLE_SECONDS": "1"},
    )
    try:
        with httpx.Client(base_url=url, timeout=60) as api:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            account = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"}).json()
            # 100 pages and their documents are past the free plan's limits: an operator's business plan.
            assign_plan(folder / "data", account["tenant"]["id"], "business")
            auth = {"authorization": f"Bearer {account['tokens']['access_token']}"}
            bot = api.post("/chatbots", headers=auth, json={"name": "Bench"}).json()["id"]

            started = time.perf_counter()
            body = {"type": "website", "url": f"{site.url}/", "mode": "crawl", "max_pages": PAGES}
            created = api.post(f"/chatbots/{bot}/sources", headers=auth, json=body).json()
            path = f"/chatbots/{bot}/sources/{created['id']}"
            first = _until_ready(api, auth, path)
            crawl_seconds = time.perf_counter() - started
            indexed = first["counts"]["indexed"]  # type: ignore[index]
            print(f"crawl: {indexed} pages indexed in {crawl_seconds:.1f} s = {indexed / crawl_seconds:.2f} pages/s")
            print(f"  counts {first['counts']}, site requests {sum(site.requests.values())}")

            site.reset_counts()
            embeddings = model.requests["/v1/embeddings"]
            started = time.perf_counter()
            api.post(f"{path}/sync", headers=auth).raise_for_status()
            again = _until_ready(api, auth, path)
            resync_seconds = time.perf_counter() - started
            print(
                f"re-sync (unchanged): {sum(site.requests.values())} requests to the site "
                f"({site.not_modified} answered 304), {resync_seconds:.1f} s, "
                f"{model.requests['/v1/embeddings'] - embeddings} embedding requests; counts {again['counts']}"
            )
    finally:
        stop_stack(process)
        site.stop()
        model.stop()


if __name__ == "__main__":
    main()
