"""`make run` stopped and started again: accounts, chatbots, documents, conversations and the index are as they were
left (moto's state and the local index saved and restored together); `--fresh` (`make run FRESH=1`) starts empty; an
ephemeral stack (tests, `make eval`, `make bench`) stops by itself and saves nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.fakes.samples import GUIDE
from local.stack.process import (
    STOP_LIMIT_SECONDS,
    chatbot_with_document,
    moto_client,
    refused_calls,
    send_upload,
    start_stack,
)
from tests.support.api import bearer

# Long enough that its ingest is still running when the stack is stopped.
HERD_BOOK = "\n\n".join(
    f"# Herd note {number}\n\nLlama number {number} grazes on hill {number % 17} and hums to the alpacas at dusk."
    for number in range(500)
)
PASSWORD = "correct-horse-1"  # chatbot_with_document's
# Three stacks start one after the other, on a machine that may be busy (the first call waits on a cold start).
STARTUP_LIMIT_SECONDS = 120
# A document whose ingest was cut by the stop comes back after the queue's visibility timeout (5 s on a test stack).
REINDEX_SECONDS = 90
# As every test stack: a failed ingest comes back after 5 s.
PARAMETERS = {"IngestVisibilityTimeout": "5"}


def stop_as_a_person_does(process: subprocess.Popen[bytes], stop: signal.Signals = signal.SIGINT) -> None:
    """Ctrl-C (or `kill`): the stack shuts down and saves its state before it exits."""
    process.send_signal(stop)
    assert process.wait(timeout=120) == 0


def sign_in(api: httpx.Client, email: str) -> httpx.Response:
    return api.post("/auth/login", json={"email": email, "password": PASSWORD})


def usage(api: httpx.Client, token: str) -> dict[str, int]:
    return dict(api.get("/usage", headers=bearer(token)).json()["usage"])


def status(api: httpx.Client, token: str, document: str) -> str:
    return str(api.get(document, headers=bearer(token)).json()["status"])


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The stacks a test starts; any still running at its end are killed."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_restarted_stack_has_what_it_had_and_a_fresh_one_starts_empty(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    data = tmp_path / "data"
    # Given a stack run as `make run` runs it, with an owner, a chatbot, an indexed document and a conversation,
    # a second tenant, and a document still being indexed when the person presses Ctrl-C
    process, url = start_stack(
        data, tmp_path / "first.log", keep_state=True, limit_seconds=STARTUP_LIMIT_SECONDS, parameters=PARAMETERS
    )
    running.append(process)
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    email, old_token = account["user"]["email"], account["tokens"]["access_token"]
    with httpx.Client(base_url=url, timeout=30) as api:
        documents = api.get(f"/chatbots/{bot['id']}/documents", headers=bearer(old_token)).json()["items"]
        guide = documents[0]
        asked = api.post(
            f"/chatbots/{bot['id']}/query", headers=bearer(old_token), json={"question": "What do llamas eat?"}
        ).json()
        stranger = api.post("/auth/register", json={"email": f"stranger-{email}", "password": PASSWORD})
        created = api.post(
            f"/chatbots/{bot['id']}/documents",
            headers=bearer(old_token),
            json={"filename": "herd.md", "content_type": "text/markdown", "size_bytes": len(HERD_BOOK.encode())},
        ).json()
        send_upload(created["upload"], HERD_BOOK.encode()).raise_for_status()
        herd = f"/chatbots/{bot['id']}/documents/{created['document']['id']}"
        deadline = time.monotonic() + 60
        while status(api, old_token, herd) == "pending_upload" and time.monotonic() < deadline:
            time.sleep(0.05)
        # (stopped once its pages and bytes are counted: the cut attempt counted them, its redelivery must not again)
        both = len(GUIDE.encode()) + len(HERD_BOOK.encode())
        while (counted := usage(api, old_token))["stored_bytes"] < both and time.monotonic() < deadline:
            time.sleep(0.05)
        at_stop = status(api, old_token, herd)
    assert guide["status"] == "indexed"
    assert asked["citations"][0]["document_id"] == guide["id"]
    assert stranger.status_code == 201
    assert at_stop == "processing", "the stop was meant to cut an ingest in progress"

    stop_as_a_person_does(process)

    # When it starts again on the same data dir
    process, url = start_stack(
        data, tmp_path / "second.log", keep_state=True, limit_seconds=STARTUP_LIMIT_SECONDS, parameters=PARAMETERS
    )
    running.append(process)
    with httpx.Client(base_url=url, timeout=30) as api:
        signed_in = sign_in(api, email)
        token = signed_in.json()["tokens"]["access_token"]
        me_with_old_token = api.get("/auth/me", headers=bearer(old_token))
        chatbot = api.get(f"/chatbots/{bot['id']}", headers=bearer(token))
        document = api.get(f"/chatbots/{bot['id']}/documents/{guide['id']}", headers=bearer(token))
        conversation = api.get(f"/chatbots/{bot['id']}/conversations/{asked['conversation_id']}", headers=bearer(token))
        answered = api.post(
            f"/chatbots/{bot['id']}/query", headers=bearer(token), json={"question": "What do llamas eat?"}
        ).json()
        deadline = time.monotonic() + REINDEX_SECONDS
        while status(api, token, herd) == "processing" and time.monotonic() < deadline:
            time.sleep(0.5)
        herd_after = api.get(herd, headers=bearer(token)).json()
        found = api.post(
            f"/chatbots/{bot['id']}/search", headers=bearer(token), json={"query": "llama number 432 grazes"}
        ).json()
        usage_after = usage(api, token)
        listed = api.get(f"/chatbots/{bot['id']}/documents", headers=bearer(token)).json()["items"]
        other = bearer(sign_in(api, f"stranger-{email}").json()["tokens"]["access_token"])
        stranger_reads = [
            api.get(path, headers=other).status_code
            for path in (
                f"/chatbots/{bot['id']}",
                f"/chatbots/{bot['id']}/documents/{guide['id']}",
                f"/chatbots/{bot['id']}/conversations/{asked['conversation_id']}",
            )
        ]

    # Then the account, chatbot, document, conversation and index are as they were left
    assert signed_in.status_code == 200, signed_in.text
    assert me_with_old_token.status_code == 200  # Cognito's signing keys came back too
    assert chatbot.status_code == 200
    assert chatbot.json()["name"] == bot["name"]
    assert document.json()["status"] == "indexed"
    assert document.json()["chunk_count"] == guide["chunk_count"]
    messages = [(message["role"], message["content"]) for message in conversation.json()["messages"]]
    assert messages == [("user", "What do llamas eat?"), ("assistant", asked["answer"])]
    assert answered["citations"][0]["document_id"] == guide["id"]
    assert "Llamas eat grass and hay." in answered["answer"]
    # and the document cut mid-ingest by the stop was redelivered and indexed in full
    assert herd_after["status"] == "indexed", herd_after
    assert found["results"][0]["document_id"] == created["document"]["id"]
    # and the usage is the sum over the indexed documents: the cut attempt's count was not counted again
    assert counted["stored_bytes"] == both
    indexed = [item for item in listed if item["status"] == "indexed"]
    assert len(indexed) == 2
    assert usage_after["stored_bytes"] == sum(item["size_bytes"] for item in indexed)
    assert (usage_after["documents"], usage_after["pages"]) == (2, counted["pages"])
    # and the walls between tenants stand
    assert stranger_reads == [404, 404, 404]

    stop_as_a_person_does(process, signal.SIGTERM)

    # When it starts with --fresh (`make run FRESH=1`)
    process, url = start_stack(
        data, tmp_path / "third.log", keep_state=True, limit_seconds=STARTUP_LIMIT_SECONDS, options=["--fresh"]
    )
    running.append(process)
    with httpx.Client(base_url=url, timeout=30) as api:
        fresh_sign_in = sign_in(api, email)
    saved_while_fresh = (data / "state").exists()
    stop_as_a_person_does(process, signal.SIGTERM)

    # Then nothing is left: the saved state is gone and the account is unknown
    assert not saved_while_fresh
    assert fresh_sign_in.status_code == 401
    assert (data / "state" / "current").exists()  # its own state, saved at its stop
    # and no function was refused an AWS call on the way (a restored state keeps the template's permissions)
    refused = [line for log in tmp_path.glob("*.log") for line in refused_calls(log.read_text())]
    assert not refused


def _keys(s3: Any, bucket: str) -> list[str]:
    """Every key in the bucket, and every version of each (a versioned bucket keeps a deleted object's versions)."""
    listed = s3.list_object_versions(Bucket=bucket)
    return [item["Key"] for part in ("Versions", "DeleteMarkers") for item in listed.get(part, [])]


def _holding(folder: Path, phrase: str) -> list[str]:
    """The files under `folder` that hold `phrase` (as written, or as JSON escapes none of its characters)."""
    return [
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and phrase.encode() in path.read_bytes()
    ]


def test_an_erased_chatbot_and_a_closed_account_leave_no_text_in_the_index_or_the_saved_state(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    data = tmp_path / "data"
    process, url = start_stack(
        data, tmp_path / "stack.log", keep_state=True, limit_seconds=STARTUP_LIMIT_SECONDS, parameters=PARAMETERS
    )
    running.append(process)
    # Given three tenants' indexed documents, each with a phrase of its own
    phrases = {name: f"Llama {name} {uuid.uuid4().hex} grazes on the hill." for name in ("erased", "closed", "kept")}
    owners = {
        name: chatbot_with_document(url, f"{name}.md", f"# {name}\n\n{phrase}\n") for name, phrase in phrases.items()
    }
    index = data / "index"
    assert all(_holding(index, phrase) for phrase in phrases.values()), "each document is in the local index"
    with httpx.Client(base_url=url, timeout=30) as api:
        # When one owner deletes their chatbot and another closes their account
        (erased, bot), (closed, _) = owners["erased"], owners["closed"]
        deleted = api.delete(f"/chatbots/{bot['id']}", headers=bearer(erased["tokens"]["access_token"]))
        closure = api.delete("/account", headers=bearer(closed["tokens"]["access_token"]))
        assert (deleted.status_code, closure.status_code) == (202, 204)
        # Then once the erasures have run, the index's files hold neither text (Pinecone forgets deleted records)
        deadline = time.monotonic() + 60
        while in_index := {
            name: _holding(index, phrases[name]) for name in ("erased", "closed") if _holding(index, phrases[name])
        }:
            assert time.monotonic() < deadline, f"erased text still in the local index: {in_index}"
            time.sleep(0.5)
        # and their files (the documents' and the uploads') are deleted, the erasures' last steps that hold text
        aws = json.loads((data / "stack.json").read_text())
        s3, bucket = moto_client(aws, "s3"), aws["resources"]["DocumentsBucket"]["Ref"]
        tenants = [owners[name][0]["tenant"]["id"] for name in ("erased", "closed")]
        while in_bucket := [key for key in _keys(s3, bucket) if any(tenant in key for tenant in tenants)]:
            assert time.monotonic() < deadline, f"erased files still in the bucket: {in_bucket}"
            time.sleep(0.5)
        # and the chatbot itself, the erasure's very last step, is gone
        while (gone := api.get(f"/chatbots/{bot['id']}", headers=bearer(erased))).status_code == 200:
            assert time.monotonic() < deadline, "the erased chatbot is still there"
            time.sleep(0.5)

    # And when the stack is stopped and saves its state, nothing of theirs is saved, while the kept tenant's text is
    stop_as_a_person_does(process)
    assert gone.status_code == 404
    assert _holding(data, phrases["erased"]) == []
    assert _holding(data, phrases["closed"]) == []
    assert any(path.startswith("state/") for path in _holding(data, phrases["kept"]))


def test_an_ephemeral_stack_stops_by_itself_and_saves_nothing(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    # Given a stack started as tests, `make eval` and `make bench` start theirs, with a chatbot, an indexed
    # document and an answer (the environments of several functions running)
    data = tmp_path / "data"
    process, url = start_stack(data, tmp_path / "ephemeral.log", limit_seconds=STARTUP_LIMIT_SECONDS)
    running.append(process)
    account, bot = chatbot_with_document(url, "guide.md", GUIDE)
    with httpx.Client(base_url=url, timeout=30) as api:
        question = {"question": "What do llamas eat?"}
        asked = api.post(f"/chatbots/{bot['id']}/query", headers=bearer(account), json=question)

    # When it is stopped as the tools stop it
    process.terminate()
    exit_status = process.wait(timeout=STOP_LIMIT_SECONDS)

    # Then it stopped by itself (not killed at the limit, as `make eval`'s stack was), and saved nothing
    assert asked.status_code == 200
    assert exit_status == 0
    assert not (data / "state").exists()
    assert "Saving the local state" not in (tmp_path / "ephemeral.log").read_text()
