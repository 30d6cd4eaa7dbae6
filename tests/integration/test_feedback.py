"""Ratings of answers over REST (the team's and a visitor's), and the analytics counters they and the answers move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container
from parley.domain.analytics import COUNTERS, feedback_tally
from parley.domain.conversations import Feedback, Usage
from parley.domain.model_prices import MODEL_PRICES

from local.fakes.openai import FakeOpenAI

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


ORIGIN = "https://shop.example.com"


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, guide=True, visibility="public", allowed_origins=[ORIGIN])


def ask(
    lambdas: Functions, user: dict[str, Any], bot: Any, question: str = "What do llamas eat?", **extra: Any
) -> dict[str, Any]:
    status, body = lambdas.ask(user, bot["id"], question, **extra)
    assert status == 200, body
    return dict(body)


def ask_publicly(lambdas: Functions, bot: Any, visitor: str, question: str = "What do llamas eat?") -> dict[str, Any]:
    status, body = lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": question},
        headers={"origin": ORIGIN, "x-visitor-id": visitor},
        path_parameters={"public_key": bot["public_key"]},
    )
    assert status == 200, body
    return dict(body)


def rate(
    lambdas: Functions, user: dict[str, Any], chatbot_id: str, message_id: str, rating: str = "up", **extra: Any
) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/messages/{message_id}/feedback",
        sub=user["user"]["id"],
        body={"rating": rating, **extra},
        path_parameters={"chatbot_id": chatbot_id, "message_id": message_id},
    )


def rate_publicly(
    lambdas: Functions, bot: Any, message_id: str, visitor: str, rating: str = "up", origin: Any = ORIGIN
) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/messages/{message_id}/feedback",
        body={"rating": rating},
        headers={"origin": origin, "x-visitor-id": visitor},
        path_parameters={"public_key": bot["public_key"], "message_id": message_id},
    )


def messages(lambdas: Functions, user: dict[str, Any], bot: Any, conversation_id: str) -> list[dict[str, Any]]:
    status, body = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations/{conversation_id}",
        sub=user["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "conversation_id": conversation_id},
    )
    assert status == 200, body
    return list(body["messages"])


def analytics(lambdas: Functions, user: dict[str, Any], chatbot_id: str, **query: Any) -> tuple[int, Any]:
    return lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/analytics",
        sub=user["user"]["id"],
        path_parameters={"chatbot_id": chatbot_id},
        query=query or None,
    )


def totals(lambdas: Functions, user: dict[str, Any], bot: Any) -> dict[str, Any]:
    """The last 30 days' counters added up (a test running over midnight UTC counts on two days)."""
    status, body = analytics(lambdas, user, bot["id"])
    assert status == 200, body
    summed: dict[str, Any] = {name: sum(day[name] for day in body["days"]) for name in COUNTERS}
    summed["latency_p50_ms"] = [day["latency_p50_ms"] for day in body["days"] if day["latency_p50_ms"] is not None]
    return summed


