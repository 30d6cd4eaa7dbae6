"""The console as the browser tests drive it: signing in as a person does, a page checked for what keeps someone from
using it (axe-core's serious and critical violations), and a chatbot deleted as its list then shows it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

# The password the browser tests register their accounts with (the API's rules: 12 characters or more).
PASSWORD = "correct-horse-1"


def sign_in(
    page: Page, base_url: str, email: str, password: str = PASSWORD, *, lands_on: str | None = "Chatbots"
) -> None:
    """Sign in on the console's sign-in page; with `lands_on`, wait for the page the console opens (its heading)."""
    page.goto(f"{base_url}/#/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if lands_on:
        expect(page.get_by_role("heading", name=lands_on, exact=True)).to_be_visible()


def assert_accessible(page: Page, accessibility_violations: Callable[..., list[dict[str, Any]]]) -> None:
    """The page as it stands has no serious or critical accessibility violation (the browser conftest's fixture)."""
    violations = accessibility_violations(page)
    assert violations == [], json.dumps(violations, indent=2)


def delete_for_good(page: Page, dialog: Locator, name: str) -> None:
    """Confirm a chatbot's deletion in its dialog, then check the list the console opens on: the chatbot is listed as
    being deleted and not as something to open, or not at all when its erasure (seconds, in the background) ended
    before the list was read. How the list shows one being deleted is the console's unit test (chatbotsPage)."""
    with page.expect_response(lambda answer: urlsplit(answer.url).path.endswith("/chatbots")) as listed:
        dialog.get_by_role("button", name="Delete for good").click()
    still = [item["status"] for item in listed.value.json()["items"] if item["name"] == name]
    rows = page.get_by_role("table", name="Your chatbots").get_by_role("row").filter(has_text=name)
    if still:
        assert still == ["deleting"]
        expect(rows).to_contain_text("Being deleted")
    expect(rows).to_have_count(len(still))
    expect(rows.get_by_role("link")).to_have_count(0)
