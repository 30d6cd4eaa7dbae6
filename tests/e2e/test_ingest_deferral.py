"""Uploads an ingest invocation has no time left to start go back on their queue as new messages (a receive returned
unstarted would count towards the dead-letter queue), and a later invocation indexes them. The function's IAM
statement for it (sqs:GetQueueUrl, sqs:SendMessage on its own queue) is proven here: the proxy refuses the calls
without it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from local.stack.process import Stack, refused_calls, send_upload
from tests.e2e.conftest import Run
from tests.support.api import bearer

# The reading limit of one document, against the ingest function's 900 s: with 700 s to read and 300 s to finish, no
# invocation has the time to start a second document, so every batch of more than one sends the others back.
NO_TIME_FOR_A_SECOND = {"PARLEY_INGEST_MAX_SECONDS": "700"}
UPLOADS = 4


@pytest.fixture(scope="module")
def deferring_stack(e2e_run: Run) -> Iterator[Stack]:
    """A test stack whose ingest has time for one document an invocation; a window of 5 s gathers four uploads
    into one batch. (A stack of the tier's list in conftest.py: the run's IAM check waits for it.)"""
    options = {"parameters": {"IngestBatchingWindowSeconds": "5"}, "function_env": NO_TIME_FOR_A_SECOND}
    with e2e_run.running("deferring", **options) as stack:
        yield stack


def test_uploads_an_invocation_had_no_time_to_start_are_sent_back_and_indexed(deferring_stack: Stack) -> None:
    stack = deferring_stack
    with httpx.Client(base_url=stack.url, timeout=30) as api:
        account = api.post("/auth/register", json={"email": "deferred@example.com", "password": "correct-horse-1"})
        api.headers.update(bearer(account.json()))
        chatbot = api.post("/chatbots", json={"name": "Herd book"}).json()["id"]
        documents = []
        for number in range(UPLOADS):
            text = f"# Paddock {number}\n\nLlama {number} grazes in paddock {number} from dawn to dusk.".encode()
            created = api.post(
                f"/chatbots/{chatbot}/documents",
                json={"filename": f"paddock-{number}.md", "content_type": "text/markdown", "size_bytes": len(text)},
            ).json()
            send_upload(created["upload"], text).raise_for_status()
            documents.append(created["document"]["id"])

        deadline = time.monotonic() + 90
        while (statuses := [api.get(f"/chatbots/{chatbot}/documents/{d}").json()["status"] for d in documents]) != [
            "indexed"
        ] * UPLOADS:
            assert time.monotonic() < deadline, f"not all indexed in time: {statuses}"
            time.sleep(0.5)
        calls = api.get("/_ops/aws-calls.json").json()["IngestFunction"]

    # Each invocation started one upload and sent the rest back, in batches of ten, after finding its queue once.
    assert calls["sqs:SendMessageBatch"] >= 1
    assert calls["sqs:GetQueueUrl"] >= 1
    assert not refused_calls(stack.log.read_text())
