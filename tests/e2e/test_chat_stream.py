"""Streaming chat over the local stack's WebSocket endpoint, with the OpenAI fake streaming the model's words
(`model_stack`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local.fakes.openai import FakeOpenAI, grounded_reply
from local.fakes.samples import GUIDE
from local.stack.process import Stack, moto_client, refused_calls
from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument, OwnedChatbot

SITE = "https://shop.example.com"
# model_stack's visitor limit (PARLEY_VISITOR_MESSAGES_PER_MINUTE, a local override of the functions' environment).
VISITOR_LIMIT = 3


@pytest.fixture(scope="module")
def stack(model_stack: Stack) -> tuple[str, Path]:
    return model_stack.url, model_stack.log


@pytest.fixture(scope="module")
def owner_and_bot(stack: tuple[str, Path], chatbot_with_document: ChatbotWithDocument) -> OwnedChatbot:
    url, _ = stack
    return chatbot_with_document(url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])


def ask(socket: ClientConnection, chatbot_id: str, question: str, **extra: Any) -> list[dict[str, Any]]:
    """Send a question; the frames that answer it, through `done` or `error`."""
    socket.send(json.dumps({"action": "sendMessage", "chatbot_id": chatbot_id, "question": question, **extra}))
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] not in ("done", "error"):
        frames.append(json.loads(socket.recv(timeout=30)))
    return frames


def refused_status(url: str, origin: str | None = None) -> int:
    headers = {"Origin": origin} if origin else None
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=10).close()
    return refused.value.response.status_code


def test_owner_gets_the_answer_streamed_and_the_conversation_keeps_it(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot
) -> None:
    url, _ = stack
    account, bot = owner_and_bot

    with connect(ws_url(url, token=account["tokens"]["access_token"])) as socket:
        frames = ask(socket, bot["id"], "What do llamas eat?")

    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "start"
    assert kinds.count("token") >= 2
    assert kinds[-2:] == ["citations", "done"]
    assert set(kinds[1:-2]) == {"token"}
    streamed = "".join(frame["text"] for frame in frames if frame["type"] == "token")
    assert "Llamas eat grass and hay [1]." in streamed
    assert "[99]" not in streamed  # a reference to no source is dropped while streaming, as in REST
    assert frames[-2]["citations"][0]["filename"] == "guide.md"
    assert frames[-1]["usage"]["completion_tokens"] > 0
    start = frames[0]
    conversation = httpx.get(
        f"{url}/chatbots/{bot['id']}/conversations/{start['conversation_id']}",
        headers=bearer(account),
    ).json()
    assert [message["role"] for message in conversation["messages"]] == ["user", "assistant"]
    answer = conversation["messages"][1]
    assert answer["id"] == start["message_id"]
    assert answer["content"] == streamed.strip()
    assert answer["interrupted"] is False


def test_follow_up_continues_the_conversation(stack: tuple[str, Path], owner_and_bot: OwnedChatbot) -> None:
    url, _ = stack
    account, bot = owner_and_bot

    with connect(ws_url(url, token=account["tokens"]["access_token"])) as socket:
        first = ask(socket, bot["id"], "What do llamas eat?")[0]
        second = ask(socket, bot["id"], "And how do they sound?", conversation_id=first["conversation_id"])

    assert second[0] == {**second[0], "type": "start", "conversation_id": first["conversation_id"]}
    assert second[-1]["type"] == "done"


@pytest.mark.parametrize(
    ("query", "origin"),
    [
        ({"key": "pk_wrong"}, SITE),
        ({"key": "<key>"}, "https://elsewhere.example.com"),
        ({"key": "<key>"}, None),
        ({"token": "not-a-token"}, None),
        ({}, None),
    ],
    ids=["wrong-key", "origin-not-allowed", "no-origin", "bad-token", "no-credentials"],
)
def test_connections_without_a_valid_key_origin_or_token_are_refused(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, query: Any, origin: Any
) -> None:
    url, _ = stack
    _, bot = owner_and_bot
    query = {name: bot["public_key"] if value == "<key>" else value for name, value in query.items()}

    assert refused_status(ws_url(url, **query), origin) == 403


def test_a_private_chatbots_key_is_refused(stack: tuple[str, Path], chatbot_with_document: ChatbotWithDocument) -> None:
    url, _ = stack
    _, private = chatbot_with_document(url, "guide.md", GUIDE, allowed_origins=[SITE])

    assert refused_status(ws_url(url, key=private["public_key"]), SITE) == 403


def test_visitor_chats_and_is_rate_limited_with_an_error_frame(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot
) -> None:
    url, _ = stack
    _, bot = owner_and_bot

    with connect(ws_url(url, key=bot["public_key"]), additional_headers={"Origin": SITE}) as socket:
        answers = [ask(socket, bot["id"], "What do llamas eat?")[-1] for _ in range(VISITOR_LIMIT)]
        refused = ask(socket, bot["id"], "And now?")[-1]

    assert [frame["type"] for frame in answers] == ["done"] * VISITOR_LIMIT
    assert refused["type"] == "error"
    assert refused["code"] == "rate_limited"
    assert refused["retry_after"] > 0


def test_another_tenants_chatbot_is_not_found(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, chatbot_with_document: ChatbotWithDocument
) -> None:
    url, _ = stack
    _, bot = owner_and_bot
    stranger, _ = chatbot_with_document(url, "other.md", "# Other\n\nNothing about llamas.\n")

    with connect(ws_url(url, token=stranger["tokens"]["access_token"])) as socket:
        frames = ask(socket, bot["id"], "What do llamas eat?")

    assert frames == [{**frames[0], "type": "error", "code": "not_found"}]


def test_unknown_actions_and_malformed_frames_get_error_frames(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot
) -> None:
    url, _ = stack
    account, bot = owner_and_bot

    with connect(ws_url(url, token=account["tokens"]["access_token"])) as socket:
        socket.send("this is not json")
        malformed = json.loads(socket.recv(timeout=10))
        socket.send(json.dumps({"action": "dance"}))
        unknown = json.loads(socket.recv(timeout=10))
        socket.send(json.dumps({"action": "sendMessage", "chatbot_id": bot["id"]}))
        incomplete = json.loads(socket.recv(timeout=10))
        still_open = ask(socket, bot["id"], "What do llamas eat?")[-1]

    assert (malformed["type"], malformed["code"]) == ("error", "invalid_input")
    assert (unknown["type"], unknown["code"]) == ("error", "unknown_action")
    assert (incomplete["type"], incomplete["code"]) == ("error", "validation_error")
    assert "question" in incomplete["message"]
    assert still_open["type"] == "done"


def test_client_leaving_mid_answer_stops_it_and_stores_it_as_interrupted(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, model: FakeOpenAI
) -> None:
    url, log = stack
    account, bot = owner_and_bot
    auth = bearer(account)
    long_answer = " ".join(f"word{n}" for n in range(400)) + " [1]."
    logged_before = log.stat().st_size
    model.reply = lambda _messages: long_answer
    try:
        with connect(ws_url(url, token=account["tokens"]["access_token"])) as socket:
            socket.send(
                json.dumps(
                    {"action": "sendMessage", "chatbot_id": bot["id"], "question": "Tell me all about feeding llamas."}
                )
            )
            start = json.loads(socket.recv(timeout=30))
            assert json.loads(socket.recv(timeout=30))["type"] == "token"
        conversation = f"{url}/chatbots/{bot['id']}/conversations/{start['conversation_id']}"
        deadline = time.monotonic() + 20
        while (found := httpx.get(conversation, headers=auth)).status_code == 404:
            assert time.monotonic() < deadline, "the interrupted answer was not stored"
            time.sleep(0.2)
    finally:
        model.reply = grounded_reply

    answer = found.json()["messages"][1]
    assert answer["interrupted"] is True
    assert answer["content"].startswith("word0 word1")
    assert "word399" not in answer["content"]  # generation stopped when the client left
    with log.open("rb") as output:
        output.seek(logged_before)
        assert b"Traceback" not in output.read()


def management_client(url: str, access_key_id: str, secret_access_key: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
    )


def test_management_api_answers_gone_for_a_connection_that_is_not_open(
    stack: tuple[str, Path], model_stack: Stack
) -> None:
    url, _ = stack
    # Given the chat function's own credentials (the stack publishes them for tools in stack.json)
    credentials = model_stack.aws["credentials"]["WsChatFunction"]
    management = management_client(url, credentials["access_key_id"], credentials["secret_access_key"])

    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId="AbCdEfGhIjKlMnO=", Data=b'{"type": "token", "text": "hi"}')


@pytest.mark.refusals_expected
def test_management_api_refuses_callers_without_the_permission(stack: tuple[str, Path], model_stack: Stack) -> None:
    url, _ = stack
    credentials = model_stack.aws["credentials"]
    # A key nobody issued, and a function whose policy does not grant execute-api:ManageConnections
    stranger = management_client(url, "AKIDNOBODY", "secret")
    chatbots = management_client(url, **credentials["ChatbotsFunction"])

    with pytest.raises(ClientError) as unknown:
        stranger.post_to_connection(ConnectionId="AbCdEfGhIjKlMnO=", Data=b"{}")
    with pytest.raises(ClientError) as denied:
        chatbots.post_to_connection(ConnectionId="AbCdEfGhIjKlMnO=", Data=b"{}")

    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "execute-api:ManageConnections" in str(denied.value)
    # And the refusal is in the stack's log, naming function and action, where the e2e conftest's check that no call
    # was refused (any other test) finds it
    refusals = refused_calls(model_stack.log.read_text())
    assert any("ChatbotsFunction" in line and "execute-api:ManageConnections" in line for line in refusals), refusals


def test_logout_closes_the_users_open_chat_and_ends_their_tokens_but_no_one_elses(
    stack: tuple[str, Path], owner_and_bot: OwnedChatbot, model_stack: Stack
) -> None:
    url, _ = stack
    other_account, bot = owner_and_bot
    email = f"leaver-{time.monotonic_ns()}@example.com"
    registered = httpx.post(f"{url}/auth/register", json={"email": email, "password": "correct-horse-1"}, timeout=30)
    access = registered.json()["tokens"]["access_token"]
    auth = bearer(access)
    # Given Cognito's ID token of the same user (the API hands out access tokens only)
    local = model_stack.aws
    cognito = moto_client(local, "cognito-idp")
    id_token = cognito.initiate_auth(
        ClientId=local["resources"]["UserPoolClient"]["Ref"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "correct-horse-1"},
    )["AuthenticationResult"]["IdToken"]

    # An ID token opens nothing, over REST (the HTTP API's authorizer refuses it) or WebSocket
    assert httpx.get(f"{url}/auth/me", headers=bearer(id_token)).status_code == 403
    assert refused_status(ws_url(url, token=id_token)) == 403

    with (
        connect(ws_url(url, token=access)) as leaving,
        connect(ws_url(url, token=other_account["tokens"]["access_token"])) as staying,
    ):
        # When the user logs out while their chat is open
        assert httpx.post(f"{url}/auth/logout", headers=auth, timeout=30).status_code == 204

        # Then their chat is closed, their access token refused at once, and they cannot connect again with it
        with pytest.raises(ConnectionClosed):
            leaving.recv(timeout=10)
        assert httpx.get(f"{url}/auth/me", headers=auth).status_code == 401
        assert refused_status(ws_url(url, token=access)) == 403
        # and another user's chat goes on
        assert ask(staying, bot["id"], "What do llamas eat?")[-1]["type"] == "done"
