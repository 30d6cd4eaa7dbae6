"""Website sources crawled by the crawl function against moto, from a site served on 127.0.0.1 (loopback allowed, as
only the local stack allows it): every page's outcome, a re-sync that costs nothing for unchanged pages, changed and
removed pages, sitemap mode, the schedule, and the deployed settings refusing loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import Container, get_container
from parley.crawling.fetch import FetchRefused, fetch
from parley.domain.common import utcnow
from parley.domain.sources import CrawlMessage
from parley.services.crawl import RetryLater
from parley.settings import Settings

from local.fakes.openai import FakeOpenAI
from local.fakes.sample_site import Response, SampleSite, every_kind_of_page, page, sitemap
from local.stack.stack import ROOT
from local.template import Resolver, functions, load_template, parameter_values
from tests.support.crawl import assert_every_kind_of_page_found

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@pytest.fixture
def function_environment() -> dict[str, str]:
    # Loopback as the local stack allows it; a sync whose documents are still being indexed looks again at once.
    return {"PARLEY_FETCH_ALLOW_LOOPBACK": "true", "PARLEY_CRAWL_SETTLE_SECONDS": "0"}


@pytest.fixture
def site() -> Any:
    served = SampleSite().start()
    yield served
    served.stop()


def call(
    lambdas: Functions, account: dict[str, Any], method: str, path: str, body: Any = None, **ids: str
) -> tuple[int, Any]:
    return lambdas.call("UploadFunction", method, path, sub=account["user"]["id"], body=body, path_parameters=ids)


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, name="F")


def add_website(lambdas: Functions, owner: dict[str, Any], bot: Any, url: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "website", "url": url, **fields}
    status, created = call(lambdas, owner, "POST", "/chatbots/{chatbot_id}/sources", body, chatbot_id=bot["id"])
    assert status == 201, created
    return dict(created)


def shown(lambdas: Functions, owner: dict[str, Any], bot: Any, source_id: str) -> dict[str, Any]:
    status, found = call(
        lambdas, owner, "GET", "/chatbots/{chatbot_id}/sources/{source_id}", chatbot_id=bot["id"], source_id=source_id
    )
    assert status == 200, found
    return dict(found)


def pages(lambdas: Functions, owner: dict[str, Any], bot: Any, source_id: str, base: str) -> dict[str, dict[str, Any]]:
    status, listed = call(
        lambdas,
        owner,
        "GET",
        "/chatbots/{chatbot_id}/sources/{source_id}/pages",
        chatbot_id=bot["id"],
        source_id=source_id,
    )
    assert status == 200, listed
    return {item["url"].removeprefix(base): item for item in listed["items"]}


def documents(lambdas: Functions, owner: dict[str, Any], bot: Any) -> dict[str, dict[str, Any]]:
    status, listed = call(lambdas, owner, "GET", "/chatbots/{chatbot_id}/documents", chatbot_id=bot["id"])
    assert status == 200, listed
    return {item["url"]: item for item in listed["items"]}


def outcomes(found: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {path: item["status"] for path, item in found.items()}


def test_a_crawl_ends_every_page_with_its_outcome_and_a_resync_costs_nothing_for_unchanged_pages(
    lambdas: Functions, owner: dict[str, Any], bot: Any, site: Any, openai_fake: FakeOpenAI
) -> None:
    # Given a site with every kind of page, crawled from its home page
    every_kind_of_page(site)
    base = site.url
    created = add_website(lambdas, owner, bot, f"{base}/", mode="crawl")

    # When the crawl and ingest have run
    lambdas.deliver()

    # Then every page has its outcome, with a reason where it was not indexed
    source = shown(lambdas, owner, bot, created["id"])
    found = pages(lambdas, owner, bot, created["id"], base)
    assert_every_kind_of_page_found(found, base)
    assert found["/docs/feeding"]["title"] == "Feeding"
    assert site.requests["/docs/feeding"] == 1  # the canonical duplicate did not fetch it again
    assert (source["status"], source["counts"]) == ("ready", {"found": 11, "indexed": 5, "failed": 2, "skipped": 4})
    assert source["last_synced_at"] is not None
    assert source["next_sync_at"] is not None
    # And each indexed page is a document of the source, linked by its address and named by its title (an HTML page's
    # that has one; else its address, as the PDF's)
    written = documents(lambdas, owner, bot)
    assert set(written) == {f"{base}{path}" for path, status in outcomes(found).items() if status == "indexed"}
    assert {item["status"] for item in written.values()} == {"indexed"}
    assert {item["source_id"] for item in written.values()} == {created["id"]}
    assert written[f"{base}/docs/feeding"]["filename"] == "Feeding"
    assert written[f"{base}/manual.pdf"]["filename"] == f"{base}/manual.pdf"
    assert found["/docs/shearing"]["document_id"] == written[f"{base}/docs/shearing"]["id"]

    # Given one page changed and one no longer linked (and gone)
    site.pages["/docs/shearing"] = page("Shearing", "Llamas are shorn in early summer now.")
    del site.pages["/docs/old"]
    site.reset_counts()
    embeddings = openai_fake.requests["/v1/embeddings"]

    # When the source syncs again
    status, syncing = call(
        lambdas,
        owner,
        "POST",
        "/chatbots/{chatbot_id}/sources/{source_id}/sync",
        chatbot_id=bot["id"],
        source_id=created["id"],
    )
    assert (status, syncing["status"]) == (202, "syncing")
    lambdas.deliver()

    # Then the changed page is indexed again in place, the gone one removed with its document, and the unchanged
    # ones cost a conditional request each and no embedding
    again = pages(lambdas, owner, bot, created["id"], base)
    assert again["/docs/old"]["status"] == "removed"
    assert again["/docs/shearing"]["document_id"] == found["/docs/shearing"]["document_id"]
    after = documents(lambdas, owner, bot)
    assert f"{base}/docs/old" not in after
    assert after[f"{base}/docs/shearing"]["version"] == 2
    assert openai_fake.requests["/v1/embeddings"] - embeddings == 1  # the changed page's one chunk
    assert site.not_modified == 3  # /, /docs/feeding, /manual.pdf
    hits = search(lambdas, owner, bot, "when are llamas shorn")
    assert "early summer" in hits[0]["text"]
    assert all("spring" not in hit["text"] for hit in hits)
    assert shown(lambdas, owner, bot, created["id"])["counts"]["indexed"] == 4


def search(lambdas: Functions, owner: dict[str, Any], bot: Any, query: str) -> list[dict[str, Any]]:
    status, found = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/search",
        sub=owner["user"]["id"],
        body={"query": query},
        path_parameters={"chatbot_id": bot["id"]},
    )
    assert status == 200, found
    return list(found["results"])


def test_sitemap_mode_reads_the_sitemap_robots_names_and_keeps_to_max_pages(
    lambdas: Functions, owner: dict[str, Any], bot: Any, site: Any
) -> None:
    base = site.url
    site.pages.update(
        {
            "/robots.txt": Response(f"User-agent: *\nSitemap: {base}/maps/main.xml\n".encode(), "text/plain"),
            "/maps/main.xml": sitemap([f"{base}/docs/{n}" for n in range(4)] + [f"{base}/blog/1"]),
            **{f"/docs/{n}": page(f"Doc {n}", f"Document number {n} about llamas.") for n in range(4)},
        }
    )
    created = add_website(lambdas, owner, bot, f"{base}/docs/", mode="sitemap", max_pages=3)

    lambdas.deliver()

    found = pages(lambdas, owner, bot, created["id"], base)
    assert sorted(status for path, status in outcomes(found).items() if path.startswith("/docs/")) == [
        "indexed",
        "indexed",
        "indexed",
        "skipped",
    ]
    assert [item["reason"] for item in found.values() if item["status"] == "skipped" and "max_pages" in item["reason"]]
    assert found["/blog/1"]["reason"] == "Outside the start address (or excluded)"
    assert site.requests["/blog/1"] == 0
    assert shown(lambdas, owner, bot, created["id"])["status"] == "ready"


def test_a_site_that_refuses_everything_fails_the_source_with_its_reason(
    lambdas: Functions, owner: dict[str, Any], bot: Any, site: Any
) -> None:
    site.pages["/robots.txt"] = Response(b"User-agent: *\nDisallow: /\n", "text/plain")
    created = add_website(lambdas, owner, bot, f"{site.url}/")

    lambdas.deliver()

    source = shown(lambdas, owner, bot, created["id"])
    assert (source["status"], source["error"]) == ("failed", "robots.txt does not allow crawling the start address")


def test_the_schedule_syncs_sources_that_are_due(
    lambdas: Functions, owner: dict[str, Any], bot: Any, site: Any
) -> None:
    # Given a source synced once
    every_kind_of_page(site)
    created = add_website(lambdas, owner, bot, f"{site.url}/docs/feeding")
    lambdas.deliver()
    first = shown(lambdas, owner, bot, created["id"])
    site.reset_counts()

    # When the schedule runs before it is due, then after
    assert lambdas.invoke("SourceSyncFunction", {"id": "tick"}) == {"started": 0, "ended": 0}
    later = utcnow() + timedelta(hours=25)
    get_container().source_service.clock = lambda: later
    assert lambdas.invoke("SourceSyncFunction", {"id": "tick"}) == {"started": 1, "ended": 0}
    lambdas.deliver()

    # Then it synced again (its page asked for with its ETag)
    again = shown(lambdas, owner, bot, created["id"])
    assert again["status"] == "ready"
    assert again["last_synced_at"] > first["last_synced_at"]
    assert site.not_modified == 1


def test_the_deployed_crawl_function_refuses_loopback_addresses(site: Any) -> None:
    # Given the crawl function's environment as template.yaml gives it in AWS (no local overrides)
    template = load_template(ROOT / "template.yaml")
    resolver = Resolver(template, parameter_values(template), lambda logical_id, attribute: logical_id)
    environment = functions(template, resolver, ROOT)["CrawlFunction"].environment
    settings = Settings.from_env(environment)
    site.pages["/"] = page("Home", "Hello")

    # When it fetches a page served on this machine, Then the address is refused before any request is made
    assert "PARLEY_FETCH_ALLOW_LOOPBACK" not in environment
    with pytest.raises(FetchRefused):
        fetch(f"{site.url}/", Container(settings).fetch_policy)
    assert site.requests["/"] == 0
    # While the local stack's setting allows it
    local = Settings.from_env({**environment, "PARLEY_FETCH_ALLOW_LOOPBACK": "true"})
    assert fetch(f"{site.url}/", Container(local).fetch_policy).status == 200


def test_a_page_end_that_conflicts_with_another_on_its_source_is_retried_not_lost(
    lambdas: Functions, owner: dict[str, Any], bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sync with one page claimed, and DynamoDB cancelling the next transaction in a conflict (two pages of
    # one source ending at once both update the source's item)
    container = get_container()
    store = container.source_store
    created = add_website(lambdas, owner, bot, "https://docs.example.com/")
    source = store.get(owner["tenant"]["id"], bot["id"], created["id"])
    assert source is not None
    assert source.sync_id is not None
    assert store.claim_page(source, source.sync_id, "https://docs.example.com/a", 1, "start") == "queued"
    started = store.start_page(source, source.sync_id, "https://docs.example.com/a", utcnow())
    assert started is not None
    client = container.table.client
    real = client.transact_write_items
    conflicts = [1]

    def conflicting(**request: Any) -> Any:
        if conflicts.pop() if conflicts else 0:
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
            raise client.exceptions.TransactionCanceledException(
                {"Error": error, "CancellationReasons": reasons},  # type: ignore[typeddict-item]
                "x",
            )
        return real(**request)

    monkeypatch.setattr(client, "transact_write_items", conflicting)
    monkeypatch.setattr(store, "sleep", lambda seconds: None)

    # When the page ends
    ended = store.finish_page(source, started.model_copy(update={"status": "indexed"}))

    # Then it ended once, retried past the conflict: its place given back and its outcome counted
    assert ended is True
    after = store.get(owner["tenant"]["id"], bot["id"], created["id"])
    assert after is not None
    assert (after.outstanding, after.counts.indexed) == (1, 1)  # the start is still outstanding
    assert store.finish_page(source, started.model_copy(update={"status": "indexed"})) is False


def test_a_page_that_keeps_failing_is_retried_then_ends_failed_so_the_sync_ends(
    lambdas: Functions, owner: dict[str, Any], bot: Any, site: Any
) -> None:
    # Given a site whose one page answers 503 (a transient failure), its sync started and its start crawled
    site.pages["/robots.txt"] = Response(b"User-agent: *\nAllow: /\n", "text/plain")
    site.pages["/"] = Response(b"busy", "text/plain", 503)
    created = add_website(lambdas, owner, bot, f"{site.url}/")
    crawler = get_container().crawler
    source = get_container().source_store.get(owner["tenant"]["id"], bot["id"], created["id"])
    assert source is not None
    message = CrawlMessage(
        kind="page",
        tenant_id=source.tenant_id,
        chatbot_id=source.chatbot_id,
        source_id=source.id,
        sync_id=source.sync_id,
        url=f"{site.url}/",
    )
    crawler.handle(message.model_copy(update={"kind": "start", "url": None}))

    # When its message comes before its last attempt, Then it goes back to the queue, the sync still running
    with pytest.raises(RetryLater):
        crawler.handle(message, final_attempt=False)
    assert shown(lambdas, owner, bot, created["id"])["status"] == "syncing"

    # When it comes for the last time, Then the page ends failed with the reason and the sync ends
    crawler.handle(message, final_attempt=True)
    found = pages(lambdas, owner, bot, created["id"], site.url)
    assert found["/"]["status"] == "failed"
    assert "503" in found["/"]["reason"]
    assert shown(lambdas, owner, bot, created["id"])["status"] == "ready"
