"""The fakes' `reset`: the integration tests share one server of each per session, so a reset one must serve as a
freshly started one would, with nothing of what an earlier test did or changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.fakes.openai import FakeOpenAI, grounded_reply
from local.fakes.pinecone import FakePinecone

MESSAGES = [{"role": "user", "content": "Hello?"}]
CHAT = {"model": "gpt-4o-mini", "messages": MESSAGES}


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def pinecone() -> Iterator[FakePinecone]:
    fake = FakePinecone(dimension=2).start()
    yield fake
    fake.stop()


def test_a_reset_openai_fake_forgets_requests_failures_and_every_change_a_test_made(openai: FakeOpenAI) -> None:
    # Given a fake a test has used and changed: requests counted, failures queued, a route, the model and its limits
    client = httpx.Client(base_url=openai.base_url)
    assert client.post("/embeddings", json={"model": "m", "input": ["Llamas hum."]}).status_code == 200
    assert client.post("/chat/completions", json=CHAT).status_code == 200
    openai.fail_next(5, status=503)
    openai.routes[("POST", "/v1/embeddings")] = lambda _body, _query: (500, {"error": {"message": "down"}})
    openai.reply = lambda _messages: "scripted"
    openai.token_delay = 5.0
    openai.chat_models.clear()

    # When it is reset
    openai.reset()

    # Then it counts from nothing, fails nothing, and answers as it did when started
    assert (openai.requests, openai.embedded_inputs, openai.chat_requests, openai.first_token_sent) == ({}, 0, [], [])
    assert (openai.reply, openai.token_delay) == (grounded_reply, 0.0)
    embedded = client.post("/embeddings", json={"model": "m", "input": ["Llamas hum."]})
    chat = client.post("/chat/completions", json=CHAT)
    assert (embedded.status_code, chat.status_code) == (200, 200)
    assert chat.json()["choices"][0]["message"]["content"] == grounded_reply(MESSAGES)
    assert openai.requests == {"/v1/embeddings": 1, "/v1/chat/completions": 1}


def test_a_reset_pinecone_fake_holds_no_records(pinecone: FakePinecone) -> None:
    # Given a fake holding a test's vectors, searched once (its search cache filled)
    client = httpx.Client(base_url=pinecone.url)
    vectors: list[dict[str, Any]] = [{"id": "a#0", "values": [1.0, 0.0], "metadata": {"chatbot_id": "c"}}]
    assert client.post("/vectors/upsert", json={"namespace": "t", "vectors": vectors}).status_code == 200
    assert client.post("/query", json={"namespace": "t", "vector": [1.0, 0.0], "topK": 1}).json()["matches"]

    # When it is reset
    pinecone.reset()

    # Then nothing is held, searched or counted
    assert (dict(pinecone.namespaces), pinecone.upserted_records, pinecone.requests) == ({}, 0, {})
    assert client.post("/query", json={"namespace": "t", "vector": [1.0, 0.0], "topK": 1}).json()["matches"] == []
    assert client.post("/describe_index_stats", json={}).json()["totalVectorCount"] == 0
