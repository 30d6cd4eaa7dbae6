"""Plans against moto: the conditional counters under threads, questions counted on every channel (owners' REST,
visitors' REST, WebSocket) and refused alike, GET /usage, erasure giving back, and the operators' CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container
from parley.domain.common import utcnow
from parley.domain.plans import PLANS, month_of
from parley.services.public_chat import VISITOR_PLAN_LIMIT
from parley.tools import plans as plans_tool

from local.aws import moto_dynamodb
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import GUIDE

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


FREE = PLANS["free"]
ORIGIN = "https://shop.example.com"


def usage(lambdas: Functions, account: dict[str, Any]) -> dict[str, Any]:
    status, body = lambdas.call("ChatbotsFunction", "GET", "/usage", sub=account["user"]["id"])
    assert status == 200, body
    return dict(body)


def public_bot(lambdas: Functions, account: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(account, guide=True, visibility="public", allowed_origins=[ORIGIN])


def owner_asks(lambdas: Functions, account: dict[str, Any], bot: Any) -> tuple[int, Any]:
    return lambdas.ask(account, bot["id"], "What do llamas eat?")


def visitor_asks(lambdas: Functions, bot: Any) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": "What do llamas eat?"},
        headers={"origin": ORIGIN, "x-visitor-id": "visitor-0001"},
        path_parameters={"public_key": bot["public_key"]},
    )


def test_fifty_concurrent_adds_with_twenty_left_count_exactly_twenty(lambdas: Functions, owner: dict[str, Any]) -> None:
    # Given the local stack's DynamoDB (moto, every call applied under one lock as AWS applies each item's writes
    # atomically) and a counter with 20 left
    moto_dynamodb.install()
    counters, tenant = get_container().usage_counters, owner["tenant"]["id"]
    assert counters.add(tenant, "questions", 480, 500, "2026-11")
    results: list[bool] = []

    # When 50 threads each add one at once
    def add() -> None:
        results.append(counters.add(tenant, "questions", 1, 500, "2026-11"))

    threads = [threading.Thread(target=add) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly 20 were counted and the counter stopped at the limit
    assert results.count(True) == 20
    assert counters.counts(tenant, "2026-11")["questions"] == 500


def test_owners_and_visitors_questions_count_against_one_plan_and_are_refused_with_402(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    # Given a public chatbot whose tenant has 2 questions left this month (the WebSocket: test_websocket_handlers.py)
    bot = public_bot(lambdas, owner)
    tenant = owner["tenant"]["id"]
    get_container().usage_counters.add(tenant, "questions", FREE.questions - 2, FREE.questions, month_of(utcnow()))

    # When the owner asks over REST, and a visitor over the public REST route
    assert owner_asks(lambdas, owner, bot)[0] == 200
    assert visitor_asks(lambdas, bot)[0] == 200

    # Then both counted, and the next question of either is refused with the plan's limit
    assert usage(lambdas, owner)["usage"]["questions"] == FREE.questions
    status, refused = owner_asks(lambdas, owner, bot)
    assert status == 402
    assert refused["error"]["code"] == "plan_limit"
    assert refused["error"]["message"].startswith(f"Your plan (Free) allows {FREE.questions} questions a month")
    assert "the count resets on " in refused["error"]["message"]
    # (a visitor is not told the owner's plan)
    status, refused = visitor_asks(lambdas, bot)
    assert status == 402
    assert refused["error"] == {"code": "plan_limit", "message": VISITOR_PLAN_LIMIT}
    assert usage(lambdas, owner)["usage"]["questions"] == FREE.questions


def test_usage_reports_the_plan_the_month_and_only_the_callers_tenant(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    # Given a tenant with a chatbot and an indexed document, and another tenant with nothing
    bot = public_bot(lambdas, owner)
    assert owner_asks(lambdas, owner, bot)[0] == 200
    stranger = register("stranger@example.com")

    # When each reads its usage
    mine, theirs = usage(lambdas, owner), usage(lambdas, stranger)

    # Then each sees its own plan and counters, the contract's shape
    assert set(mine) >= {"plan", "period", "usage", "limits"}
    assert mine["plan"] == "free"
    assert mine["limits"]["questions"] == FREE.questions
    used = mine["usage"]
    assert (used["chatbots"], used["documents"], used["stored_bytes"], used["questions"]) == (1, 1, len(GUIDE), 1)
    assert used["pages"] == 1
    assert set(theirs["usage"].values()) == {0}
    # And another tenant cannot reach the chatbot whose usage is counted
    assert owner_asks(lambdas, stranger, bot)[0] == 404


def test_usage_lists_the_deployments_models_each_marked_by_the_plan(lambdas: Functions, owner: dict[str, Any]) -> None:
    # Given the template's allowed models and a chat model configured, and a tenant on the free plan
    allowed = get_container().settings.answers.allowed_models
    assert len(allowed) > 1
    assert FREE.models is not None

    # When it reads its usage, then again once an operator put it on pro
    on_free = usage(lambdas, owner)["answers"]
    assert plans_tool.main(["assign", owner["tenant"]["id"], "pro"]) == 0
    on_pro = usage(lambdas, owner)["answers"]

    # Then both list every model the deployment allows, marked by whether the plan allows it too; answers come
    # from the model
    assert on_free == {
        "mode": "llm",
        "models": [{"name": name, "on_plan": name in FREE.models} for name in allowed],
        "default_model": allowed[0],
        "max_tokens": FREE.max_tokens,
    }
    assert on_pro["models"] == [{"name": name, "on_plan": True} for name in allowed]
    assert on_pro["max_tokens"] == min(PLANS["pro"].max_tokens, get_container().settings.answers.max_answer_tokens)


def test_an_erased_chatbot_gives_back_its_place_documents_and_bytes(lambdas: Functions, owner: dict[str, Any]) -> None:
    # Given a chatbot with an indexed document
    bot = public_bot(lambdas, owner)
    assert usage(lambdas, owner)["usage"]["documents"] == 1

    # When it is deleted and erased
    status, _ = lambdas.call(
        "ChatbotsFunction", "DELETE", "/chatbots/{chatbot_id}", sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"]},
    )  # fmt: skip
    assert status == 202
    assert usage(lambdas, owner)["usage"]["chatbots"] == 0
    assert lambdas.deliver(to="ErasureFunction") == 1

    # Then nothing of it is counted any more (the month's pages and questions stay: they were spent)
    used = usage(lambdas, owner)["usage"]
    assert (used["chatbots"], used["documents"], used["stored_bytes"]) == (0, 0, 0)
    assert used["pages"] == 1


def test_the_operator_cli_assigns_a_plan_and_shows_usage(
    lambdas: Functions, owner: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = owner["tenant"]["id"]

    # When an operator puts the tenant on pro
    assert plans_tool.main(["assign", tenant, "pro"]) == 0

    # Then the tenant's usage says so, and the CLI printed its counters against pro's limits
    assert usage(lambdas, owner)["plan"] == "pro"
    printed = capsys.readouterr().out
    assert f"tenant {tenant}: plan pro (Pro)" in printed
    assert "10,000" in printed
    # And a tenant that does not exist is refused, not created
    assert plans_tool.main(["assign", "f" * 32, "pro"]) == 1
    assert "No tenant" in capsys.readouterr().err


def test_the_cli_refuses_an_unknown_plan(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        plans_tool.main(["assign", "x", "gold"])
    assert "invalid choice: 'gold'" in capsys.readouterr().err


def test_a_question_search_could_not_answer_is_given_back(
    lambdas: Functions, owner: dict[str, Any], pinecone_fake: FakePinecone
) -> None:
    # Given a chatbot with a document, and the search service down
    bot = public_bot(lambdas, owner)
    pinecone_fake.fail_next(100, status=500)

    # When the owner asks
    status, _ = owner_asks(lambdas, owner, bot)

    # Then the question is refused as unavailable, and not counted against the plan
    assert status == 503
    assert usage(lambdas, owner)["usage"]["questions"] == 0


def _invite(lambdas: Functions, account: dict[str, Any], email: str) -> str:
    status, created = lambdas.call(
        "AuthFunction",
        "POST",
        "/members/invitations",
        sub=account["user"]["id"],
        body={"email": email, "role": "member"},
    )
    assert status == 201, created
    return str(created["code"])


def test_the_plan_holds_the_team_to_its_seats_and_a_removal_frees_one(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    # Given a free tenant whose members besides the owner fill its seats
    joined = [register(f"m{n}@example.com", invitation=_invite(lambdas, owner, f"m{n}@example.com")) for n in range(2)]
    assert FREE.members == len(joined)

    # When one more accepts an invitation by signing up
    code = _invite(lambdas, owner, "late@example.com")
    status, refused = lambdas.call(
        "AuthFunction",
        "POST",
        "/auth/register",
        body={"email": "late@example.com", "password": "correct-horse-1", "invitation": code},
    )

    # Then the plan refuses (402), no one joined, and the seat count is the plan's
    assert (status, refused["error"]["code"]) == (402, "plan_limit"), refused
    assert usage(lambdas, owner)["usage"]["members"] == FREE.members
    # and once a member is removed, the seat is free again
    removed = lambdas.call(
        "AuthFunction",
        "DELETE",
        "/members/{user_id}",
        sub=owner["user"]["id"],
        path_parameters={"user_id": joined[0]["user"]["id"]},
    )
    assert removed[0] == 204, removed
    assert register("late@example.com", invitation=code)["user"]["role"] == "member"
    assert usage(lambdas, owner)["usage"]["members"] == FREE.members


def test_the_plan_holds_api_keys_to_its_limit_and_a_revoked_key_frees_its_place(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    def create() -> tuple[int, Any]:
        return lambdas.call("ApiKeysFunction", "POST", "/api-keys", sub=owner["user"]["id"], body={"name": "server"})

    created = [create() for _ in range(FREE.api_keys)]
    assert [status for status, _ in created] == [201] * FREE.api_keys

    status, refused = create()

    assert (status, refused["error"]["code"]) == (402, "plan_limit"), refused
    revoked = lambdas.call(
        "ApiKeysFunction",
        "DELETE",
        "/api-keys/{key_id}",
        sub=owner["user"]["id"],
        path_parameters={"key_id": created[0][1]["id"]},
    )
    assert revoked[0] == 204
    assert create()[0] == 201
    assert usage(lambdas, owner)["usage"]["api_keys"] == FREE.api_keys
