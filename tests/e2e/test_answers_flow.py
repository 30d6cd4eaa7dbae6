"""Questions through the running local stack, as `make run` serves them: no model key, so extractive answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from local.fakes.samples import GUIDE
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument, NewAccount, OwnedChatbot


@pytest.fixture(scope="module")
def owner_and_bot(base_url: str, chatbot_with_document: ChatbotWithDocument) -> OwnedChatbot:
    return chatbot_with_document(base_url, "guide.md", GUIDE)


def test_search_finds_the_passage(api: httpx.Client, owner_and_bot: OwnedChatbot) -> None:
    account, bot = owner_and_bot

    results = api.post(f"/chatbots/{bot['id']}/search", headers=bearer(account), json={"query": "llama alarm call"})

    assert results.status_code == 200
    assert results.json()["results"][0]["text"].startswith("Sounds\n")


def test_question_without_a_model_gets_an_extractive_answer_and_is_remembered(
    api: httpx.Client, owner_and_bot: OwnedChatbot
) -> None:
    account, bot = owner_and_bot

    answered = api.post(
        f"/chatbots/{bot['id']}/query", headers=bearer(account), json={"question": "What do llamas eat?"}
    )

    body = answered.json()
    assert answered.status_code == 200
    assert body["mode"] == "extractive"
    assert "Llamas eat grass and hay. [1]" in body["answer"]
    assert body["citations"][0]["filename"] == "guide.md"
    conversations = api.get(f"/chatbots/{bot['id']}/conversations", headers=bearer(account)).json()["items"]
    assert body["conversation_id"] in [conversation["id"] for conversation in conversations]


def test_other_tenant_gets_404(api: httpx.Client, owner_and_bot: OwnedChatbot, new_account: NewAccount) -> None:
    _, bot = owner_and_bot
    stranger = new_account()

    assert api.post(f"/chatbots/{bot['id']}/search", headers=bearer(stranger), json={"query": "x"}).status_code == 404
    assert api.post(f"/chatbots/{bot['id']}/query", headers=bearer(stranger), json={"question": "x"}).status_code == 404
