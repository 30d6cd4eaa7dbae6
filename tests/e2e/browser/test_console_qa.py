"""A Q&A pair in the console's playground, in a real browser against the local stack: asked its question, the chatbot
answers with the pair's answer as written, marked as the pair's, cited by the pair's question."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page, expect

from tests.support.api import bearer
from tests.support.browser import sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot
    from tests.support.api import ChatbotWithDocument

QUESTION = "Do you ship internationally?"
ANSWER = "Yes, we ship to 40 countries; duties are paid by the recipient."


def test_a_pairs_answer_is_shown_as_the_pairs_in_the_playground(
    page: Page,
    base_url: str,
    chatbot_with_document: ChatbotWithDocument,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given a chatbot with a document and a Q&A pair, indexed
    account, bot = chatbot_with_document(base_url, "guide.md", "# Feeding\n\nLlamas eat grass and hay.\n")
    auth = bearer(account)
    with httpx.Client(base_url=base_url, timeout=30) as api:
        source = api.post(
            f"/chatbots/{bot['id']}/sources", headers=auth, json={"type": "qa", "question": QUESTION, "answer": ANSWER}
        ).json()
        deadline = time.monotonic() + 60
        while source["status"] == "syncing" and time.monotonic() < deadline:
            time.sleep(0.25)
            source = api.get(f"/chatbots/{bot['id']}/sources/{source['id']}", headers=auth).json()
    assert source["status"] == "ready", source
    sign_in(page, base_url, account["user"]["email"])

    # When the owner asks the pair's question in the playground
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/playground")
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_role("button", name="Ask").click()

    # Then the answer is the pair's, as written, marked as such and cited by its question
    answer = page.locator(".turn.assistant").last
    expect(answer.get_by_text("A Q&A pair's answer")).to_be_visible()
    expect(answer.locator(".answer")).to_have_text(ANSWER)
    citation = answer.get_by_role("button", name=re.compile(rf"\[1\] {re.escape(QUESTION)}"))
    citation.click()
    expect(answer.locator("blockquote")).to_have_text(ANSWER)
    violations = accessibility_violations(page)
    assert violations == [], json.dumps(violations, indent=2)
    screenshot(page, "qa-answer")
