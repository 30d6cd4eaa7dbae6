"""Conversation export through the local stack as `make run` starts it: questions answered, one answer rated down, the
negative feedback downloaded in both formats, and the whole export (over the test stack's small inline bound)
downloaded through its presigned link from the local S3 behind the AWS proxy."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import httpx
import pytest

from local.fakes.samples import GUIDE
from local.stack.process import Stack, chatbot_with_document
from tests.support.api import bearer

# plain_stack's PARLEY_EXPORT_INLINE_MAX_BYTES: small enough that three questions and answers go over it; large enough
# for one question and answer.
INLINE_MAX_BYTES = 1200


@pytest.fixture(scope="module")
def stack(plain_stack: Stack) -> tuple[str, Path]:
    return plain_stack.url, plain_stack.log


def test_an_owner_downloads_the_negative_feedback_as_csv_and_json_lines_and_everything_by_link(
    stack: tuple[str, Path],
) -> None:
    url, _ = stack
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    export = f"{url}/chatbots/{bot['id']}/conversations/export"
    with httpx.Client(headers=bearer(account), timeout=30) as api:
        # Given three questions answered, the second answer rated down
        answers = [
            api.post(f"{url}/chatbots/{bot['id']}/query", json={"question": question}).json()
            for question in ("What do llamas eat?", "How do llamas sound?", "When do llamas hum?")
        ]
        rated = answers[1]
        feedback = f"{url}/chatbots/{bot['id']}/messages/{rated['message_id']}/feedback"
        assert api.post(feedback, json={"rating": "down", "comment": "=not what I asked"}).status_code == 204

        # When the owner downloads the negative feedback as CSV
        response = api.get(export, params={"format": "csv", "feedback": "down"})

        # Then the file is the response: the question, then the answer with its rating and a neutralised comment
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].endswith('-down.csv"')
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        assert [(row["role"], row["content"]) for row in rows] == [
            ("user", "How do llamas sound?"),
            ("assistant", rated["answer"]),
        ]
        assert (rows[1]["feedback"], rows[1]["feedback_comment"]) == ("down", "'=not what I asked")
        assert rows[1]["citations"] == "guide.md"

        # And as JSON Lines, the same two messages
        response = api.get(export, params={"format": "jsonl", "feedback": "down"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert [line["message_id"] for line in lines][1:] == [rated["message_id"]]
        assert lines[1]["feedback_comment"] == "=not what I asked"

        # When the owner downloads everything, over the stack's inline bound
        response = api.get(export, params={"format": "jsonl"})
        assert response.status_code == 200, response.text
        link = response.json()
        assert link["expires_in"] == 900

    # Then the link downloads it from the local S3 with no other credentials: every question and answer
    download = httpx.get(link["url"], timeout=30)
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"] == f'attachment; filename="{link["filename"]}"'
    lines = [json.loads(line) for line in download.text.splitlines()]
    assert len(download.content) > INLINE_MAX_BYTES
    assert [line["message_id"] for line in lines if line["role"] == "assistant"] == [a["message_id"] for a in answers]


def test_another_tenant_gets_404_for_the_export(stack: tuple[str, Path]) -> None:
    url, _ = stack
    _, bot = chatbot_with_document(url, "guide.md", GUIDE)
    with httpx.Client(base_url=url, timeout=30) as api:
        email = f"stranger-{uuid.uuid4().hex[:10]}@example.com"
        stranger = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})

        response = api.get(f"/chatbots/{bot['id']}/conversations/export", headers=bearer(stranger.json()))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
