"""Every list comes in pages with a cursor that cannot leave the caller's list; ids that name nothing are never read.

AWS is moto, with AWS's key size limits (local/aws/moto_dynamodb.py): an id that reached DynamoDB unchecked would
fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


ASK = "/chatbots/{chatbot_id}/query"
CONVERSATIONS = "/chatbots/{chatbot_id}/conversations"
CONVERSATION = "/chatbots/{chatbot_id}/conversations/{conversation_id}"
DOCUMENTS = "/chatbots/{chatbot_id}/documents"


def _sub(user: dict[str, Any]) -> str:
    return str(user["user"]["id"])


def _chatbot(lambdas: Functions, user: dict[str, Any], name: str = "Support") -> dict[str, Any]:
    return lambdas.chatbot(user, name=name)


def _all_pages(lambdas: Functions, function: str, path: str, sub: str, key: str = "items", **kwargs: Any) -> list[Any]:
    """Every page of a list, following next_cursor; each page's items."""
    pages, cursor = [], None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        status, body = lambdas.call(function, "GET", path, sub=sub, query=query, **kwargs)
        assert status == 200, body
        pages.append(body[key])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_chatbots_come_in_pages_in_creation_order_without_the_deleted(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    # Given five chatbots, the second one deleted and erased
    created = [_chatbot(lambdas, owner, f"bot {n}")["id"] for n in range(5)]
    status, _ = lambdas.call(
        "ChatbotsFunction",
        "DELETE",
        "/chatbots/{chatbot_id}",
        sub=_sub(owner),
        path_parameters={"chatbot_id": created[1]},
    )
    assert status == 202
    lambdas.deliver(to="ErasureFunction")

    # When the list is read two at a time
    pages = _all_pages(lambdas, "ChatbotsFunction", "/chatbots", _sub(owner))

    # Then every live chatbot comes once, in creation order, in full pages
    assert [[bot["id"] for bot in page] for page in pages] == [created[0:1] + created[2:3], created[3:5]]


def test_documents_come_in_pages(lambdas: Functions, owner: dict[str, Any]) -> None:
    bot = _chatbot(lambdas, owner)
    created = [
        lambdas.upload(owner, bot["id"], f"note-{n}.txt", "text/plain", b"Llamas hum.")["document"]["id"]
        for n in range(3)
    ]

    pages = _all_pages(lambdas, "UploadFunction", DOCUMENTS, _sub(owner), path_parameters={"chatbot_id": bot["id"]})

    assert [[document["id"] for document in page] for page in pages] == [created[:2], created[2:]]


def test_conversations_newest_first_and_messages_oldest_first_in_pages(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    bot = _chatbot(lambdas, owner)
    started = []
    for n in range(3):
        status, answer = lambdas.call(
            "QueryFunction", "POST", ASK, sub=_sub(owner), body={"question": f"Question {n}?"},
            path_parameters={"chatbot_id": bot["id"]},
        )  # fmt: skip
        assert status == 200, answer
        started.append(answer["conversation_id"])
    first = started[0]
    for n in range(2):
        status, _ = lambdas.call(
            "QueryFunction", "POST", ASK, sub=_sub(owner), body={"question": f"More {n}?", "conversation_id": first},
            path_parameters={"chatbot_id": bot["id"]},
        )  # fmt: skip
        assert status == 200

    listed = _all_pages(lambdas, "QueryFunction", CONVERSATIONS, _sub(owner), path_parameters={"chatbot_id": bot["id"]})
    messages = _all_pages(
        lambdas, "QueryFunction", CONVERSATION, _sub(owner), key="messages",
        path_parameters={"chatbot_id": bot["id"], "conversation_id": first},
    )  # fmt: skip

    assert [[conversation["id"] for conversation in page] for page in listed] == [started[:0:-1], [first]]
    assert [[(m["role"], m["content"]) for m in page if m["role"] == "user"] for page in messages] == [
        [("user", "Question 0?")],
        [("user", "More 0?")],
        [("user", "More 1?")],
    ]
    assert [len(page) for page in messages] == [2, 2, 2]


def test_a_cursor_never_leaves_the_callers_list(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    # Given a cursor into the owner's chatbots, and one into the documents of one of them
    bots = [_chatbot(lambdas, owner, f"bot {n}") for n in range(3)]
    for bot in bots[:2]:
        for n in range(2):
            lambdas.upload(owner, bot["id"], f"note-{n}.txt", "text/plain", b"Llamas hum.")
    _, first_page = lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=_sub(owner), query={"limit": "1"})
    _, first_documents = lambdas.call(
        "UploadFunction", "GET", DOCUMENTS, sub=_sub(owner), query={"limit": "1"},
        path_parameters={"chatbot_id": bots[0]["id"]},
    )  # fmt: skip
    stranger = register("stranger@example.com")
    theirs = _chatbot(lambdas, stranger, "Theirs")

    # When another tenant replays the chatbot cursor, it reads its own chatbots only
    status, replayed = lambdas.call(
        "ChatbotsFunction", "GET", "/chatbots", sub=_sub(stranger), query={"cursor": first_page["next_cursor"]}
    )
    assert status == 200
    assert {bot["id"] for bot in replayed["items"]} <= {theirs["id"]}

    # And a cursor of one list is refused by another (another chatbot's documents, the chatbots, another tenant's)
    for sub, path, chatbot_id in (
        (_sub(owner), DOCUMENTS, bots[1]["id"]),
        (_sub(owner), "/chatbots", None),
        (_sub(stranger), DOCUMENTS, theirs["id"]),
    ):
        status, body = lambdas.call(
            "UploadFunction" if chatbot_id else "ChatbotsFunction", "GET", path, sub=sub,
            query={"cursor": first_documents["next_cursor"]},
            path_parameters={"chatbot_id": chatbot_id} if chatbot_id else None,
        )  # fmt: skip
        assert (status, body["error"]["code"]) == (400, "invalid_input"), (path, body)


# Not base64; another list's key (DOC#x#); longer than any key; not UTF-8.
@pytest.mark.parametrize("cursor", ["not base64 !", "RE9DI3gj", "x" * 5000, "__79"])
def test_a_forged_cursor_is_400(lambdas: Functions, owner: dict[str, Any], cursor: Any) -> None:
    status, body = lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=_sub(owner), query={"cursor": cursor})

    assert status == 400, body
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["message"].startswith("cursor:")


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_page_size_is_bounded(lambdas: Functions, owner: dict[str, Any], limit: Any) -> None:
    status, body = lambdas.call("ChatbotsFunction", "GET", "/chatbots", sub=_sub(owner), query={"limit": limit})

    assert status == 422
    assert body["error"]["code"] == "validation_error"


@pytest.mark.parametrize("bad_id", ["x" * 2000, "A" * 32, "0" * 33, "0" * 31 + "g"])
def test_ids_that_name_nothing_are_404_without_a_lookup(lambdas: Functions, owner: dict[str, Any], bad_id: Any) -> None:
    # Given a real chatbot and conversation, so only the malformed id can be at fault
    bot = _chatbot(lambdas, owner)
    _, answer = lambdas.call(
        "QueryFunction", "POST", ASK, sub=_sub(owner), body={"question": "Hello?"},
        path_parameters={"chatbot_id": bot["id"]},
    )  # fmt: skip
    conversation_id = answer["conversation_id"]

    for function, method, path, parameters in (
        ("ChatbotsFunction", "GET", "/chatbots/{chatbot_id}", {"chatbot_id": bad_id}),
        ("ChatbotsFunction", "DELETE", "/chatbots/{chatbot_id}", {"chatbot_id": bad_id}),
        ("UploadFunction", "GET", DOCUMENTS, {"chatbot_id": bad_id}),
        ("UploadFunction", "GET", DOCUMENTS + "/{document_id}", {"chatbot_id": bot["id"], "document_id": bad_id}),
        ("UploadFunction", "DELETE", DOCUMENTS + "/{document_id}", {"chatbot_id": bot["id"], "document_id": bad_id}),
        ("QueryFunction", "GET", CONVERSATIONS, {"chatbot_id": bad_id}),
        ("QueryFunction", "GET", CONVERSATION, {"chatbot_id": bot["id"], "conversation_id": bad_id}),
        ("QueryFunction", "GET", CONVERSATION, {"chatbot_id": bad_id, "conversation_id": conversation_id}),
    ):
        status, body = lambdas.call(function, method, path, sub=_sub(owner), path_parameters=parameters)
        assert (status, body["error"]["code"]) == (404, "not_found"), (method, path)


def test_an_oversized_conversation_id_in_a_question_is_422(lambdas: Functions, owner: dict[str, Any]) -> None:
    bot = _chatbot(lambdas, owner)

    status, body = lambdas.call(
        "QueryFunction", "POST", ASK, sub=_sub(owner), body={"question": "Hi?", "conversation_id": "a" * 2000},
        path_parameters={"chatbot_id": bot["id"]},
    )  # fmt: skip

    assert status == 422
    assert body["error"]["message"].startswith("conversation_id:")


def test_an_oversized_public_key_is_404(lambdas: Functions) -> None:
    status, body = lambdas.call(
        "QueryFunction", "POST", "/public/chatbots/{public_key}/query", body={"question": "Hi?"},
        headers={"origin": "https://shop.example.com"}, path_parameters={"public_key": "pk_" + "a" * 3000},
    )  # fmt: skip

    assert (status, body["error"]["code"]) == (404, "not_found")


def test_other_tenant_gets_404_for_every_paged_list(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    bot = _chatbot(lambdas, owner)
    _, answer = lambdas.call(
        "QueryFunction", "POST", ASK, sub=_sub(owner), body={"question": "Hello?"},
        path_parameters={"chatbot_id": bot["id"]},
    )  # fmt: skip
    stranger = _sub(register("stranger@example.com"))

    for function, path, parameters in (
        ("UploadFunction", DOCUMENTS, {"chatbot_id": bot["id"]}),
        ("QueryFunction", CONVERSATIONS, {"chatbot_id": bot["id"]}),
        ("QueryFunction", CONVERSATION, {"chatbot_id": bot["id"], "conversation_id": answer["conversation_id"]}),
    ):
        status, body = lambdas.call(
            function, "GET", path, sub=stranger, query={"limit": "1"}, path_parameters=parameters
        )
        assert (status, body["error"]["code"]) == (404, "not_found"), path
