"""A bounded schemathesis pass over the whole HTTP API, as the local stack serves it, with a signed-up owner's
token: no answer is a 5xx, and every answer (status, content type, headers, body) is one the contract documents.

The schema is the one the stack serves at /openapi.json (shared/openapi.json); ids in paths are sometimes the
owner's real chatbot and conversation, so that answers about existing resources are checked too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.samples import MANUAL

pytestmark = pytest.mark.e2e

# Examples per operation in the generation phase (20 operations); the examples and coverage phases add a bounded
# number of their own: a few hundred requests in all.
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def owner(base_url: str, chatbot_with_document: Any) -> dict[str, Any]:
    """A signed-up owner with a chatbot holding an indexed document, and a conversation with it."""
    account, bot = chatbot_with_document(base_url, "manual.md", MANUAL)
    token = account["tokens"]["access_token"]
    asked = httpx.post(
        f"{base_url}/chatbots/{bot['id']}/query",
        headers={"authorization": f"Bearer {token}"},
        json={"question": "How do I reset the device?"},
        timeout=30,
    )
    assert asked.status_code == 200, asked.text
    # Logging out may end a token: the logout route gets one of its own.
    other = httpx.post(
        f"{base_url}/auth/register", json={"email": "leaving@example.com", "password": "correct-horse-1"}, timeout=30
    )
    assert other.status_code == 201, other.text
    return {
        "token": token,
        "leaving_token": other.json()["tokens"]["access_token"],
        "ids": {"chatbot_id": bot["id"], "conversation_id": asked.json()["conversation_id"]},
    }


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    summary = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
    if reporter is not None:
        reporter.write_line(f"\nschemathesis pass: {summary}")


@pytest.fixture
def api_schema(base_url: str, owner: dict[str, Any]) -> Any:
    loaded = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    loaded.config.generation.update(max_examples=EXAMPLES_PER_OPERATION)
    real = owner["ids"]

    @loaded.hook
    def flatmap_path_parameters(context: Any, parameters: dict[str, Any] | None) -> Any:
        # Deleting the real chatbot would leave nothing real for the rest of the pass.
        if not parameters or context.operation.method.upper() == "DELETE":
            return st.just(parameters)
        known = {**parameters, **{name: value for name, value in real.items() if name in parameters}}
        return st.sampled_from([parameters, known])

    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: Any, base_url: str, owner: dict[str, Any], tally: Counter[str]
) -> None:
    token = owner["leaving_token"] if case.path == "/auth/logout" else owner["token"]

    response = case.call(base_url=base_url, headers={"authorization": f"Bearer {token}"})

    tally["requests"] += 1
    tally[f"{response.status_code // 100}xx"] += 1
    case.validate_response(response, checks=CHECKS)


def test_the_docs_page_lists_every_operation(base_url: str) -> None:
    document = httpx.get(f"{base_url}/openapi.json", timeout=30).json()

    page = httpx.get(f"{base_url}/docs", timeout=30)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in page.text
