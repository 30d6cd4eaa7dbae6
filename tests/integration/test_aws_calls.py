"""How many AWS calls one request of each route family makes, once its function is warm: each is a latency and a
bill in AWS (ARCHITECTURE §9: owners' reads at most 3). Counted at the SDK (every boto3 API call, by service and
operation), as the local stack's AWS proxy counts what `make bench` prints. A change that adds a call fails here and
says why in its commit; one that removes a call updates the count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from local.lambdas.worker import LambdaContext
from tests.integration.test_websocket_handlers import ORIGIN, ask, connect, route

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@contextmanager
def counted() -> Iterator[Counter[str]]:
    """The AWS calls made in the block, as `service:Operation` → how many."""
    calls: Counter[str] = Counter()
    make_api_call = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(client: BaseClient, operation: str, parameters: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.endpoint_prefix}:{operation}"] += 1
        return make_api_call(client, operation, parameters)

    with mock.patch.object(BaseClient, "_make_api_call", counting):
        yield calls


def calls_of(request: Callable[[], tuple[int, Any]], expected_status: int = 200) -> dict[str, int]:
    """The calls of one request, made after one more like it warmed its function (clients, keys, caches)."""
    warm_status, warm_body = request()
    assert warm_status == expected_status, warm_body
    with counted() as calls:
        status, body = request()
    assert status == expected_status, body
    return dict(calls)


@pytest.fixture
def world(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    """An owner (their access token), a public chatbot with the llama guide indexed, and one question asked."""
    bot = lambdas.chatbot(owner, guide=True, visibility="public", allowed_origins=[ORIGIN])
    return {"owner": owner, "token": owner["tokens"]["access_token"], "bot": bot}


def _call(lambdas: Functions, world: dict[str, Any], function: str, method: str, path: str, **request: Any) -> Any:
    return lambda: lambdas.call(
        function, method, path, token=world["token"], path_parameters={"chatbot_id": world["bot"]["id"]}, **request
    )


def test_owner_reads_of_chatbots_make_at_most_three_calls(lambdas: Functions, world: dict[str, Any]) -> None:
    # The caller's user item (its tenant and role, and whether it signed out), then the chatbots: the HTTP
    # authorizer checks an access token without a call.
    listed = calls_of(_call(lambdas, world, "ChatbotsFunction", "GET", "/chatbots"))
    one = calls_of(_call(lambdas, world, "ChatbotsFunction", "GET", "/chatbots/{chatbot_id}"))

    assert listed == {"dynamodb:GetItem": 1, "dynamodb:Query": 1}
    assert one == {"dynamodb:GetItem": 2}


def test_owner_reads_of_documents_conversations_and_analytics(lambdas: Functions, world: dict[str, Any]) -> None:
    documents = calls_of(_call(lambdas, world, "UploadFunction", "GET", "/chatbots/{chatbot_id}/documents"))
    conversations = calls_of(_call(lambdas, world, "QueryFunction", "GET", "/chatbots/{chatbot_id}/conversations"))
    analytics = calls_of(_call(lambdas, world, "QueryFunction", "GET", "/chatbots/{chatbot_id}/analytics"))

    assert documents == {"dynamodb:GetItem": 2, "dynamodb:Query": 1}
    assert conversations == {"dynamodb:GetItem": 2, "dynamodb:Query": 1}
    assert analytics == {"dynamodb:GetItem": 2, "dynamodb:Query": 1}


def test_account_team_keys_and_usage_reads(lambdas: Functions, world: dict[str, Any]) -> None:
    body = {"name": "ci", "chatbot_id": world["bot"]["id"]}
    assert lambdas.call("ApiKeysFunction", "POST", "/api-keys", token=world["token"], body=body)[0] == 201
    me = calls_of(_call(lambdas, world, "AuthFunction", "GET", "/auth/me"))
    members = calls_of(_call(lambdas, world, "AuthFunction", "GET", "/members"))
    keys = calls_of(_call(lambdas, world, "ApiKeysFunction", "GET", "/api-keys"))
    usage = calls_of(_call(lambdas, world, "ChatbotsFunction", "GET", "/usage"))

    # The caller's profile, and since issue 28 the tenant's record for the organization's name.
    assert me == {"dynamodb:GetItem": 2}
    assert members == {"dynamodb:GetItem": 1, "dynamodb:Query": 2}
    # The keys, then the names of the chatbots they are scoped to, in one BatchGetItem.
    assert keys == {"dynamodb:GetItem": 1, "dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}
    # The plan and both usage items (standing, this month's) in one BatchGetItem.
    assert usage == {"dynamodb:GetItem": 1, "dynamodb:BatchGetItem": 1}


def test_search_and_an_extractive_question(lambdas: Functions, world: dict[str, Any]) -> None:
    search = calls_of(
        _call(lambdas, world, "QueryFunction", "POST", "/chatbots/{chatbot_id}/search", body={"query": "llamas eat"})
    )
    question = calls_of(
        _call(lambdas, world, "QueryFunction", "POST", "/chatbots/{chatbot_id}/query", body={"question": "llamas eat?"})
    )

    # The user, the chatbot, then the chatbot's term statistics in one BatchGetItem.
    assert search == {"dynamodb:GetItem": 2, "dynamodb:BatchGetItem": 1}
    # A question also reads the plan, counts itself against the quota and the month's usage, and stores the turn.
    assert question == {
        "dynamodb:GetItem": 3,
        "dynamodb:BatchGetItem": 1,
        "dynamodb:UpdateItem": 2,
        "dynamodb:TransactWriteItems": 1,
    }


def test_a_visitors_public_reads_and_question(lambdas: Functions, world: dict[str, Any]) -> None:
    key, visitor = world["bot"]["public_key"], {"origin": ORIGIN, "x-visitor-id": "visitor-calls-0001"}

    def public(method: str, path: str, **request: Any) -> Callable[[], tuple[int, Any]]:
        return lambda: lambdas.call(
            "QueryFunction", method, path, headers=visitor, path_parameters={"public_key": key}, **request
        )

    chatbot = calls_of(public("GET", "/public/chatbots/{public_key}"))
    question = calls_of(public("POST", "/public/chatbots/{public_key}/query", body={"question": "llamas eat?"}))

    assert chatbot == {"dynamodb:Query": 1}
    assert question == {
        "dynamodb:Query": 1,
        "dynamodb:GetItem": 2,
        "dynamodb:BatchGetItem": 1,
        "dynamodb:UpdateItem": 4,
        "dynamodb:TransactWriteItems": 1,
    }


def test_an_api_key_costs_the_authorizer_one_read(lambdas: Functions, world: dict[str, Any]) -> None:
    status, created = lambdas.call("ApiKeysFunction", "POST", "/api-keys", token=world["token"], body={"name": "ci"})
    assert status == 201, created

    listed = calls_of(lambda: lambdas.call("ChatbotsFunction", "GET", "/chatbots", key=created["key"]))

    # The key's grant, read by the authorizer and again by the route (a revoked key is refused at once, whatever
    # the authorizer's cache holds), then the chatbots.
    assert listed == {"dynamodb:GetItem": 2, "dynamodb:Query": 1}


def test_a_websocket_question(lambdas: Functions, world: dict[str, Any]) -> None:
    authorizer = connect(lambdas, "calls-conn-1", {"token": world["token"]})
    question = ask(world["bot"]["id"])

    route(lambdas, "calls-conn-1", authorizer, "MESSAGE", question)
    with counted() as calls:
        answered = route(lambdas, "calls-conn-1", authorizer, "MESSAGE", question)

    assert answered == {"statusCode": 200}
    frames = calls.pop("execute-api:PostToConnection")
    assert 2 <= frames <= 6  # start, the answer's words coalesced, done
    assert dict(calls) == {
        "dynamodb:GetItem": 4,
        "dynamodb:BatchGetItem": 1,
        "dynamodb:UpdateItem": 2,
        "dynamodb:TransactWriteItems": 1,
    }


def test_owner_writes_of_a_chatbot(lambdas: Functions, world: dict[str, Any]) -> None:
    created = calls_of(_call(lambdas, world, "ChatbotsFunction", "POST", "/chatbots", body={"name": "More"}), 201)

    # The user, the plan (read once: the model's default and the chatbots' count both need it), the count, the item.
    assert created == {"dynamodb:GetItem": 2, "dynamodb:UpdateItem": 1, "dynamodb:PutItem": 1}


# Indexing one message's document, one chunk, its first upload: its item read, claimed, the upload read, the chatbot,
# the plan once for both counts, pages and bytes counted in one transaction with the version they were counted for,
# the lexicon's transaction (a first upload: no earlier share is looked for), the kept copy, the document finished,
# the upload deleted.
SMALL_DOCUMENT_CALLS = {
    "dynamodb:GetItem": 3,
    "dynamodb:UpdateItem": 2,
    "dynamodb:TransactWriteItems": 2,
    "s3:GetObject": 1,
    "s3:CopyObject": 1,
    "s3:DeleteObject": 1,
}


def test_indexing_a_small_document(lambdas: Functions, world: dict[str, Any]) -> None:
    owner, chatbot_id = world["owner"], world["bot"]["id"]
    lambdas.upload(owner, chatbot_id, "first.md", "text/markdown", b"# Hay\n\nLlamas eat hay.")
    lambdas.deliver()
    lambdas.upload(owner, chatbot_id, "second.md", "text/markdown", b"# Hum\n\nLlamas hum when calm.")

    with counted() as calls:
        assert lambdas.deliver(to="IngestFunction") == 1
    # (The queue's receives and deletes are the event source mapping's, not the function's.)

    function = {operation: count for operation, count in calls.items() if not operation.startswith("sqs:")}
    assert function == SMALL_DOCUMENT_CALLS


def test_the_documents_of_one_sqs_batch_share_their_paid_requests(
    lambdas: Functions, world: dict[str, Any], openai_fake: Any, pinecone_fake: Any
) -> None:
    owner, chatbot_id = world["owner"], world["bot"]["id"]
    count = 15  # more than one ReceiveMessage returns: the mapping gathers them within its batching window
    created = [
        lambdas.upload(
            owner, chatbot_id, f"llamas-{n}.md", "text/markdown", f"# Llamas {n}\n\nLlama {n} hums.".encode()
        )
        for n in range(count)
    ]
    embeddings, upserts = openai_fake.requests["/v1/embeddings"], pinecone_fake.requests["/vectors/upsert"]

    with counted() as calls:
        assert lambdas.deliver(rounds=1, to="IngestFunction") == count
    # One invocation: one embedding request and one upsert for all of them; each document its own AWS calls, no
    # more than alone (a paid or AWS call added per document fails here).
    assert openai_fake.requests["/v1/embeddings"] - embeddings == 1
    assert pinecone_fake.requests["/vectors/upsert"] - upserts == 1
    function = {operation: n for operation, n in calls.items() if not operation.startswith("sqs:")}
    assert function == {operation: n * count for operation, n in SMALL_DOCUMENT_CALLS.items()}
    for document in created:
        assert _document(lambdas, world, document["document"]["id"]) == ("indexed", 1)


def test_an_invocation_short_of_time_sends_back_what_it_did_not_start_and_it_is_indexed(
    lambdas: Functions, world: dict[str, Any], openai_fake: Any
) -> None:
    owner, chatbot_id = world["owner"], world["bot"]["id"]
    created = [
        lambdas.upload(owner, chatbot_id, f"hay-{n}.md", "text/markdown", f"# Hay {n}\n\nLlamas eat hay {n}.".encode())
        for n in range(3)
    ]
    (ingest,) = [poller for poller in lambdas.pollers if poller.source.function == "IngestFunction"]
    # An invocation with less time left than a second document may need (its reading limit and more).
    ingest.invoke = lambda function, event: lambdas.handlers[function](event, LambdaContext(function, 2048, 400))
    returned = len(lambdas.returned.get(ingest.source.queue_url, []))

    with counted() as calls:
        assert ingest.poll_once() == 3

    # The first is indexed; the other two are sent again as new messages (the queue's URL from its ARN, one
    # SendMessageBatch), and their deliveries reported done: nothing waits out the visibility timeout or counts
    # towards the dead-letter queue.
    assert (calls["sqs:GetQueueUrl"], calls["sqs:SendMessageBatch"]) == (1, 1)
    assert len(lambdas.returned.get(ingest.source.queue_url, [])) == returned
    statuses = [_document(lambdas, world, document["document"]["id"])[0] for document in created]
    assert statuses == ["indexed", "pending_upload", "pending_upload"]
    embeddings = openai_fake.requests["/v1/embeddings"]

    receives: list[str] = []

    def recording(function: str, event: dict[str, Any]) -> Any:
        receives.extend(record["attributes"]["ApproximateReceiveCount"] for record in event["Records"])
        return lambdas.invoke(function, event)

    ingest.invoke = recording
    assert lambdas.deliver(to="IngestFunction") == 2
    assert receives == ["1", "1"]  # their first receive, as new messages
    assert openai_fake.requests["/v1/embeddings"] - embeddings == 1  # the two together
    for document in created:
        assert _document(lambdas, world, document["document"]["id"]) == ("indexed", 1)


def _document(lambdas: Functions, world: dict[str, Any], document_id: str) -> tuple[str, int]:
    status, body = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        token=world["token"],
        path_parameters={"chatbot_id": world["bot"]["id"], "document_id": document_id},
    )
    assert status == 200, body
    return body["status"], body["chunk_count"]
