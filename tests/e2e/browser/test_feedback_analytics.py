"""Ratings and analytics in a real browser against the local stack: an owner rates an answer in the playground (with
a comment) and reads it back in the chatbot's analytics charts; a visitor rates an answer with the widget's thumbs,
over its WebSocket; another organization finds no analytics of the chatbot."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from local.fakes.samples import GUIDE
from tests.support.api import bearer
from tests.support.browser import PASSWORD, assert_accessible, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot, Site
    from tests.support.api import ChatbotWithDocument, OwnedChatbot


@pytest.fixture(scope="module")
def owner_and_bot(
    base_url: str, chatbot_with_document: ChatbotWithDocument, shop: Site
) -> tuple[dict[str, Any], dict[str, Any]]:
    return chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[shop.origin])


def _answers(url: str, account: dict[str, Any], bot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stored answer of the chatbot, as the API gives them."""
    auth = bearer(account)
    with httpx.Client(base_url=url, timeout=30) as api:
        listed = api.get(f"/chatbots/{bot['id']}/conversations", headers=auth).json()["items"]
        return [
            message
            for conversation in listed
            for message in api.get(f"/chatbots/{bot['id']}/conversations/{conversation['id']}", headers=auth).json()[
                "messages"
            ]
            if message["role"] == "assistant"
        ]


def test_an_owner_rates_an_answer_in_the_playground_and_sees_it_in_the_analytics(
    page: Page,
    base_url: str,
    chatbot_with_document: ChatbotWithDocument,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # (a chatbot of its own: the analytics below count exactly its one question)
    account, bot = chatbot_with_document(base_url, "guide.md", GUIDE)
    sign_in(page, base_url, account["user"]["email"])

    # When the owner asks in the playground and rates the answer bad, with a comment
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/playground")
    page.get_by_label("Question").fill("What do llamas eat?")
    page.get_by_role("button", name="Ask").click()
    bad = page.get_by_role("button", name="Bad answer")
    expect(bad).to_be_visible(timeout=60_000)
    bad.click()
    expect(bad).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text="Rated bad.")).to_be_visible()
    page.get_by_label("Comment (optional)").fill("Say how much hay")
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_role("status").filter(has_text="Comment saved.")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "playground-rated")

    # Then the rating is stored with the answer
    [answer] = _answers(base_url, account, bot)
    assert answer["feedback"]["rating"] == "down"
    assert answer["feedback"]["comment"] == "Say how much hay"

    # And the analytics tab counts the question and the rating, with a chart for each measure
    page.get_by_role("link", name="Analytics").click()
    totals = page.get_by_label("Totals for the period")
    expect(totals).to_be_visible()
    expect(totals.locator("div", has_text="Questions").locator("dd")).to_have_text("1")
    expect(totals.locator("div", has_text="Conversations").locator("dd")).to_have_text("1")
    expect(totals.locator("div", has_text="Rated bad").locator("dd")).to_have_text("1")
    expect(totals.locator("div", has_text="Asked for a person").locator("dd")).to_have_text("0")
    expect(page.locator("figure.chart")).to_have_count(8)
    questions_chart = page.get_by_role("img", name=re.compile(r"^Questions and conversations per day"))
    expect(questions_chart).to_have_attribute("aria-label", re.compile(r"Questions: 1 in total"))
    expect(page.get_by_role("img", name=re.compile(r"^Feedback per day"))).to_have_attribute(
        "aria-label", re.compile(r"Bad: 1 in total")
    )
    assert_accessible(page, accessibility_violations)
    screenshot(page, "analytics")


def test_a_visitor_rates_an_answer_with_the_widgets_thumbs(
    page: Page,
    base_url: str,
    owner_and_bot: OwnedChatbot,
    shop: Site,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    account, bot = owner_and_bot
    script = f'<script src="{base_url}/widget.js" data-key="{html.escape(bot["public_key"])}" async></script>'
    page.goto(shop.web_page("/", "Llama wool shop", script))

    # When a visitor asks and rates the answer helpful
    with page.expect_websocket() as opened:
        page.get_by_role("button", name="Open chat").click()
    sent: list[dict[str, Any]] = []
    opened.value.on("framesent", lambda payload: sent.append(json.loads(payload)))
    panel = page.locator("[data-parley-widget] .panel")
    expect(panel).to_have_attribute("data-link", "open")
    page.get_by_label("Your question").fill("How do llamas sound?")
    page.get_by_label("Your question").press("Enter")
    helpful = panel.get_by_role("button", name="Helpful answer", exact=True)
    expect(helpful).to_be_visible(timeout=60_000)
    # (the rating is stored by its own run of the chat function, which then confirms it with a `feedback` frame)
    with opened.value.expect_event("framereceived", lambda payload: json.loads(payload).get("type") == "feedback"):
        helpful.click()

    # Then the thumb shows pressed, the rating went over the WebSocket, and it is stored with the answer
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_role("button", name="Not a helpful answer")).to_have_attribute("aria-pressed", "false")
    ratings = [frame for frame in sent if frame.get("action") == "feedback"]
    assert [(frame["rating"], frame["chatbot_id"]) for frame in ratings] == [("up", bot["id"])]
    rated = [answer for answer in _answers(base_url, account, bot) if answer["id"] == ratings[0]["message_id"]]
    assert [answer["feedback"]["rating"] for answer in rated] == ["up"]
    assert_accessible(page, accessibility_violations)
    screenshot(page, "widget-rated")


def test_another_organization_sees_no_analytics_of_the_chatbot(
    page: Page, base_url: str, owner_and_bot: OwnedChatbot
) -> None:
    _, bot = owner_and_bot
    email = f"stranger-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(base_url=base_url, timeout=30) as api:
        assert api.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    sign_in(page, base_url, email)

    page.goto(f"{base_url}/#/chatbots/{bot['id']}/analytics")

    expect(page.get_by_role("heading", name="Chatbot not found")).to_be_visible()
    expect(page.get_by_label("Totals for the period")).to_have_count(0)
