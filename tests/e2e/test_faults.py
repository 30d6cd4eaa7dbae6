"""Faults injected into the local stack (local/faults.py): nothing stuck, nothing lost, no 5xx, nothing stored twice.

Two stacks: `model_stack`, whose language model is a fake in this process, scripted here to hang or to cut its stream;
and one run with `--fakes --faults …`, where a seeded share of the calls to OpenAI, Pinecone, S3 and DynamoDB fail and
ingest workers are killed mid-way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from boto3.dynamodb.conditions import Key
from parley.adapters.dynamo import keys
from websockets.sync.client import connect

from local.fakes.openai import FakeOpenAI
from local.fakes.samples import GUIDE
from local.faults import Faults
from local.stack.process import Stack, chatbot_with_document, moto_resource, send_upload
from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.e2e.conftest import Run
    from tests.support.api import OwnedChatbot

FAULTS = "openai=0.2,pinecone=0.1,s3=0.05,dynamodb=0.05,ingest=0.3"
# Waiting for the queue to drain: three attempts, 5 s apart on a test stack, and the dead-letter queue after them.
DRAIN_SECONDS = 120


def ask(url: str, token: str, chatbot_id: str, question: str) -> list[dict[str, Any]]:
    """The frames that answer one question over WebSocket, through `done` or `error`."""
    with connect(ws_url(url, token=token)) as socket:
        socket.send(json.dumps({"action": "sendMessage", "chatbot_id": chatbot_id, "question": question}))
        frames = [json.loads(socket.recv(timeout=60))]
        while frames[-1]["type"] not in ("done", "error"):
            frames.append(json.loads(socket.recv(timeout=60)))
    return frames


@pytest.fixture
def failing_model(model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The model fails every request; a test says how (`fault_kinds`)."""
    monkeypatch.setattr(model, "faults", Faults("openai", rate=1.0))
    return model


@pytest.fixture(scope="module")
def stack(model_stack: Stack) -> tuple[str, Path]:
    return model_stack.url, model_stack.log


