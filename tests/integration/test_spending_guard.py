"""What a tenant can spend of the platform's model key, and how one tenant's model failures stay its own: allowed
models and the answer cap (template parameters), the owners' question quota, and breakers per tenant and model.

AWS is moto; the model is the real OpenAI SDK against the local fake, which refuses models it does not serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container

from local.fakes.openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


# Allowed by the deployment (a parameter), but not served by the model provider: every call to it fails.
UNSERVED = "gpt-unreleased"


@pytest.fixture
def stack_parameters() -> dict[str, str]:
    return {"AllowedModels": f"gpt-4o-mini,gpt-4.1-mini,{UNSERVED}", "MaxAnswerTokens": "800"}


@pytest.fixture
def register(register: Callable[..., dict[str, Any]]) -> Any:
    """These tests are of the deployment's guard, which every plan stays under: their tenants are on the plan that
    narrows it in nothing they try (business; plans narrowing it are tests/unit/test_plans.py's)."""

    def _register(*args: Any, **kwargs: Any) -> Any:
        account = register(*args, **kwargs)
        get_container().quotas.assign(account["tenant"]["id"], "business")
        return account

    return _register


def create(lambdas: Functions, user: dict[str, Any], **fields: Any) -> Any:
    return lambdas.call(
        "ChatbotsFunction", "POST", "/chatbots", sub=user["user"]["id"], body={"name": "Llamas", **fields}
    )


def ask(lambdas: Functions, user: dict[str, Any], chatbot_id: str, question: str = "What do llamas eat?") -> Any:
    return lambdas.respond(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=user["user"]["id"],
        body={"question": question},
        path_parameters={"chatbot_id": chatbot_id},
    )


def test_a_model_outside_the_allow_list_is_refused_naming_the_allowed_ones(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    status, body = create(lambdas, owner, model_name="o1-pro")

    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert "'o1-pro' is not available" in body["error"]["message"]
    assert f"gpt-4o-mini, gpt-4.1-mini, {UNSERVED}" in body["error"]["message"]


def test_max_tokens_is_capped_on_create_and_update(lambdas: Functions, owner: dict[str, Any]) -> None:
    status, body = create(lambdas, owner, max_tokens=4096)
    _, bot = create(lambdas, owner)
    patched, patch_body = lambdas.call(
        "ChatbotsFunction",
        "PATCH",
        "/chatbots/{chatbot_id}",
        sub=owner["user"]["id"],
        body={"max_tokens": 801, "model_name": "o1-pro"},
        path_parameters={"chatbot_id": bot["id"]},
    )

    assert status == 422
    assert "max_tokens: at most 800" in body["error"]["message"]
    assert bot["model_name"] == "gpt-4o-mini"  # the first allowed model is the default
    assert bot["max_tokens"] == 512
    assert patched == 422
    assert "max_tokens: at most 800" in patch_body["error"]["message"]
    assert "'o1-pro' is not available" in patch_body["error"]["message"]


def test_another_tenant_cannot_change_a_chatbots_model(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    _, bot = create(lambdas, owner)
    stranger = register("stranger@example.com")

    status, _ = lambdas.call(
        "ChatbotsFunction",
        "PATCH",
        "/chatbots/{chatbot_id}",
        sub=stranger["user"]["id"],
        body={"model_name": "gpt-4.1-mini"},
        path_parameters={"chatbot_id": bot["id"]},
    )

    assert status == 404


def test_one_tenants_failing_model_does_not_degrade_another_tenants_answers(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]], openai_fake: FakeOpenAI
) -> None:
    # Given tenant A's chatbot on a model the provider refuses, and tenant B's on a served one
    failing = lambdas.chatbot(owner, guide=True, model_name=UNSERVED)
    other = register("other@example.com")
    healthy = lambdas.chatbot(other, guide=True)

    # When A's questions fail often enough to open a breaker
    for _ in range(6):
        assert ask(lambdas, owner, failing["id"])["statusCode"] == 200
    unserved_calls = [request for request in openai_fake.chat_requests if request["model"] == UNSERVED]
    response = ask(lambdas, other, healthy["id"])

    # Then A's breaker stopped calling A's model after five failures, and B is answered by the model
    assert len(unserved_calls) == 5
    assert response["statusCode"] == 200
    assert '"mode":"llm"' in response["body"]
    assert '"degraded":false' in response["body"]


def test_owner_questions_count_against_the_tenants_quota(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_container().answers, "tenant_questions_per_minute", 2)
    bot = lambdas.chatbot(owner, guide=True)
    other = register("other@example.com")
    other_bot = lambdas.chatbot(other, guide=True)

    statuses = [ask(lambdas, owner, bot["id"])["statusCode"] for _ in range(2)]
    refused = ask(lambdas, owner, bot["id"])
    other_tenant = ask(lambdas, other, other_bot["id"])

    assert statuses == [200, 200]
    assert refused["statusCode"] == 429
    assert 0 < int(refused["headers"]["retry-after"]) <= 60
    assert other_tenant["statusCode"] == 200
