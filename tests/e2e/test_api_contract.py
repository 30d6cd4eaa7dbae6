"""A bounded schemathesis pass over the whole HTTP API, as the local stack serves it, with a signed-up owner's
token: no answer is a 5xx, and every answer (status, content type, headers, body) is one the contract documents.

The schema is the one the stack serves at /openapi.json (shared/openapi.json); ids in paths are sometimes the
owner's real chatbot and conversation, so that answers about existing resources are checked too."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from local.fakes.samples import MANUAL
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument

pytestmark = pytest.mark.e2e

# Examples per operation and generation mode (valid input, and input the schema forbids): 20 operations x 2 x 8
# = 320 requests at most.
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def owner(base_url: str, chatbot_with_document: ChatbotWithDocument) -> dict[str, Any]:
    """A signed-up owner with a chatbot holding an indexed document, and a conversation with it."""
    account, bot = chatbot_with_document(base_url, "manual.md", MANUAL)
    token = account["tokens"]["access_token"]
    asked = httpx.post(
        f"{base_url}/chatbots/{bot['id']}/query",
        headers=bearer(token),
        json={"question": "How do I reset the device?"},
        timeout=30,
    )
    assert asked.status_code == 200, asked.text
    # Logging out and closing the account end a token: each of those routes gets an account of its own.
    leaving = {}
    for path in ("/auth/logout", "/account"):
        other = httpx.post(
            f"{base_url}/auth/register",
            json={"email": f"leaving-{path.strip('/').replace('/', '-')}@example.com", "password": "correct-horse-1"},
            timeout=30,
        )
        assert other.status_code == 201, other.text
        leaving[path] = other.json()["tokens"]["access_token"]
    return {
        "token": token,
        "leaving_tokens": leaving,
        "ids": {"chatbot_id": bot["id"], "conversation_id": asked.json()["conversation_id"]},
    }


def _with_real_ids(case: Any, real: dict[str, str], use_them: bool) -> Any:
    """Half the cases name the owner's real chatbot and conversation, so answers about them are checked too
    (never for DELETE: the rest of the pass needs them)."""
    if use_them and case.path_parameters and case.method.upper() != "DELETE":
        case.path_parameters = {name: real.get(name, value) for name, value in case.path_parameters.items()}
    return case


def _exercise(operation: Any, mode: GenerationMode, base_url: str, owner: dict[str, Any], counts: Counter[str]) -> None:
    """Call one operation with up to EXAMPLES generated inputs of one mode; raises on the first answer that breaks a
    check (after Hypothesis has made it as small as it can)."""
    token = owner["leaving_tokens"].get(operation.path, owner["token"])

    # The same inputs every run (a bounded pass that a CI run cannot fail by chance; `make bench` runs a wider one).
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), use_real_ids=st.booleans())
    def call(case: Any, use_real_ids: bool) -> None:
        case = _with_real_ids(case, owner["ids"], use_real_ids)
        response = case.call(base_url=base_url, headers=bearer(token))
        counts["requests"] += 1
        counts[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS)

    call()


def test_every_answer_is_documented_and_none_is_a_server_error(
    base_url: str, owner: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the contract the stack serves
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    loaded = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in loaded), [r for r in loaded if not isinstance(r, Ok)]
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    counts: Counter[str] = Counter()
    violations: list[str] = []

    # When each operation is called with valid and with invalid generated input (all are tried; failures listed)
    for operation in operations:
        for mode in GenerationMode:
            try:
                _exercise(operation, mode, base_url, owner, counts)
            except Unsatisfiable:
                counts[f"operations without {mode.value} input"] += 1  # GET /health takes no input to get wrong
            except Exception as failure:
                violations.append(f"{operation.label} ({mode.value}): {failure}")

    # Then none was a server error or differed from the contract
    summary = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
    with capsys.disabled():
        print(f"\nschemathesis pass: {summary}, violations: {len(violations)}")
    assert counts["5xx"] == 0
    assert not violations, "\n\n".join(violations)
    assert counts["requests"] >= len(operations) * 2


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
