"""The console's API keys page in a real browser: an owner creates a key (shown once, copied), sees it listed with its
last use once a server has used it, and revokes it after confirming; the key is refused at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page, expect

from tests.support.api import bearer
from tests.support.browser import assert_accessible, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot
    from tests.support.api import NewAccount


def test_an_owner_creates_copies_and_revokes_a_key(
    page: Page,
    base_url: str,
    api: httpx.Client,
    new_account: NewAccount,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given an owner with a chatbot, signed in to the console
    owner = new_account()
    auth = bearer(owner)
    assert api.post("/chatbots", headers=auth, json={"name": "Llama care"}).status_code == 201
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    sign_in(page, base_url, owner["email"], owner["password"])

    # When they open the keys page from the header
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys", exact=True)).to_be_visible()
    expect(page.get_by_text("No keys yet.")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "keys-empty")

    # and create a key limited to the chatbot
    page.get_by_label("Name").fill("Helpdesk server")
    page.get_by_label("Chatbot").select_option(label="Llama care")
    page.get_by_role("button", name="Create key").click()

    # Then the key is shown once, with the warning, and copies to the clipboard
    expect(page.get_by_text("you won't see it again")).to_be_visible()
    key = page.get_by_label("Your new key").input_value()
    assert key.startswith("sk_")
    page.get_by_role("button", name="Copy key").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert_accessible(page, accessibility_violations)
    screenshot(page, "key-created")
    row = page.get_by_role("row").filter(has_text="Helpdesk server")
    expect(row).to_contain_text(key[:10])
    expect(row).to_contain_text("Llama care")
    expect(row).to_contain_text("Never")

    # When a server uses the key, and the owner comes back to the page
    chatbot_id = api.get("/chatbots", headers=auth).json()["items"][0]["id"]
    assert api.get(f"/chatbots/{chatbot_id}/documents", headers=bearer(key)).status_code == 200
    page.get_by_role("button", name="Done").click()
    page.reload()

    # Then the key is listed with its last use, and never again in full
    row = page.get_by_role("row").filter(has_text="Helpdesk server")
    expect(row).not_to_contain_text("Never")
    expect(page.get_by_text(key)).to_have_count(0)
    screenshot(page, "key-used")

    # When they revoke it, confirming
    row.get_by_role("button", name="Revoke…").click()
    expect(row.get_by_text("will be refused at once")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "revoke-confirm")
    row.get_by_role("button", name="Revoke “Helpdesk server”").click()

    # Then it leaves the list and is refused at once
    expect(page.get_by_text("No keys yet.")).to_be_visible()
    screenshot(page, "revoked")
    refused = api.get(f"/chatbots/{chatbot_id}/documents", headers=bearer(key))
    assert refused.status_code == 401
