"""Handoff to a person in two browsers: a visitor's widget on a page of an allowed origin, and a member signed in to
the console's inbox, both on the running local stack; every step is seen in the pages, as the two people see it."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, Locator, Page, expect
from websockets.sync.client import connect

from local.fakes.samples import GUIDE
from local.stack.process import chatbot_with_document
from tests.support.api import ws_url
from tests.support.browser import sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import Screenshot, Site

UNCOVERED = "Who won the 1998 World Cup?"
NOT_FOUND = "I couldn't find this in this chatbot's documents."


def panel(page: Page) -> Locator:
    return page.locator("[data-parley-widget] .panel")


def ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")


def test_a_member_takes_over_a_visitors_chat_from_the_inbox_and_hands_it_back(
    page: Page, browser: Browser, base_url: str, shop: Site, screenshot: Screenshot
) -> None:
    # Given a public chatbot on the shop's site, and its owner signed in to the console's inbox in another browser
    owner, bot = chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[shop.origin])
    console_context = browser.new_context(viewport={"width": 1280, "height": 800})
    console = console_context.new_page()
    try:
        sign_in(console, base_url, owner["user"]["email"])
        console.get_by_role("link", name="Inbox").click()
        expect(console.get_by_text("Nobody is waiting for a person.")).to_be_visible()
        loads: list[Page] = []

        def loaded(reloaded: Page) -> None:
            # Playwright marks its handlers, which a bound builtin such as `list.append` cannot carry.
            loads.append(reloaded)

        console.on("load", loaded)

        # When a visitor asks what the documents do not cover, and then asks for a person
        script = f'<script src="{base_url}/widget.js" data-key="{bot["public_key"]}" async></script>'
        page.goto(shop.web_page("/", "Llama wool shop", script))
        page.get_by_role("button", name="Open chat").click()
        ask(page, UNCOVERED)
        expect(panel(page).locator(".message.assistant.done")).to_contain_text(NOT_FOUND)
        page.get_by_role("button", name="Talk to a person").click()
        expect(panel(page).get_by_text("Looking for a person to join…")).to_be_visible()
        screenshot(page, "visitor-waiting")

        # Then the member's inbox shows it, without a reload, with the question and the bot's answer
        request = console.locator(".handoff.waiting_for_human")
        expect(request).to_contain_text(UNCOVERED)
        expect(request).to_contain_text(NOT_FOUND)
        assert loads == []
        screenshot(console, "inbox-pushed")

        # When the member takes it and writes
        request.get_by_role("button", name="Take").click()
        expect(console.get_by_role("heading", name="Conversation")).to_be_visible()
        console.get_by_label("Your reply to the visitor").fill("Hello, I'm Ada from the shop. France won.")
        console.get_by_role("button", name="Send", exact=True).click()

        # Then the visitor sees the member's message, marked as a person's
        person = panel(page).locator(".message.person")
        expect(person).to_contain_text("Hello, I'm Ada from the shop. France won.")
        expect(person.locator(".label")).to_have_text("Person")
        expect(panel(page).get_by_text("A person has joined the chat.")).to_be_visible()
        screenshot(page, "visitor-sees-person")

        # When the visitor reloads the page, the chat goes on where it was: the same conversation, still with a person
        page.reload()
        page.get_by_role("button", name="Open chat").click()
        expect(panel(page).get_by_text("A person has joined the chat.")).to_be_visible()

        # When the visitor writes while the member holds the conversation, the bot is silent and the member reads it
        answers_before = panel(page).locator(".message.assistant").count()
        ask(page, "What do llamas eat?")
        expect(console.locator(".held .message.user").last).to_have_text(re.compile("What do llamas eat"))
        assert panel(page).locator(".message.assistant").count() == answers_before
        screenshot(console, "member-holds")

        # When the member hands it back, the bot answers the next question
        console.get_by_role("button", name="Hand back to the bot").click()
        expect(panel(page).get_by_text("You are chatting with the assistant again.")).to_be_visible()
        ask(page, "What do llamas eat?")
        expect(panel(page).locator(".message.assistant.done")).to_have_count(answers_before + 1)
        expect(panel(page).locator(".message.assistant.done").last).not_to_contain_text(NOT_FOUND)
        screenshot(page, "bot-answers-again")
        expect(console.get_by_text("Nobody is waiting for a person.")).to_be_visible()
    finally:
        console_context.close()


def test_the_inbox_shows_a_request_nobody_took_once_its_deadline_passes(
    page: Page, base_url: str, shop: Site, screenshot: Screenshot
) -> None:
    # Given an owner on the inbox, and a chatbot whose visitors wait 8 seconds for a person (with 3, a loaded machine
    # showed the request to the inbox only once its deadline had passed: never as waiting)
    owner, bot = chatbot_with_document(
        base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[shop.origin], handoff_timeout_seconds=8
    )
    sign_in(page, base_url, owner["user"]["email"])
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Nobody is waiting for a person.")).to_be_visible()

    # When a visitor asks for a person and nobody takes it
    url = ws_url(base_url, key=bot["public_key"], visitor_id="visitor-inbox-deadline")
    with connect(url, additional_headers={"Origin": shop.origin}) as visitor:
        visitor.send(
            json.dumps({"action": "sendMessage", "chatbot_id": bot["id"], "question": "I want to speak to a human"})
        )
        request = page.locator(".handoff")
        expect(request).to_contain_text("Waiting for a person")

        # Then, with nothing pushed at the deadline, the inbox reads it again then and shows nobody took it
        expect(request).to_contain_text("Nobody took it in time")
        expect(request.get_by_role("button", name="Take")).to_have_count(0)
        screenshot(page, "inbox-unanswered")
