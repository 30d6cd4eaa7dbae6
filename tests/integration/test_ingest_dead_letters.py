"""A message whose processing always raises: retried, then dead-lettered, and its document marked failed."""

from __future__ import annotations

import time

import boto3
import pytest


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
        lambdas.deliver(rounds=1)
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
