"""The console's Sources tab in a real browser against the local stack: an owner signs up, adds a website served on
127.0.0.1 (the crawl tests' llama farm, a page of every kind) and watches its pages arrive with their outcomes, adds a
Q&A pair and a text snippet, edits the pair's answer, syncs the website again and deletes a source after confirming;
another organization's chatbot is not found."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from local.fakes.sample_site import SampleSite, every_kind_of_page
from local.stack.process import Stack
from tests.support.api import bearer
from tests.support.browser import PASSWORD, assert_accessible

# Long enough, on a busy machine, for the crawl of a dozen pages, their indexing, and the sync's end.
SLOW_STEP_MS = 90_000
# The page's own actions wait this long (conftest); a machine shared with other jobs can take longer than expect's
# 5 s default to answer an API call.
STEP_MS = 30_000


@pytest.fixture(scope="module")
def base_url(instrumented_stack: Stack) -> str:
    """The test stack whose crawl looks again at its pages every second once they are crawled (the plain stack, as
    `make run`, waits 10 s; this test syncs twice)."""
    return instrumented_stack.url


@pytest.fixture(scope="module")
def farm() -> Iterator[SampleSite]:
    site = SampleSite().start()
    every_kind_of_page(site)
    yield site
    site.stop()


def _website(api: httpx.Client, chatbot_id: str, auth: dict[str, str]) -> dict[str, Any]:
    listed = api.get(f"/chatbots/{chatbot_id}/sources", headers=auth)
    assert listed.status_code == 200, listed.text
    return next(source for source in listed.json()["items"] if source["type"] == "website")


def _sign_up(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/#/signup")
    page.get_by_label("Organization").fill("Llama Farm")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()


def test_an_owner_adds_watches_edits_syncs_and_deletes_sources(
    page: Page,
    base_url: str,
    api: httpx.Client,
    farm: SampleSite,
    screenshot: Callable[[Page, str], Path],
    accessibility_violations: Callable[..., list[dict[str, Any]]],
) -> None:
    # Given an owner who signed up and created a chatbot
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    _sign_up(page, base_url, email)
    page.get_by_label("Name").fill("Llama care")
    page.get_by_role("button", name="Create chatbot").click()
    expect(page.get_by_role("heading", name="Llama care", level=1)).to_be_visible()
    chatbot_id = page.evaluate("location.hash").split("/")[2]
    token = api.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["tokens"]["access_token"]
    auth = bearer(token)

    # When they open the Sources tab
    page.get_by_role("link", name="Sources").click()
    expect(page.get_by_text("No sources yet")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "empty")

    # and ask for more pages than the free plan allows a website
    adding = page.get_by_role("form", name="Add a website")
    adding.get_by_label("Website address").fill(f"{farm.url}/")
    adding.get_by_label("Find pages by").select_option("crawl")
    adding.get_by_label("Max pages").fill("5000")
    adding.get_by_role("button", name="Add website").click()

    # Then the API's refusal is shown, with the way to the plan's usage
    expect(adding.get_by_role("link", name="See your plan's usage")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "plan-limit")

    # When they add the farm's website with fewer pages, found by following its links
    # (the website holds its answers until the sync has been seen running, however fast the machine)
    with farm.held():
        adding.get_by_label("Max pages").fill("20")
        adding.get_by_role("button", name="Add website").click()

        # Then the source opens, syncing,
        home = f"{farm.url}/"
        opened = page.get_by_role("region", name=home)
        expect(opened).to_be_visible()
        website_row = page.get_by_role("table", name="Sources").get_by_role("row").filter(has_text=home)
        expect(website_row).to_contain_text("Syncing")
        screenshot(page, "website-syncing")
    # and its pages arrive with their outcomes until the sync ends, without a reload
    expect(website_row).not_to_have_attribute("data-status", "syncing", timeout=SLOW_STEP_MS)
    pages = opened.get_by_role("table", name="Pages")
    for path, outcome in (
        ("/docs/feeding", ("Indexed", "Feeding")),
        ("/manual.pdf", ("Indexed",)),
        ("/private/ledger", ("Skipped", "robots.txt")),
        ("/missing", ("Failed", "404")),
    ):
        row = pages.get_by_role("row").filter(has=page.get_by_role("link", name=f"{farm.url}{path}", exact=True))
        for text in outcome:
            expect(row).to_contain_text(text)
    # And the list's counts are the API's, with failed pages said in the badge
    counts = _website(api, chatbot_id, auth)["counts"]
    assert min(counts["indexed"], counts["failed"], counts["skipped"]) > 0, counts
    cells = website_row.get_by_role("cell")
    for column, name in enumerate(("found", "indexed", "failed", "skipped"), start=3):
        expect(cells.nth(column)).to_have_text(str(counts[name]))
    expect(website_row).to_contain_text("Some pages failed")
    link = pages.get_by_role("link", name=f"{farm.url}/docs/feeding", exact=True)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "website-synced")

    # When they add a Q&A pair
    page.get_by_role("radio", name="Q&A pair").check()
    pair_form = page.get_by_role("form", name="Add a Q&A pair")
    pair_form.get_by_label("Question").fill("Do you ship wool abroad?")
    pair_form.get_by_label("Answer").fill("No, only within the country.")
    pair_form.get_by_role("button", name="Add Q&A pair").click()

    # Then it is listed and indexed
    pair_row = page.get_by_role("row").filter(has_text="Do you ship wool abroad?")
    expect(pair_row).to_contain_text("Q&A pair")
    expect(pair_row).to_contain_text("Ready", timeout=SLOW_STEP_MS)

    # When they correct its answer
    editing = page.get_by_role("form", name="Edit the Q&A pair")
    editing.get_by_label("Answer").fill("Yes, to every country of the EU.")
    editing.get_by_role("button", name="Save Q&A pair").click()

    # Then the API holds the new answer, and the pair is indexed again
    expect(page.get_by_text("Saved: it is being indexed again.")).to_be_visible()
    expect(pair_row).to_contain_text("Ready", timeout=SLOW_STEP_MS)
    sources = api.get(f"/chatbots/{chatbot_id}/sources", headers=auth).json()["items"]
    pair = next(source for source in sources if source["type"] == "qa")
    assert pair["answer"] == "Yes, to every country of the EU."
    assert_accessible(page, accessibility_violations)
    screenshot(page, "pair-edited")

    # When they add a text snippet
    page.get_by_role("radio", name="Text snippet").check()
    snippet_form = page.get_by_role("form", name="Add a text snippet")
    snippet_form.get_by_label("Title").fill("Opening hours")
    snippet_form.get_by_label("Text", exact=True).fill("The farm shop opens Tuesday to Saturday, 9 to 17.")
    snippet_form.get_by_role("button", name="Add snippet").click()
    snippet_row = page.get_by_role("row").filter(has_text="Opening hours")
    expect(snippet_row).to_contain_text("Ready", timeout=SLOW_STEP_MS)
    screenshot(page, "snippet-added")

    # When they sync the website now
    first = _website(api, chatbot_id, auth)
    website_row.get_by_role("button", name=home).click()
    with farm.held():  # (as above: the sync is still running when they ask again)
        with page.expect_response(lambda response: response.url.endswith("/sync")) as synced:
            page.get_by_role("button", name="Sync now").click()

        # Then the sync is accepted and shown running
        assert synced.value.status == 202
        expect(website_row).to_have_attribute("data-status", "syncing")
        # and asking again while it runs is refused (409) in the API's words
        page.get_by_role("button", name="Sync now").click()
        expect(page.get_by_role("region", name=home).get_by_role("alert")).to_have_text(
            "A sync of this source is already under way"
        )
        screenshot(page, "syncing-again")
    # and the website ends it with its pages as they were, the refusal gone with the sync it was about
    expect(website_row).not_to_have_attribute("data-status", "syncing", timeout=SLOW_STEP_MS)
    expect(page.get_by_role("region", name=home).get_by_role("alert")).to_have_count(0)
    again = _website(api, chatbot_id, auth)
    assert again["last_synced_at"] > first["last_synced_at"]
    assert again["counts"] == first["counts"]
    expect(website_row.get_by_role("cell").nth(4)).to_have_text(str(again["counts"]["indexed"]))
    screenshot(page, "synced-again")

    # When they delete the snippet, confirming (the dialog opens on Cancel)
    snippet_row.get_by_role("button", name="Opening hours").click()
    page.get_by_role("button", name="Delete source…").click()
    confirmation = page.get_by_role("dialog", name="Delete “Opening hours”?")
    expect(confirmation).to_be_visible()
    expect(confirmation.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "delete-confirm")
    confirmation.get_by_role("button", name="Delete source").click()

    # Then it leaves the list, and the API no longer has it
    expect(snippet_row).to_have_count(0)
    remaining = api.get(f"/chatbots/{chatbot_id}/sources", headers=auth).json()["items"]
    assert sorted(source["type"] for source in remaining) == ["qa", "website"]
    screenshot(page, "deleted")


def test_another_organizations_chatbot_sources_are_not_found(
    page: Page,
    base_url: str,
    api: httpx.Client,
    new_account: Callable[[], dict[str, Any]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given another organization's chatbot with a source
    other = new_account()
    other_auth = bearer(other)
    other_bot = api.post("/chatbots", headers=other_auth, json={"name": "Their bot"}).json()
    created = api.post(
        f"/chatbots/{other_bot['id']}/sources",
        headers=other_auth,
        json={"type": "qa", "question": "Q?", "answer": "A."},
    )
    assert created.status_code == 201, created.text

    # When an owner of a different organization opens its Sources address in the console
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    _sign_up(page, base_url, email)
    page.goto(f"{base_url}/#/chatbots/{other_bot['id']}/sources")

    # Then the console says it is not found, and the API answers 404 to them
    expect(page.get_by_role("heading", name="Chatbot not found")).to_be_visible()
    expect(page.get_by_text("Q?")).to_have_count(0)
    screenshot(page, "not-found")
    token = api.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["tokens"]["access_token"]
    mine = bearer(token)
    assert api.get(f"/chatbots/{other_bot['id']}/sources", headers=mine).status_code == 404
    source_id = created.json()["id"]
    assert api.get(f"/chatbots/{other_bot['id']}/sources/{source_id}", headers=mine).status_code == 404
