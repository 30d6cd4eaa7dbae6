"""Uploads SQS gives up on: retried, dead-lettered, and their documents never left `processing`."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from parley.container import get_container
from parley.domain.common import utcnow
from parley.ingest.abandoned import REASON
from parley.ingest_queue import objects_created


@pytest.fixture
def stack_parameters() -> dict[str, str]:
    # Retries after one second instead of the production hour and a half.
    return {"IngestVisibilityTimeout": "1"}


def test_message_that_always_fails_ends_in_the_dlq_and_the_document_failed(lambdas, register, openai_fake):
    # Given an embedding service that refuses every request
    owner = register("owner@example.com")
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Docs"})
    openai_fake.fail_next(1000, status=400)
    created = lambdas.upload(owner, chatbot["id"], "notes.txt", "text/plain", b"Llamas hum.")

    # When the event source keeps delivering until SQS gives up
    sqs = boto3.client("sqs")
    dead_letters = lambdas.resources["IngestDeadLetterQueue"]["Ref"]
    states = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
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
        time.sleep(0.5)

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


def test_document_whose_last_attempt_crashed_is_failed_by_the_dead_letter_handler(lambdas, register):
    # Given an upload whose last attempt claimed the document and then died without a word (timeout, out of memory)
    owner = register("owner@example.com")
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Docs"})
    created = lambdas.upload(owner, chatbot["id"], "notes.txt", "text/plain", b"Llamas hum.")
    sqs = boto3.client("sqs")
    queue = lambdas.resources["IngestQueue"]["Ref"]
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (body,) = [message["Body"] for message in received if objects_created(message["Body"])]
    (event,) = objects_created(body)
    store = get_container().document_store
    document = store.get(owner["tenant"]["id"], chatbot["id"], created["document"]["id"])
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


def test_dead_letter_handler_fails_the_document_with_only_the_table_reachable(lambdas, register, monkeypatch):
    # Given an upload whose last attempt claimed the document and died
    owner = register("owner@example.com")
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Docs"})
    created = lambdas.upload(owner, chatbot["id"], "notes.txt", "text/plain", b"Llamas hum.")
    sqs = boto3.client("sqs")
    received = sqs.receive_message(QueueUrl=lambdas.resources["IngestQueue"]["Ref"], MaxNumberOfMessages=10)
    (body,) = [message["Body"] for message in received["Messages"] if objects_created(message["Body"])]
    (event,) = objects_created(body)
    store = get_container().document_store
    document = store.get(owner["tenant"]["id"], chatbot["id"], created["document"]["id"])
    assert store.claim(document, event.source, utcnow()) is not None
    sqs.send_message(QueueUrl=lambdas.resources["IngestDeadLetterQueue"]["Ref"], MessageBody=body)

    # And, as the dead-letter function's IAM policy has it, every Secrets Manager and S3 call denied
    denied: list[str] = []
    allowed_call = BaseClient._make_api_call

    def deny_secrets_and_s3(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        if service in ("secretsmanager", "s3"):
            denied.append(f"{service}:{operation}")
            error = {"Error": {"Code": "AccessDeniedException", "Message": f"not authorized to {operation}"}}
            raise ClientError(error, operation)
        return allowed_call(client, operation, params)

    parameters.clear_caches()
    get_container.cache_clear()
    monkeypatch.setattr(BaseClient, "_make_api_call", deny_secrets_and_s3)

    # When the dead-letter handler receives the message
    delivered = lambdas.deliver(to="IngestDeadLetterFunction")

    # Then the document is failed with a reason, and nothing but the table was asked
    after = store.get(owner["tenant"]["id"], chatbot["id"], created["document"]["id"])
    assert delivered == 1
    assert (after.status, after.error) == ("failed", REASON)
    assert denied == []
