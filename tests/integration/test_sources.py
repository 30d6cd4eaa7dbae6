"""Sources through the upload function's routes against moto: snippets and Q&A pairs written as documents (edited in
place), the input rules, the plan's limits, and another tenant's sources as unknown ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.plans import PLANS

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


FREE = PLANS["free"]
SNIPPET = {"type": "text", "title": "Opening hours", "text": "The shop opens at nine and closes at five."}
PAIR = {"type": "qa", "question": "Do you ship abroad?", "answer": "Yes, to every country in the EU."}
WEBSITE = {"type": "website", "url": "https://docs.example.com/help/", "mode": "sitemap", "max_pages": 10}


def call(
    lambdas: Functions, account: dict[str, Any], method: str, path: str, body: Any = None, **ids: str
) -> tuple[int, Any]:
    return lambdas.call(
        "UploadFunction",
        method,
        path,
        sub=account["user"]["id"],
        body=body,
        path_parameters=ids,
    )


@pytest.fixture
def bot(lambdas: Functions, owner: dict[str, Any]) -> dict[str, Any]:
    return lambdas.chatbot(owner, name="S")


def add(lambdas: Functions, owner: dict[str, Any], bot: Any, body: dict[str, Any]) -> dict[str, Any]:
    status, created = call(lambdas, owner, "POST", "/chatbots/{chatbot_id}/sources", body, chatbot_id=bot["id"])
    assert status == 201, created
    return dict(created)


def source(lambdas: Functions, owner: dict[str, Any], bot: Any, source_id: str) -> dict[str, Any]:
    path = "/chatbots/{chatbot_id}/sources/{source_id}"
    status, found = call(lambdas, owner, "GET", path, chatbot_id=bot["id"], source_id=source_id)
    assert status == 200, found
    return dict(found)


def documents(lambdas: Functions, owner: dict[str, Any], bot: Any) -> list[dict[str, Any]]:
    status, listed = call(lambdas, owner, "GET", "/chatbots/{chatbot_id}/documents", chatbot_id=bot["id"])
    assert status == 200, listed
    return list(listed["items"])


def test_a_text_snippet_is_a_document_of_its_source_ready_once_indexed(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    # Given a snippet added
    created = add(lambdas, owner, bot, SNIPPET)
    assert (created["type"], created["status"], created["title"]) == ("text", "syncing", "Opening hours")

    # When ingest has run
    lambdas.deliver()

    # Then the source is ready, its one document names it, and that document cannot be deleted on its own
    shown = source(lambdas, owner, bot, created["id"])
    assert (shown["status"], shown["counts"]) == ("ready", {"found": 1, "indexed": 1, "failed": 0, "skipped": 0})
    (document,) = documents(lambdas, owner, bot)
    assert (document["source_id"], document["status"], document["content_type"]) == (
        created["id"],
        "indexed",
        "text/plain",
    )
    path = "/chatbots/{chatbot_id}/documents/{document_id}"
    status, refused = call(lambdas, owner, "DELETE", path, chatbot_id=bot["id"], document_id=document["id"])
    assert (status, refused["error"]["code"]) == (409, "conflict")


def test_editing_a_snippet_reindexes_the_same_document_in_place(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    created = add(lambdas, owner, bot, SNIPPET)
    lambdas.deliver()
    (before,) = documents(lambdas, owner, bot)

    path = "/chatbots/{chatbot_id}/sources/{source_id}"
    status, edited = call(
        lambdas, owner, "PATCH", path, {"text": "Open ten to six."}, chatbot_id=bot["id"], source_id=created["id"]
    )
    assert status == 200, edited
    lambdas.deliver()

    (after,) = documents(lambdas, owner, bot)
    assert (after["id"], after["version"], after["status"]) == (before["id"], 2, "indexed")
    status, found = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/search",
        sub=owner["user"]["id"],
        body={"query": "open ten to six"},
        path_parameters={"chatbot_id": bot["id"]},
    )
    assert status == 200, found
    assert "ten to six" in found["results"][0]["text"]
    assert all("nine" not in hit["text"] for hit in found["results"])


def test_a_qa_pair_is_written_as_a_qa_document_named_by_its_question(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    created = add(lambdas, owner, bot, PAIR)

    (document,) = documents(lambdas, owner, bot)
    assert (created["title"], created["question"], created["answer"]) == (
        PAIR["question"],
        PAIR["question"],
        PAIR["answer"],
    )
    assert (document["filename"], document["content_type"], document["source_id"]) == (
        PAIR["question"],
        "application/x-parley-qa+json",
        created["id"],
    )


def test_a_website_source_starts_syncing_at_once(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    created = add(lambdas, owner, bot, WEBSITE)

    assert (created["status"], created["url"], created["mode"], created["max_pages"]) == (
        "syncing",
        WEBSITE["url"],
        "sitemap",
        10,
    )
    path = "/chatbots/{chatbot_id}/sources/{source_id}/sync"
    status, refused = call(lambdas, owner, "POST", path, chatbot_id=bot["id"], source_id=created["id"])
    assert (status, refused["error"]["code"]) == (409, "conflict")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "website", "url": "ftp://example.com/"},
        {"type": "website", "url": "https://example.com:99999/"},
        {"type": "website", "url": "https://user:secret@example.com/"},
        {"type": "website", "url": "https://example.com/", "mode": "spider"},
        {"type": "website", "url": "https://example.com/", "max_pages": 0},
        {"type": "website", "url": "https://example.com/", "include": ["docs/"]},
        {"type": "website", "url": "https://example.com/", "exclude": ["/x"] * 21},
        {"type": "text", "title": "", "text": "x"},
        {"type": "text", "title": "t", "text": "x" * 100_001},
        {"type": "qa", "question": "q" * 501, "answer": "a"},
        {"type": "qa", "question": "q"},
        {"type": "rss", "url": "https://example.com/feed"},
    ],
)
def test_bad_input_is_refused_with_422(lambdas: Functions, owner: dict[str, Any], bot: Any, body: Any) -> None:
    status, refused = call(lambdas, owner, "POST", "/chatbots/{chatbot_id}/sources", body, chatbot_id=bot["id"])

    assert (status, refused["error"]["code"]) == (422, "validation_error")


def test_a_change_a_source_of_that_type_cannot_take_is_refused(
    lambdas: Functions, owner: dict[str, Any], bot: Any
) -> None:
    created = add(lambdas, owner, bot, SNIPPET)
    path = "/chatbots/{chatbot_id}/sources/{source_id}"

    status, refused = call(
        lambdas, owner, "PATCH", path, {"max_pages": 3}, chatbot_id=bot["id"], source_id=created["id"]
    )

    assert (status, refused["error"]["code"]) == (422, "validation_error")
    assert "max_pages" in refused["error"]["message"]


def test_the_plan_caps_sources_and_pages_per_website(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    # Over the plan's pages per source
    too_many = {**WEBSITE, "max_pages": FREE.pages_per_source + 1}
    status, refused = call(lambdas, owner, "POST", "/chatbots/{chatbot_id}/sources", too_many, chatbot_id=bot["id"])
    assert (status, refused["error"]["code"]) == (402, "plan_limit")
    # Up to the plan's sources, then refused until one is deleted
    created = [add(lambdas, owner, bot, {**SNIPPET, "title": f"S{n}"}) for n in range(FREE.sources)]
    status, refused = call(lambdas, owner, "POST", "/chatbots/{chatbot_id}/sources", SNIPPET, chatbot_id=bot["id"])
    assert (status, refused["error"]["code"]) == (402, "plan_limit")
    path = "/chatbots/{chatbot_id}/sources/{source_id}"
    status, _ = call(lambdas, owner, "DELETE", path, chatbot_id=bot["id"], source_id=created[0]["id"])
    assert status == 202
    add(lambdas, owner, bot, SNIPPET)


def test_sources_list_newest_first_in_pages(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    created = [add(lambdas, owner, bot, {**SNIPPET, "title": f"S{n}"})["id"] for n in range(3)]

    status, first = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/sources",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"]},
        query={"limit": "2"},
    )
    assert status == 200, first
    status, second = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/sources",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"]},
        query={"limit": "2", "cursor": first["next_cursor"]},
    )

    assert [item["id"] for item in first["items"] + second["items"]] == created[::-1]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/chatbots/{chatbot_id}/sources/{source_id}", None),
        ("PATCH", "/chatbots/{chatbot_id}/sources/{source_id}", {"text": "Mine now"}),
        ("DELETE", "/chatbots/{chatbot_id}/sources/{source_id}", None),
        ("POST", "/chatbots/{chatbot_id}/sources/{source_id}/sync", None),
        ("GET", "/chatbots/{chatbot_id}/sources/{source_id}/pages", None),
        ("GET", "/chatbots/{chatbot_id}/sources", None),
        ("POST", "/chatbots/{chatbot_id}/sources", SNIPPET),
    ],
)
def test_another_tenant_gets_404_for_every_sources_route(
    lambdas: Functions,
    owner: dict[str, Any],
    bot: Any,
    register: Callable[..., dict[str, Any]],
    method: Any,
    path: Any,
    body: Any,
) -> None:
    # Given the owner's snippet, and someone of another tenant
    created = add(lambdas, owner, bot, SNIPPET)
    stranger = register("stranger@example.com")

    # When the stranger reaches for it
    status, refused = call(lambdas, stranger, method, path, body, chatbot_id=bot["id"], source_id=created["id"])

    # Then it does not exist for them, and it is unchanged
    assert (status, refused["error"]["code"]) == (404, "not_found")
    assert source(lambdas, owner, bot, created["id"])["text"] == SNIPPET["text"]


def test_a_deleted_source_takes_its_document_with_it(lambdas: Functions, owner: dict[str, Any], bot: Any) -> None:
    created = add(lambdas, owner, bot, SNIPPET)
    lambdas.deliver()
    path = "/chatbots/{chatbot_id}/sources/{source_id}"

    status, _ = call(lambdas, owner, "DELETE", path, chatbot_id=bot["id"], source_id=created["id"])
    assert status == 202
    lambdas.deliver(to="CrawlFunction")

    status, _ = call(lambdas, owner, "GET", path, chatbot_id=bot["id"], source_id=created["id"])
    assert status == 404
    assert documents(lambdas, owner, bot) == []
