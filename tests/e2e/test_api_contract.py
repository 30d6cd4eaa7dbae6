"""A bounded schemathesis pass over the whole HTTP API, as the local stack serves it, with a signed-up owner's
token: no answer is a 5xx, and every answer (status, content type, headers, body) is one the contract documents.

The schema is the one the stack serves at /openapi.json (shared/openapi.json); ids in paths are sometimes the
owner's real chatbot and conversation, so that answers about existing resources are checked too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import bearer
from tests.support.contract import owner_of_a_chatbot, run_pass

pytestmark = pytest.mark.e2e

# Examples per operation and generation mode (valid input, and input the schema forbids), derandomized: the same
# inputs every run (a bounded pass that a CI run cannot fail by chance; `make bench` runs a wide one from a seed).
EXAMPLES = 8


@pytest.fixture(scope="module")
def owner(base_url: str) -> dict[str, Any]:
    return owner_of_a_chatbot(base_url)


def test_every_answer_is_documented_and_none_is_a_server_error(
    base_url: str, owner: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # When each operation of the contract the stack serves is called with valid and with invalid generated input
    # (all are tried; failures listed)
    done = run_pass(base_url, owner, examples=EXAMPLES)

    # Then none was a server error or differed from the contract
    with capsys.disabled():
        print(f"\nschemathesis pass: {done.summary()}")
    assert done.counts["5xx"] == 0
    assert not done.violations, "\n\n".join(done.violations)
    assert done.counts["requests"] >= done.operations * 2


def test_the_docs_page_lists_every_operation(base_url: str) -> None:
    document = httpx.get(f"{base_url}/openapi.json", timeout=30).json()

    page = httpx.get(f"{base_url}/docs", timeout=30)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in page.text


def test_a_path_holding_a_newline_gets_the_gateways_json_404(base_url: str, owner: dict[str, Any]) -> None:
    # The whole path reaches the gateway (Starlette's own route patterns stop at a newline, with a text/plain 404).
    response = httpx.get(f"{base_url}/chatbots/%0A", headers=bearer(owner["token"]), timeout=30)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() in (
        {"message": "Not Found"},
        {"error": {"code": "not_found", "message": "Chatbot not found"}},
    )
