"""The console's usage page in a real browser: a chatbot over the plan is refused with the plan's sentence and a way
to the usage page, which shows the plan, each counter against its limit as a bar, and when monthly counts reset."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
from parley.domain.plans import PLANS
from playwright.sync_api import Page, expect

from tests.support.api import bearer
from tests.support.browser import assert_accessible

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot
    from tests.support.api import NewAccount

FREE = PLANS["free"]
# Steps that wait on a function, on a machine that may be busy.
SLOW_STEP_MS = 30_000


def test_an_owner_over_the_plan_sees_why_and_their_usage_against_the_plan(
    page: Page,
    base_url: str,
    api: httpx.Client,
    new_account: NewAccount,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given an owner holding one chatbot fewer than the free plan allows
    account = new_account()
    headers = bearer(account)
    for n in range(FREE.chatbots - 1):
        assert api.post("/chatbots", headers=headers, json={"name": f"Bot {n}"}).status_code == 201

    # When they sign in and create one chatbot, then one more
    page.goto(f"{base_url}/#/signin")
    page.get_by_label("E-mail").fill(account["email"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("The last one")
    page.get_by_role("button", name="Create chatbot").click()
    expect(page.get_by_role("heading", name="The last one")).to_be_visible(timeout=SLOW_STEP_MS)
    page.goto(f"{base_url}/#/chatbots")
    page.get_by_label("Name").fill("One too many")
    page.get_by_role("button", name="Create chatbot").click()

    # Then the console shows the plan's refusal where it happened, with a way to the usage page
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text(f"Your plan (Free) allows {FREE.chatbots} chatbots", timeout=SLOW_STEP_MS)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "chatbot-refused")

    # And the usage page shows the plan, each counter against its limit as a bar, and the reset date
    refusal.get_by_role("link", name="See your plan's usage").click()
    expect(page.get_by_role("heading", name="Usage")).to_be_visible()
    expect(page.get_by_text("Your plan: Free")).to_be_visible(timeout=SLOW_STEP_MS)
    expect(page.get_by_text(re.compile(r"Monthly counts reset on 1 [A-Z][a-z]{2} \d{4} \(UTC\)"))).to_be_visible()
    chatbots = page.get_by_role("meter", name="Chatbots")
    expect(chatbots).to_have_js_property("value", FREE.chatbots)
    expect(chatbots).to_have_js_property("max", FREE.chatbots)
    expect(page.get_by_text(f"{FREE.chatbots} of {FREE.chatbots} (limit reached)")).to_be_visible()
    expect(page.get_by_role("meter", name="Questions this month")).to_have_js_property("value", 0)
    expect(page.get_by_text("0 of 500")).to_be_visible()
    expect(page.get_by_text("0 MB of 100 MB")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "usage")
