from __future__ import annotations

from typing import Any

import pytest
from parley.domain.accounts import RegisterRequest
from parley.domain.chatbots import ChatbotCreate, ChatbotUpdate, normalize_origin
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.com", "https://example.com"),
        ("https://Example.COM/", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://shop.example.co.uk", "https://shop.example.co.uk"),
    ],
)
def test_origins_are_normalized(given: Any, expected: Any) -> None:
    assert normalize_origin(given) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "example.com",
        "ftp://example.com",
        "https://example.com/path",
        "https://example.com?q=1",
        "https://user@example.com",
        "https://exa mple.com",
        "https://example.com:99999",
        "*",
        "",
    ],
)
def test_invalid_origins_are_refused(origin: Any) -> None:
    with pytest.raises(ValueError):
        normalize_origin(origin)


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "temperature": -0.1},
        {"name": "ok", "temperature": 2.1},
        {"name": "ok", "top_k": 0},
        {"name": "ok", "top_k": 51},
        {"name": "ok", "max_tokens": 0},
        {"name": "ok", "max_tokens": 100_000},
        {"name": "ok", "visibility": "secret"},
        {"name": "ok", "allowed_origins": ["not an origin"]},
        {"name": "ok", "unknown_field": 1},
        {"name": "ok", "chunk_size": 100, "chunk_overlap": 50},
        {"name": "ok", "chunk_size": 50},
    ],
)
def test_chatbot_create_rejects_out_of_range_input(fields: Any) -> None:
    with pytest.raises(ValidationError):
        ChatbotCreate(**fields)


def test_chatbot_name_is_trimmed_and_origins_deduplicated() -> None:
    chatbot = ChatbotCreate(name="  Support  ", allowed_origins=["https://a.com", "https://A.com/"])

    assert chatbot.name == "Support"
    assert chatbot.allowed_origins == ["https://a.com"]


def test_chatbot_update_refuses_null() -> None:
    with pytest.raises(ValidationError, match="name cannot be null"):
        ChatbotUpdate.model_validate({"name": None})


def test_chatbot_update_tracks_only_given_fields() -> None:
    update = ChatbotUpdate.model_validate({"top_k": 7})

    assert update.model_dump(exclude_unset=True) == {"top_k": 7}


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com"])
def test_register_rejects_invalid_email(email: Any) -> None:
    with pytest.raises(ValidationError):
        RegisterRequest(email=email, password="correct-horse-1")
