"""A document version's pages and bytes count once against the plan however many attempts index it, and go back
when it fails: an attempt that dies after counting (a timeout, a kill: no code of ours runs after it) leaves a record
on the document, which the next attempt reads instead of counting again, and which a failure gives back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from parley.container import get_container

from local.fakes.samples import GUIDE

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


class Killed(Exception):
    """The attempt stops here as a killed function would: the indexer's own clean-up is not run."""


def usage(lambdas: Functions, account: dict[str, Any]) -> dict[str, int]:
    status, body = lambdas.call("ChatbotsFunction", "GET", "/usage", sub=account["user"]["id"])
    assert status == 200, body
    return {counter: body["usage"][counter] for counter in ("documents", "stored_bytes", "pages")}


def document(lambdas: Functions, account: dict[str, Any], bot: dict[str, Any], document_id: str) -> dict[str, Any]:
    status, body = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=account["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "document_id": document_id},
    )
    assert status == 200, body
    return dict(body)


@pytest.fixture
def killed_after_counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ingest attempts that die once the document is counted and before it is stored (their number in `kills`:
    the first ones, until it is emptied)."""
    indexer = get_container().indexer
    embed, give_back = indexer._embed, indexer._give_back
    kills = [1]

    def dying_embed(*args: Any, **kwargs: Any) -> None:
        if kills:
            kills.pop()
            monkeypatch.setattr(indexer, "_give_back", lambda *_: None)  # a killed attempt runs none of it
            raise Killed()
        monkeypatch.setattr(indexer, "_give_back", give_back)
        embed(*args, **kwargs)

    monkeypatch.setattr(indexer, "_embed", dying_embed)
    return kills


def test_an_attempt_killed_after_counting_is_not_counted_again_by_the_retry(
    lambdas: Functions, owner: dict[str, Any], killed_after_counting: list[int]
) -> None:
    # Given a document whose first ingest attempt died after counting its pages and bytes
    bot = lambdas.chatbot(owner)
    created = lambdas.upload(owner, bot["id"], "guide.txt", "text/plain", GUIDE.encode())
    lambdas.deliver()
    assert not killed_after_counting
    assert usage(lambdas, owner) == {"documents": 1, "stored_bytes": len(GUIDE), "pages": 1}

    # When SQS delivers it again and the attempt indexes it
    assert lambdas.redeliver() == 1
    lambdas.deliver()

    # Then it is indexed, counted once
    assert document(lambdas, owner, bot, created["document"]["id"])["status"] == "indexed"
    assert usage(lambdas, owner) == {"documents": 1, "stored_bytes": len(GUIDE), "pages": 1}
    # And when it is deleted its bytes go back, once
    status, _ = lambdas.call(
        "UploadFunction",
        "DELETE",
        "/chatbots/{chatbot_id}/documents/{document_id}",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": bot["id"], "document_id": created["document"]["id"]},
    )
    assert status in (200, 202, 204)
    assert usage(lambdas, owner) == {"documents": 0, "stored_bytes": 0, "pages": 1}


def test_a_document_that_fails_after_a_killed_attempt_gives_back_what_it_counted(
    lambdas: Functions, owner: dict[str, Any], killed_after_counting: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a document whose first attempt died after counting, and whose next attempts fail (the index is down)
    bot = lambdas.chatbot(owner)
    created = lambdas.upload(owner, bot["id"], "guide.txt", "text/plain", GUIDE.encode())
    lambdas.deliver()
    indexer = get_container().indexer

    def index_down(*_: Any, **__: Any) -> None:
        raise RuntimeError("the index is down")

    monkeypatch.setattr(indexer.index, "upsert", index_down)

    # When SQS delivers it until its last attempt
    while lambdas.redeliver():
        lambdas.deliver()

    # Then the document failed, and nothing of it counts but its place
    assert document(lambdas, owner, bot, created["document"]["id"])["status"] == "failed"
    assert usage(lambdas, owner) == {"documents": 1, "stored_bytes": 0, "pages": 0}


def test_another_tenant_cannot_see_the_document_or_its_usage(
    lambdas: Functions, owner: dict[str, Any], register: Any
) -> None:
    bot = lambdas.chatbot(owner, guide=True)
    stranger = register("stranger@example.com")
    listed = lambdas.call(
        "UploadFunction",
        "GET",
        "/chatbots/{chatbot_id}/documents",
        sub=stranger["user"]["id"],
        path_parameters={"chatbot_id": bot["id"]},
    )

    assert listed[0] == 404
    assert usage(lambdas, stranger) == {"documents": 0, "stored_bytes": 0, "pages": 0}
