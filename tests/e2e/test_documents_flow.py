"""Documents through the running local stack: presigned upload to S3, notification, SQS poller, ingest (the plain
stack's local index, and Pinecone's fake on the instrumented stack)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from parley.adapters.embedded.local_index import LocalVectorIndex

from local.fakes.pinecone import FakePinecone
from local.fakes.samples import docx, minimal_docx, pdf, prose
from local.stack.process import Stack, chatbot_with_document, moto_client, send_upload
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import Account, Chatbot, NewAccount

INDEXING_LIMIT_SECONDS = 30
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def owner(new_account: NewAccount) -> Account:
    return new_account()


@pytest.fixture
def chatbot(api: httpx.Client, owner: Account) -> Chatbot:
    created: Chatbot = api.post("/chatbots", headers=bearer(owner), json={"name": "Docs"}).json()
    return created


def upload(
    api: httpx.Client, owner: Account, chatbot: Chatbot, filename: str, content_type: str, data: bytes
) -> dict[str, Any]:
    created = api.post(
        f"/chatbots/{chatbot['id']}/documents",
        headers=bearer(owner),
        json={"filename": filename, "content_type": content_type, "size_bytes": len(data)},
    )
    assert created.status_code == 201, created.text
    stored = send_upload(created.json()["upload"], data)
    assert stored.status_code == 204, stored.text
    document: dict[str, Any] = created.json()["document"]
    return document


def settle(api: httpx.Client, owner: Account, chatbot: Chatbot, document: dict[str, Any]) -> dict[str, Any]:
    """Poll the document until it is indexed or failed."""
    deadline = time.monotonic() + INDEXING_LIMIT_SECONDS
    while True:
        current: dict[str, Any] = api.get(
            f"/chatbots/{chatbot['id']}/documents/{document['id']}", headers=bearer(owner)
        ).json()
        if current["status"] in ("indexed", "failed") or time.monotonic() > deadline:
            return current
        time.sleep(0.25)


def indexed_chunks(data_dir: Path, owner: Account, document: dict[str, Any]) -> list[dict[str, Any]]:
    index = LocalVectorIndex(data_dir / "index", "all-MiniLM-L6-v2", 384)
    return index.records(owner["tenant"]["id"], f"{document['id']}#")


def test_three_page_pdf_is_indexed_with_page_numbers(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path
) -> None:
    pages = [prose(page, 120) for page in range(3)]
    document = upload(api, owner, chatbot, "handbook.pdf", "application/pdf", pdf(pages))

    done = settle(api, owner, chatbot, document)

    assert done["status"] == "indexed", done
    assert done["chunk_count"] == 3
    assert [chunk["page"] for chunk in indexed_chunks(data_dir, owner, document)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("filename", "content_type", "data"),
    [
        ("care.docx", DOCX, docx({"Care": [prose(1, 80)], "Diet": [prose(2, 80)]})),
        ("notes.md", "text/markdown", f"# Care\n\n{prose(3, 80)}\n\n## Diet\n\n{prose(4, 80)}\n".encode()),
    ],
)
def test_docx_and_markdown_are_indexed_with_headings(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path, filename: str, content_type: str, data: bytes
) -> None:
    document = upload(api, owner, chatbot, filename, content_type, data)

    done = settle(api, owner, chatbot, document)

    assert done["status"] == "indexed", done
    assert [chunk["heading"] for chunk in indexed_chunks(data_dir, owner, document)] == ["Care", "Diet"]


def test_corrupt_pdf_fails_with_a_reason(api: httpx.Client, owner: Account, chatbot: Chatbot) -> None:
    document = upload(api, owner, chatbot, "broken.pdf", "application/pdf", b"%PDF-1.5\n% truncated download")

    done = settle(api, owner, chatbot, document)

    assert done["status"] == "failed"
    assert done["error"] == "The PDF is damaged and cannot be read"


def test_docx_bomb_fails_with_the_limit_it_breaks_and_nothing_indexed_and_stays_the_owners(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path, new_account: NewAccount
) -> None:
    # Given a few-kilobyte Word document holding over a megabyte of text
    bomb = minimal_docx("Llamas hum and graze in the high Andes. " * 20, 1500)
    document = upload(api, owner, chatbot, "bomb.docx", DOCX, bomb)

    # When the platform ingests it
    done = settle(api, owner, chatbot, document)

    # Then it failed, saying which limit, with nothing indexed; and another tenant cannot see it
    assert done["status"] == "failed"
    assert done["error"] == "The file is compressed more than 100 to 1, as only zip bombs are (limit 100 to 1)"
    assert indexed_chunks(data_dir, owner, document) == []
    path = f"/chatbots/{chatbot['id']}/documents/{document['id']}"
    assert api.get(path, headers=bearer(new_account())).status_code == 404


def test_file_over_the_limit_is_refused(api: httpx.Client, owner: Account, chatbot: Chatbot) -> None:
    response = api.post(
        f"/chatbots/{chatbot['id']}/documents",
        headers=bearer(owner),
        json={"filename": "huge.pdf", "content_type": "application/pdf", "size_bytes": 50_000_001},
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_duplicate_notification_leaves_one_set_of_vectors(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path, local_aws: dict[str, Any]
) -> None:
    data = prose(9, 900).encode()
    document = upload(api, owner, chatbot, "notes.txt", "text/plain", data)
    first = settle(api, owner, chatbot, document)
    key = f"uploads/{owner['tenant']['id']}/{chatbot['id']}/{document['id']}"
    file_key = f"tenants/{owner['tenant']['id']}/chatbots/{chatbot['id']}/documents/{document['id']}/notes.txt"
    bucket = local_aws["resources"]["DocumentsBucket"]["Ref"]
    s3 = moto_client(local_aws, "s3")
    etag = hashlib.md5(data).hexdigest()  # S3's ETag of a single-part upload; the upload itself was consumed
    notification = (
        '{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", '
        f'"eventTime": "2026-01-01T00:00:00.000Z", "s3": {{"bucket": {{"name": "{bucket}"}}, '
        f'"object": {{"key": "{key}", "size": {len(prose(9, 900))}, "eTag": "{etag}", "sequencer": "00AB"}}}}}}]}}'
    )
    sqs = moto_client(local_aws, "sqs")

    queue = local_aws["resources"]["IngestQueue"]["Ref"]
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=notification)
    # (ingest has handled both once the queue holds no message, waiting or in flight)
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + INDEXING_LIMIT_SECONDS
    while any(map(int, sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=counts)["Attributes"].values())):
        assert time.monotonic() < deadline, "the duplicate notifications are still in the queue"
        time.sleep(0.25)
    again = settle(api, owner, chatbot, document)

    ids = [chunk["id"] for chunk in indexed_chunks(data_dir, owner, document)]
    assert first["status"] == again["status"] == "indexed"
    assert sorted(ids) == sorted(f"{document['id']}#{n}" for n in range(again["chunk_count"]))
    assert s3.get_object(Bucket=bucket, Key=file_key)["Body"].read() == data


def test_delete_removes_the_document_and_its_vectors(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path
) -> None:
    document = upload(api, owner, chatbot, "notes.txt", "text/plain", prose(4, 300).encode())
    assert settle(api, owner, chatbot, document)["status"] == "indexed"

    deleted = api.delete(f"/chatbots/{chatbot['id']}/documents/{document['id']}", headers=bearer(owner))

    assert deleted.status_code == 204
    assert indexed_chunks(data_dir, owner, document) == []
    assert api.get(f"/chatbots/{chatbot['id']}/documents/{document['id']}", headers=bearer(owner)).status_code == 404


def test_delete_removes_the_documents_vectors_from_pinecone_too(
    instrumented_stack: Stack, instrumented_index: FakePinecone
) -> None:
    # Given a document indexed on the stack whose vectors go to Pinecone (its fake, through the SDK)
    account, bot = chatbot_with_document(instrumented_stack.url, "notes.md", prose(4, 300))
    with httpx.Client(base_url=instrumented_stack.url, timeout=30, headers=bearer(account)) as client:
        [document] = client.get(f"/chatbots/{bot['id']}/documents").json()["items"]
        vectors = instrumented_index.namespaces[account["tenant"]["id"]]
        assert [id_ for id_ in vectors if id_.startswith(f"{document['id']}#")]

        # When it is deleted, Then its vectors are gone from the index
        assert client.delete(f"/chatbots/{bot['id']}/documents/{document['id']}").status_code == 204
        assert not [id_ for id_ in vectors if id_.startswith(f"{document['id']}#")]


def test_other_tenant_gets_404_for_the_document(
    api: httpx.Client, owner: Account, chatbot: Chatbot, new_account: NewAccount
) -> None:
    document = upload(api, owner, chatbot, "private.txt", "text/plain", b"Only for us.")
    stranger = new_account()

    path = f"/chatbots/{chatbot['id']}/documents/{document['id']}"
    assert api.get(path, headers=bearer(stranger)).status_code == 404
    assert api.delete(path, headers=bearer(stranger)).status_code == 404
    assert api.get(f"/chatbots/{chatbot['id']}/documents", headers=bearer(stranger)).status_code == 404
    assert api.get(path, headers=bearer(owner)).status_code == 200


def test_an_upload_ticket_is_used_once_and_only_for_the_declared_size(
    api: httpx.Client,
    owner: Account,
    chatbot: Chatbot,
    data_dir: Path,
    local_aws: dict[str, Any],
    new_account: NewAccount,
) -> None:
    # Given a ticket for a 30-byte file
    text = b"Llamas hum when they are calm."
    created = api.post(
        f"/chatbots/{chatbot['id']}/documents",
        headers=bearer(owner),
        json={"filename": "guide.txt", "content_type": "text/plain", "size_bytes": len(text)},
    ).json()
    ticket, document = created["upload"], created["document"]
    # When 5 MB are sent with it, Then S3 refuses them
    oversized = send_upload(ticket, b"x" * 5_000_000)
    assert oversized.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in oversized.text
    # When the file is sent, it is indexed; When the ticket is used again, Then that upload is not indexed
    assert send_upload(ticket, text).status_code == 204
    assert settle(api, owner, chatbot, document)["status"] == "indexed"
    again = send_upload(ticket, b"Alpacas spit when angry, ok!!!")
    assert again.status_code == 204, again.text
    # (it lands at the ticket's key and ingest deletes it, which is how to know ingest has seen it)
    s3 = moto_client(local_aws, "s3")
    bucket, key = local_aws["resources"]["DocumentsBucket"]["Ref"], ticket["fields"]["key"]
    deadline = time.monotonic() + INDEXING_LIMIT_SECONDS
    while s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0):
        assert time.monotonic() < deadline, "the second upload is still in the bucket"
        time.sleep(0.25)
    assert settle(api, owner, chatbot, document)["status"] == "indexed"
    assert [chunk["text"] for chunk in indexed_chunks(data_dir, owner, document)] == [text.decode()]
    # And the document's file is still the first upload's, kept without the tag that expires uploads
    file_key = f"tenants/{owner['tenant']['id']}/chatbots/{chatbot['id']}/documents/{document['id']}/guide.txt"
    assert s3.get_object(Bucket=bucket, Key=file_key)["Body"].read() == text
    assert s3.get_object_tagging(Bucket=bucket, Key=file_key)["TagSet"] == []
    # And another tenant still cannot see the document
    path = f"/chatbots/{chatbot['id']}/documents/{document['id']}"
    assert api.get(path, headers=bearer(new_account())).status_code == 404


def test_a_closed_account_leaves_nothing_in_the_table_bucket_or_index(
    api: httpx.Client, owner: Account, chatbot: Chatbot, data_dir: Path, local_aws: dict[str, Any]
) -> None:
    # Given an owner with an indexed document and a conversation
    tenant = owner["tenant"]["id"]
    document = upload(api, owner, chatbot, "notes.txt", "text/plain", prose(4, 300).encode())
    assert settle(api, owner, chatbot, document)["status"] == "indexed"
    asked = api.post(f"/chatbots/{chatbot['id']}/query", headers=bearer(owner), json={"question": "Llamas?"})
    assert asked.status_code == 200
    # When the account is closed
    assert api.delete("/account", headers=bearer(owner)).status_code == 204
    # Then the erasure function (with only its own permissions) leaves nothing of the tenant
    dynamodb, s3 = moto_client(local_aws, "dynamodb"), moto_client(local_aws, "s3")
    table, bucket = local_aws["resources"]["Table"]["Ref"], local_aws["resources"]["DocumentsBucket"]["Ref"]
    index = LocalVectorIndex(data_dir / "index", "all-MiniLM-L6-v2", 384)
    deadline = time.monotonic() + INDEXING_LIMIT_SECONDS
    # (in the erasure's order: the index and the files, then the table, whose every page is scanned as it holds
    # earlier tests' items too, more than a page)
    while index.records(tenant) or s3.list_objects_v2(Bucket=bucket, Prefix=f"tenants/{tenant}/").get("KeyCount"):
        assert time.monotonic() < deadline, "the tenant's vectors or files are still there"
        time.sleep(0.25)
    scan = dynamodb.get_paginator("scan")
    while [item for page in scan.paginate(TableName=table) for item in page["Items"] if tenant in str(item)]:
        assert time.monotonic() < deadline, "the tenant's items are still in the table"
        time.sleep(0.25)
    assert api.get("/auth/me", headers=bearer(owner)).status_code == 401
