"""What the functions log, read back from the plain stack's log: every line names its function and request, the lines
of a tenant's work name the tenant, chatbot and conversation, and no line holds a password, a question, a document's
or an answer's text, a token, an API key or an upload's signature.

The traffic here carries marked secrets along every path a secret or a tenant's text travels; the test below looks for
them at once, and the e2e conftest looks again in every stack's whole log once the e2e tests have run (and for a JWT
or a fake's API key from any test), whatever ran after this file.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from local.stack.process import send_upload
from tests.support.api import bearer, ws_url
from tests.support.logs import json_lines

SITE = "https://shop.example.com"
# The parts of a presigned POST that sign it.
SIGNING_FIELDS = ("policy", "x-amz-signature", "x-amz-credential", "x-amz-security-token")


def marker(kind: str) -> str:
    return f"{kind}{uuid.uuid4().hex[:12]}"


def frames_of(socket: ClientConnection, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The frames that answer one client frame, through `done` or `error`."""
    socket.send(json.dumps(message))
    frames = [json.loads(socket.recv(timeout=30))]
    while frames[-1]["type"] not in ("done", "error"):
        frames.append(json.loads(socket.recv(timeout=30)))
    return frames


class Traffic:
    """One tenant's session with marked secrets and words, and what the API answered."""

    def __init__(self) -> None:
        self.password = marker("Pw-") + "-1a"
        self.wrong_password = marker("Wrong-") + "-1a"
        self.document_word = marker("zebrafact")
        self.questions = {
            channel: marker(f"ask{channel}") for channel in ("rest", "ws", "public", "bad", "badws", "stranger")
        }
        self.secrets: list[str] = [self.password, self.wrong_password, self.document_word, *self.questions.values()]
        self.conversations: dict[str, str] = {}
        self.request_ids: dict[str, str] = {}
        self.account: dict[str, Any] = {}
        self.bot: dict[str, Any] = {}
        self.document_id = ""

    def keep(self, *secrets: str) -> None:
        self.secrets += [secret for secret in secrets if secret]


@pytest.fixture(scope="module")
def traffic(base_url: str, stack_log: Path, stranger: dict[str, Any], log_secrets: list[str]) -> Traffic:
    """Every path a secret or a tenant's text travels: sign-up, failed and good sign-in, refresh, upload, ingest,
    search, questions over REST and WebSocket (owner and visitor), invalid questions on both, sign-out."""
    seen = Traffic()
    with httpx.Client(base_url=base_url, timeout=30) as api:
        email = f"hygiene-{uuid.uuid4().hex[:10]}@example.com"
        registered = api.post("/auth/register", json={"email": email, "password": seen.password})
        assert registered.status_code == 201, registered.text
        refused = api.post("/auth/login", json={"email": email, "password": seen.wrong_password})
        assert refused.status_code == 401
        signed_in = api.post("/auth/login", json={"email": email, "password": seen.password})
        assert signed_in.status_code == 200, signed_in.text
        tokens = signed_in.json()["tokens"]
        refreshed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        for issued in (registered.json()["tokens"], tokens, refreshed.json()["tokens"]):
            seen.keep(issued["access_token"], issued.get("refresh_token", ""))
        seen.account = registered.json()
        auth = bearer(tokens["access_token"])

        seen.bot = api.post(
            "/chatbots", headers=auth, json={"name": "Zebras", "visibility": "public", "allowed_origins": [SITE]}
        ).json()
        bot_path = f"/chatbots/{seen.bot['id']}"
        text = f"# Zebras\n\nZebras have stripes. The {seen.document_word} says each zebra's stripes are unique.\n"
        created = api.post(
            f"{bot_path}/documents",
            headers=auth,
            json={"filename": "zebras.md", "content_type": "text/markdown", "size_bytes": len(text.encode())},
        )
        assert created.status_code == 201, created.text
        seen.request_ids["upload"] = created.headers["apigw-requestid"]
        ticket = created.json()["upload"]
        signing = {name.lower(): value for name, value in ticket["fields"].items() if name.lower() in SIGNING_FIELDS}
        assert {"policy", "x-amz-signature"} <= set(signing), ticket["fields"]
        seen.keep(*signing.values())
        send_upload(ticket, text.encode()).raise_for_status()
        seen.document_id = created.json()["document"]["id"]
        deadline = time.monotonic() + 30
        while api.get(f"{bot_path}/documents/{seen.document_id}", headers=auth).json()["status"] != "indexed":
            assert time.monotonic() < deadline, "the marked document was not indexed in time"
            time.sleep(0.25)
        # Ingest logs the document indexed just after saying so in the table: its line may be on its way.
        while not any(
            (line.get("message"), line.get("document_id")) == ("Document indexed", seen.document_id)
            for line in json_lines(stack_log)
        ):
            assert time.monotonic() < deadline, "ingest logged nothing about the marked document"
            time.sleep(0.25)

        search = api.post(f"{bot_path}/search", headers=auth, json={"query": f"{seen.document_word} stripes"})
        assert search.status_code == 200, search.text
        asked = api.post(
            f"{bot_path}/query",
            headers=auth,
            json={"question": f"What does the {seen.document_word} say about stripes? {seen.questions['rest']}"},
        )
        assert asked.status_code == 200, asked.text
        assert seen.document_word in asked.json()["answer"] + json.dumps(asked.json()["citations"])
        seen.conversations["rest"] = asked.json()["conversation_id"]
        seen.request_ids["rest"] = asked.headers["apigw-requestid"]
        for invalid in (
            {"question": seen.questions["bad"] * 400},  # over the length limit
            {"question": [seen.questions["bad"]]},  # not a string
            {"question": "Stripes?", "note": seen.questions["bad"]},  # a field that does not exist
        ):
            rejected = api.post(f"{bot_path}/query", headers=auth, json=invalid)
            assert rejected.status_code == 422, rejected.text

        visitor = api.post(
            f"/public/chatbots/{seen.bot['public_key']}/query",
            headers={"origin": SITE},
            json={"question": f"Are stripes unique? {seen.questions['public']}"},
        )
        assert visitor.status_code == 200, visitor.text
        seen.conversations["public"] = visitor.json()["conversation_id"]
        seen.request_ids["public"] = visitor.headers["apigw-requestid"]

        with connect(ws_url(base_url, token=tokens["access_token"])) as socket:
            question = f"Tell me about stripes {seen.questions['ws']}"
            frames = frames_of(socket, {"action": "sendMessage", "chatbot_id": seen.bot["id"], "question": question})
            assert frames[-1]["type"] == "done", frames
            seen.conversations["ws"] = frames[0]["conversation_id"]
            invalid_frame = {
                "action": "sendMessage",
                "chatbot_id": seen.bot["id"],
                "question": [seen.questions["badws"]],
            }
            assert frames_of(socket, invalid_frame)[-1]["code"] == "validation_error"
            too_long = {**invalid_frame, "question": seen.questions["badws"] * 400}
            assert frames_of(socket, too_long)[-1]["code"] == "validation_error"

        # Another tenant asks this tenant's chatbot: not found, over REST and WebSocket
        stranger_auth = bearer(stranger)
        stranger_question = {"question": f"Stripes? {seen.questions['stranger']}"}
        assert api.post(f"{bot_path}/query", headers=stranger_auth, json=stranger_question).status_code == 404
        with connect(ws_url(base_url, token=stranger["tokens"]["access_token"])) as socket:
            frames = frames_of(socket, {"action": "sendMessage", "chatbot_id": seen.bot["id"], **stranger_question})
            assert frames[-1]["code"] == "not_found"

        assert api.post("/auth/logout", headers=auth).status_code == 204
    # Looked for again in every log once the e2e tests have run.
    log_secrets.extend(seen.secrets)
    # A function's output is in the stack's log before its reply (local/lambdas/worker.py flushes it): nothing to
    # wait for.
    return seen


