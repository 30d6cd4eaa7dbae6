"""Knowledge gaps in the console, on the running local stack: visitors' questions the documents do not cover, grouped
by meaning on the chatbot's Gaps tab, largest first; "Answer this" opens a Q&A pair pre-filled with the group's
question, and once saved the group shows answered and the next paraphrase gets the pair's answer."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import Page, expect

from local.fakes.samples import GUIDE
from local.stack.process import chatbot_with_document
from tests.support.browser import assert_accessible, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot

SITE = "https://shop.example.com"
WEATHER = [
    "What is the weather in Paris tomorrow?",
    "What will the weather be in Paris tomorrow?",
    "Tell me the weather forecast in Paris tomorrow",
]
GIFT_CARDS = ["Do you sell gift cards?", "Can I buy gift cards here?"]
ANSWER = "We do not forecast weather; see meteo.fr."


def visitor_asks(api: httpx.Client, bot: dict[str, Any], question: str, visitor: str) -> dict[str, Any]:
    response = api.post(
        f"/public/chatbots/{bot['public_key']}/query",
        headers={"origin": SITE, "x-visitor-id": visitor},
        json={"question": question},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_owner_answers_the_largest_gap_from_the_gaps_tab(
    page: Page, base_url: str, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given three visitors' paraphrases of one question the documents do not cover, and two of another
    owner, bot = chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])
    with httpx.Client(base_url=base_url, timeout=60) as api:
        for number, question in enumerate(WEATHER + GIFT_CARDS):
            assert visitor_asks(api, bot, question, f"visitor-gaps-{number:04d}")["answerable"] is False

        # When the owner opens the chatbot's Gaps tab
        sign_in(page, base_url, owner["user"]["email"])
        page.goto(f"{base_url}/#/chatbots/{bot['id']}/gaps")

        # Then the two groups are listed, the larger first, with their counts and examples
        groups = page.get_by_role("list", name="Gaps, most asked first").locator(":scope > li")
        expect(groups).to_have_count(2)
        expect(groups.nth(0)).to_contain_text("Asked 3\u00d7")
        expect(groups.nth(1)).to_contain_text("Asked 2\u00d7")
        for example in WEATHER:
            expect(groups.nth(0).get_by_role("list", name="Examples")).to_contain_text(example)
        assert_accessible(page, accessibility_violations)
        screenshot(page, "gaps")

        # When they answer the first group: the Q&A pair's form opens with the group's question
        groups.nth(0).get_by_role("button", name="Answer this").click()
        form = page.get_by_role("region", name="Answer with a Q&A pair")
        expect(form.get_by_label("Question")).to_have_value(WEATHER[0])
        form.get_by_role("textbox", name="Answer", exact=True).fill(ANSWER)
        screenshot(page, "answer-this")
        form.get_by_role("button", name="Save Q&A pair").click()

        # Then the group shows answered, and the other still offers Answer this
        expect(groups.nth(0)).to_contain_text("Answered")
        expect(groups.nth(0).get_by_role("button", name="Answer this")).to_have_count(0)
        expect(groups.nth(1).get_by_role("button", name="Answer this")).to_be_visible()
        screenshot(page, "answered")

        # And a fourth paraphrase gets the pair's answer as written once the pair is indexed
        fourth = poll_answer(api, bot, "Weather in Paris tomorrow, please?")
        assert (fourth["mode"], fourth["answer"]) == ("qa", ANSWER)


def poll_answer(api: httpx.Client, bot: dict[str, Any], question: str) -> dict[str, Any]:
    """The answer to `question` once it is the Q&A pair's (the pair is indexed by the ingest queue, a moment after it
    is saved); the last answer if it never is, for the test to fail on."""
    answer: dict[str, Any] = {}
    for attempt in range(60):
        answer = visitor_asks(api, bot, question, f"visitor-gaps-late-{attempt:04d}")
        if answer["mode"] == "qa":
            break
        time.sleep(1)
    return answer
