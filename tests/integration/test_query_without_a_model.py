"""No key, still useful: the embedded default (MiniLM, local hybrid index) and no language model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from local.fakes.samples import MANUAL

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@pytest.fixture
def stack_parameters() -> dict[str, str]:
    return {"LLMProvider": "none"}


@pytest.fixture
def function_environment(tmp_path: Path) -> dict[str, str]:
    # The embedded stand-ins, as the local stack sets them (local/stack/stack.py).
    return {"PARLEY_EMBEDDER": "minilm", "PARLEY_VECTOR_INDEX": "local", "PARLEY_DATA_DIR": str(tmp_path)}


def test_query_answers_extractively_with_citations(lambdas: Functions, register: Callable[..., dict[str, Any]]) -> None:
    owner = register("owner@example.com")
    sub = owner["user"]["id"]
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=sub, body={"name": "Zoo"})
    texts = {
        "llamas.txt": "Llamas hum when they are calm. They live in the Andes.",
        "tea.txt": "Green tea is steeped at eighty degrees for two minutes.",
    }
    for filename, text in texts.items():
        lambdas.upload(owner, chatbot["id"], filename, "text/plain", text.encode())
    lambdas.deliver()

    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=sub,
        body={"question": "How hot should the water be for green tea?"},
        path_parameters={"chatbot_id": chatbot["id"]},
    )

    assert status == 200
    assert body["mode"] == "extractive"
    assert body["degraded"] is False
    assert body["answer"].startswith("Green tea is steeped at eighty degrees for two minutes. [1]")
    assert body["citations"][0]["filename"] == "tea.txt"
    assert body["usage"]["total_tokens"] == 0


def test_a_manual_does_not_answer_the_weather_and_says_so(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    # Given a chatbot holding only a software manual (embedded default: MiniLM, no model)
    owner = register("owner@example.com")
    sub = owner["user"]["id"]
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=sub, body={"name": "Manual"})
    lambdas.upload(owner, chatbot["id"], "manual.md", "text/markdown", MANUAL.encode())
    lambdas.deliver()

    def ask(question: str) -> dict[str, Any]:
        status, body = lambdas.call(
            "QueryFunction",
            "POST",
            "/chatbots/{chatbot_id}/query",
            sub=sub,
            body={"question": question},
            path_parameters={"chatbot_id": chatbot["id"]},
        )
        assert status == 200, body
        return dict(body)

    # When asked about the weather, then about the manual
    weather = ask("What's the weather in Paris tomorrow?")
    decoding = ask("What does asn1_der_decoding return?")

    # Then the first is not in the documents, with no citation; the second is answered from them
    assert weather["answerable"] is False
    assert weather["citations"] == []
    assert weather["answer"] == "I couldn't find this in this chatbot's documents."
    assert decoding["answerable"] is True
    assert "ASN1_SUCCESS" in decoding["answer"]
    assert decoding["citations"][0]["filename"] == "manual.md"


def test_two_sentences_quoted_from_one_passage_are_both_in_the_answer(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    # Given a document whose one passage answers each half of a question in a sentence of its own
    owner = register("owner@example.com")
    sub = owner["user"]["id"]
    _, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=sub, body={"name": "Tea"})
    text = "Green tea is steeped at eighty degrees. Black tea is steeped at ninety-five degrees."
    lambdas.upload(owner, chatbot["id"], "tea.txt", "text/plain", text.encode())
    lambdas.deliver()

    # When both halves are asked
    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=sub,
        body={"question": "At what temperatures are green tea and black tea steeped?"},
        path_parameters={"chatbot_id": chatbot["id"]},
    )

    # Then both sentences are quoted, each cited to the passage, whose snippet starts at the first
    assert status == 200, body
    assert body["answer"] == f"{text.replace('. ', '. [1] ')} [1]"
    assert [citation["filename"] for citation in body["citations"]] == ["tea.txt"]
    assert body["citations"][0]["snippet"].startswith("Green tea is steeped")
