"""Handoff to a person through the query function (members' REST routes) and the WebSocket chat function (visitors'
frames, and the pushes members' connections receive), against moto's table and management API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container
from parley.domain.common import utcnow

from local.fakes.openai import FakeOpenAI
from tests.integration.test_websocket_handlers import ORIGIN, ask, connect, frames, route

if TYPE_CHECKING:
    from tests.integration.conftest import Functions

UNCOVERED = "What's the weather in Paris tomorrow?"
CONVERSATION = "/chatbots/{chatbot_id}/conversations/{conversation_id}"


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, guide=True, visibility="public", allowed_origins=[ORIGIN])


def as_(account: dict[str, Any]) -> dict[str, str]:
    return {"token": account["tokens"]["access_token"]}


def member_of(lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any], email: str) -> Any:
    status, invited = lambdas.call(
        "AuthFunction", "POST", "/members/invitations", **as_(owner), body={"email": email, "role": "member"}
    )
    assert status == 201, invited
    return register(email, invitation=invited["code"])


def handoff_call(
    lambdas: Functions, account: dict[str, Any], bot: dict[str, Any], conversation_id: str, step: str, **body: Any
) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "POST",
        f"{CONVERSATION}/handoff/{step}",
        **as_(account),
        path_parameters={"chatbot_id": bot["id"], "conversation_id": conversation_id},
        body=body,
    )


def conversation_of(lambdas: Functions, account: dict[str, Any], bot: dict[str, Any], conversation_id: str) -> Any:
    status, conversation = lambdas.call(
        "QueryFunction",
        "GET",
        CONVERSATION,
        **as_(account),
        path_parameters={"chatbot_id": bot["id"], "conversation_id": conversation_id},
    )
    assert status == 200, conversation
    return conversation


def visitor_asks_uncovered(lambdas: Functions, bot: dict[str, Any], connection: str) -> tuple[dict[str, Any], str]:
    authorizer = connect(lambdas, connection, {"key": bot["public_key"], "visitor_id": "visitor-0001"})
    route(lambdas, connection, authorizer, "MESSAGE", ask(bot["id"], UNCOVERED))
    start, *_, done = frames(connection)
    assert done["answerable"] is False
    return authorizer, start["conversation_id"]


def of_type(connection: str, kind: str) -> list[dict[str, Any]]:
    return [frame for frame in frames(connection) if frame["type"] == kind]


def test_a_member_takes_a_visitors_conversation_answers_it_and_hands_it_back(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    # Given the owner signed in to the console (a WebSocket), and a visitor whose question the documents do not cover
    member = connect(lambdas, "member-conn=", as_(owner))
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")

    # When the visitor asks for a person
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))

    # Then they are told a person is awaited, and the owner's connection is pushed the waiting conversation
    [waiting] = of_type("visitor-conn=", "handoff")
    assert (waiting["status"], waiting["members_online"]) == ("waiting_for_human", True)
    [pushed] = of_type("member-conn=", "inbox")
    assert pushed["handoff"]["conversation_id"] == conversation_id
    assert (pushed["handoff"]["status"], pushed["handoff"]["question"]) == ("waiting_for_human", UNCOVERED)
    assert pushed["handoff"]["last_answer"] == "I couldn't find this in this chatbot's documents."
    status, inbox = lambdas.call("QueryFunction", "GET", "/handoffs", **as_(owner))
    assert (status, [item["conversation_id"] for item in inbox["items"]]) == (200, [conversation_id])
    assert conversation_of(lambdas, owner, bot, conversation_id)["handoff"]["status"] == "waiting_for_human"

    # When the owner takes it and writes
    status, taken = handoff_call(lambdas, owner, bot, conversation_id, "take")
    assert (status, taken["status"], taken["taken_by"]) == (200, "with_human", owner["user"]["id"])
    status, written = handoff_call(
        lambdas, owner, bot, conversation_id, "messages", text="Hello, I'm Ada. Let me look."
    )
    assert status == 201, written

    # Then the visitor sees the conversation taken and the message, marked as a person's
    assert [frame["status"] for frame in of_type("visitor-conn=", "handoff")] == ["waiting_for_human", "with_human"]
    [person] = of_type("visitor-conn=", "person")
    assert (person["text"], person["message_id"]) == ("Hello, I'm Ada. Let me look.", written["id"])

    # When the visitor asks the bot something it could answer while the owner holds the conversation
    chat_requests = len(openai_fake.chat_requests)
    route(
        lambdas,
        "visitor-conn=",
        visitor,
        "MESSAGE",
        ask(bot["id"], "What do llamas eat?", conversation_id=conversation_id),
    )

    # Then the bot is silent: no answer frames, no model call; the message is stored and pushed to the owner
    assert [frame["type"] for frame in frames("visitor-conn=")][-1] == "handoff"
    assert len(of_type("visitor-conn=", "start")) == 1
    assert len(openai_fake.chat_requests) == chat_requests
    [relayed] = of_type("member-conn=", "visitor")
    assert (relayed["conversation_id"], relayed["text"]) == (conversation_id, "What do llamas eat?")

    # When the owner hands it back, the bot answers the next question
    status, released = handoff_call(lambdas, owner, bot, conversation_id, "release")
    assert (status, released["status"]) == (200, "bot")
    assert of_type("visitor-conn=", "handoff")[-1]["status"] == "bot"
    route(
        lambdas,
        "visitor-conn=",
        visitor,
        "MESSAGE",
        ask(bot["id"], "What do llamas eat?", conversation_id=conversation_id),
    )
    assert of_type("visitor-conn=", "done")[-1]["answerable"] is True
    assert len(openai_fake.chat_requests) > chat_requests

    # And the conversation holds the person's message as theirs, the unanswered visitor message, then the bot again
    conversation = conversation_of(lambdas, owner, bot, conversation_id)
    assert (conversation["handoff"]["status"], conversation["handoff"]["taken_by"]) == ("bot", owner["user"]["id"])
    kinds = [(m["role"], m["person"] is not None) for m in conversation["messages"]]
    assert kinds == [
        ("user", False),
        ("assistant", False),
        ("assistant", True),
        ("user", False),
        ("user", False),
        ("assistant", False),
    ]
    assert member["tenant_id"] == owner["tenant"]["id"]
    assert lambdas.call("QueryFunction", "GET", "/handoffs", **as_(owner)) == (200, {"items": []})

    # And the chatbot's analytics count the handoff and the wait for the member's first reply
    status, analytics = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/analytics",
        **as_(owner),
        path_parameters={"chatbot_id": bot["id"]},
    )
    assert status == 200, analytics
    [today] = [day for day in analytics["days"] if day["questions"]]
    assert today["handoffs"] == 1
    assert today["first_human_reply_p50_ms"] is not None
    assert [day["first_human_reply_p50_ms"] for day in analytics["days"] if day is not today] == [None] * (
        len(analytics["days"]) - 1
    )


def request_person(bot: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    return {"action": "requestPerson", "chatbot_id": bot["id"], "conversation_id": conversation_id}


def test_a_second_member_sees_it_taken_and_cannot_write_into_it(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    dan = member_of(lambdas, register, owner, "dan@example.com")
    connect(lambdas, "dan-conn=", as_(dan))
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))
    assert handoff_call(lambdas, owner, bot, conversation_id, "take")[0] == 200

    status, refused = handoff_call(lambdas, dan, bot, conversation_id, "take")
    written = handoff_call(lambdas, dan, bot, conversation_id, "messages", text="Me too")
    released = handoff_call(lambdas, dan, bot, conversation_id, "release")

    assert (status, refused["error"]["code"]) == (409, "conflict")
    assert refused["error"]["message"] == "Another member has taken this conversation"
    assert (written[0], released[0]) == (409, 409)
    # Dan's console was pushed the conversation waiting, then taken by the owner
    pushed = [(f["handoff"]["status"], f["handoff"]["taken_by"]) for f in of_type("dan-conn=", "inbox")]
    assert pushed == [("waiting_for_human", None), ("with_human", owner["user"]["id"])]
    assert of_type("visitor-conn=", "person") == []


def test_another_tenants_member_never_sees_it_and_gets_404_over_rest_and_websocket(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    stranger = register("stranger@example.com")
    stranger_socket = connect(lambdas, "stranger-conn=", as_(stranger))
    connect(lambdas, "member-conn=", as_(owner))
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")

    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))
    check = {"action": "handoffStatus", "chatbot_id": bot["id"], "conversation_id": conversation_id}
    route(lambdas, "stranger-conn=", stranger_socket, "MESSAGE", check)

    assert len(of_type("member-conn=", "inbox")) == 1
    assert [(f["type"], f.get("code")) for f in frames("stranger-conn=")] == [("error", "not_found")]
    assert lambdas.call("QueryFunction", "GET", "/handoffs", **as_(stranger)) == (200, {"items": []})
    for step, body in (("take", {}), ("messages", {"text": "Hi"}), ("release", {})):
        status, refused = handoff_call(lambdas, stranger, bot, conversation_id, step, **body)
        assert (status, refused["error"]["code"]) == (404, "not_found"), step


def test_nobody_online_tells_the_visitor_at_once_and_keeps_the_address_they_leave(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")

    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))
    contact = {"action": "leaveContact", "chatbot_id": bot["id"], "conversation_id": conversation_id}
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", {**contact, "email": " Visitor@Example.com "})

    told, kept = of_type("visitor-conn=", "handoff")
    assert (told["status"], told["members_online"]) == ("unanswered", False)
    assert (kept["status"], kept["contact_email"]) == ("unanswered", "visitor@example.com")
    status, inbox = lambdas.call("QueryFunction", "GET", "/handoffs", **as_(owner))
    assert status == 200
    [item] = inbox["items"]
    assert (item["status"], item["contact_email"], item["question"]) == ("unanswered", "visitor@example.com", UNCOVERED)
    # The address is on the conversation itself, as its owner reads it
    kept_on = conversation_of(lambdas, owner, bot, conversation_id)["handoff"]
    assert (kept_on["status"], kept_on["contact_email"]) == ("unanswered", "visitor@example.com")
    assert handoff_call(lambdas, owner, bot, conversation_id, "take")[0] == 409


def test_a_waiting_handoff_nobody_takes_by_the_chatbots_timeout_is_unanswered(
    lambdas: Functions, owner: dict[str, Any], bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(lambdas, "member-conn=", as_(owner))
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))
    [waiting] = of_type("visitor-conn=", "handoff")

    # The chatbot's default timeout (2 minutes) passes: nothing runs, the deadline is read
    later = utcnow() + timedelta(seconds=121)
    monkeypatch.setattr(get_container().handoffs, "now", lambda: later)
    check = {"action": "handoffStatus", "chatbot_id": bot["id"], "conversation_id": conversation_id}
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", check)

    assert waiting["status"] == "waiting_for_human"
    assert of_type("visitor-conn=", "handoff")[-1]["status"] == "unanswered"
    status, refused = handoff_call(lambdas, owner, bot, conversation_id, "take")
    assert (status, refused["error"]["message"]) == (409, "Nobody took this conversation in time; the visitor was told")


def test_a_visitor_asking_for_a_person_in_words_is_handed_over_without_a_model_call(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    connect(lambdas, "member-conn=", as_(owner))
    visitor = connect(lambdas, "visitor-conn=", {"key": bot["public_key"], "visitor_id": "visitor-0001"})
    chat_requests = len(openai_fake.chat_requests)

    route(lambdas, "visitor-conn=", visitor, "MESSAGE", ask(bot["id"], "Can I talk to a real person please?"))

    [handoff] = frames("visitor-conn=")
    assert (handoff["type"], handoff["status"]) == ("handoff", "waiting_for_human")
    [pushed] = of_type("member-conn=", "inbox")
    assert pushed["handoff"]["question"] == "Can I talk to a real person please?"
    assert len(openai_fake.chat_requests) == chat_requests


def test_a_rest_visitor_gets_409_while_a_person_holds_the_conversation(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    connect(lambdas, "member-conn=", as_(owner))
    visitor, conversation_id = visitor_asks_uncovered(lambdas, bot, "visitor-conn=")
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request_person(bot, conversation_id))

    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        path_parameters={"public_key": bot["public_key"]},
        headers={"origin": ORIGIN, "x-visitor-id": "visitor-0001"},
        body={"question": "What do llamas eat?", "conversation_id": conversation_id},
    )

    assert (status, body["error"]["code"]) == (409, "conflict")
