"""Plans through `make run`: the operator's CLI assigns a plan, each limit refuses over HTTP with 402 naming it (or
fails a document with the limit as its reason), /usage reports it all, and 50 parallel questions with 20 left are
20 answers and 30 refusals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from parley.adapters.dynamo.table import Table
from parley.adapters.dynamo.usage import DynamoUsageCounters
from parley.domain.common import utcnow
from parley.domain.plans import PLANS, month_of

from local.fakes.samples import GUIDE, pdf, prose
from local.stack.process import chatbot_with_document, send_upload
from local.stack.stack import ROOT
from local.tools.plans import stack_environment
from tests.support.api import bearer

FREE = PLANS["free"]


@pytest.fixture
def counters(data_dir: Path, base_url: str, monkeypatch: pytest.MonkeyPatch) -> DynamoUsageCounters:
    """The stack's usage counters, reached as the operator reaches them: to arrange a tenant near its limits."""
    environment = stack_environment(data_dir)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return DynamoUsageCounters(Table(environment["PARLEY_TABLE_NAME"]))


def operator(data_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """`make plan`'s command against this test's stack."""
    return subprocess.run(
        [sys.executable, "-m", "local.tools.plans", *command],
        cwd=ROOT,
        env={**os.environ, "PARLEY_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def ask(api: httpx.Client, account: dict[str, Any], bot: dict[str, Any]) -> httpx.Response:
    return api.post(f"/chatbots/{bot['id']}/query", headers=bearer(account), json={"question": "What do llamas eat?"})


def settled(api: httpx.Client, account: dict[str, Any], bot: dict[str, Any], document_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        document = api.get(f"/chatbots/{bot['id']}/documents/{document_id}", headers=bearer(account)).json()
        if document["status"] in ("indexed", "failed"):
            return dict(document)
        assert time.monotonic() < deadline, document
        time.sleep(0.25)


def upload(api: httpx.Client, account: dict[str, Any], bot: dict[str, Any], name: str, kind: str, data: bytes) -> str:
    created = api.post(
        f"/chatbots/{bot['id']}/documents",
        headers=bearer(account),
        json={"filename": name, "content_type": kind, "size_bytes": len(data)},
    )
    assert created.status_code == 201, created.text
    send_upload(created.json()["upload"], data).raise_for_status()
    return str(created.json()["document"]["id"])


def test_an_operator_assigns_a_plan_and_each_limit_refuses_and_shows_in_usage(
    api: httpx.Client, base_url: str, data_dir: Path, counters: DynamoUsageCounters
) -> None:
    # Given an owner with a chatbot and an indexed document, on the default plan
    account, bot = chatbot_with_document(base_url, "guide.md", GUIDE)
    tenant = account["tenant"]["id"]
    assert api.get("/usage", headers=bearer(account)).json()["plan"] == "free"

    # When the operator lists the plans, moves the tenant to pro, then back to free
    listed = operator(data_dir, "list")
    assert listed.returncode == 0, listed.stderr
    assert "business" in listed.stdout
    moved = operator(data_dir, "assign", tenant, "pro")
    assert moved.returncode == 0, moved.stderr
    assert f"tenant {tenant}: plan pro (Pro)" in moved.stdout
    assert api.get("/usage", headers=bearer(account)).json()["plan"] == "pro"
    assert api.patch(f"/chatbots/{bot['id']}", headers=bearer(account), json={"model_name": "gpt-4.1-mini"}).is_success
    assert operator(data_dir, "assign", tenant, "free").returncode == 0

    # Then, on free, a larger plan's model and answer length are refused with 402 (what no plan has: 422)
    for change in ({"model_name": "gpt-4.1-mini"}, {"max_tokens": 1000}):
        refused = api.patch(f"/chatbots/{bot['id']}", headers=bearer(account), json=change)
        assert refused.status_code == 402, refused.text
        assert refused.json()["error"]["message"].startswith("Your plan (Free) does not allow this")
    assert api.patch(f"/chatbots/{bot['id']}", headers=bearer(account), json={"max_tokens": 4000}).status_code == 422

    # And the chatbots past the plan's 5
    for n in range(FREE.chatbots - 1):
        assert api.post("/chatbots", headers=bearer(account), json={"name": f"Bot {n}"}).status_code == 201
    refused = api.post("/chatbots", headers=bearer(account), json={"name": "One too many"})
    assert refused.status_code == 402
    assert refused.json()["error"] == {"code": "plan_limit", "message": "Your plan (Free) allows 5 chatbots"}

    # And the documents past its 100 (99 arranged as held)
    counters.add(tenant, "documents", FREE.documents - 2, FREE.documents)
    more = upload(api, account, bot, "more.md", "text/markdown", GUIDE.encode())
    refused = api.post(
        f"/chatbots/{bot['id']}/documents",
        headers=bearer(account),
        json={"filename": "extra.md", "content_type": "text/markdown", "size_bytes": 10},
    )
    assert refused.status_code == 402
    assert refused.json()["error"]["message"] == "Your plan (Free) allows 100 documents"
    counters.subtract(tenant, "documents", 10)
    assert settled(api, account, bot, more)["status"] == "indexed"

    # And a PDF over the pages left this month fails, with the plan's limit and reset as its reason
    month = month_of(utcnow())
    counters.add(tenant, "pages", FREE.pages - 2 - counters.counts(tenant, month).get("pages", 0), FREE.pages, month)
    manual = upload(api, account, bot, "manual.pdf", "application/pdf", pdf([prose(n, 60) for n in range(3)]))
    failed = settled(api, account, bot, manual)
    assert failed["status"] == "failed"
    assert failed["error"].startswith("Your plan (Free) allows 1,000 pages indexed a month; 2 remain and this needs 3")
    assert "the count resets on " in failed["error"]

    # And a file over the stored bytes left fails the same way
    held = counters.counts(tenant, month)["stored_bytes"]
    counters.add(tenant, "stored_bytes", FREE.stored_bytes - 5 - held, FREE.stored_bytes)
    notes = upload(api, account, bot, "notes.md", "text/markdown", GUIDE.encode())
    failed = settled(api, account, bot, notes)
    assert failed["status"] == "failed"
    assert failed["error"].startswith(f"Your plan (Free) allows {FREE.stored_bytes:,} bytes of stored documents")

    # And the questions past the month's 500
    asked = counters.counts(tenant, month).get("questions", 0)
    counters.add(tenant, "questions", FREE.questions - 1 - asked, FREE.questions, month)
    assert ask(api, account, bot).status_code == 200
    refused = ask(api, account, bot)
    assert refused.status_code == 402
    assert refused.json()["error"]["message"].startswith("Your plan (Free) allows 500 questions a month")

    # And /usage shows every counter at what was refused, and the month
    usage = api.get("/usage", headers=bearer(account)).json()
    assert usage["usage"]["chatbots"] == FREE.chatbots
    assert usage["usage"]["questions"] == FREE.questions
    assert usage["usage"]["pages"] == FREE.pages - 2
    assert usage["limits"] == FREE.limits()
    assert usage["period"]["start"].startswith(f"{month}-01T00:00:00")

    # And another tenant is untouched by all of it
    stranger, theirs = chatbot_with_document(base_url, "guide.md", GUIDE)
    counted = api.get("/usage", headers=bearer(stranger)).json()["usage"]
    assert (counted["chatbots"], counted["questions"], counted["documents"]) == (1, 0, 1)
    assert api.get(f"/chatbots/{bot['id']}", headers=bearer(stranger)).status_code == 404

    # And deleting a chatbot gives back its place at once, and its documents and bytes once the erasure ran
    assert api.delete(f"/chatbots/{theirs['id']}", headers=bearer(stranger)).status_code == 202
    deadline = time.monotonic() + 60
    counted = api.get("/usage", headers=bearer(stranger)).json()["usage"]
    # (a document's count and its bytes are given back one after the other: wait for both)
    while counted["documents"] or counted["stored_bytes"]:
        assert counted["chatbots"] == 0
        assert time.monotonic() < deadline, counted
        time.sleep(0.5)
        counted = api.get("/usage", headers=bearer(stranger)).json()["usage"]
    assert (counted["chatbots"], counted["documents"], counted["stored_bytes"]) == (0, 0, 0)


def test_fifty_parallel_questions_with_twenty_left_are_twenty_answers_and_thirty_refusals(
    api: httpx.Client, base_url: str, counters: DynamoUsageCounters
) -> None:
    # Given a tenant with 20 questions left this month (the per-minute quota, 60, is not what is tested)
    account, bot = chatbot_with_document(base_url, "guide.md", GUIDE)
    tenant, month = account["tenant"]["id"], month_of(utcnow())
    counters.add(tenant, "questions", FREE.questions - 20, FREE.questions, month)

    # When 50 questions arrive at once
    with httpx.Client(base_url=base_url, timeout=120) as client, ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: ask(client, account, bot).status_code, range(50)))

    # Then exactly 20 were answered and 30 refused, and the count stopped at the limit
    assert statuses.count(200) == 20, statuses
    assert statuses.count(402) == 30, statuses
    assert api.get("/usage", headers=bearer(account)).json()["usage"]["questions"] == FREE.questions
    conversations = api.get(f"/chatbots/{bot['id']}/conversations?limit=100", headers=bearer(account)).json()
    assert len(conversations["items"]) == 20
