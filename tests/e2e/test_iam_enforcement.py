"""The dead-letter function, holding only its own IAM statements, ends a document SQS gave up on `failed`.

That the local stack enforces template.yaml's statements is proven in two parts: tests/local/test_iam.py
shows the AWS proxy refuses a call no statement allows, naming function and action; and the e2e conftest shows, at
the end of a whole e2e run, that each statement allowed some call of a path the tier runs (so removing it fails that
path's test, whose refused call is named by the `no_aws_call_refused` check)."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest
from parley.adapters.dynamo.lexicon import DynamoLexicon
from parley.adapters.dynamo.table import Table
from parley.domain.lexical import Contribution, chunk_terms, query_term_ids

from local.template import REGION
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import NewAccount


def test_dead_letter_function_fails_a_document_sqs_gave_up_on(
    api: httpx.Client, new_account: NewAccount, local_aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a document whose upload was registered, whose S3 notification SQS gave up on, and whose last attempt
    # had recorded its share of the chatbot's lexical statistics
    owner = new_account()
    headers = bearer(owner)
    chatbot = api.post("/chatbots", headers=headers, json={"name": "Docs"}).json()
    created = api.post(
        f"/chatbots/{chatbot['id']}/documents",
        headers=headers,
        json={"filename": "notes.txt", "content_type": "text/plain", "size_bytes": 11},
    ).json()
    key = created["upload"]["fields"]["key"]
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "eventTime": "2026-11-29T12:00:00.000Z",
                "s3": {"object": {"key": key, "size": 11, "eTag": uuid.uuid4().hex, "sequencer": "01"}},
            }
        ]
    }
    for name, value in (("AWS_ENDPOINT_URL", local_aws["aws_endpoint"]), ("AWS_DEFAULT_REGION", REGION),
                        ("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local")):  # fmt: skip
        monkeypatch.setenv(name, value)
    lexicon = DynamoLexicon(Table(local_aws["resources"]["Table"]["Ref"]))
    tenant, document_id = owner["tenant"]["id"], created["document"]["id"]
    lexicon.record(tenant, chatbot["id"], document_id, Contribution.of([chunk_terms("Llamas hum.")]))
    sqs = boto3.client("sqs")
    # When the message lands in the dead-letter queue
    sqs.send_message(
        QueueUrl=local_aws["resources"]["IngestDeadLetterQueue"]["Ref"], MessageBody=json.dumps(notification)
    )
    # Then the dead-letter function, holding only its own permissions, marks the document failed with a reason
    url = f"/chatbots/{chatbot['id']}/documents/{created['document']['id']}"
    deadline = time.monotonic() + 30
    while (document := api.get(url, headers=headers).json())["status"] != "failed":
        assert time.monotonic() < deadline, f"the document is still {document['status']}"
        time.sleep(0.25)
    assert "upload the file again" in document["error"]
    # And it removes the document's share of the statistics (after failing it, so the share may take a moment)
    while (statistics := lexicon.statistics(tenant, chatbot["id"], query_term_ids("llamas hum"))).chunks:
        assert time.monotonic() < deadline, f"the share of the statistics is still there: {statistics}"
        time.sleep(0.25)
    assert statistics.frequencies == {}
    # And it finishes every step (the upload's deletion last) so SQS drops the message; a step its permissions do not
    # allow would fail the handler and the message would come back
    attributes = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    dead_letters = local_aws["resources"]["IngestDeadLetterQueue"]["Ref"]
    while any(
        int(count)
        for count in sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=attributes)["Attributes"].values()
    ):
        assert time.monotonic() < deadline + 30, "the dead-letter message was not done with"
        time.sleep(0.25)
