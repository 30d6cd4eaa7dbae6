"""Replacing a document from the console, in a real browser against the local stack: the owner chooses a new file for
an indexed document, the row follows the new version until it is indexed (same document), and the playground answers
from the new content."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page, expect

from tests.support.api import bearer
from tests.support.browser import assert_accessible, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot
    from tests.support.api import ChatbotWithDocument

FIRST = "# Feeding\n\nLlamas eat grass and hay.\n"
SECOND = "# Shearing\n\nAlpacas are shorn once a year, in spring, by a visiting shearer.\n"


def test_an_owner_replaces_a_document_and_the_new_version_answers(
    page: Page,
    base_url: str,
    chatbot_with_document: ChatbotWithDocument,
    tmp_path: Path,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given an indexed document, and its owner signed in on the chatbot's documents
    account, bot = chatbot_with_document(base_url, "guide.md", FIRST)
    auth = bearer(account)
    with httpx.Client(base_url=base_url, timeout=30) as api:
        [document] = api.get(f"/chatbots/{bot['id']}/documents", headers=auth).json()["items"]
    sign_in(page, base_url, account["user"]["email"])
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/documents")
    row = page.get_by_role("table", name="Documents").get_by_role("row").filter(has_text="guide.md")
    expect(row).to_have_attribute("data-status", "indexed")
    expect(row).to_have_attribute("data-version", "1")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "before")

    # When they choose a new file with the row's Replace action (from the keyboard)
    new_file = tmp_path / "guide-v2.md"
    new_file.write_text(SECOND)
    # (press() focuses the input it finds and presses at once: a focus() first was lost when the list re-rendered
    # between the two on a loaded machine, and Space then went to the page)
    with page.expect_file_chooser() as chooser:
        row.get_by_label("Replace guide.md").press("Space")
    chooser.value.set_files(new_file)

    # Then the row follows the new version to indexed, under the same document, named as the new file
    row = page.get_by_role("table", name="Documents").get_by_role("row").filter(has_text="guide-v2.md")
    expect(row).to_have_attribute("data-version", "2")
    expect(row).to_have_attribute("data-status", "indexed")
    expect(row).to_contain_text("(version 2)")
    expect(row).not_to_contain_text("Replacing")
    expect(page.get_by_role("row").filter(has_text=re.compile(r"^guide\.md"))).to_have_count(0)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "replaced")
    with httpx.Client(base_url=base_url, timeout=30) as api:
        replaced = api.get(f"/chatbots/{bot['id']}/documents/{document['id']}", headers=auth).json()
    assert (replaced["version"], replaced["filename"], replaced["status"]) == (2, "guide-v2.md", "indexed")

    # And the playground answers from the new content, citing the new file
    page.get_by_role("link", name="Playground").click()
    page.get_by_label("Question").fill("When are alpacas shorn?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".turn.assistant").last
    expect(answer.get_by_role("button", name=re.compile(r"\[1\] guide-v2\.md"))).to_be_visible()
    expect(answer.locator(".answer")).to_contain_text("spring")
    screenshot(page, "answered")
