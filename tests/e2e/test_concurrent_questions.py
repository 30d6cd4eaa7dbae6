"""Fifty questions to one chatbot at once, through the local stack (plain_stack): owners over REST and WebSocket,
visitors over REST. Each answer stores its messages and the chatbot's day's analytics counter in one transaction, so
they conflict on that counter (the stand-in cancels one of two transactions on an item at once, as DynamoDB does):
every one must be retried, none lost, none a 5xx, and the plan counts exactly the questions answered."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
from websockets.sync.client import connect

from local.fakes.samples import GUIDE
from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument, NewAccount

SITE = "https://shop.example.com"
# Within the plain stack's per-minute limits (60 owner questions a tenant, 20 WebSocket connections and 20 visitor
# messages a network, 10 a visitor): what is refused must be nothing but a conflict's consequence.
OWNER_REST, OWNER_SOCKET, VISITOR_REST = 20, 15, 15


def test_fifty_concurrent_questions_to_one_chatbot_store_fifty_answers_and_no_5xx(
    base_url: str, chatbot_with_document: ChatbotWithDocument, new_account: NewAccount
) -> None:
    account, bot = chatbot_with_document(base_url, "guide.md", GUIDE, visibility="public", allowed_origins=[SITE])
    question = {"question": "What do llamas eat?"}

    def owner_rest(_: int) -> tuple[int, str | None]:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            answered = client.post(f"/chatbots/{bot['id']}/query", headers=bearer(account), json=question)
        return answered.status_code, answered.json().get("conversation_id")

    def visitor_rest(number: int) -> tuple[int, str | None]:
        headers = {"Origin": SITE, "X-Visitor-Id": f"visitor-{number:04d}"}
        with httpx.Client(base_url=base_url, timeout=120) as client:
            answered = client.post(f"/public/chatbots/{bot['public_key']}/query", headers=headers, json=question)
        return answered.status_code, answered.json().get("conversation_id")

    def owner_socket(_: int) -> tuple[int, str | None]:
        with connect(ws_url(base_url, token=account["tokens"]["access_token"]), open_timeout=60) as socket:
            socket.send(json.dumps({"action": "sendMessage", "chatbot_id": bot["id"], **question}))
            frames: list[dict[str, Any]] = []
            while not frames or frames[-1]["type"] not in ("done", "error"):
                frames.append(json.loads(socket.recv(timeout=120)))
        started = next((frame for frame in frames if frame["type"] == "start"), {})
        return (200 if frames[-1]["type"] == "done" else 500), started.get("conversation_id")

    calls = (
        [(owner_rest, n) for n in range(OWNER_REST)]
        + [(owner_socket, n) for n in range(OWNER_SOCKET)]
        + [(visitor_rest, n) for n in range(VISITOR_REST)]
    )
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        outcomes = list(pool.map(lambda call: call[0](call[1]), calls))

    statuses = [status for status, _ in outcomes]
    assert statuses == [200] * len(calls), statuses
    conversations = {conversation for _, conversation in outcomes}
    assert len(conversations) == len(calls)
    listed = httpx.get(
        f"{base_url}/chatbots/{bot['id']}/conversations", headers=bearer(account), params={"limit": 100}, timeout=30
    ).json()["items"]
    assert {item["id"] for item in listed} == conversations
    assert sum(item["message_count"] for item in listed) == 2 * len(calls)
    analytics = httpx.get(f"{base_url}/chatbots/{bot['id']}/analytics", headers=bearer(account), timeout=30).json()
    assert sum(day["questions"] for day in analytics["days"]) == len(calls)
    usage = httpx.get(f"{base_url}/usage", headers=bearer(account), timeout=30).json()
    assert usage["usage"]["questions"] == len(calls)
    # and another tenant reads none of them
    stranger = bearer(new_account())
    conversation = next(iter(conversations))
    for path in (f"/chatbots/{bot['id']}/conversations", f"/chatbots/{bot['id']}/conversations/{conversation}"):
        assert httpx.get(f"{base_url}{path}", headers=stranger, timeout=30).status_code == 404, path
