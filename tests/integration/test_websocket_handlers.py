"""The WebSocket authorizer and chat handlers with API Gateway events from events/, against moto (whose management
API keeps what was posted to each connection) and the OpenAI fake streaming the model's words."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from parley.container import get_container
from parley.domain.common import utcnow
from parley.domain.documents import QA_TYPE
from parley.domain.plans import PLANS, month_of
from parley.domain.qa import QaPair
from parley.errors import StreamInterrupted
from parley.settings import Resource

from local.fakes.openai import FakeOpenAI
from local.lambdas.worker import LambdaContext
from local.stack.stack import ROOT
from local.template import REGION

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


EVENTS = ROOT / "events"
FREE_QUESTIONS = PLANS["free"].questions
ORIGIN = "https://shop.example.com"


def authorize(lambdas: Functions, query: dict[str, str], origin: str | None = ORIGIN) -> dict[str, Any]:
    event = json.loads((EVENTS / "websocket_authorizer.json").read_text())
    event["queryStringParameters"] = query
    event["headers"].pop("Origin")
    if origin:
        event["headers"]["Origin"] = origin
    return dict(lambdas.handlers["WsAuthorizerFunction"](event, LambdaContext("WsAuthorizerFunction", 1024, 10)))


def route(lambdas: Functions, connection_id: str, authorizer: dict[str, Any], event_type: str, body: Any = None) -> Any:
    event = copy.deepcopy(json.loads((EVENTS / "websocket_message.json").read_text()))
    context = event["requestContext"]
    context["eventType"] = event_type
    context["routeKey"] = {"CONNECT": "$connect", "DISCONNECT": "$disconnect"}.get(event_type, "sendMessage")
    context["connectionId"] = connection_id
    context["authorizer"] = authorizer
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    return lambdas.handlers["WsChatFunction"](event, LambdaContext("WsChatFunction", 2048, 120))


def frames(connection_id: str) -> list[dict[str, Any]]:
    """Every frame posted to the connection (moto appends each post's data)."""
    connections = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION].connections
    # moto keys connections by the id as it appears in the URL path.
    data = connections[quote(connection_id, safe="")].data.decode()
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(data):
        frame, at = decoder.raw_decode(data, at)
        found.append(frame)
    return found


def connect(
    lambdas: Functions, connection_id: str, query: dict[str, str], origin: str | None = ORIGIN
) -> dict[str, Any]:
    policy = authorize(lambdas, query, origin)
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow", policy
    authorizer = {**policy["context"], "principalId": policy["principalId"]}
    assert route(lambdas, connection_id, authorizer, "CONNECT") == {"statusCode": 200}
    return authorizer


def connection_records() -> list[dict[str, Any]]:
    table = get_container().settings.resources[Resource.TABLE]
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in items if item["SK"]["S"].startswith("CONNECTION#")]


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, guide=True, visibility="public", allowed_origins=[ORIGIN])


def ask(chatbot_id: str, question: str = "What do llamas eat?", **extra: Any) -> dict[str, Any]:
    return {"action": "sendMessage", "chatbot_id": chatbot_id, "question": question, **extra}


def test_owner_question_is_streamed_as_frames_and_stored(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})

    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    posted = frames("owner-conn=")
    kinds = [frame["type"] for frame in posted]
    assert kinds[0] == "start"
    assert kinds[-2:] == ["citations", "done"]
    assert kinds.count("token") >= 1
    assert authorizer["tenant_id"] == owner["tenant"]["id"]
    assert openai_fake.chat_requests[-1]["stream"] is True
    status, conversation = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "conversation_id": posted[0]["conversation_id"]},
    )
    assert status == 200
    assert conversation["messages"][1]["content"] == "".join(f["text"] for f in posted if f["type"] == "token")


