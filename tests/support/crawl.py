"""Website sources in tests: what a crawl of the sample website's every kind of page (local/fakes/sample_site.py)
finds, held to one expectation by the test of the crawl function (in-process moto) and the test of the local stack
(over HTTP), and the wait for a source's sync to end over HTTP."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

# Each page's outcome: indexed, or why not (robots.txt, a redirect loop, a 404, noindex, a canonical duplicate, an
# image).
EVERY_KIND_OF_PAGE_OUTCOMES = {
    "/": "indexed",
    "/docs/feeding": "indexed",
    "/docs/shearing": "indexed",
    "/docs/old": "indexed",
    "/manual.pdf": "indexed",
    "/private/ledger": "skipped",
    "/loop": "failed",
    "/missing": "failed",
    "/hidden": "skipped",
    "/feeding-copy": "skipped",
    "/logo.png": "skipped",
}


def assert_every_kind_of_page_found(found: Mapping[str, Mapping[str, Any]], base: str) -> None:
    """`found` (a page's path → the source's page) holds every page of `every_kind_of_page` served at `base` with its
    outcome, and where a page was not indexed the reason says why."""
    assert {path: item["status"] for path, item in found.items()} == EVERY_KIND_OF_PAGE_OUTCOMES
    assert "robots.txt" in found["/private/ledger"]["reason"]
    assert "loop" in found["/loop"]["reason"]
    assert "404" in found["/missing"]["reason"]
    assert "noindex" in found["/hidden"]["reason"]
    assert found["/feeding-copy"]["reason"] == f"Its canonical address is {base}/docs/feeding"
    assert found["/logo.png"]["reason"] == "Not HTML or PDF"


def settled_source(api: httpx.Client, auth: Mapping[str, str], path: str, seconds: float) -> dict[str, Any]:
    """The website source at `path` once its sync has ended (it is no longer `syncing`), read every quarter second
    for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        source = api.get(path, headers=dict(auth)).json()
        if source["status"] != "syncing":
            return dict(source)
        assert time.monotonic() < deadline, f"the source was still syncing: {source}"
        time.sleep(0.25)