def test_owner_rates_an_answer_and_the_rating_is_stored_with_the_message(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    answered = ask(lambdas, owner, bot)

    status, body = rate(lambdas, owner, bot["id"], answered["message_id"], "down", comment="Missing the hay bit")

    assert status == 204, body
    question, answer = messages(lambdas, owner, bot, answered["conversation_id"])
    assert question["feedback"] is None
    assert answer["feedback"]["rating"] == "down"
    assert answer["feedback"]["comment"] == "Missing the hay bit"


def test_rating_again_replaces_the_rating_and_moves_the_counts_without_double_counting(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    answered = ask(lambdas, owner, bot)

    for rating in ("up", "up", "down", "up", "down"):
        assert rate(lambdas, owner, bot["id"], answered["message_id"], rating)[0] == 204

    [_, answer] = messages(lambdas, owner, bot, answered["conversation_id"])
    assert answer["feedback"]["rating"] == "down"
    assert answer["feedback"]["comment"] is None
    counts = totals(lambdas, owner, bot)
    assert (counts["feedback_up"], counts["feedback_down"]) == (0, 1)


def test_another_tenant_a_question_and_an_unknown_message_are_not_found(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    answered = ask(lambdas, owner, bot)
    stranger = register("stranger@example.com")
    theirs = lambdas.chatbot(stranger, name="Theirs")
    [question, _] = messages(lambdas, owner, bot, answered["conversation_id"])

    refused = [
        rate(lambdas, stranger, bot["id"], answered["message_id"]),
        rate(lambdas, stranger, theirs["id"], answered["message_id"]),
        rate(lambdas, owner, bot["id"], question["id"]),
        rate(lambdas, owner, bot["id"], "f" * 32),
        rate(lambdas, owner, bot["id"], "not-an-id"),
    ]

    assert [(status, body["error"]["code"]) for status, body in refused] == [(404, "not_found")] * len(refused)
    [_, answer] = messages(lambdas, owner, bot, answered["conversation_id"])
    assert answer["feedback"] is None


def test_a_rating_must_be_up_or_down(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    answered = ask(lambdas, owner, bot)

    status, body = rate(lambdas, owner, bot["id"], answered["message_id"], "meh")
    too_long = rate(lambdas, owner, bot["id"], answered["message_id"], "up", comment="x" * 2001)

    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert too_long[0] == 422


def test_visitor_rates_an_answer_of_their_own_conversation(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    answered = ask_publicly(lambdas, bot, "visitor-0001")

    status, _ = rate_publicly(lambdas, bot, answered["message_id"], "visitor-0001", "up")

    assert status == 204
    [_, answer] = messages(lambdas, owner, bot, answered["conversation_id"])
    assert answer["feedback"]["rating"] == "up"


def test_visitor_cannot_rate_another_visitors_or_the_owners_answer(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    theirs = ask_publicly(lambdas, bot, "visitor-0001")
    owners = ask(lambdas, owner, bot)

    refused = [
        rate_publicly(lambdas, bot, theirs["message_id"], "visitor-0002"),
        rate_publicly(lambdas, bot, owners["message_id"], "visitor-0001"),
    ]

    assert [status for status, _ in refused] == [404, 404]
    assert (
        rate_publicly(lambdas, bot, theirs["message_id"], "visitor-0001", origin="https://evil.example.net")[0] == 403
    )


def test_analytics_add_up_to_what_was_asked_and_rated(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    first = ask(lambdas, owner, bot)
    ask(lambdas, owner, bot, "And what do they hum?", conversation_id=first["conversation_id"])
    abstained = ask(lambdas, owner, bot, "What's the weather in Paris tomorrow?")
    visitor = ask_publicly(lambdas, bot, "visitor-0001")
    rate(lambdas, owner, bot["id"], first["message_id"], "up")
    rate(lambdas, owner, bot["id"], abstained["message_id"], "down")
    rate_publicly(lambdas, bot, visitor["message_id"], "visitor-0001", "up")

    counts = totals(lambdas, owner, bot)

    assert abstained["answerable"] is False
    assert counts["conversations"] == 3
    assert counts["questions"] == 4
    assert counts["abstained"] == 1
    assert counts["degraded"] == 0
    assert (counts["feedback_up"], counts["feedback_down"]) == (2, 1)
    assert counts["tokens"] > 0
    assert counts["cost_usd"] > 0
    assert counts["latency_p50_ms"]


def test_an_answers_cost_is_priced_as_the_model_that_answered_it(
    lambdas: Functions, owner: dict[str, Any], openai_fake: FakeOpenAI
) -> None:
    # Given a chatbot on a model of the business plan, and its tenant moved to free, which allows gpt-4o-mini only
    tenant = owner["tenant"]["id"]
    get_container().quotas.assign(tenant, "business")
    bot = lambdas.chatbot(owner, guide=True, model_name="gpt-4.1-mini")
    get_container().quotas.assign(tenant, "free")

    # When a question is answered
    answered = ask(lambdas, owner, bot)

    # Then the model that answered is the plan's, and the day's cost is its price, not the chatbot's setting's
    assert openai_fake.chat_requests[-1]["model"] == "gpt-4o-mini"
    usage = Usage.model_validate(answered["usage"])
    assert usage.total_tokens > 0
    expected = MODEL_PRICES["gpt-4o-mini"].cost(usage)
    assert round(expected, 6) != round(MODEL_PRICES["gpt-4.1-mini"].cost(usage), 6)
    assert totals(lambdas, owner, bot)["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_analytics_list_every_day_of_the_range_with_zeros(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    status, body = analytics(lambdas, owner, bot["id"], **{"from": "2026-02-27", "to": "2026-03-02"})
    default = analytics(lambdas, owner, bot["id"])[1]

    assert status == 200
    assert [day["date"] for day in body["days"]] == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
    assert all(day["questions"] == 0 and day["latency_p50_ms"] is None for day in body["days"])
    assert len(default["days"]) == 30
    assert default["days"][-1]["date"] == datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},
        {"from": "yesterday"},
        {"to": "2026-02-30"},
    ],
)
def test_a_bad_range_is_refused(lambdas: Functions, owner: dict[str, Any], bot: Any, query: Any) -> None:
    status, body = analytics(lambdas, owner, bot["id"], **query)

    assert status == 422
    assert body["error"]["code"] == "validation_error"


def test_another_tenants_analytics_are_not_found(
    lambdas: Functions, owner: dict[str, Any], bot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    stranger = register("stranger@example.com")

    status, body = analytics(lambdas, stranger, bot["id"])

    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_a_year_is_the_longest_range(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    last = datetime.now(UTC).date()
    first = last - timedelta(days=365)

    status, body = analytics(lambdas, owner, bot["id"], **{"from": first.isoformat(), "to": last.isoformat()})

    assert status == 200
    assert len(body["days"]) == 366


def test_a_rating_computed_from_a_stale_read_writes_nothing(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given an answer, read before someone else rated it up
    answered = ask(lambdas, owner, bot)
    store = get_container().conversation_store
    stale = store.answer(owner["tenant"]["id"], bot["id"], answered["message_id"])
    assert stale is not None
    assert rate(lambdas, owner, bot["id"], answered["message_id"], "up")[0] == 204

    # When a rating computed from the stale read (no rating before it) is written
    written = store.rate(
        owner["tenant"]["id"],
        bot["id"],
        stale.message,
        Feedback(rating="down", at=datetime.now(UTC)),
        feedback_tally(stale.message.created_at.date(), None, "down"),
    )

    # Then it is refused whole: the answer keeps its rating and the counts do not move (the service reads again)
    assert written is False
    [_, answer] = messages(lambdas, owner, bot, answered["conversation_id"])
    assert answer["feedback"]["rating"] == "up"
    counts = totals(lambdas, owner, bot)
    assert (counts["feedback_up"], counts["feedback_down"]) == (1, 0)


def test_the_calendars_first_days_are_a_range_too(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    status, body = analytics(lambdas, owner, bot["id"], to="0001-01-03")

    assert status == 200
    assert [day["date"] for day in body["days"]] == ["0001-01-01", "0001-01-02", "0001-01-03"]


def test_a_visitors_network_rates_as_often_as_it_may_ask(
    lambdas: Functions, bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_container().feedback, "per_network", 2)
    answered = ask_publicly(lambdas, bot, "visitor-0001")

    statuses = [
        rate_publicly(lambdas, bot, answered["message_id"], "visitor-0001", rating)[0]
        for rating in ["up", "down", "up"]
    ]

    assert statuses == [204, 204, 429]
