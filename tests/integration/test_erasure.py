"""Deleting a chatbot or closing an account erases everything it owned: the table, the bucket, the vector index
(Pinecone, through its SDK against the local fake) and Cognito are scanned afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.fakes.pinecone import FakePinecone
from local.fakes.samples import prose

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


DOCUMENTS = "/chatbots/{chatbot_id}/documents"


def _chatbot(lambdas: Functions, account: dict[str, Any], name: str = "Docs") -> dict[str, Any]:
    return lambdas.chatbot(account, name=name)


def _populate(lambdas: Functions, account: dict[str, Any], chatbot: Any) -> None:
    """A document indexed (vectors, statistics, file) and a conversation with messages."""
    lambdas.upload(account, chatbot["id"], "care.txt", "text/plain", prose(4, 400).encode())
    lambdas.deliver()
    status, answer = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=account["user"]["id"],
        body={"question": "Where do llamas graze?"},
        path_parameters={"chatbot_id": chatbot["id"]},
    )
    assert status == 200, answer


def _table_items(lambdas: Functions) -> list[str]:
    dynamodb = boto3.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(TableName=lambdas.resources["Table"]["Ref"])
    return [json.dumps(item) for page in pages for item in page["Items"]]


def _files(lambdas: Functions, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=lambdas.resources["DocumentsBucket"]["Ref"], Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def _vectors(pinecone_fake: FakePinecone, tenant_id: str, chatbot_id: str | None = None) -> list[str]:
    vectors = pinecone_fake.namespaces.get(tenant_id, {})
    return [id_ for id_, vector in vectors.items() if chatbot_id in (None, vector["metadata"]["chatbot_id"])]


@pytest.fixture
def stranger(register: Callable[..., dict[str, Any]], lambdas: Functions) -> tuple[dict[str, Any], dict[str, Any]]:
    """Another tenant with a chatbot, a document and a conversation of its own."""
    account = register("stranger@example.com")
    chatbot = _chatbot(lambdas, account, "Theirs")
    _populate(lambdas, account, chatbot)
    return account, chatbot


def test_a_deleted_chatbot_leaves_nothing_in_the_table_bucket_or_index(
    lambdas: Functions, owner: dict[str, Any], stranger: Any, pinecone_fake: FakePinecone
) -> None:
    # Given the owner's chatbot with a document and a conversation, a second chatbot, and another tenant's data
    chatbot, kept = _chatbot(lambdas, owner), _chatbot(lambdas, owner, "Kept")
    _populate(lambdas, owner, chatbot)
    _populate(lambdas, owner, kept)
    snippet = {"type": "text", "title": "Grazing", "text": prose(5, 80)}  # a source, and its document
    status, source = lambdas.call("UploadFunction", "POST", "/chatbots/{chatbot_id}/sources", sub=owner["user"]["id"],
                                  body=snippet, path_parameters={"chatbot_id": chatbot["id"]})  # fmt: skip
    assert status == 201, source
    lambdas.deliver()
    lambdas.upload(owner, chatbot["id"], "waiting.txt", "text/plain", b"Not ingested yet.")  # an upload not consumed
    tenant = owner["tenant"]["id"]
    assert _files(lambdas, f"uploads/{tenant}/{chatbot['id']}/")
    before = _table_items(lambdas)
    assert [item for item in before if chatbot["id"] in item]
    assert _files(lambdas, f"tenants/{tenant}/chatbots/{chatbot['id']}/")
    assert _vectors(pinecone_fake, tenant, chatbot["id"])
    stranger_items = [item for item in before if stranger[0]["tenant"]["id"] in item]

    # When another tenant tries to delete it, Then it is not found and nothing is erased
    path = "/chatbots/{chatbot_id}"
    assert lambdas.call("ChatbotsFunction", "DELETE", path, sub=stranger[0]["user"]["id"],
                        path_parameters={"chatbot_id": chatbot["id"]})[0] == 404  # fmt: skip
    assert lambdas.deliver(to="ErasureFunction") == 0

    # When the owner deletes it, Then it is deleting at once, and gone once the worker ran
    status, deleting = lambdas.call("ChatbotsFunction", "DELETE", path, sub=owner["user"]["id"],
                                    path_parameters={"chatbot_id": chatbot["id"]})  # fmt: skip
    assert (status, deleting) == (202, {"id": chatbot["id"], "status": "deleting"})
    assert lambdas.call("ChatbotsFunction", "GET", path, sub=owner["user"]["id"],
                        path_parameters={"chatbot_id": chatbot["id"]})[1]["status"] == "deleting"  # fmt: skip
    assert lambdas.deliver(to="ErasureFunction") == 1
    assert lambdas.call("ChatbotsFunction", "GET", path, sub=owner["user"]["id"],
                        path_parameters={"chatbot_id": chatbot["id"]})[0] == 404  # fmt: skip

    after = _table_items(lambdas)
    assert [item for item in after if chatbot["id"] in item] == []
    assert _files(lambdas, f"tenants/{tenant}/chatbots/{chatbot['id']}/") == []
    assert _files(lambdas, f"uploads/{tenant}/{chatbot['id']}/") == []
    assert _vectors(pinecone_fake, tenant, chatbot["id"]) == []
    # And the owner's other chatbot and the other tenant are untouched
    assert [item for item in after if kept["id"] in item] == [item for item in before if kept["id"] in item]
    assert _vectors(pinecone_fake, tenant, kept["id"])
    assert [item for item in after if stranger[0]["tenant"]["id"] in item] == stranger_items
    assert _vectors(pinecone_fake, stranger[0]["tenant"]["id"])
    assert _files(lambdas, f"tenants/{stranger[0]['tenant']['id']}/")
    # And the deleted chatbot's source gave its place in the plan back
    status, usage = lambdas.call("ChatbotsFunction", "GET", "/usage", sub=owner["user"]["id"])
    assert (status, usage["usage"]["sources"]) == (200, 0)


def test_a_deleting_chatbot_refuses_its_documents_and_questions_until_erased(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    # Given a chatbot with an indexed document and a conversation
    chatbot = _chatbot(lambdas, owner)
    _populate(lambdas, owner, chatbot)
    user, ids = owner["user"]["id"], {"chatbot_id": chatbot["id"]}
    (document,) = lambdas.call("UploadFunction", "GET", DOCUMENTS, sub=user, path_parameters=ids)[1]["items"]
    one = {**ids, "document_id": document["id"]}

    # When its owner deletes it
    assert lambdas.call("ChatbotsFunction", "DELETE", "/chatbots/{chatbot_id}", sub=user, path_parameters=ids)[0] == 202

    # Then, until it is erased, nothing can be read, added or asked of it
    question = {"question": "Where do llamas graze?"}
    new_file = {"filename": "more.txt", "content_type": "text/plain", "size_bytes": 10}
    answers = {
        "documents": lambdas.call("UploadFunction", "GET", DOCUMENTS, sub=user, path_parameters=ids),
        "document": lambdas.call("UploadFunction", "GET", DOCUMENTS + "/{document_id}", sub=user, path_parameters=one),
        "upload": lambdas.call("UploadFunction", "POST", DOCUMENTS, sub=user, body=new_file, path_parameters=ids),
        "question": lambdas.call("QueryFunction", "POST", "/chatbots/{chatbot_id}/query", sub=user, body=question,
                                 path_parameters=ids),
        "search": lambdas.call("QueryFunction", "POST", "/chatbots/{chatbot_id}/search", sub=user,
                               body={"query": "llamas"}, path_parameters=ids),
        "conversations": lambdas.call("QueryFunction", "GET", "/chatbots/{chatbot_id}/conversations", sub=user,
                                      path_parameters=ids),
    }  # fmt: skip
    assert {name: (status, body["error"]["code"]) for name, (status, body) in answers.items()} == dict.fromkeys(
        answers, (404, "not_found")
    )
    # And removing its document is left to the erasure worker
    assert (
        lambdas.call("UploadFunction", "DELETE", DOCUMENTS + "/{document_id}", sub=user, path_parameters=one)[0] == 404
    )


def test_a_closed_account_leaves_nothing_of_its_tenant_anywhere(
    lambdas: Functions, owner: dict[str, Any], stranger: Any, pinecone_fake: FakePinecone
) -> None:
    # Given an owner with two chatbots holding documents and conversations, and another tenant's data
    for name in ("One", "Two"):
        _populate(lambdas, owner, _chatbot(lambdas, owner, name))
    lambdas.upload(owner, _chatbot(lambdas, owner, "Three")["id"], "waiting.txt", "text/plain", b"Not ingested.")
    tenant, user = owner["tenant"]["id"], owner["user"]["id"]
    assert _files(lambdas, f"uploads/{tenant}/")
    before = _table_items(lambdas)
    stranger_items = [item for item in before if stranger[0]["tenant"]["id"] in item]
    cognito, pool = boto3.client("cognito-idp"), lambdas.resources["UserPool"]["Ref"]

    # When the owner closes the account
    status, _ = lambdas.call("AuthFunction", "DELETE", "/account", sub=user)

    # Then their sign-in ends at once, and once the worker ran nothing of the tenant is left
    assert status == 204
    assert lambdas.call("AuthFunction", "GET", "/auth/me", sub=user)[0] == 401
    with pytest.raises(ClientError):
        cognito.admin_get_user(UserPoolId=pool, Username=owner["user"]["email"])
    assert lambdas.deliver(to="ErasureFunction") == 1
    after = _table_items(lambdas)
    assert [item for item in after if tenant in item or user in item] == []
    assert _files(lambdas, f"tenants/{tenant}/") == []
    assert _files(lambdas, f"uploads/{tenant}/") == []
    assert _vectors(pinecone_fake, tenant) == []
    # And the other tenant keeps everything
    assert [item for item in after if stranger[0]["tenant"]["id"] in item] == stranger_items
    assert _vectors(pinecone_fake, stranger[0]["tenant"]["id"])
    cognito.admin_get_user(UserPoolId=pool, Username="stranger@example.com")
