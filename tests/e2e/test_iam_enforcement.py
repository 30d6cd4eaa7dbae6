"""The local stack enforces template.yaml's IAM statements: remove one and the test of that path fails, naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from parley.adapters.dynamo.lexicon import DynamoLexicon
from parley.adapters.dynamo.table import Table
from parley.domain.lexical import Contribution, chunk_terms, query_term_ids

from local.stack import ROOT
from local.template import REGION, load_template

E2E = Path(__file__).parent


def _without(template: dict[str, Any], function: str, action: str) -> dict[str, Any]:
    """The template with `action` removed from every statement of `function`."""
    removed = 0
    for policy in template["Resources"][function]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            kept = [name for name in actions if name != action]
            removed += len(actions) - len(kept)
            statement["Action"] = kept or ["none:Nothing"]
    assert removed, f"{function} has no {action} to remove"
    return template


@pytest.mark.parametrize(
    ("function", "action", "test"),
    [
        ("ChatbotsFunction", "dynamodb:PutItem", "test_foundation_flow.py::test_register_login_me_and_chatbot_crud"),
        ("UploadFunction", "s3:PutObject", "test_documents_flow.py::test_corrupt_pdf_fails_with_a_reason"),
        (
            "IngestFunction",
            "s3:PutObject",
            "test_documents_flow.py::test_an_upload_ticket_is_used_once_and_only_for_the_declared_size",
        ),
        (
            "IngestDeadLetterFunction",
            "dynamodb:UpdateItem",
            "test_iam_enforcement.py::test_dead_letter_function_fails_a_document_sqs_gave_up_on",
        ),
        (
            "IngestDeadLetterFunction",
            "dynamodb:DeleteItem",
            "test_iam_enforcement.py::test_dead_letter_function_fails_a_document_sqs_gave_up_on",
        ),
    ],
)
def test_a_removed_statement_fails_the_matching_test_naming_the_action(
    tmp_path: Path, function: str, action: str, test: str
) -> None:
    # Given a copy of template.yaml without one action of one function
    template = _without(load_template(ROOT / "template.yaml"), function, action)
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    # When the end-to-end test of the path that needs it runs against a stack built from that copy
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(E2E / test)],
        cwd=ROOT,
        env={**os.environ, "PARLEY_TEMPLATE": str(path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then it fails, and says which function was refused which action
    assert run.returncode != 0, run.stdout[-3000:]
    assert action in run.stdout, run.stdout[-3000:]
    assert function in run.stdout, run.stdout[-3000:]


def test_dead_letter_function_fails_a_document_sqs_gave_up_on(api, new_account, local_aws, monkeypatch) -> None:
    # Given a document whose upload was registered, whose S3 notification SQS gave up on, and whose last attempt
    # had recorded its share of the chatbot's lexical statistics
    owner = new_account()
    headers = {"authorization": f"Bearer {owner['tokens']['access_token']}"}
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