def test_an_unanswerable_question_streams_the_not_found_answer_without_calling_the_model(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})
    requests_before = len(openai_fake.chat_requests)

    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"], "What's the weather in Paris tomorrow?"))

    posted = frames("owner-conn=")
    assert [frame["type"] for frame in posted] == ["start", "token", "citations", "done"]
    assert posted[1]["text"] == "I couldn't find this in this chatbot's documents."
    assert posted[2]["citations"] == []
    assert posted[3]["answerable"] is False
    assert len(openai_fake.chat_requests) == requests_before


# The fake embedder's cosine is about the share of words in common (local/fakes/openai.py): its own threshold.
@pytest.mark.parametrize("function_environment", [{"PARLEY_QA_MATCH_THRESHOLD": "0.9"}])
def test_a_question_matching_a_qa_pair_streams_its_answer_with_mode_qa_and_no_model_call(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    pair = QaPair("Do llamas spit at people?", "Rarely: llamas spit at each other, almost never at people.")
    lambdas.write(owner, bot["id"], pair.question, QA_TYPE, pair.data(), source_id="qa-source")
    authorizer = connect(lambdas, "qa-conn=", {"token": owner["tokens"]["access_token"]})
    requests_before = len(openai_fake.chat_requests)

    route(lambdas, "qa-conn=", authorizer, "MESSAGE", ask(bot["id"], pair.question))

    posted = frames("qa-conn=")
    assert [frame["type"] for frame in posted] == ["start", "token", "citations", "done"]
    assert posted[1]["text"] == pair.answer
    [cited] = posted[2]["citations"]
    assert (cited["filename"], cited["snippet"], cited["source_id"]) == (pair.question, pair.answer, "qa-source")
    assert (posted[3]["mode"], posted[3]["usage"]["total_tokens"]) == ("qa", 0)
    assert len(openai_fake.chat_requests) == requests_before


def test_tokens_are_coalesced_into_few_posts(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    openai_fake.reply = lambda _messages: " ".join(f"word{n}" for n in range(500))
    authorizer = connect(lambdas, "long-conn=", {"token": owner["tokens"]["access_token"]})

    route(lambdas, "long-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    tokens = [frame for frame in frames("long-conn=") if frame["type"] == "token"]
    # The fake sends 500 pieces at once; within one 50 ms interval they become a handful of frames.
    assert 1 <= len(tokens) < 50
    assert "".join(frame["text"] for frame in tokens).split() == [f"word{n}" for n in range(500)]


def test_visitor_connects_with_key_and_origin_and_is_rate_limited(
    lambdas: Functions, bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_container().public_chat, "per_visitor", 2)
    authorizer = connect(lambdas, "visitor-conn=", {"key": bot["public_key"], "visitor_id": "visitor-0001"})

    for _ in range(3):
        route(lambdas, "visitor-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    outcomes = [frame for frame in frames("visitor-conn=") if frame["type"] in ("done", "error")]
    assert [frame["type"] for frame in outcomes] == ["done", "done", "error"]
    assert outcomes[-1]["code"] == "rate_limited"
    assert outcomes[-1]["retry_after"] > 0
    assert authorizer["caller"] == "visitor:visitor-0001"


def test_refused_connections_leave_no_record(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    private = lambdas.chatbot(owner, allowed_origins=[ORIGIN])
    signed_out = owner["tokens"]["access_token"]
    auth = {"authorization": f"Bearer {signed_out}"}
    assert lambdas.call("AuthFunction", "POST", "/auth/logout", sub=owner["user"]["id"], headers=auth)[0] == 204

    refusals = [
        authorize(lambdas, {"key": "pk_wrong"}),
        authorize(lambdas, {"key": private["public_key"]}),
        authorize(lambdas, {"key": bot["public_key"]}, origin="https://evil.example.net"),
        authorize(lambdas, {"key": bot["public_key"]}, origin=None),
        authorize(lambdas, {"token": "not-a-token"}),
        authorize(lambdas, {"token": signed_out}),
        authorize(lambdas, {}),
    ]

    assert [policy["policyDocument"]["Statement"][0]["Effect"] for policy in refusals] == ["Deny"] * len(refusals)
    assert all("context" not in policy for policy in refusals)
    assert connection_records() == []


def test_connection_record_lives_from_connect_to_disconnect(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    authorizer = connect(lambdas, "short-conn=", {"token": owner["tokens"]["access_token"]})
    [record] = connection_records()

    route(lambdas, "short-conn=", authorizer, "DISCONNECT")
    route(lambdas, "short-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    assert record["PK"]["S"] == f"TENANT#{owner['tenant']['id']}"
    assert int(record["expires_at"]["N"]) > 0
    assert connection_records() == []
    assert frames("short-conn=")[-1]["code"] == "unauthorized"


def test_another_tenants_chatbot_is_not_found(
    lambdas: Functions, bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    stranger = register("stranger@example.com")
    authorizer = connect(lambdas, "stranger-conn=", {"token": stranger["tokens"]["access_token"]})

    route(lambdas, "stranger-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    assert [(frame["type"], frame["code"]) for frame in frames("stranger-conn=")] == [("error", "not_found")]


def test_a_deleting_chatbot_is_not_found_over_the_websocket(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given its owner connected, and the chatbot then deleted (not erased yet)
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})
    status, _ = lambdas.call("ChatbotsFunction", "DELETE", "/chatbots/{chatbot_id}", sub=owner["user"]["id"],
                             path_parameters={"chatbot_id": bot["id"]})  # fmt: skip
    assert status == 202

    # When the owner asks it, and a visitor tries to connect with its key
    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))
    visitor = authorize(lambdas, {"key": bot["public_key"]})

    # Then the question is not found and the visitor is refused
    assert [(frame["type"], frame["code"]) for frame in frames("owner-conn=")] == [("error", "not_found")]
    assert visitor["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_a_visitor_cannot_ask_another_chatbot_of_the_tenant(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    other = lambdas.chatbot(owner, visibility="public", allowed_origins=[ORIGIN])
    authorizer = connect(lambdas, "visitor2-conn=", {"key": bot["public_key"]})

    route(lambdas, "visitor2-conn=", authorizer, "MESSAGE", ask(other["id"]))

    assert [(frame["type"], frame["code"]) for frame in frames("visitor2-conn=")] == [("error", "not_found")]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_input"),
        ("[1, 2]", "invalid_input"),
        ({"action": "dance"}, "unknown_action"),
        ({"action": "sendMessage", "chatbot_id": "x"}, "validation_error"),
        ({"action": "sendMessage", "chatbot_id": "x", "question": "q", "extra": 1}, "validation_error"),
        (None, "invalid_input"),
    ],
)
def test_malformed_frames_get_an_error_frame(lambdas: Functions, owner: dict[str, Any], body: Any, code: Any) -> None:
    authorizer = connect(lambdas, "bad-conn=", {"token": owner["tokens"]["access_token"]})

    assert route(lambdas, "bad-conn=", authorizer, "MESSAGE", body) == {"statusCode": 200}

    assert [(frame["type"], frame["code"]) for frame in frames("bad-conn=")] == [("error", code)]


class DepartingClient:
    """The management API of a client that leaves after `frames` frames (moto never answers GoneException)."""

    def __init__(self, frames: int) -> None:
        self.left = frames
        self.sent: list[dict[str, Any]] = []

    def send(self, connection_id: str, frame: dict[str, Any]) -> None:
        if self.left == 0:
            raise StreamInterrupted(connection_id)
        self.left -= 1
        self.sent.append(frame)


def test_client_leaving_mid_answer_stops_generation_and_stores_it_interrupted(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    openai_fake.reply = lambda _messages: " ".join(f"word{n}" for n in range(300))
    openai_fake.token_delay = 0.002
    client = DepartingClient(frames=3)  # start and two token frames
    get_container().__dict__["connections"] = client
    authorizer = connect(lambdas, "gone-conn=", {"token": owner["tokens"]["access_token"]})

    assert route(lambdas, "gone-conn=", authorizer, "MESSAGE", ask(bot["id"])) == {"statusCode": 200}

    start = client.sent[0]
    status, conversation = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "conversation_id": start["conversation_id"]},
    )
    answer = conversation["messages"][1]
    assert status == 200
    assert answer["interrupted"] is True
    assert answer["content"].startswith("word0")
    assert "word299" not in answer["content"]
    assert connection_records() == []  # the connection is cleaned up


def _published(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [emf for emf in records if emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == name]


def test_a_streamed_answer_publishes_its_time_to_first_token_and_the_connection(
    lambdas: Functions,
    owner: dict[str, Any],
    bot: Any,
    openai_fake: FakeOpenAI,
    emitted_metrics: Callable[[], list[dict[str, Any]]],
) -> None:
    emitted_metrics()
    authorizer = connect(lambdas, "timed-conn=", {"token": owner["tokens"]["access_token"]})

    route(lambdas, "timed-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    records = emitted_metrics()
    (first_token,) = _published(records, "TimeToFirstToken")
    (answer_latency,) = _published(records, "AnswerLatency")
    assert 0 <= first_token["TimeToFirstToken"][0] <= answer_latency["AnswerLatency"][0]
    assert [emf["mode"] for emf in _published(records, "Answers")] == ["llm"]
    assert [emf["tenant_id"] for emf in _published(records, "WebSocketConnections")] == [owner["tenant"]["id"]]


def test_an_answer_cut_short_by_the_client_counts_as_interrupted(
    lambdas: Functions,
    owner: dict[str, Any],
    bot: Any,
    openai_fake: FakeOpenAI,
    emitted_metrics: Callable[[], list[dict[str, Any]]],
) -> None:
    openai_fake.reply = lambda _messages: " ".join(f"word{n}" for n in range(300))
    openai_fake.token_delay = 0.002
    get_container().__dict__["connections"] = DepartingClient(frames=3)
    authorizer = connect(lambdas, "cut-conn=", {"token": owner["tokens"]["access_token"]})
    emitted_metrics()

    route(lambdas, "cut-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    assert [emf["mode"] for emf in _published(emitted_metrics(), "Answers")] == ["interrupted"]


def id_token(email: str = "owner@example.com", password: str = "correct-horse-1") -> str:
    """An ID token of the app's own client (the API hands out access tokens only; Cognito gives both)."""
    client_id = get_container().settings.resources[Resource.USER_POOL_CLIENT]
    signed_in = boto3.client("cognito-idp").initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
    )
    return str(signed_in["AuthenticationResult"]["IdToken"])


def logout(lambdas: Functions, user: dict[str, Any]) -> int:
    return lambdas.call("AuthFunction", "POST", "/auth/logout", token=user["tokens"]["access_token"])[0]


def test_an_id_token_is_refused_on_rest_and_websocket(lambdas: Functions, owner: dict[str, Any]) -> None:
    token = id_token()

    rest_status, body = lambdas.call("AuthFunction", "GET", "/auth/me", token=token)
    policy = authorize(lambdas, {"token": token})

    assert rest_status == 403
    assert body == {"message": "Forbidden"}
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert lambdas.call("AuthFunction", "GET", "/auth/me", token=owner["tokens"]["access_token"])[0] == 200


def test_a_forged_or_foreign_token_is_refused_before_any_cognito_call(
    lambdas: Functions, owner: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cognito is not asked: verification is local (signature, issuer, expiry, token_use, client id).
    monkeypatch.setattr(get_container().identity, "client", None)
    header, payload, _signature = owner["tokens"]["access_token"].split(".")

    policies = [
        authorize(lambdas, {"token": f"{header}.{payload}.{_signature[::-1]}"}),
        authorize(lambdas, {"token": "not-a-token"}),
    ]
    allowed = authorize(lambdas, {"token": owner["tokens"]["access_token"]})

    assert [policy["policyDocument"]["Statement"][0]["Effect"] for policy in policies] == ["Deny", "Deny"]
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_logout_ends_rest_tokens_and_open_websockets_of_that_user_only(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    # Given the owner with an open chat, and another user with one of theirs
    other = register("other@example.com")
    owner_chat = connect(lambdas, "owner-chat=", {"token": owner["tokens"]["access_token"]})
    connect(lambdas, "other-chat=", {"token": other["tokens"]["access_token"]})

    # When the owner logs out
    assert logout(lambdas, owner) == 204

    # Then their access token is refused at once, their chat is closed and its record gone, and a message that
    # still arrives on it is refused
    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", token=owner["tokens"]["access_token"])
    assert status == 401
    assert body["error"]["message"] == "This session has ended; sign in again"
    connections = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION].connections
    assert quote("owner-chat=", safe="") not in connections
    assert [record["SK"]["S"] for record in connection_records()] == ["CONNECTION#other-chat="]
    route(lambdas, "owner-chat=", owner_chat, "MESSAGE", ask(bot["id"]))
    assert [(frame["type"], frame["code"]) for frame in frames("owner-chat=")] == [("error", "unauthorized")]
    # and the other user's token and chat work as before
    assert lambdas.call("AuthFunction", "GET", "/auth/me", token=other["tokens"]["access_token"])[0] == 200
    assert (
        authorize(lambdas, {"token": owner["tokens"]["access_token"]})["policyDocument"]["Statement"][0]["Effect"]
        == "Deny"
    )


def test_a_connection_opened_with_a_token_from_before_logout_is_refused_per_message(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given a chat admitted just before its user's logout whose record the logout did not see (a race)
    admitted = connect(lambdas, "racing-chat=", {"token": owner["tokens"]["access_token"]})
    get_container().account_store.sign_out(owner["user"]["id"], admitted["token_issued_at"])

    route(lambdas, "racing-chat=", admitted, "MESSAGE", ask(bot["id"]))

    assert [(frame["type"], frame["code"]) for frame in frames("racing-chat=")] == [("error", "unauthorized")]


def test_owner_websocket_questions_count_against_the_tenants_quota(
    lambdas: Functions, owner: dict[str, Any], bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_container().answers, "tenant_questions_per_minute", 1)
    authorizer = connect(lambdas, "quota-chat=", {"token": owner["tokens"]["access_token"]})

    route(lambdas, "quota-chat=", authorizer, "MESSAGE", ask(bot["id"]))
    route(lambdas, "quota-chat=", authorizer, "MESSAGE", ask(bot["id"]))

    outcomes = [frame for frame in frames("quota-chat=") if frame["type"] in ("done", "error")]
    assert [frame["type"] for frame in outcomes] == ["done", "error"]
    assert outcomes[-1]["code"] == "rate_limited"


def test_connects_are_rate_limited_per_network(lambdas: Functions, bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_container().admission, "per_network", 2)

    effects = [
        authorize(lambdas, {"key": bot["public_key"], "visitor_id": f"visitor-{n:04d}"})["policyDocument"]["Statement"][
            0
        ]["Effect"]
        for n in range(3)
    ]

    assert effects == ["Allow", "Allow", "Deny"]


def rating(chatbot_id: str, message_id: str, value: str = "up", **extra: Any) -> dict[str, Any]:
    return {"action": "feedback", "chatbot_id": chatbot_id, "message_id": message_id, "rating": value, **extra}


def stored_answer(lambdas: Functions, owner: dict[str, Any], bot: Any, conversation_id: str) -> dict[str, Any]:
    status, conversation = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "conversation_id": conversation_id},
    )
    assert status == 200
    return dict(conversation["messages"][-1])


def test_owner_rates_an_answer_over_the_websocket_and_rating_again_replaces_it(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})
    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))
    start = frames("owner-conn=")[0]

    route(lambdas, "owner-conn=", authorizer, "MESSAGE", rating(bot["id"], start["message_id"], "up"))
    route(
        lambdas, "owner-conn=", authorizer, "MESSAGE", rating(bot["id"], start["message_id"], "down", comment="Vague")
    )

    acks = [frame for frame in frames("owner-conn=") if frame["type"] == "feedback"]
    assert acks == [
        {"type": "feedback", "message_id": start["message_id"], "rating": "up"},
        {"type": "feedback", "message_id": start["message_id"], "rating": "down"},
    ]
    answer = stored_answer(lambdas, owner, bot, start["conversation_id"])
    assert (answer["feedback"]["rating"], answer["feedback"]["comment"]) == ("down", "Vague")
    status, analytics = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/analytics",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"]},
    )
    assert status == 200
    assert sum(day["feedback_down"] for day in analytics["days"]) == 1
    assert sum(day["feedback_up"] for day in analytics["days"]) == 0


