"""Handoff to a person through the running local stack: a visitor's widget connection and a member's console
connection on the WebSocket API, the member's REST calls pushing through the management API (with the query
function's own credentials and IAM policy), and a short handoff timeout passing for real."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from local.fakes.samples import GUIDE
from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument, NewAccount, OwnedChatbot

SITE = "https://shop.example.com"
UNCOVERED = "Who won the 1998 World Cup?"
# Seconds: the handoff timeout of the chatbot nobody answers in time, short enough to pass while the test waits.
TIMEOUT = 3


@pytest.fixture(scope="module")
def owner_and_bot(base_url: str, chatbot_with_document: ChatbotWithDocument) -> OwnedChatbot:
    """A public chatbot with the default handoff timeout: however slow the machine, a member takes in time."""
    return chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])


@pytest.fixture(scope="module")
def hasty_bot(base_url: str, chatbot_with_document: ChatbotWithDocument) -> OwnedChatbot:
    """A public chatbot whose handoffs go unanswered after `TIMEOUT` seconds."""
    return chatbot_with_document(
        base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE], handoff_timeout_seconds=TIMEOUT
    )


def next_frame(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type `kind` (others before it are skipped)."""
    while True:
        frame = json.loads(socket.recv(timeout=15))
        if frame["type"] in (kind, "error"):
            assert frame["type"] == kind, frame
            return dict(frame)


def visitor_socket(base_url: str, bot: dict[str, Any], visitor_id: str) -> ClientConnection:
    url = ws_url(base_url, key=bot["public_key"], visitor_id=visitor_id)
    return connect(url, additional_headers={"Origin": SITE})


def ask(socket: ClientConnection, bot: dict[str, Any], question: str, conversation_id: str | None = None) -> None:
    frame = {"action": "sendMessage", "chatbot_id": bot["id"], "question": question}
    socket.send(json.dumps(frame | ({"conversation_id": conversation_id} if conversation_id else {})))


def test_a_member_takes_the_conversation_answers_and_hands_it_back(
    api: httpx.Client, base_url: str, owner_and_bot: OwnedChatbot, new_account: NewAccount
) -> None:
    account, bot = owner_and_bot
    stranger = new_account()
    handoff = f"/chatbots/{bot['id']}/conversations/{{}}/handoff"
    with (
        connect(ws_url(base_url, token=account["tokens"]["access_token"])) as console,
        connect(ws_url(base_url, token=stranger["tokens"]["access_token"])) as other_tenant,
        visitor_socket(base_url, bot, "visitor-e2e-handoff-1") as widget,
    ):
        # Given a visitor whose question the documents do not cover
        ask(widget, bot, UNCOVERED)
        conversation_id = next_frame(widget, "start")["conversation_id"]
        assert next_frame(widget, "done")["answerable"] is False

        # When they ask for a person, the owner's console is pushed the conversation
        widget.send(
            json.dumps({"action": "requestPerson", "chatbot_id": bot["id"], "conversation_id": conversation_id})
        )
        assert next_frame(widget, "handoff")["status"] == "waiting_for_human"
        pushed = next_frame(console, "inbox")["handoff"]
        assert (pushed["conversation_id"], pushed["question"]) == (conversation_id, UNCOVERED)

        # Another tenant's member is pushed nothing, lists nothing and is refused it over REST and WebSocket
        check = {"action": "handoffStatus", "chatbot_id": bot["id"], "conversation_id": conversation_id}
        other_tenant.send(json.dumps(check))
        assert json.loads(other_tenant.recv(timeout=15))["code"] == "not_found"
        assert api.get("/handoffs", headers=bearer(stranger)).json() == {"items": []}
        assert api.post(handoff.format(conversation_id) + "/take", headers=bearer(stranger)).status_code == 404

        # When the owner takes it and writes, the visitor sees a person's message
        assert api.post(handoff.format(conversation_id) + "/take", headers=bearer(account)).status_code == 200
        assert next_frame(widget, "handoff")["status"] == "with_human"
        written = api.post(
            handoff.format(conversation_id) + "/messages", headers=bearer(account), json={"text": "Ada here."}
        )
        assert written.status_code == 201, written.text
        person = next_frame(widget, "person")
        assert (person["text"], person["message_id"]) == ("Ada here.", written.json()["id"])

        # While the owner holds it the bot is silent: the visitor's question reaches the owner instead
        ask(widget, bot, "What do llamas eat?", conversation_id)
        held = next_frame(widget, "handoff")
        assert (held["status"], held["message_id"] is not None) == ("with_human", True)
        assert next_frame(console, "visitor")["text"] == "What do llamas eat?"

        # When the owner hands it back, the bot answers the next question
        released = api.post(handoff.format(conversation_id) + "/release", headers=bearer(account), json={})
        assert (released.status_code, next_frame(widget, "handoff")["status"]) == (200, "bot")
        ask(widget, bot, "What do llamas eat?", conversation_id)
        assert next_frame(widget, "done")["answerable"] is True


def test_nobody_takes_it_within_the_timeout_and_the_visitor_leaves_an_address(
    api: httpx.Client, base_url: str, hasty_bot: OwnedChatbot
) -> None:
    account, bot = hasty_bot
    with (
        connect(ws_url(base_url, token=account["tokens"]["access_token"])) as console,
        visitor_socket(base_url, bot, "visitor-e2e-handoff-2") as widget,
    ):
        ask(widget, bot, "I want to speak to a human")
        waiting = next_frame(widget, "handoff")
        assert (waiting["status"], waiting["members_online"]) == ("waiting_for_human", True)
        assert next_frame(console, "inbox")["handoff"]["status"] == "waiting_for_human"
        conversation_id = waiting["conversation_id"]

        # The chatbot's timeout passes with nobody taking it; the widget asks where it stands at the deadline
        time.sleep(TIMEOUT + 0.5)
        check = {"action": "handoffStatus", "chatbot_id": bot["id"], "conversation_id": conversation_id}
        widget.send(json.dumps(check))
        assert next_frame(widget, "handoff")["status"] == "unanswered"
        contact = {"action": "leaveContact", "chatbot_id": bot["id"], "conversation_id": conversation_id}
        widget.send(json.dumps(contact | {"email": "visitor@example.com"}))
        assert next_frame(widget, "handoff")["contact_email"] == "visitor@example.com"
        assert next_frame(console, "inbox")["handoff"]["contact_email"] == "visitor@example.com"

    listed = {item["conversation_id"]: item for item in api.get("/handoffs", headers=bearer(account)).json()["items"]}
    assert (listed[conversation_id]["status"], listed[conversation_id]["contact_email"]) == (
        "unanswered",
        "visitor@example.com",
    )
    on_conversation = api.get(f"/chatbots/{bot['id']}/conversations/{conversation_id}", headers=bearer(account))
    assert on_conversation.json()["handoff"]["contact_email"] == "visitor@example.com"
    assert (
        api.post(
            f"/chatbots/{bot['id']}/conversations/{conversation_id}/handoff/take", headers=bearer(account)
        ).status_code
        == 409
    )
