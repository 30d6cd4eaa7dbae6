"""The console's conversations page in a real browser: browse a chatbot's conversations, read one with its sources and
feedback, and download exports — the negative feedback as CSV (the response itself) and everything as JSON Lines (over
the stack's small inline bound: through the presigned link to the local S3)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect

from local.fakes.samples import GUIDE
from local.stack.process import Stack, chatbot_with_document
from tests.support.api import bearer
from tests.support.browser import assert_accessible

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot

QUESTIONS = ("What do llamas eat?", "How do llamas sound?", "When do llamas hum?")
# plain_stack's PARLEY_EXPORT_INLINE_MAX_BYTES.
INLINE_MAX_BYTES = 1200
# Long enough, on a busy machine, for a function's first call in a fresh environment.
LOAD_MS = 30_000


@pytest.fixture(scope="module")
def stack(plain_stack: Stack) -> tuple[str, Path]:
    return plain_stack.url, plain_stack.log


def test_an_owner_browses_conversations_and_downloads_exports(
    page: Page, stack: tuple[str, Path], screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given a chatbot with three answered questions, the second answer rated down with a comment
    url, _ = stack
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    auth = bearer(account)
    answers = [
        httpx.post(f"{url}/chatbots/{bot['id']}/query", headers=auth, json={"question": q}, timeout=30).json()
        for q in QUESTIONS
    ]
    rated = answers[1]
    feedback = f"{url}/chatbots/{bot['id']}/messages/{rated['message_id']}/feedback"
    rating = httpx.post(feedback, headers=auth, json={"rating": "down", "comment": "Too vague"}, timeout=30)
    assert rating.status_code == 204, rating.text

    # When the owner signs in and opens the chatbot's conversations
    page.goto(f"{url}/#/signin")
    page.get_by_label("E-mail").fill(account["user"]["email"])
    page.get_by_label("Password").fill("correct-horse-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()
    page.goto(f"{url}/#/chatbots/{bot['id']}/conversations")

    # Then every conversation is listed, the most recent first
    listed = page.get_by_role("list", name="Conversations, the most recent first").get_by_role("button")
    expect(listed).to_have_text(list(reversed(QUESTIONS)), timeout=LOAD_MS)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "conversations")

    # When the list is narrowed to days before today, Then none is listed; and back to today, all three
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    page.get_by_label("Started on or before").fill(yesterday)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("No conversations started in this range.")).to_be_visible(timeout=LOAD_MS)
    page.get_by_label("Started on or after").fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Started on or before").fill("")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(listed).to_have_text(list(reversed(QUESTIONS)), timeout=LOAD_MS)

    # When one is opened, Then its messages show, with the answer's sources and its feedback
    page.get_by_role("button", name="How do llamas sound?").click()
    messages = page.get_by_role("list", name="Messages")
    expect(messages.get_by_role("listitem")).to_have_count(2, timeout=LOAD_MS)
    expect(messages).to_contain_text(rated["answer"])
    expect(messages).to_contain_text("Sources: guide.md")
    expect(messages).to_contain_text("Rated not helpful: “Too vague”")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "conversation")

    # When the negative feedback is exported as CSV, Then the file downloads with the question and the rated answer
    page.get_by_label("Negative feedback only").check()
    with page.expect_download() as negative:
        page.get_by_role("button", name="Export").click()
    assert negative.value.suggested_filename.endswith("-down.csv")
    text = Path(negative.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(row["role"], row["content"], row["feedback"]) for row in rows] == [
        ("user", "How do llamas sound?", ""),
        ("assistant", rated["answer"], "down"),
    ]
    assert {row["started_by"] for row in rows} == {account["user"]["email"]}  # who asked, as a person reads it
    expect(page.get_by_role("status").filter(has_text="Downloaded")).to_have_text(
        f"Downloaded {negative.value.suggested_filename}"
    )

    # When everything is exported as JSON Lines (more than the inline bound), Then it downloads through its link
    page.get_by_label("Negative feedback only").uncheck()
    page.get_by_label("Format").select_option("jsonl")
    with page.expect_download() as everything:
        page.get_by_role("button", name="Export").click()
    assert "X-Amz-Signature" in everything.value.url  # the presigned link, not the API
    assert everything.value.suggested_filename.endswith(".jsonl")
    data = Path(everything.value.path()).read_bytes()
    assert len(data) > INLINE_MAX_BYTES
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert [line["message_id"] for line in lines if line["role"] == "assistant"] == [a["message_id"] for a in answers]
    screenshot(page, "exported")

    # When the range is reversed, Then the API's reason is shown
    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("alert")).to_have_text("from (2026-03-02) is after to (2026-03-01)", timeout=LOAD_MS)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "reversed-range")
