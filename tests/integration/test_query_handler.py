"""The query function: search, grounded answers with citations, memory, privacy, fallbacks and tenant walls.

AWS is moto; the model, embeddings and index are the real OpenAI and Pinecone SDKs against their local fakes."""

from __future__ import annotations

import json

import pytest
from parley.answers.citations import references

DOCUMENTS = {
    "llamas.txt": "Llamas hum when they are calm. A llama can carry a quarter of its body weight.",
    "alpacas.txt": "Alpacas are smaller than llamas. Their fleece is soft and warm.",
}


@pytest.fixture
def chatbot(lambdas, owner) -> dict:
    status, body = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Zoo"})
    assert status == 201
    for filename, text in DOCUMENTS.items():
        lambdas.upload(owner, body["id"], filename, "text/plain", text.encode())
    lambdas.deliver()
    return body


def ask(lambdas, user, chatbot_id, question, conversation_id=None):
    body = {"question": question} | ({"conversation_id": conversation_id} if conversation_id else {})
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=user["user"]["id"],
        body=body,
        path_parameters={"chatbot_id": chatbot_id},
    )


def conversation(lambdas, user, chatbot_id, conversation_id):
    status, body = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=user["user"]["id"],
        path_parameters={"chatbot_id": chatbot_id, "conversation_id": conversation_id},
    )
    assert status == 200, body
    return body


def test_search_returns_the_chatbots_passages(lambdas, owner, chatbot):
    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/search",
        sub=owner["user"]["id"],
        body={"query": "llama", "top_k": 10},
        path_parameters={"chatbot_id": chatbot["id"]},
    )

    assert status == 200
    assert sorted(hit["filename"] for hit in body["results"]) == sorted(DOCUMENTS)
    assert set(body["results"][0]) == {"document_id", "filename", "chunk_id", "score", "text"}


def test_answer_is_grounded_and_every_reference_maps_to_a_citation(lambdas, owner, chatbot, openai_fake):
    status, body = ask(lambdas, owner, chatbot["id"], "Do llamas make sounds?")

    assert status == 200
    assert body["mode"] == "llm"
    prompt = openai_fake.chat_requests[-1]["messages"][0]["content"]
    assert all(text in prompt for text in DOCUMENTS.values())
    cited = references(body["answer"])
    assert cited
    assert all(1 <= number <= len(body["citations"]) for number in cited)
    assert "[99]" not in body["answer"]
    assert {citation["filename"] for citation in body["citations"]} <= set(DOCUMENTS)
    assert body["usage"]["total_tokens"] > 0


def test_personal_data_never_reaches_the_model_or_storage(lambdas, owner, chatbot, openai_fake):
    question = "I'm ada@example.com, card 4111 1111 1111 1111, phone +44 20 7946 0958: do llamas hum?"

    status, body = ask(lambdas, owner, chatbot["id"], question)

    assert status == 200
    sent = json.dumps(openai_fake.chat_requests)
    for secret in ("ada@example.com", "4111 1111 1111 1111", "7946 0958"):
        assert secret not in sent
    stored = conversation(lambdas, owner, chatbot["id"], body["conversation_id"])
    assert stored["messages"][0]["content"] == "I'm [email], card [card], phone [phone]: do llamas hum?"


def test_follow_up_is_rewritten_with_the_conversation(lambdas, owner, chatbot, openai_fake):
    _, first = ask(lambdas, owner, chatbot["id"], "Tell me about alpacas.")
    searched_before = len(openai_fake.chat_requests)

    status, second = ask(lambdas, owner, chatbot["id"], "Is their fleece warm?", first["conversation_id"])

    assert status == 200
    assert second["conversation_id"] == first["conversation_id"]
    rewrite = openai_fake.chat_requests[searched_before]["messages"][-1]["content"]
    assert "User: Tell me about alpacas." in rewrite
    assert "Follow-up question: Is their fleece warm?" in rewrite
    answer_prompt = openai_fake.chat_requests[-1]["messages"]
    assert [m["role"] for m in answer_prompt] == ["system", "user", "assistant", "user"]
    stored = conversation(lambdas, owner, chatbot["id"], first["conversation_id"])
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["message_count"] == 4


def test_model_failure_after_retrieval_degrades_to_an_extractive_answer(lambdas, owner, chatbot, openai_fake):
    openai_fake.routes[("POST", "/v1/chat/completions")] = lambda body, query: (500, {"error": {"message": "down"}})

    status, body = ask(lambdas, owner, chatbot["id"], "Do llamas hum?")

    assert status == 200
    assert (body["mode"], body["degraded"]) == ("extractive", True)
    assert "Llamas hum when they are calm." in body["answer"]
    assert body["citations"]


def test_search_service_down_is_503(lambdas, owner, chatbot, pinecone_fake):
    pinecone_fake.fail_next(100, status=500)

    status, body = ask(lambdas, owner, chatbot["id"], "Do llamas hum?")

    assert status == 503
    assert body["error"]["code"] == "upstream_unavailable"


@pytest.mark.parametrize("question", ["", "x" * 4001])
def test_question_length_is_checked(lambdas, owner, chatbot, question):
    status, body = ask(lambdas, owner, chatbot["id"], question)

    assert status == 422
    assert body["error"]["code"] == "validation_error"


def test_other_tenant_gets_404_for_chatbot_and_conversation(lambdas, owner, chatbot, register):
    _, answered = ask(lambdas, owner, chatbot["id"], "Do llamas hum?")
    stranger = register("stranger@example.com")
    _, own_bot = lambdas.call(
        "ChatbotsFunction", "POST", "/chatbots", sub=stranger["user"]["id"], body={"name": "Mine"}
    )

    assert ask(lambdas, stranger, chatbot["id"], "Do llamas hum?")[0] == 404
    assert ask(lambdas, stranger, own_bot["id"], "Hi?", answered["conversation_id"])[0] == 404
    for path, params in (
        ("/chatbots/{chatbot_id}/conversations", {"chatbot_id": chatbot["id"]}),
        (
            "/chatbots/{chatbot_id}/conversations/{conversation_id}",
            {"chatbot_id": chatbot["id"], "conversation_id": answered["conversation_id"]},
        ),
        (
            "/chatbots/{chatbot_id}/conversations/{conversation_id}",
            {"chatbot_id": own_bot["id"], "conversation_id": answered["conversation_id"]},
        ),
    ):
        assert lambdas.call("QueryFunction", "GET", path, sub=stranger["user"]["id"], path_parameters=params)[0] == 404
    search = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/search",
        sub=stranger["user"]["id"],
        body={"query": "llama"},
        path_parameters={"chatbot_id": chatbot["id"]},
    )
    assert search[0] == 404
