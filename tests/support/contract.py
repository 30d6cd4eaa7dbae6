"""The schemathesis pass over the HTTP API as a local stack serves it, with a signed-up owner's token: every
operation called with valid and with invalid generated input; each answer checked against the contract (no 5xx; its
status, content type, headers and body documented). The e2e tier runs a bounded, derandomized pass
(tests/e2e/test_api_contract.py); `make bench` a wide one from a fixed seed (tests/benchmarks/contract.py).

Ids in paths are sometimes the owner's real chatbot and conversation, so that answers about existing resources are
checked too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
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
from local.stack.process import chatbot_with_document
from tests.support.api import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Pass:
    """What a pass did: requests by status class, and the answers that broke a check (after shrinking)."""

    operations: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counted = ", ".join(f"{key}: {value}" for key, value in sorted(self.counts.items()))
        return f"{self.operations} operations, {counted}, violations: {len(self.violations)}"


def owner_of_a_chatbot(base_url: str, *, index_seconds: float = 30) -> dict[str, Any]:
    """A signed-up owner with a chatbot holding an indexed document, and a conversation with it; logging out and
    closing the account end a token, so each of those routes gets an account of its own."""
    account, bot = chatbot_with_document(base_url, "manual.md", MANUAL, index_seconds=index_seconds)
    token = account["tokens"]["access_token"]
    asked = httpx.post(
        f"{base_url}/chatbots/{bot['id']}/query",
        headers=bearer(token),
        json={"question": "How do I reset the device?"},
        timeout=120,
    )
    assert asked.status_code == 200, asked.text
    leaving = {}
    for path in ("/auth/logout", "/account"):
        other = httpx.post(
            f"{base_url}/auth/register",
            json={
                "email": f"leaving-{path.strip('/').replace('/', '-')}-{token[-8:]}@example.com",
                "password": "correct-horse-1",
            },
            timeout=30,
        )
        assert other.status_code == 201, other.text
        leaving[path] = other.json()["tokens"]["access_token"]
    return {
        "token": token,
        "leaving_tokens": leaving,
        "ids": {"chatbot_id": bot["id"], "conversation_id": asked.json()["conversation_id"]},
    }


def run_pass(base_url: str, owner: dict[str, Any], *, examples: int, fixed_seed: int | None = None) -> Pass:
    """Call every operation with up to `examples` generated inputs per generation mode: derandomized (the same
    inputs every run) unless `fixed_seed` is given, which draws a wider sample reproducibly."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    loaded = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in loaded), [r for r in loaded if not isinstance(r, Ok)]
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    result = Pass(operations=len(operations))
    for operation in operations:
        for mode in GenerationMode:
            try:
                _exercise(operation, mode, base_url, owner, result.counts, examples, fixed_seed)
            except Unsatisfiable:
                result.counts[f"operations without {mode.value} input"] += 1  # GET /health takes no input to get wrong
            except Exception as failure:
                result.violations.append(f"{operation.label} ({mode.value}): {failure}")
    return result


def _with_real_ids(case: Any, real: dict[str, str], use_them: bool) -> Any:
    """Half the cases name the owner's real chatbot and conversation (never for DELETE: the pass needs them)."""
    if use_them and case.path_parameters and case.method.upper() != "DELETE":
        case.path_parameters = {name: real.get(name, value) for name, value in case.path_parameters.items()}
    return case


def _exercise(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    owner: dict[str, Any],
    counts: Counter[str],
    examples: int,
    fixed_seed: int | None,
) -> None:
    """Call one operation with generated inputs of one mode; raises on the first answer that breaks a check (after
    Hypothesis has made it as small as it can)."""
    token = owner["leaving_tokens"].get(operation.path, owner["token"])

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=fixed_seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), use_real_ids=st.booleans())
    def call(case: Any, use_real_ids: bool) -> None:
        case = _with_real_ids(case, owner["ids"], use_real_ids)
        response = case.call(base_url=base_url, headers=bearer(token))
        counts["requests"] += 1
        counts[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS)

    (seed(fixed_seed)(call) if fixed_seed is not None else call)()