def test_visitor_rates_only_the_answers_of_their_own_conversation_over_the_websocket(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    mine = connect(lambdas, "mine-conn=", {"key": bot["public_key"], "visitor_id": "visitor-0001"})
    theirs = connect(lambdas, "theirs-conn=", {"key": bot["public_key"], "visitor_id": "visitor-0002"})
    route(lambdas, "mine-conn=", mine, "MESSAGE", ask(bot["id"]))
    start = frames("mine-conn=")[0]

    route(lambdas, "theirs-conn=", theirs, "MESSAGE", rating(bot["id"], start["message_id"], "down"))
    route(lambdas, "mine-conn=", mine, "MESSAGE", rating(bot["id"], start["message_id"], "up"))

    assert [(frame["type"], frame["code"]) for frame in frames("theirs-conn=")] == [("error", "not_found")]
    assert frames("mine-conn=")[-1] == {"type": "feedback", "message_id": start["message_id"], "rating": "up"}
    assert stored_answer(lambdas, owner, bot, start["conversation_id"])["feedback"]["rating"] == "up"


def test_another_tenant_cannot_rate_an_answer_over_the_websocket(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})
    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))
    start = frames("owner-conn=")[0]
    stranger = register("stranger@example.com")
    strangers = connect(lambdas, "stranger-conn=", {"token": stranger["tokens"]["access_token"]})

    route(lambdas, "stranger-conn=", strangers, "MESSAGE", rating(bot["id"], start["message_id"]))
    route(lambdas, "stranger-conn=", strangers, "MESSAGE", {"action": "feedback", "rating": "sideways"})

    errors = [(frame["type"], frame["code"]) for frame in frames("stranger-conn=")]
    assert errors == [("error", "not_found"), ("error", "validation_error")]
    assert stored_answer(lambdas, owner, bot, start["conversation_id"])["feedback"] is None


def test_a_question_over_the_plan_ends_in_a_plan_limit_error_frame(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given a tenant with one question left this month
    tenant = owner["tenant"]["id"]
    get_container().usage_counters.add(tenant, "questions", FREE_QUESTIONS - 1, FREE_QUESTIONS, month_of(utcnow()))
    authorizer = connect(lambdas, "owner-conn=", {"token": owner["tokens"]["access_token"]})

    # When the owner asks twice over WebSocket
    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))
    answered = len(frames("owner-conn="))
    route(lambdas, "owner-conn=", authorizer, "MESSAGE", ask(bot["id"]))

    # Then the first is answered and the second refused with the plan's limit in one error frame
    assert frames("owner-conn=")[answered - 1]["type"] == "done"
    (error,) = frames("owner-conn=")[answered:]
    assert (error["type"], error["code"]) == ("error", "plan_limit")
    assert error["message"].startswith(f"Your plan (Free) allows {FREE_QUESTIONS} questions a month")
