"""The questions a new user asked in the playground (issue 27), asked as the playground asks them (POST
/chatbots/{id}/query, a follow-up in the same conversation) on the plain stack (no model: extractive answers), of the
documents they were asked of, as Debian ships them: libtasn1's manual (libtasn1-doc's libtasn1.pdf, whose page 6 says
"This version doesn't handle the REAL type") and the users-and-groups page (base-passwd's, which gives the shell of
some users but not of games). `make test` installs both packages (`make documents`)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from parley.answers.abstention import NOT_FOUND

from local.stack.process import send_upload
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import Account, Chatbot

LIBTASN1 = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")
USERS_AND_GROUPS = Path("/usr/share/doc/base-passwd/users-and-groups.html")
DOCUMENTS = {LIBTASN1: "application/pdf", USERS_AND_GROUPS: "text/html"}
# As the PDF writes it (a typographic apostrophe).
REAL = "This version doesn\u2019t handle the REAL type"
INDEXING_LIMIT_SECONDS = 120


@pytest.fixture(scope="module")
def playground(base_url: str) -> tuple[Account, Chatbot]:
    """An owner's chatbot holding both documents, indexed."""
    missing = [str(path) for path in DOCUMENTS if not path.is_file()]
    assert not missing, f"{missing}: `make documents` installs Debian's libtasn1-doc and base-passwd"
    with httpx.Client(base_url=base_url, timeout=60) as api:
        account: Account = api.post(
            "/auth/register",
            json={"email": f"debian-{uuid.uuid4().hex[:10]}@example.com", "password": "correct-horse-1"},
        ).json()
        bot: Chatbot = api.post("/chatbots", headers=bearer(account), json={"name": "Debian docs"}).json()
        documents = []
        for path, content_type in DOCUMENTS.items():
            data = path.read_bytes()
            created = api.post(
                f"/chatbots/{bot['id']}/documents",
                headers=bearer(account),
                json={"filename": path.name, "content_type": content_type, "size_bytes": len(data)},
            )
            assert created.status_code == 201, created.text
            assert send_upload(created.json()["upload"], data).status_code == 204
            documents.append(f"/chatbots/{bot['id']}/documents/{created.json()['document']['id']}")
        deadline = time.monotonic() + INDEXING_LIMIT_SECONDS
        for document in documents:
            while (status := api.get(document, headers=bearer(account)).json()["status"]) not in ("indexed", "failed"):
                assert time.monotonic() < deadline, f"{document} was not indexed in time"
                time.sleep(0.5)
            assert status == "indexed", document
    return account, bot


def ask(api: httpx.Client, playground: tuple[Account, Chatbot], question: str, conversation: str | None = None) -> Any:
    account, bot = playground
    body = {"question": question} | ({"conversation_id": conversation} if conversation else {})
    answered = api.post(f"/chatbots/{bot['id']}/query", headers=bearer(account), json=body)
    assert answered.status_code == 200, answered.text
    return answered.json()


def cited_for(answer: dict[str, Any], sentence: str) -> dict[str, Any]:
    """The citation of the [n] that follows `sentence` in the answer."""
    reference = re.search(re.escape(sentence) + r"[^\[]*\[(\d+)\]", answer["answer"])
    assert reference, answer["answer"]
    citation: dict[str, Any] = answer["citations"][int(reference.group(1)) - 1]
    return citation


@pytest.mark.parametrize(
    "question", ["Which ASN.1 type does libtasn1 not handle?", "Does libtasn1 support the REAL type?"]
)
def test_both_phrasings_get_the_sentence_that_says_libtasn1_does_not_handle_real(
    api: httpx.Client, playground: tuple[Account, Chatbot], question: str
) -> None:
    answer = ask(api, playground, question)

    assert (answer["mode"], answer["answerable"]) == ("extractive", True)
    assert REAL in answer["answer"]
    cited = cited_for(answer, REAL)
    assert (cited["filename"], cited["page"]) == (LIBTASN1.name, 6)
    assert cited["snippet"].startswith(REAL)
    # and nothing of the other document, nor of what libtasn1 does handle
    assert {citation["filename"] for citation in answer["citations"]} == {LIBTASN1.name}


def test_a_follow_up_about_a_user_the_page_does_not_describe_is_not_found(
    api: httpx.Client, playground: tuple[Account, Chatbot]
) -> None:
    first = ask(api, playground, "What is the login shell of the user sync?")
    assert first["answerable"] is True
    assert "/bin/sync" in first["answer"]
    assert {citation["filename"] for citation in first["citations"]} == {USERS_AND_GROUPS.name}

    follow_up = ask(api, playground, "And what is the shell of games?", first["conversation_id"])

    assert follow_up["conversation_id"] == first["conversation_id"]
    assert (follow_up["answerable"], follow_up["citations"]) == (False, [])
    assert follow_up["answer"] == NOT_FOUND["en"]
