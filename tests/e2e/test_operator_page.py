"""The operator page's alarms on a local stack (`/_ops/alarms.json`): a poisoned upload that reaches the dead-letter
queue turns the DLQ alarm to ALARM, a model outage the degraded-answer alarm; both return to OK.

The stack (`instrumented_stack`) runs with `--metric-minute=2`: a 60 s alarm period lasts 2 s, the alarms' rules are
the template's. Its embeddings and chat go to an OpenAI fake in this process, which the tests break and mend.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.fakes.openai import FakeOpenAI
from local.fakes.samples import GUIDE
from local.stack.process import Stack, chatbot_with_document, send_upload
from tests.support.api import bearer

# Three attempts 5 s apart (the test stacks' IngestVisibilityTimeout), then the dead-letter queue.
DEAD_LETTER_SECONDS = 90
ALARM_SECONDS = 60


@pytest.fixture(scope="module")
def stack(instrumented_stack: Stack) -> tuple[str, Path]:
    return instrumented_stack.url, instrumented_stack.log


@pytest.fixture
def model(instrumented_model: FakeOpenAI) -> FakeOpenAI:
    return instrumented_model


def _alarm(url: str, logical_id: str) -> dict[str, Any]:
    alarms = httpx.get(f"{url}/_ops/alarms.json", timeout=10).json()["alarms"]
    return next(alarm for alarm in alarms if alarm["logical_id"] == logical_id)


def _wait_for(url: str, logical_id: str, seen: int, state: str, limit: float) -> list[dict[str, Any]]:
    """The alarm's transitions after the first `seen`, once one of them is to `state`."""
    deadline = time.monotonic() + limit
    while True:
        transitions = _alarm(url, logical_id)["history"][seen:]
        if any(entry["to"] == state for entry in transitions):
            return list(transitions)
        assert time.monotonic() < deadline, f"{logical_id} did not go to {state}: {transitions}"
        time.sleep(0.5)


def _break(monkeypatch: pytest.MonkeyPatch, model: FakeOpenAI, path: str, status: int) -> Callable[[], None]:
    """Every request to `path` of the fake fails with `status` until the returned function mends it."""
    key = ("POST", path)
    route = model.routes[key]
    failure = {"error": {"message": "injected outage", "type": "server_error"}}
    monkeypatch.setitem(model.routes, key, lambda _body, _query: (status, failure))
    return lambda: model.routes.__setitem__(key, route)


def _status_for_another_tenant(url: str, path: str) -> int:
    """The status a newly registered tenant gets for `path`."""
    email = f"stranger-{uuid.uuid4().hex[:10]}@example.com"
    stranger = httpx.post(f"{url}/auth/register", json={"email": email, "password": "correct-horse-1"}, timeout=30)
    return httpx.get(f"{url}{path}", headers=bearer(stranger.json()), timeout=30).status_code


def test_a_model_outage_turns_the_degraded_answer_alarm_to_alarm_and_back_to_ok(
    stack: tuple[str, Path], model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a chatbot with an indexed document and the degraded-answer alarm as it stands
    url, _ = stack
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    seen = len(_alarm(url, "DegradedAnswersAlarm")["history"])
    ask = {"question": "What do llamas eat?"}

    # When the model fails every request and a question is asked
    mend = _break(monkeypatch, model, "/v1/chat/completions", 503)
    outage = httpx.post(f"{url}/chatbots/{bot['id']}/query", headers=bearer(account), json=ask, timeout=60)

    # Then the answer falls back to the passages, and the alarm goes to ALARM
    assert outage.status_code == 200, outage.text
    assert outage.json()["degraded"] is True
    transitions = _wait_for(url, "DegradedAnswersAlarm", seen, "ALARM", ALARM_SECONDS)
    alarmed = next(entry for entry in transitions if entry["to"] == "ALARM")
    assert "against > 10" in alarmed["reason"]  # the template's DegradedAnswerRatePercent (default 10)

    # When the model is back and answers again
    mend()
    seen += transitions.index(alarmed) + 1
    answer = httpx.post(f"{url}/chatbots/{bot['id']}/query", headers=bearer(account), json=ask, timeout=60)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["mode"], answer.json()["degraded"]) == ("llm", False)

    # Then the alarm is back to OK
    _wait_for(url, "DegradedAnswersAlarm", seen, "OK", ALARM_SECONDS)
    assert _alarm(url, "DegradedAnswersAlarm")["state"] == "OK"
    # And the degraded conversation stays its tenant's: another tenant gets 404
    assert (
        _status_for_another_tenant(url, f"/chatbots/{bot['id']}/conversations/{outage.json()['conversation_id']}")
        == 404
    )


def test_a_poisoned_upload_reaches_the_dlq_turns_its_alarm_to_alarm_and_back_to_ok(
    stack: tuple[str, Path], model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a chatbot, and the DLQ alarm as it stands
    url, _ = stack
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    seen = len(_alarm(url, "IngestDeadLetterAlarm")["history"])

    # When an upload can never be indexed (the embedding service refuses it on every attempt)
    mend = _break(monkeypatch, model, "/v1/embeddings", 400)
    text = b"# Poison\n\nThis upload is refused on every attempt.\n"
    with httpx.Client(base_url=url, timeout=30, headers=bearer(account)) as api:
        created = api.post(
            f"/chatbots/{bot['id']}/documents",
            json={"filename": "poison.md", "content_type": "text/markdown", "size_bytes": len(text)},
        ).json()
        assert send_upload(created["upload"], text).status_code == 204

        # Then after its attempts its message reaches the dead-letter queue and the alarm goes to ALARM
        transitions = _wait_for(url, "IngestDeadLetterAlarm", seen, "ALARM", DEAD_LETTER_SECONDS)
        alarmed = next(entry for entry in transitions if entry["to"] == "ALARM")
        # And the document failed with a reason
        document = api.get(f"/chatbots/{bot['id']}/documents/{created['document']['id']}").json()
        assert document["status"] == "failed"
        assert document["error"]

    # When the dead-letter queue has been drained (its function did) and uploads index again
    mend()
    seen += transitions.index(alarmed) + 1

    # Then the alarm is back to OK
    _wait_for(url, "IngestDeadLetterAlarm", seen, "OK", ALARM_SECONDS)
    assert _alarm(url, "IngestDeadLetterAlarm")["state"] == "OK"
    # And another tenant gets 404 for the failed document
    assert _status_for_another_tenant(url, f"/chatbots/{bot['id']}/documents/{created['document']['id']}") == 404
