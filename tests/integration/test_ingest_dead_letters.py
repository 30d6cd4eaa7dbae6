"""Uploads SQS gives up on: retried, dead-lettered, and their documents never left `processing`, nor anything they
indexed behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from parley.adapters.dynamo import keys
from parley.adapters.s3 import S3BlobStore
from parley.container import get_container
from parley.domain.common import utcnow
from parley.domain.lexical import Contribution, Statistics, chunk_terms
from parley.handlers.ingest import objects_created
from parley.services.indexer import ABANDONED

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import prose

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


def test_message_that_always_fails_ends_in_the_dlq_and_the_document_failed(
    lambdas: Functions, register: Callable[..., dict[str, Any]], openai_fake: FakeOpenAI
) -> None:
    # Given an embedding service that refuses every request
    owner = register("owner@example.com")
    chatbot = lambdas.chatbot(owner, name="Docs")
    openai_fake.fail_next(1000, status=400)
    created = lambdas.upload(owner, chatbot["id"], "notes.txt", "text/plain", b"Llamas hum.")

    # When the event source keeps delivering it, the queue's visibility timeout passing after each failure, until SQS
    # gives up
    sqs = boto3.client("sqs")
    dead_letters = lambdas.resources["IngestDeadLetterQueue"]["Ref"]
    states = []
    for _ in range(10):
        lambdas.deliver(rounds=1, to="IngestFunction")
        status = lambdas.call(
            "UploadFunction",
            "GET",
            "/chatbots/{chatbot_id}/documents/{document_id}",
            sub=owner["user"]["id"],
            path_parameters={"chatbot_id": chatbot["id"], "document_id": created["document"]["id"]},
        )[1]["status"]
        states.append(status)
        attributes = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["ApproximateNumberOfMessages"])
        if int(attributes["Attributes"]["ApproximateNumberOfMessages"]):
            break
        lambdas.redeliver()

    # Then the message is in the DLQ after three receives, and the document says why it failed
    dead = sqs.receive_message(QueueUrl=dead_letters, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert len(dead) == 1
    assert "ObjectCreated" in dead[0]["Body"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 3
    assert "processing" in states
    _, document = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": chatbot["id"], "document_id": created["document"]["id"]},
    )
    assert document["status"] == "failed"
    assert document["error"]
    assert openai_fake.requests["/v1/embeddings"] == 3


def test_document_whose_last_attempt_crashed_is_failed_by_the_dead_letter_handler(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    # Given an upload whose last attempt claimed the document and then died without a word (timeout, out of memory)
    owner = register("owner@example.com")
    chatbot = lambdas.chatbot(owner, name="Docs")
    created = lambdas.upload(owner, chatbot["id"], "notes.txt", "text/plain", b"Llamas hum.")
    sqs = boto3.client("sqs")
    queue = lambdas.resources["IngestQueue"]["Ref"]
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (body,) = [message["Body"] for message in received if objects_created(message["Body"])]
    (event,) = objects_created(body)
    store = get_container().document_store
    document = store.get(owner["tenant"]["id"], chatbot["id"], created["document"]["id"])
    assert document is not None
    assert store.claim(document, event.source, utcnow()) is not None

    # When SQS moves its message to the dead-letter queue
    sqs.send_message(QueueUrl=lambdas.resources["IngestDeadLetterQueue"]["Ref"], MessageBody=body)
    delivered = lambdas.deliver(to="IngestDeadLetterFunction")

    # Then the document is failed with a reason, not stuck in processing
    _, after = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": chatbot["id"], "document_id": created["document"]["id"]},
    )
    assert delivered == 1
    assert after["status"] == "failed"
    assert after["error"] == "Indexing did not finish after repeated attempts; upload the file again"


def _chatbot(lambdas: Functions, account: dict[str, Any]) -> str:
    return str(lambdas.chatbot(account, name="D")["id"])


def _documents(lambdas: Functions, account: dict[str, Any], chatbot_id: str) -> list[dict[str, Any]]:
    status, listed = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents",
        sub=account["user"]["id"],
        path_parameters={"chatbot_id": chatbot_id},
    )
    assert status == 200
    return list(listed["items"])


def _vectors(pinecone_fake: FakePinecone, tenant_id: str, chatbot_id: str) -> dict[str, Any]:
    return {
        id_: vector
        for id_, vector in pinecone_fake.namespaces.get(tenant_id, {}).items()
        if vector["metadata"]["chatbot_id"] == chatbot_id
    }


def _shares(tenant_id: str, chatbot_id: str, document_id: str) -> list[dict[str, Any]]:
    """The items of the document's share of its chatbot's lexical statistics."""
    return list(get_container().table.query_prefix(keys.lexicon_shares(tenant_id, chatbot_id, document_id)))


def test_dead_lettered_document_keeps_no_vectors_and_no_share_of_the_statistics(
    lambdas: Functions,
    register: Callable[..., dict[str, Any]],
    pinecone_fake: FakePinecone,
    openai_fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a chatbot with an indexed document, and another tenant's chatbot that indexed the same file
    owner, stranger = register("owner@example.com"), register("stranger@example.com")
    tenant, chatbot, theirs = owner["tenant"]["id"], _chatbot(lambdas, owner), _chatbot(lambdas, stranger)
    kept_text, text = prose(1, 600), prose(5, 600)
    lambdas.upload(owner, chatbot, "kept.txt", "text/plain", kept_text.encode())
    lambdas.upload(stranger, theirs, "notes.txt", "text/plain", text.encode())
    lambdas.deliver(to="IngestFunction")
    kept = _vectors(pinecone_fake, tenant, chatbot)
    strangers = (_documents(lambdas, stranger, theirs), _vectors(pinecone_fake, stranger["tenant"]["id"], theirs))
    assert [item["status"] for item in _documents(lambdas, owner, chatbot) + strangers[0]] == ["indexed", "indexed"]
    # And a document whose last attempt wrote its vectors and its share of the statistics, then died
    document_id = lambdas.upload(owner, chatbot, "notes.txt", "text/plain", text.encode())["document"]["id"]
    queue = lambdas.resources["IngestQueue"]["Ref"]
    received = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (body,) = [message["Body"] for message in received if objects_created(message["Body"])]
    (event,) = objects_created(body)

    def killed(*_: object) -> None:
        raise RuntimeError("the worker was killed")

    with monkeypatch.context() as crash:
        crash.setattr(S3BlobStore, "keep", killed)  # the attempt's last step, after every vector was written
        with pytest.raises(RuntimeError):
            get_container().indexer.index_object(event, final_attempt=False)
    assert set(_vectors(pinecone_fake, tenant, chatbot)) > set(kept)
    assert _shares(tenant, chatbot, document_id)
    embeddings = openai_fake.requests["/v1/embeddings"]

    # When SQS moves its message to the dead-letter queue and the dead-letter function runs
    boto3.client("sqs").send_message(QueueUrl=lambdas.resources["IngestDeadLetterQueue"]["Ref"], MessageBody=body)
    assert lambdas.deliver(to="IngestDeadLetterFunction") == 1

    # Then the document is failed with a reason, and nothing of it is left: no vector, no share, no file
    (document,) = [item for item in _documents(lambdas, owner, chatbot) if item["id"] == document_id]
    assert (document["status"], document["error"]) == ("failed", ABANDONED)
    assert _vectors(pinecone_fake, tenant, chatbot) == kept
    assert _shares(tenant, chatbot, document_id) == []
    files = boto3.client("s3").list_objects_v2(Bucket=lambdas.resources["DocumentsBucket"]["Ref"], Prefix=event.key)
    assert files.get("Contents", []) == []
    assert openai_fake.requests["/v1/embeddings"] == embeddings  # nothing was embedded to clean up
    # And the chatbot's statistics are those rebuilt from the document that remains
    terms = sorted(chunk_terms(f"{kept_text} {text}").counts)
    remaining = Contribution.of([chunk_terms(vector["metadata"]["text"]) for vector in kept.values()])
    frequencies = {term: remaining.frequencies[term] for term in terms if term in remaining.frequencies}
    assert get_container().lexicon.statistics(tenant, chatbot, terms) == Statistics(remaining.chunks, frequencies)
    # And the other tenant's copy of the same file is untouched
    assert (
        _documents(lambdas, stranger, theirs),
        _vectors(pinecone_fake, stranger["tenant"]["id"], theirs),
    ) == strangers
    assert _shares(stranger["tenant"]["id"], theirs, strangers[0][0]["id"])
