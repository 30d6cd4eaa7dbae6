"""Knowledge gaps through the query function: visitors' questions the chatbot abstained on, rated down or handed to a
person, grouped by meaning; answering a group with a Q&A pair (the sources API, as "Answer this" does) answers its
next paraphrase directly and shows the group answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from local.fakes.openai import FakeOpenAI
from tests.integration.test_websocket_handlers import ORIGIN, ask, connect, frames, route

if TYPE_CHECKING:
    from tests.integration.conftest import Functions

WEATHER = [
    "What is the weather in Paris tomorrow?",
    "What will the weather be in Paris tomorrow?",
    "Tell me the weather forecast in Paris tomorrow",
]
GIFT_CARDS = ["Do you sell gift cards?", "Can I buy gift cards here?"]
ANOTHER_WEATHER = "Weather in Paris tomorrow, please?"

# The fake embedder's cosine is about the share of words in common (local/fakes/openai.py): thresholds on its scale
# (the paraphrases above are 0.67 to 1.0 apart within a group, below 0.02 across groups; the fourth weather question
# is 0.86 from the first).
pytestmark = pytest.mark.parametrize(
    "function_environment", [{"PARLEY_GAP_GROUP_THRESHOLD": "0.6", "PARLEY_QA_MATCH_THRESHOLD": "0.8"}]
)


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, guide=True, visibility="public", allowed_origins=[ORIGIN])


def visitor_asks(lambdas: Functions, bot: dict[str, Any], question: str, visitor: str) -> dict[str, Any]:
    status, answer = lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        path_parameters={"public_key": bot["public_key"]},
        headers={"origin": ORIGIN, "x-visitor-id": visitor},
        body={"question": question},
    )
    assert status == 200, answer
    return dict(answer)


def gaps(lambdas: Functions, account: dict[str, Any], bot: dict[str, Any], **query: str) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/gaps",
        token=account["tokens"]["access_token"],
        path_parameters={"chatbot_id": bot["id"]},
        query=query,
    )


def test_paraphrases_group_by_meaning_and_answering_a_group_answers_its_next_paraphrase(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    # Given three visitors' paraphrases of one uncovered question and two of another, each abstained on
    for number, question in enumerate(WEATHER + GIFT_CARDS):
        assert visitor_asks(lambdas, bot, question, f"visitor-{number:04d}")["answerable"] is False

    # When the owner reads the last 30 days' gaps
    status, found = gaps(lambdas, owner, bot, days="30")

    # Then they are two groups, the larger first, with their counts and examples, neither answered
    assert status == 200, found
    assert [(group["count"], group["answered"]) for group in found["items"]] == [(3, False), (2, False)]
    weather, gift_cards = found["items"]
    assert weather["question"] == WEATHER[0]
    assert sorted(weather["examples"]) == sorted(WEATHER)
    assert sorted(gift_cards["examples"]) == sorted(GIFT_CARDS)
    assert weather["reasons"] == {"abstained": 3}
    assert found["threshold"] == 0.6

    # When the owner answers the first group with a Q&A pair of its question
    status, source = lambdas.call(
        "UploadFunction",
        "POST",
        "/chatbots/{chatbot_id}/sources",
        token=owner["tokens"]["access_token"],
        path_parameters={"chatbot_id": bot["id"]},
        body={"type": "qa", "question": weather["question"], "answer": "We do not forecast weather; see meteo.fr."},
    )
    assert status == 201, source
    lambdas.deliver()
    chat_requests = len(openai_fake.chat_requests)

    # Then a fourth paraphrase gets the pair's answer as written, with no model call, and the group shows answered
    fourth = visitor_asks(lambdas, bot, ANOTHER_WEATHER, "visitor-0009")
    assert (fourth["mode"], fourth["answer"]) == ("qa", "We do not forecast weather; see meteo.fr.")
    assert len(openai_fake.chat_requests) == chat_requests
    status, after = gaps(lambdas, owner, bot)
    assert [(group["count"], group["answered"]) for group in after["items"]] == [(3, True), (2, False)]


def test_thumbs_down_and_handoffs_are_gaps_and_a_members_reply_is_offered_as_the_answer(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given a visitor who rates a (covered) answer down, and another who asks for a person whom the owner answers
    rated = visitor_asks(lambdas, bot, "What do llamas eat?", "visitor-0001")
    status, _ = lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/messages/{message_id}/feedback",
        path_parameters={"public_key": bot["public_key"], "message_id": rated["message_id"]},
        headers={"origin": ORIGIN, "x-visitor-id": "visitor-0001"},
        body={"rating": "down"},
    )
    assert status == 204
    connect(lambdas, "member-conn=", {"token": owner["tokens"]["access_token"]})
    visitor = connect(lambdas, "visitor-conn=", {"key": bot["public_key"], "visitor_id": "visitor-0002"})
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", ask(bot["id"], GIFT_CARDS[0]))
    conversation_id = frames("visitor-conn=")[0]["conversation_id"]
    request = {"action": "requestPerson", "chatbot_id": bot["id"], "conversation_id": conversation_id}
    route(lambdas, "visitor-conn=", visitor, "MESSAGE", request)
    path = "/chatbots/{chatbot_id}/conversations/{conversation_id}/handoff/"
    parameters = {"chatbot_id": bot["id"], "conversation_id": conversation_id}
    as_owner = {"token": owner["tokens"]["access_token"], "path_parameters": parameters}
    assert lambdas.call("QueryFunction", "POST", path + "take", **as_owner)[0] == 200
    reply = {"text": "Yes: gift cards from 10 to 200 euros, at the till."}
    assert lambdas.call("QueryFunction", "POST", path + "messages", body=reply, **as_owner)[0] == 201

    status, found = gaps(lambdas, owner, bot)

    assert status == 200, found
    by_question = {group["question"]: group for group in found["items"]}
    assert by_question["What do llamas eat?"]["reasons"] == {"thumbs_down": 1}
    # The gift-card question abstained, then was handed over: one question asked, its latest reason kept
    assert by_question[GIFT_CARDS[0]]["count"] == 1
    assert by_question[GIFT_CARDS[0]]["reasons"] == {"handoff": 1}
    assert by_question[GIFT_CARDS[0]]["person_answer"] == reply["text"]


def test_another_tenant_gets_404_for_the_gaps(
    lambdas: Functions, bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    stranger = register("stranger@example.com")

    status, refused = gaps(lambdas, stranger, bot)

    assert (status, refused["error"]["code"]) == (404, "not_found")