def test_no_secret_question_or_text_reaches_any_log(
    traffic: Traffic, stack_log: Path, log_leaks: Callable[[], list[str]]
) -> None:
    text = stack_log.read_text(errors="replace")

    assert not [secret[:24] for secret in traffic.secrets if secret in text]
    # Nor in any log of the run so far, nor a JWT or a fake's API key (looked for again at the end)
    assert log_leaks() == []


@pytest.fixture(scope="module")
def stranger(base_url: str) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=30) as api:
        email = f"stranger-{uuid.uuid4().hex[:10]}@example.com"
        registered = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
        assert registered.status_code == 201, registered.text
        return dict(registered.json())


def test_answer_lines_name_function_request_tenant_chatbot_and_conversation(traffic: Traffic, stack_log: Path) -> None:
    answered = [line for line in json_lines(stack_log) if line.get("message") == "Question answered"]
    mine = [line for line in answered if line.get("chatbot_id") == traffic.bot["id"]]

    # One line per answer, the stranger's questions (404) not among them
    assert sorted(line["conversation_id"] for line in mine) == sorted(traffic.conversations.values())
    by_conversation = {line["conversation_id"]: line for line in mine}
    for channel, conversation_id in traffic.conversations.items():
        line = by_conversation[conversation_id]
        assert line["tenant_id"] == traffic.account["tenant"]["id"]
        assert line["function_name"] == ("WsChatFunction" if channel == "ws" else "QueryFunction")
        assert line["function_request_id"]
        assert line["correlation_id"] == traffic.request_ids.get(channel, line["correlation_id"])


def test_upload_and_ingest_lines_name_tenant_chatbot_and_document(traffic: Traffic, stack_log: Path) -> None:
    lines = json_lines(stack_log)
    ticket = [line for line in lines if line.get("correlation_id") == traffic.request_ids["upload"]]
    indexed = [
        line
        for line in lines
        if line.get("message") == "Document indexed" and line.get("document_id") == traffic.document_id
    ]

    assert [line["message"] for line in ticket] == ["Upload ticket issued"]
    assert len(indexed) == 1
    for line in (*ticket, *indexed):
        assert line["tenant_id"] == traffic.account["tenant"]["id"]
        assert line["chatbot_id"] == traffic.bot["id"]
        assert line["document_id"] == traffic.document_id
        assert line["function_request_id"]
    assert (ticket[0]["function_name"], indexed[0]["function_name"]) == ("UploadFunction", "IngestFunction")
