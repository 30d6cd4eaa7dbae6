from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@pytest.fixture
def owner(register: Callable[..., dict[str, Any]]) -> str:
    return str(register("owner@example.com")["user"]["id"])


@pytest.fixture
def stranger(register: Callable[..., dict[str, Any]]) -> str:
    return str(register("stranger@example.com")["user"]["id"])


def _create(lambdas: Functions, sub: str, **fields: Any) -> Any:
    status, body = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=sub, body={"name": "Support", **fields})
    assert status == 201, body
    return body


def _one(lambdas: Functions, method: str, sub: str, chatbot_id: str, body: Any = None) -> Any:
    return lambdas.call(
        "ChatbotsFunction",
        method,
        "/chatbots/{chatbot_id}",
        sub=sub,
        body=body,
        path_parameters={"chatbot_id": chatbot_id},
    )


def test_chatbot_crud(lambdas: Functions, owner: str) -> None:
    created = _create(lambdas, owner, visibility="public", allowed_origins=["https://shop.example.com"])

    assert created["public_key"].startswith("pk_")
    assert _one(lambdas, "GET", owner, created["id"]) == (200, created)

    status, patched = _one(lambdas, "PATCH", owner, created["id"], {"temperature": 1.5, "top_k": 10})
    assert status == 200
    assert (patched["temperature"], patched["top_k"], patched["name"]) == (1.5, 10, "Support")

    status, listed = lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=owner)
    assert status == 200
    assert [item["id"] for item in listed["items"]] == [created["id"]]

    assert _one(lambdas, "DELETE", owner, created["id"]) == (202, {"id": created["id"], "status": "deleting"})


def test_deleted_chatbot_shows_deleting_until_erased_and_refuses_changes(
    lambdas: Functions, owner: str, stranger: str
) -> None:
    # Given a chatbot its owner deleted, not erased yet
    created = _create(lambdas, owner)
    assert created["status"] == "active"
    assert _one(lambdas, "DELETE", owner, created["id"])[0] == 202

    # Then its owner reads it, and lists it, as deleting; deleting it again is accepted again
    status, shown = _one(lambdas, "GET", owner, created["id"])
    assert (status, shown["status"]) == (200, "deleting")
    listed = lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=owner)[1]
    assert [(item["id"], item["status"]) for item in listed["items"]] == [(created["id"], "deleting")]
    assert _one(lambdas, "DELETE", owner, created["id"]) == (202, {"id": created["id"], "status": "deleting"})
    # And it cannot be changed, and another tenant still cannot see or delete it
    assert _one(lambdas, "PATCH", owner, created["id"], {"name": "Back"})[0] == 404
    for method in ("GET", "DELETE"):
        assert _one(lambdas, method, stranger, created["id"])[0] == 404, method
    assert lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=stranger)[1]["items"] == []

    # When the erasure worker has run, Then it is gone
    lambdas.deliver(to="ErasureFunction")
    assert _one(lambdas, "GET", owner, created["id"])[0] == 404
    assert lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=owner) == (200, {"items": [], "next_cursor": None})


def test_other_tenant_gets_404_for_chatbot(lambdas: Functions, owner: str, stranger: str) -> None:
    created = _create(lambdas, owner)

    for method, body in (("GET", None), ("PATCH", {"name": "Taken over"}), ("DELETE", None)):
        status, payload = _one(lambdas, method, stranger, created["id"], body)
        assert status == 404, method
        assert payload["error"]["code"] == "not_found"

    assert _one(lambdas, "GET", owner, created["id"])[1] == created


@pytest.mark.parametrize("tiny", [1e-131, 2.2e-311, 4e-7])
def test_settings_below_what_dynamodb_stores_are_rounded_not_a_500(lambdas: Functions, owner: str, tiny: float) -> None:
    # DynamoDB stores no number of magnitude below 1e-130: such settings are rounded to 6 decimal places (0)
    created = _create(lambdas, owner, temperature=tiny, min_relevance=tiny)
    assert (created["temperature"], created["min_relevance"]) == (0, 0)

    status, patched = _one(lambdas, "PATCH", owner, created["id"], {"temperature": 1 + tiny, "min_relevance": tiny})

    assert status == 200, patched
    assert (patched["temperature"], patched["min_relevance"]) == (1, 0)
    assert _one(lambdas, "GET", owner, created["id"]) == (200, patched)


def test_a_page_cap_dynamodb_cannot_store_is_422(lambdas: Functions, owner: str) -> None:
    bot = _create(lambdas, owner)
    status, payload = lambdas.call(
        "UploadFunction",
        "POST",
        "/chatbots/{chatbot_id}/sources",
        sub=owner,
        body={"type": "website", "url": "https://example.com/", "max_pages": 10**40},
        path_parameters={"chatbot_id": bot["id"]},
    )

    assert status == 422
    assert "max_pages" in str(payload["error"])


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x", "temperature": 5},
        {"name": "x", "top_k": 100},
        {"name": "x", "allowed_origins": ["javascript:alert(1)"]},
        {"name": "x", "visibility": "everyone"},
    ],
)
def test_invalid_chatbot_is_422(lambdas: Functions, owner: str, body: Any) -> None:
    status, payload = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=owner, body=body)

    assert status == 422
    assert payload["error"]["code"] == "validation_error"


def test_patch_with_null_is_422(lambdas: Functions, owner: str) -> None:
    created = _create(lambdas, owner)

    status, payload = _one(lambdas, "PATCH", owner, created["id"], {"name": None})

    assert status == 422
    assert "cannot be null" in payload["error"]["message"]
