"""Ratings and analytics through the running local stack: questions asked over REST, public REST and WebSocket, rated
over each, and the chatbot's analytics adding up to exactly that."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import connect

from local.fakes.samples import GUIDE
from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.support.api import Account, Chatbot, ChatbotWithDocument, NewAccount, OwnedChatbot

SITE = "https://shop.example.com"


@pytest.fixture(scope="module")
def owner_and_bot(base_url: str, chatbot_with_document: ChatbotWithDocument) -> OwnedChatbot:
    return chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])


def totals(api: httpx.Client, account: Account, bot: Chatbot) -> dict[str, Any]:
    response = api.get(f"/chatbots/{bot['id']}/analytics", headers=bearer(account))
    assert response.status_code == 200, response.text
    days = response.json()["days"]
    summed = {name: sum(day[name] for day in days) for name in days[0] if name not in ("date", "latency_p50_ms")}
    summed["latency_p50_ms"] = [day["latency_p50_ms"] for day in days if day["latency_p50_ms"] is not None]
    return summed


def test_answers_rated_over_every_path_add_up_in_the_analytics(
    api: httpx.Client, base_url: str, owner_and_bot: OwnedChatbot, new_account: NewAccount
) -> None:
    account, bot = owner_and_bot
    visitor = {"origin": SITE, "x-visitor-id": "visitor-e2e-0001"}
    # Given: two questions of one conversation and one the documents do not answer, from the owner ...
    first = api.post(f"/chatbots/{bot['id']}/query", headers=bearer(account), json={"question": "What do llamas eat?"})
    follow_up = api.post(
        f"/chatbots/{bot['id']}/query",
        headers=bearer(account),
        json={"question": "And when do they hum?", "conversation_id": first.json()["conversation_id"]},
    )
    abstained = api.post(
        f"/chatbots/{bot['id']}/query", headers=bearer(account), json={"question": "Who won the 1998 World Cup?"}
    )
    # ... one from a visitor over the public REST route, and one from a visitor over the WebSocket.
    public = api.post(
        f"/public/chatbots/{bot['public_key']}/query", headers=visitor, json={"question": "What do llamas eat?"}
    )
    socket_url = ws_url(base_url, key=bot["public_key"], visitor_id="visitor-e2e-0002")
    with connect(socket_url, additional_headers={"Origin": SITE}) as socket:
        socket.send(json.dumps({"action": "sendMessage", "chatbot_id": bot["id"], "question": "How do llamas sound?"}))
        streamed = [json.loads(socket.recv(timeout=30))]
        while streamed[-1]["type"] not in ("done", "error"):
            streamed.append(json.loads(socket.recv(timeout=30)))
        # When: each path rates an answer (the owner changes their mind once) ...
        message_id = streamed[0]["message_id"]
        socket.send(
            json.dumps({"action": "feedback", "chatbot_id": bot["id"], "message_id": message_id, "rating": "up"})
        )
        acknowledged = json.loads(socket.recv(timeout=30))
    ratings = [
        api.post(
            f"/chatbots/{bot['id']}/messages/{first.json()['message_id']}/feedback",
            headers=bearer(account),
            json={"rating": "down"},
        ),
        api.post(
            f"/chatbots/{bot['id']}/messages/{first.json()['message_id']}/feedback",
            headers=bearer(account),
            json={"rating": "up", "comment": "Right after all"},
        ),
        api.post(
            f"/chatbots/{bot['id']}/messages/{abstained.json()['message_id']}/feedback",
            headers=bearer(account),
            json={"rating": "down"},
        ),
        api.post(
            f"/public/chatbots/{bot['public_key']}/messages/{public.json()['message_id']}/feedback",
            headers=visitor,
            json={"rating": "down"},
        ),
    ]
    # ... and another tenant and another visitor try.
    stranger = new_account()
    refused = [
        api.post(
            f"/chatbots/{bot['id']}/messages/{first.json()['message_id']}/feedback",
            headers=bearer(stranger),
            json={"rating": "down"},
        ),
        api.post(
            f"/public/chatbots/{bot['public_key']}/messages/{first.json()['message_id']}/feedback",
            headers=visitor,
            json={"rating": "down"},
        ),
    ]

    # Then
    assert [r.status_code for r in (first, follow_up, abstained, public)] == [200] * 4
    assert streamed[-1]["type"] == "done"
    assert acknowledged == {"type": "feedback", "message_id": message_id, "rating": "up"}
    assert [r.status_code for r in ratings] == [204] * 4
    assert [r.status_code for r in refused] == [404, 404]
    assert abstained.json()["answerable"] is False
    counts = totals(api, account, bot)
    assert counts["conversations"] == 4
    assert counts["questions"] == 5
    assert counts["abstained"] == 1
    assert counts["degraded"] == 0
    assert (counts["feedback_up"], counts["feedback_down"]) == (2, 2)
    # `make run` has no model key: extractive answers spend no tokens.
    assert (counts["tokens"], counts["cost_usd"]) == (0, 0)
    assert counts["latency_p50_ms"]
    conversation = api.get(
        f"/chatbots/{bot['id']}/conversations/{first.json()['conversation_id']}", headers=bearer(account)
    ).json()
    assert conversation["messages"][1]["feedback"]["rating"] == "up"
    assert conversation["messages"][1]["feedback"]["comment"] == "Right after all"
    assert api.get(f"/chatbots/{bot['id']}/analytics", headers=bearer(stranger)).status_code == 404