@pytest.fixture(scope="module")
def owner_and_bot(model_stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    return chatbot_with_document(model_stack.url, "guide.md", GUIDE)


def test_a_model_that_hangs_past_its_timeout_gets_an_extractive_answer_not_a_5xx(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, failing_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a model that holds every request without answering
    url, _ = stack
    account, bot = owner_and_bot
    monkeypatch.setattr(failing_model, "fault_kinds", lambda _body: ("hang",))

    # When a question is asked over REST (the query function has 29 s; the SDK alone waited 30 s per attempt)
    response = httpx.post(
        f"{url}/chatbots/{bot['id']}/query",
        headers=bearer(account),
        json={"question": "What do llamas eat?"},
        timeout=60,
    )

    # Then the passages answer, flagged as a fallback, and the turn is stored once
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["mode"], result["degraded"]) == ("extractive", True)
    assert "grass and hay" in result["answer"]
    conversation = httpx.get(
        f"{url}/chatbots/{bot['id']}/conversations/{result['conversation_id']}", headers=bearer(account)
    ).json()
    assert [message["role"] for message in conversation["messages"]] == ["user", "assistant"]


def test_a_stream_cut_mid_answer_ends_with_an_error_frame_and_the_part_written_is_stored_once(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, failing_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a model whose streamed replies break after part of the answer
    url, _ = stack
    account, bot = owner_and_bot
    monkeypatch.setattr(failing_model, "fault_kinds", lambda body: ("cut",) if body.get("stream") else ("500",))

    # When a question is asked over WebSocket
    frames = ask(url, account["tokens"]["access_token"], bot["id"], "What do llamas eat?")

    # Then the words already sent are not followed by another answer: an error frame ends the stream
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "start"
    assert kinds[-1] == "error"
    assert frames[-1]["code"] == "upstream_unavailable"
    assert set(kinds[1:-1]) == {"token"}
    streamed = "".join(frame["text"] for frame in frames if frame["type"] == "token")
    # And the conversation holds the question and the part written, once, marked interrupted
    path = f"/chatbots/{bot['id']}/conversations/{frames[0]['conversation_id']}"
    conversation = httpx.get(url + path, headers=bearer(account)).json()
    messages = conversation["messages"]
    assert [message["role"] for message in messages] == ["user", "assistant"]
    assert messages[1]["id"] == frames[0]["message_id"]
    assert messages[1]["interrupted"] is True
    assert messages[1]["content"] == streamed.strip()
    # And another tenant cannot read it
    with httpx.Client(base_url=url, timeout=30) as api:
        assert api.get(path, headers=bearer(_register(api))).status_code == 404


@pytest.fixture(scope="module")
def faulty_stack(e2e_run: Run) -> Iterator[Stack]:
    """A test stack with OpenAI and Pinecone fakes, and a seeded share of every kind of call failing."""
    options = ["--fakes", f"--faults={FAULTS}", "--fault-seed=12"]
    with e2e_run.running("faulty", options=options) as stack:
        yield stack


def _register(api: httpx.Client) -> dict[str, Any]:
    email = f"faults-{uuid.uuid4().hex[:10]}@example.com"
    response = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _upload(api: httpx.Client, account: dict[str, Any], bot_id: str, number: int) -> str:
    text = f"# Llama note {number}\n\n{GUIDE}\nNote {number}: llamas of herd {number} graze at dawn.\n"
    created = api.post(
        f"/chatbots/{bot_id}/documents",
        headers=bearer(account),
        json={"filename": f"note-{number}.md", "content_type": "text/markdown", "size_bytes": len(text.encode())},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()["upload"]
    assert send_upload(ticket, text.encode()).status_code == 204
    return str(created.json()["document"]["id"])


def _pinecone_ids(pinecone: str, namespace: str, prefix: str) -> list[str]:
    """The ids the Pinecone fake holds (asked again when a fault strikes this request too)."""
    while True:
        response = httpx.get(
            f"{pinecone}/vectors/list", params={"namespace": namespace, "prefix": prefix, "limit": 1000}
        )
        if response.status_code == 200:
            return [vector["id"] for vector in response.json()["vectors"]]


def test_under_faults_documents_end_indexed_or_failed_answers_are_never_5xx_and_nothing_is_stored_twice(
    faulty_stack: Any,
) -> None:
    url, stack_info = faulty_stack.url, faulty_stack.aws
    statuses: list[int] = []
    with httpx.Client(base_url=url, timeout=60) as api:

        def call(method: str, path: str, account: dict[str, Any], **kwargs: Any) -> httpx.Response:
            response = api.request(method, path, headers=bearer(account), **kwargs)
            statuses.append(response.status_code)
            return response

        # Given two tenants, each with a chatbot and three small documents uploaded at once
        owners = [_register(api) for _ in range(2)]
        bots = [call("POST", "/chatbots", owner, json={"name": "Herd"}).json()["id"] for owner in owners]
        uploads = [
            (owner, bot, _upload(api, owner, bot, n)) for owner, bot in zip(owners, bots, strict=True) for n in range(3)
        ]

        # When the queue drains
        deadline = time.monotonic() + DRAIN_SECONDS
        documents: dict[str, dict[str, Any]] = {}
        while len(documents) < len(uploads) and time.monotonic() < deadline:
            for owner, bot, document_id in uploads:
                found = call("GET", f"/chatbots/{bot}/documents/{document_id}", owner).json()
                if found["status"] in ("indexed", "failed"):
                    documents[document_id] = found
            time.sleep(1)

        # Then every document ended indexed, or failed with a reason
        assert len(documents) == len(uploads), "documents stuck: " + ", ".join(
            d for _, _, d in uploads if d not in documents
        )
        assert all(doc["error"] for doc in documents.values() if doc["status"] == "failed")
        indexed = [doc for doc in documents.values() if doc["status"] == "indexed"]
        assert indexed, "at these rates most documents index"
        # And another tenant gets 404 for them
        owner, bot, document_id = uploads[0]
        assert call("GET", f"/chatbots/{bot}/documents/{document_id}", owners[1]).status_code == 404

        # And questions, over REST and WebSocket, get answers (or a WebSocket error frame), never a 5xx
        conversations = []
        for owner, bot in zip(owners, bots, strict=True):
            for question in ("What do llamas eat?", "When do llamas hum?"):
                response = call("POST", f"/chatbots/{bot}/query", owner, json={"question": question})
                assert response.status_code == 200, response.text
                conversations.append((owner, bot, response.json()["conversation_id"]))
            frames = ask(url, owner["tokens"]["access_token"], bot, "What do llamas eat?")
            assert frames[-1]["type"] in ("done", "error")
            conversations.append((owner, bot, frames[0]["conversation_id"]))
        # And each question is stored once, with its one answer
        for owner, bot, conversation_id in conversations:
            messages = call("GET", f"/chatbots/{bot}/conversations/{conversation_id}", owner).json()["messages"]
            assert [message["role"] for message in messages] == ["user", "assistant"]
    assert not [status for status in statuses if status >= 500]

    # And each indexed document has exactly its chunks in the index, counted once in its chatbot's statistics
    pinecone = stack_info["fakes"]["pinecone"]
    table = moto_resource(stack_info, "dynamodb").Table(stack_info["resources"]["Table"]["Ref"])
    by_id = {document_id: (owner, bot) for owner, bot, document_id in uploads}
    for document in indexed:
        owner, bot = by_id[document["id"]]
        tenant = owner["tenant"]["id"]
        listed = _pinecone_ids(pinecone, tenant, f"{document['id']}#")
        assert len(listed) == len(set(listed)) == document["chunk_count"]
        shares = table.query(KeyConditionExpression=Key("PK").eq(keys.lexicon_shares(tenant, bot, document["id"])))
        assert sum(int(share["chunks"]) for share in shares["Items"]) == document["chunk_count"]
    for owner, bot in zip(owners, bots, strict=True):
        tenant = owner["tenant"]["id"]
        counters = table.query(KeyConditionExpression=Key("PK").eq(keys.lexicon(tenant, bot)))["Items"]
        counted = sum(int(item.get("chunks", 0)) for item in counters if item["SK"].startswith("TOTALS#"))
        shared = sum(
            int(share["chunks"])
            for _, other_bot, document_id in uploads
            if other_bot == bot
            for share in table.query(
                KeyConditionExpression=Key("PK").eq(keys.lexicon_shares(tenant, bot, document_id))
            )["Items"]
        )
        assert counted == shared
