"""Upload and ingest handlers against moto (S3 → SQS notifications, DynamoDB, Secrets Manager) with the real
OpenAI and Pinecone SDKs talking to local fakes of their APIs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from parley.container import get_container
from parley.services.abandoned_uploads import AbandonedUploads

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import pdf, prose

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@pytest.fixture
def chatbot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, name="Docs")


def _create(
    lambdas: Functions, user: dict[str, Any], chatbot_id: str, filename: str, content_type: str, size: Any
) -> Any:
    return lambdas.call(
        "UploadFunction",
        "POST",
        "/chatbots/{chatbot_id}/documents",
        sub=user["user"]["id"],
        body={"filename": filename, "content_type": content_type, "size_bytes": size},
        path_parameters={"chatbot_id": chatbot_id},
    )


def _document(lambdas: Functions, user: dict[str, Any], chatbot_id: str, document_id: str, method: str = "GET") -> Any:
    return lambdas.call(
        "UploadFunction",
        method,
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=user["user"]["id"],
        path_parameters={"chatbot_id": chatbot_id, "document_id": document_id},
    )


def _upload(lambdas: Functions, user: dict[str, Any], chatbot: Any, filename: str, content_type: str, data: Any) -> Any:
    created = lambdas.upload(user, chatbot["id"], filename, content_type, data)
    return created["document"]["id"], created["upload"]["fields"]["key"]


def test_create_returns_a_presigned_post_for_exactly_this_key_type_and_size(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    status, body = _create(lambdas, owner, chatbot["id"], "Guide (v2).pdf", "application/pdf", 1234)

    assert status == 201
    assert body["document"]["status"] == "pending_upload"
    assert body["document"]["filename"] == "Guide (v2).pdf"
    ticket = body["upload"]
    assert (ticket["method"], ticket["expires_in"]) == ("POST", 900)
    assert lambdas.resources["DocumentsBucket"]["Ref"] in ticket["url"]
    fields = ticket["fields"]
    assert fields["key"] == f"uploads/{owner['tenant']['id']}/{chatbot['id']}/{body['document']['id']}"
    assert fields["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"tagging": fields["tagging"]} in conditions
    assert "x-amz-signature" in fields


def test_tickets_unused_past_their_expiry_end_failed_and_used_ones_do_not(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given a ticket never used and one whose upload was indexed
    _, unused = _create(lambdas, owner, chatbot["id"], "never.txt", "text/plain", 5)
    used_id, _ = _upload(lambdas, owner, chatbot, "notes.txt", "text/plain", b"Llamas hum.")
    lambdas.deliver()
    # When the scheduled sweep runs now, Then nothing has expired yet
    assert lambdas.invoke("UploadExpiryFunction", {"id": "scheduled", "detail-type": "Scheduled Event"}) == {
        "expired": 0,
        "lapsed": 0,
    }
    # When the sweep runs (on the table, through its index of uploads due) after the tickets and their grace
    later = datetime.now(UTC) + timedelta(seconds=900 + 3601)
    swept = AbandonedUploads(get_container().document_store, grace=timedelta(hours=1), clock=lambda: later).expire()
    # Then only the unused ticket's document ends failed, with the reason
    assert [outcome.document_id for outcome in swept] == [unused["document"]["id"]]
    _, expired = _document(lambdas, owner, chatbot["id"], unused["document"]["id"])
    assert expired["status"] == "failed"
    assert expired["error"].startswith("Upload expired")
    assert _document(lambdas, owner, chatbot["id"], used_id)[1]["status"] == "indexed"


def test_a_failed_upload_leaves_no_file_and_an_indexed_one_is_kept_without_its_unindexed_tag(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given two uploads, one broken and one fine
    broken_id, broken_upload = _upload(lambdas, owner, chatbot, "broken.pdf", "application/pdf", b"%PDF-1.4\nbad")
    fine_id, fine_upload = _upload(lambdas, owner, chatbot, "notes.txt", "text/plain", b"Llamas hum.")

    # When ingest has seen them
    lambdas.deliver()

    # Then both uploads are consumed; only the indexed one has a file, at its document's key, without the tag
    s3, bucket = boto3.client("s3"), lambdas.resources["DocumentsBucket"]["Ref"]
    documents = f"tenants/{owner['tenant']['id']}/chatbots/{chatbot['id']}/documents"
    stored = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert broken_upload not in stored
    assert fine_upload not in stored
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"{documents}/{broken_id}/").get("KeyCount", 0) == 0
    fine_file = f"{documents}/{fine_id}/notes.txt"
    assert s3.get_object(Bucket=bucket, Key=fine_file)["Body"].read() == b"Llamas hum."
    assert s3.get_object_tagging(Bucket=bucket, Key=fine_file)["TagSet"] == []


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "status", "code"),
    [
        ("virus.exe", "application/octet-stream", 10, 415, "unsupported_media_type"),
        ("doc.pdf", "text/plain", 10, 415, "unsupported_media_type"),
        ("huge.pdf", "application/pdf", 50_000_001, 413, "file_too_large"),
        ("empty.txt", "text/plain", 0, 422, "validation_error"),
    ],
)
def test_bad_uploads_are_refused(
    lambdas: Functions,
    owner: dict[str, Any],
    chatbot: Any,
    filename: Any,
    content_type: Any,
    size: Any,
    status: Any,
    code: Any,
) -> None:
    got_status, body = _create(lambdas, owner, chatbot["id"], filename, content_type, size)

    assert got_status == status
    assert body["error"]["code"] == code


def test_pdf_upload_is_indexed_with_pages_in_pinecone(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, pinecone_fake: FakePinecone, openai_fake: FakeOpenAI
) -> None:
    pages = ["Llamas hum to each other.", "Alpacas are smaller than llamas.", "Vicuñas are wild."]
    document_id, _ = _upload(lambdas, owner, chatbot, "camelids.pdf", "application/pdf", pdf(pages))

    lambdas.deliver()

    status, document = _document(lambdas, owner, chatbot["id"], document_id)
    assert status == 200
    assert (document["status"], document["chunk_count"]) == ("indexed", 3)
    vectors = pinecone_fake.namespaces[owner["tenant"]["id"]]
    assert sorted(vector["metadata"]["page"] for vector in vectors.values()) == [1, 2, 3]
    assert {vector["metadata"]["chatbot_id"] for vector in vectors.values()} == {chatbot["id"]}
    assert openai_fake.requests["/v1/embeddings"] == 1


def test_same_notification_delivered_twice_leaves_one_set_of_vectors(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, pinecone_fake: FakePinecone, openai_fake: FakeOpenAI
) -> None:
    document_id, _ = _upload(lambdas, owner, chatbot, "notes.md", "text/markdown", prose(5, 1500).encode())
    sqs = boto3.client("sqs")
    queue = lambdas.resources["IngestQueue"]["Ref"]
    # Keep a copy of the notification before the poller consumes it, then send it again.
    message = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    sqs.send_message(QueueUrl=queue, MessageBody=next(m for m in message if "ObjectCreated" in m["Body"])["Body"])

    delivered = lambdas.deliver()

    _status, document = _document(lambdas, owner, chatbot["id"], document_id)
    ids = sorted(pinecone_fake.namespaces[owner["tenant"]["id"]])
    assert delivered >= 2
    assert document["status"] == "indexed"
    assert ids == sorted(f"{document_id}#{n}" for n in range(document["chunk_count"]))
    assert openai_fake.requests["/v1/embeddings"] == 1


def test_corrupt_pdf_fails_with_a_reason(lambdas: Functions, owner: dict[str, Any], chatbot: Any) -> None:
    document_id, _ = _upload(lambdas, owner, chatbot, "broken.pdf", "application/pdf", b"%PDF-1.4\nnot really")

    lambdas.deliver()

    _, document = _document(lambdas, owner, chatbot["id"], document_id)
    assert document["status"] == "failed"
    assert document["error"] == "The PDF is damaged and cannot be read"


def test_delete_removes_the_file_and_every_vector(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, pinecone_fake: FakePinecone
) -> None:
    document_id, key = _upload(lambdas, owner, chatbot, "notes.txt", "text/plain", prose(2, 900).encode())
    lambdas.deliver()
    assert pinecone_fake.namespaces[owner["tenant"]["id"]]

    status, _ = _document(lambdas, owner, chatbot["id"], document_id, method="DELETE")

    assert status == 204
    assert pinecone_fake.namespaces[owner["tenant"]["id"]] == {}
    listed = boto3.client("s3").list_objects_v2(Bucket=lambdas.resources["DocumentsBucket"]["Ref"], Prefix=key)
    assert listed.get("KeyCount", 0) == 0
    assert _document(lambdas, owner, chatbot["id"], document_id)[0] == 404


def test_other_tenant_gets_404_for_documents(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    document_id, _ = _upload(lambdas, owner, chatbot, "notes.txt", "text/plain", b"Private notes.")
    stranger = register("stranger@example.com")

    assert _create(lambdas, stranger, chatbot["id"], "x.txt", "text/plain", 5)[0] == 404
    assert _document(lambdas, stranger, chatbot["id"], document_id)[0] == 404
    assert _document(lambdas, stranger, chatbot["id"], document_id, method="DELETE")[0] == 404
    listed = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents",
        sub=stranger["user"]["id"],
        path_parameters={"chatbot_id": chatbot["id"]},
    )
    assert listed[0] == 404
    assert _document(lambdas, owner, chatbot["id"], document_id)[0] == 200


def _replace(
    lambdas: Functions,
    user: dict[str, Any],
    chatbot_id: str,
    document_id: str,
    filename: str,
    content_type: str,
    size: Any,
) -> Any:
    return lambdas.call(
        "UploadFunction",
        "PUT",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=user["user"]["id"],
        body={"filename": filename, "content_type": content_type, "size_bytes": size},
        path_parameters={"chatbot_id": chatbot_id, "document_id": document_id},
    )


def test_a_new_version_of_a_file_replaces_it_in_place_and_an_unused_one_lapses(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, pinecone_fake: FakePinecone
) -> None:
    # Given an indexed document of several chunks
    document_id, _ = _upload(lambdas, owner, chatbot, "notes.md", "text/markdown", prose(6, 1500).encode())
    lambdas.deliver()
    namespace = pinecone_fake.namespaces[owner["tenant"]["id"]]
    assert len(namespace) > 1
    old = get_container().document_store.get(owner["tenant"]["id"], chatbot["id"], document_id)
    assert old is not None
    old_key = old.object_key
    # When a new version gets a ticket, a presigned POST for the same document's next version
    new = b"Alpacas spit when annoyed."
    status, replaced = _replace(lambdas, owner, chatbot["id"], document_id, "notes-v2.txt", "text/plain", len(new))
    assert status == 200, replaced
    assert (replaced["document"]["status"], replaced["document"]["replacing_with"]) == ("indexed", 2)
    fields = replaced["upload"]["fields"]
    assert fields["key"].endswith(f"/{document_id}/v2")
    assert ["content-length-range", len(new), len(new)] in json.loads(base64.b64decode(fields["policy"]))["conditions"]
    # And the new file is uploaded and ingested
    bucket = lambdas.resources["DocumentsBucket"]["Ref"]
    s3 = boto3.client("s3")
    s3.put_object(
        Bucket=bucket, Key=fields["key"], Body=new, ContentType="text/plain", Tagging="parley-upload=unindexed"
    )
    lambdas.deliver()
    # Then the same document holds only the new content, its file at its new key, the old file and the upload gone
    _, document = _document(lambdas, owner, chatbot["id"], document_id)
    assert (document["status"], document["version"], document["filename"]) == ("indexed", 2, "notes-v2.txt")
    assert document["replacing_with"] is None
    assert [vector["metadata"]["text"] for vector in namespace.values()] == [new.decode()]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert old_key not in keys
    assert fields["key"] not in keys
    kept = get_container().document_store.get(owner["tenant"]["id"], chatbot["id"], document_id)
    assert kept is not None
    assert [key for key in keys if f"/{document_id}/" in key] == [kept.object_key]
    # When a third version's ticket is never used, the sweep lets it lapse and the document keeps version 2
    assert _replace(lambdas, owner, chatbot["id"], document_id, "notes-v3.txt", "text/plain", 5)[0] == 200
    later = datetime.now(UTC) + timedelta(seconds=900 + 3601)
    swept = AbandonedUploads(get_container().document_store, grace=timedelta(hours=1), clock=lambda: later).expire()
    assert [(outcome.status, outcome.document_id) for outcome in swept] == [("lapsed", document_id)]
    _, document = _document(lambdas, owner, chatbot["id"], document_id)
    assert (document["status"], document["version"], document["replacing_with"]) == ("indexed", 2, None)


def test_a_document_still_waiting_for_its_upload_cannot_be_replaced_and_another_tenant_gets_404(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    _, pending = _create(lambdas, owner, chatbot["id"], "a.txt", "text/plain", 5)
    document_id = pending["document"]["id"]
    status, body = _replace(lambdas, owner, chatbot["id"], document_id, "a.txt", "text/plain", 5)
    assert (status, body["error"]["code"]) == (409, "conflict")
    stranger = register("stranger@example.com")
    assert _replace(lambdas, stranger, chatbot["id"], document_id, "a.txt", "text/plain", 5)[0] == 404
