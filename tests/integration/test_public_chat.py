"""Public chat for website visitors: publishable key + allowed Origin, rate limits, no token."""

from __future__ import annotations

import pytest

ORIGIN = "https://shop.example.com"


def make_chatbot(lambdas, owner, **fields) -> dict:
    status, body = lambdas.call(
        "ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Shop help", **fields}
    )
    assert status == 201
    return body


@pytest.fixture
def public_bot(lambdas, owner) -> dict:
    return make_chatbot(lambdas, owner, visibility="public", allowed_origins=[ORIGIN])


def ask(lambdas, public_key, origin=ORIGIN, visitor="visitor-0001", question="Do you ship abroad?", **extra):
    headers = {"x-visitor-id": visitor} | ({"origin": origin} if origin else {})
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": question, **extra},
        headers=headers,
        path_parameters={"public_key": public_key},
    )


def test_visitor_on_an_allowed_site_gets_an_answer_without_a_token(lambdas, public_bot):
    status, body = ask(lambdas, public_bot["public_key"])

    assert status == 200
    assert body["conversation_id"]
    assert set(body) >= {"answer", "citations", "conversation_id", "message_id", "mode", "usage"}


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://evil.example.net", 403),
        (None, 403),
        ("https://shop.example.com:8443", 403),
        ("https://SHOP.example.com/", 200),
    ],
)
def test_origin_must_be_allowed(lambdas, public_bot, origin, status):
    assert ask(lambdas, public_bot["public_key"], origin=origin)[0] == status


def test_wrong_private_or_deleted_keys_open_nothing(lambdas, owner, public_bot):
    private = make_chatbot(lambdas, owner, allowed_origins=[ORIGIN])
    lambdas.call(
        "ChatbotsFunction",
        "DELETE",
        "/chatbots/{chatbot_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": public_bot["id"]},
    )

    for key in ("pk_wrong", private["public_key"], public_bot["public_key"]):
        status, body = ask(lambdas, key)
        assert status == 404
        assert body["error"]["code"] == "not_found"


def test_visitor_over_the_rate_limit_gets_429_with_a_retry_hint(lambdas, public_bot):
    statuses = [ask(lambdas, public_bot["public_key"])[0] for _ in range(10)]

    status, body = ask(lambdas, public_bot["public_key"])

    assert statuses == [200] * 10
    assert status == 429
    assert body["error"]["code"] == "rate_limited"


def test_a_visitor_cannot_continue_another_visitors_conversation(lambdas, public_bot):
    _, first = ask(lambdas, public_bot["public_key"], visitor="visitor-aaaa")

    own = ask(lambdas, public_bot["public_key"], visitor="visitor-aaaa", conversation_id=first["conversation_id"])
    other = ask(lambdas, public_bot["public_key"], visitor="visitor-bbbb", conversation_id=first["conversation_id"])

    assert own[0] == 200
    assert other[0] == 404
