"""Q&A pairs answer directly through the query function: a question that matches a pair's (at the measured threshold of
the embedded default, MiniLM) gets the stored answer with mode "qa" and no model call; anything else is answered
from the passages, the pair among them. Pairs are written as the sources API writes them (DocumentService.write)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.documents import FILE_TYPES, QA_TYPE
from parley.domain.qa import QaPair

from local.fakes.openai import FakeOpenAI
from local.fakes.samples import GUIDE

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


ORIGIN = "https://shop.example.com"
SHIPPING = QaPair("How long does standard shipping take?", "Standard shipping takes 3 to 5 days [within] the EU.")


@pytest.fixture
def function_environment(tmp_path: Path) -> dict[str, str]:
    # The embedded stand-ins, as the local stack sets them (local/stack/stack.py): the threshold is MiniLM's measured
    # one.
    return {"PARLEY_EMBEDDER": "minilm", "PARLEY_VECTOR_INDEX": "local", "PARLEY_DATA_DIR": str(tmp_path)}


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    status, created = lambdas.call(
        "ChatbotsFunction",
        "POST",
        "/chatbots",
        sub=owner["user"]["id"],
        body={"name": "Shop", "visibility": "public", "allowed_origins": [ORIGIN]},
    )
    assert status == 201, created
    lambdas.upload(owner, created["id"], "llamas.txt", "text/plain", GUIDE.encode())
    lambdas.write(owner, created["id"], SHIPPING.question, QA_TYPE, SHIPPING.data(), source_id="qa-source")
    return dict(created)


def ask(lambdas: Functions, user: dict[str, Any], chatbot_id: str, question: str) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=user["user"]["id"],
        body={"question": question},
        path_parameters={"chatbot_id": chatbot_id},
    )


@pytest.mark.parametrize(
    "question",
    [SHIPPING.question, "how long does normal shipping take"],  # its own question; a paraphrase (MiniLM: 0.92)
)
def test_a_question_matching_a_pair_gets_its_answer_as_written_without_a_model_call(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI, question: Any
) -> None:
    chat_calls = len(openai_fake.chat_requests)

    status, body = ask(lambdas, owner, bot["id"], question)

    assert status == 200, body
    assert body["mode"] == "qa"
    assert body["answer"] == SHIPPING.answer  # the "[within]" is the owner's text, not a reference to renumber
    assert [(c["filename"], c["snippet"], c["source_id"]) for c in body["citations"]] == [
        (SHIPPING.question, SHIPPING.answer, "qa-source")
    ]
    assert body["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    assert (body["answerable"], body["degraded"]) == (True, False)
    assert len(openai_fake.chat_requests) == chat_calls


@pytest.mark.parametrize(
    "question",
    ["How much does express shipping cost?", "What do llamas eat?"],  # a near-miss (MiniLM: 0.58); another topic
)
def test_a_question_no_pair_matches_is_answered_by_the_model_from_the_passages(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI, question: Any
) -> None:
    chat_calls = len(openai_fake.chat_requests)

    status, body = ask(lambdas, owner, bot["id"], question)

    assert status == 200, body
    assert body["mode"] == "llm"
    assert len(openai_fake.chat_requests) == chat_calls + 1


def test_a_pair_below_the_threshold_is_a_passage_the_model_reads(
    lambdas: Functions, owner: dict[str, Any], bot: Any, openai_fake: FakeOpenAI
) -> None:
    status, body = ask(lambdas, owner, bot["id"], "How much does express shipping cost?")

    assert status == 200, body
    assert body["mode"] == "llm"
    assert SHIPPING.answer in openai_fake.chat_requests[-1]["messages"][-1]["content"]


def test_a_direct_answer_is_stored_rated_and_counted_like_any_other(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    _, answered = ask(lambdas, owner, bot["id"], SHIPPING.question)
    sub, chatbot_id = owner["user"]["id"], bot["id"]

    status, rated = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/messages/{message_id}/feedback",
        sub=sub,
        body={"rating": "up"},
        path_parameters={"chatbot_id": chatbot_id, "message_id": answered["message_id"]},
    )
    assert status == 204, rated
    status, conversation = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=sub,
        path_parameters={"chatbot_id": chatbot_id, "conversation_id": answered["conversation_id"]},
    )
    assert status == 200, conversation
    reply = conversation["messages"][1]
    assert (reply["mode"], reply["content"], reply["feedback"]["rating"]) == ("qa", SHIPPING.answer, "up")
    assert reply["citations"] == answered["citations"]
    status, analytics = lambdas.call(
        "QueryFunction", "GET", "/chatbots/{chatbot_id}/analytics", sub=sub, path_parameters={"chatbot_id": chatbot_id}
    )
    assert status == 200, analytics
    assert sum(day["questions"] for day in analytics["days"]) == 1
    assert sum(day["feedback_up"] for day in analytics["days"]) == 1
    assert sum(day["qa_answers"] for day in analytics["days"]) == 1


def test_a_visitor_of_the_public_chat_gets_the_pairs_answer(
    lambdas: Functions, bot: Any, openai_fake: FakeOpenAI
) -> None:
    chat_calls = len(openai_fake.chat_requests)

    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": SHIPPING.question},
        headers={"origin": ORIGIN, "x-visitor-id": "visitor-1"},
        path_parameters={"public_key": bot["public_key"]},
    )

    assert status == 200, body
    assert (body["mode"], body["answer"]) == ("qa", SHIPPING.answer)
    assert len(openai_fake.chat_requests) == chat_calls


def test_another_tenant_can_neither_ask_the_chatbot_nor_get_its_pair(
    lambdas: Functions, bot: Any, register: Callable[..., dict[str, Any]], openai_fake: FakeOpenAI
) -> None:
    stranger = register("stranger@example.com")
    status, body = ask(lambdas, stranger, bot["id"], SHIPPING.question)
    assert status == 404, body
    # Its own chatbot, asked the same question, knows no such pair: the model answers (or nothing does)
    status, own = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=stranger["user"]["id"], body={"name": "X"})
    assert status == 201, own
    status, body = ask(lambdas, stranger, own["id"], SHIPPING.question)
    assert status == 200, body
    assert body["mode"] != "qa"
    assert body["citations"] == []


def test_a_web_pages_citation_links_to_the_page(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    url = "https://shop.example.com/help/returns"
    page = b"<html><body><h1>Returns</h1><p>Alpacas may be returned within thirty days for a refund.</p></body></html>"
    lambdas.write(owner, bot["id"], url, FILE_TYPES[".html"], page, source_id="site", url=url)

    status, body = ask(lambdas, owner, bot["id"], "Within how many days may alpacas be returned for a refund?")

    assert status == 200, body
    cited = [(c["url"], c["source_id"]) for c in body["citations"] if c["filename"] == url]
    assert cited == [(url, "site")]
    uploaded = [c for c in body["citations"] if c["filename"] == "llamas.txt"]
    assert all(c["url"] is None for c in uploaded)
