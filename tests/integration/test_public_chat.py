"""Public chat for website visitors: publishable key + allowed Origin, rate limits, no token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


ORIGIN = "https://shop.example.com"


def make_chatbot(lambdas: Functions, owner: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return lambdas.chatbot(owner, name="Shop help", **fields)


@pytest.fixture
def public_bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return make_chatbot(lambdas, owner, visibility="public", allowed_origins=[ORIGIN])


def ask(
    lambdas: Functions,
    public_key: str,
    origin: Any = ORIGIN,
    visitor: str = "visitor-0001",
    question: str = "Do you ship abroad?",
    source_ip: Any = None,
    **extra: Any,
) -> Any:
    headers = {"x-visitor-id": visitor} | ({"origin": origin} if origin else {})
    return lambdas.call(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": question, **extra},
        headers=headers,
        path_parameters={"public_key": public_key},
        source_ip=source_ip,
    )


def test_visitor_on_an_allowed_site_gets_an_answer_without_a_token(lambdas: Functions, public_bot: Any) -> None:
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
def test_origin_must_be_allowed(lambdas: Functions, public_bot: Any, origin: Any, status: Any) -> None:
    assert ask(lambdas, public_bot["public_key"], origin=origin)[0] == status


def test_wrong_private_or_deleted_keys_open_nothing(lambdas: Functions, owner: dict[str, Any], public_bot: Any) -> None:
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


def greet(lambdas: Functions, public_key: str, origin: Any = ORIGIN) -> Any:
    return lambdas.call(
        "QueryFunction",
        "GET",
        "/public/chatbots/{public_key}",
        headers={"origin": origin} if origin else {},
        path_parameters={"public_key": public_key},
    )


def test_a_page_on_an_allowed_site_reads_the_chatbots_name_and_welcome_and_nothing_else(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    bot = make_chatbot(
        lambdas,
        owner,
        visibility="public",
        allowed_origins=[ORIGIN],
        welcome_message="Hi! Ask me about shipping.",
        system_prompt="Never mention the secret discount.",
    )

    status, body = greet(lambdas, bot["public_key"])

    assert status == 200
    assert body == {"id": bot["id"], "name": "Shop help", "welcome_message": "Hi! Ask me about shipping."}


@pytest.mark.parametrize("origin", ["https://evil.example.net", None])
def test_a_page_on_a_site_not_allowed_learns_it_is_refused(lambdas: Functions, public_bot: Any, origin: Any) -> None:
    status, body = greet(lambdas, public_bot["public_key"], origin=origin)

    assert status == 403
    assert body["error"]["code"] == "origin_not_allowed"


def test_unknown_private_and_other_tenants_keys_greet_no_one(
    lambdas: Functions, register: Callable[..., dict[str, Any]], public_bot: Any
) -> None:
    # Given another tenant's private chatbot that allows the same site, and a chatbot deleted by its owner
    stranger = register("stranger@example.com")
    private = make_chatbot(lambdas, stranger, allowed_origins=[ORIGIN])
    lambdas.call(
        "ChatbotsFunction",
        "DELETE",
        "/chatbots/{chatbot_id}",
        sub=register("leaver@example.com")["user"]["id"],
        path_parameters={"chatbot_id": public_bot["id"]},
    )
    deleted = make_chatbot(lambdas, stranger, visibility="public", allowed_origins=[ORIGIN])
    lambdas.call(
        "ChatbotsFunction",
        "DELETE",
        "/chatbots/{chatbot_id}",
        sub=stranger["user"]["id"],
        path_parameters={"chatbot_id": deleted["id"]},
    )

    # When a page asks for each key; Then each is unknown, as a wrong key is
    for key in ("pk_" + "x" * 32, private["public_key"], deleted["public_key"]):
        status, body = greet(lambdas, key)
        assert status == 404
        assert body["error"]["code"] == "not_found"
    # and another tenant deleting a chatbot that is not theirs changes nothing for its visitors
    assert greet(lambdas, public_bot["public_key"])[0] == 200


def test_visitor_over_the_rate_limit_gets_429_with_a_retry_hint(lambdas: Functions, public_bot: Any) -> None:
    statuses = [ask(lambdas, public_bot["public_key"])[0] for _ in range(10)]

    status, body = ask(lambdas, public_bot["public_key"])

    assert statuses == [200] * 10
    assert status == 429
    assert body["error"]["code"] == "rate_limited"


def test_a_visitor_cannot_continue_another_visitors_conversation(lambdas: Functions, public_bot: Any) -> None:
    _, first = ask(lambdas, public_bot["public_key"], visitor="visitor-aaaa")

    own = ask(lambdas, public_bot["public_key"], visitor="visitor-aaaa", conversation_id=first["conversation_id"])
    other = ask(lambdas, public_bot["public_key"], visitor="visitor-bbbb", conversation_id=first["conversation_id"])

    assert own[0] == 200
    assert other[0] == 404


def test_a_few_networks_hammering_cannot_lock_out_a_new_one(
    lambdas: Functions, public_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a chatbot whose shared budget three networks could empty at their own limit
    chat = get_container().public_chat
    monkeypatch.setattr(chat, "per_network", 5)
    monkeypatch.setattr(chat, "per_chatbot", 10)
    key = public_bot["public_key"]

    # When three addresses hammer it, with a fresh visitor id every message
    answered = {
        address: [ask(lambdas, key, visitor=f"visitor-{address}-{n:04d}", source_ip=address)[0] for n in range(12)]
        for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3")
    }
    newcomer_status, _ = ask(lambdas, key, visitor="visitor-newcomer", source_ip="203.0.113.200")

    # Then each address is held to its own limit, and a new address is still answered
    assert [statuses.count(200) for statuses in answered.values()] == [5, 5, 2]
    assert newcomer_status == 200


def test_addresses_in_one_ipv6_64_share_a_limit_and_get_429_with_retry_after(
    lambdas: Functions, public_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_container().public_chat, "per_network", 3)
    key = public_bot["public_key"]

    statuses = [
        ask(lambdas, key, visitor=f"visitor-v6-{n:04d}", source_ip=f"2001:db8:7:9::{n + 1}")[0] for n in range(3)
    ]
    refused = lambdas.respond(
        "QueryFunction",
        "POST",
        "/public/chatbots/{public_key}/query",
        body={"question": "Do you ship abroad?"},
        headers={"origin": ORIGIN, "x-visitor-id": "visitor-v6-last"},
        path_parameters={"public_key": key},
        source_ip="2001:db8:7:9:ffff:ffff:ffff:fffe",
    )
    other_network = ask(lambdas, key, visitor="visitor-v6-other", source_ip="2001:db8:7:a::1")[0]

    assert statuses == [200, 200, 200]
    assert refused["statusCode"] == 429
    assert 0 < int(refused["headers"]["retry-after"]) <= 60
    assert other_network == 200
