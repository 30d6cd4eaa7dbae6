"""The local stack as `make run` starts it, in a child process, reached over real HTTP."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.fakes import FakeOpenAI
from local.process import chatbot_with_document, running_stack

STARTUP_LIMIT_SECONDS = 30


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    """A fake of OpenAI's API whose answers stream a word every 20 ms, for the test files that start a stack on it."""
    fake = FakeOpenAI(token_delay=0.02).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-data")


@pytest.fixture(scope="session")
def stack_log(data_dir: Path) -> Path:
    return data_dir.parent / "stack.log"


@pytest.fixture(scope="session")
def base_url(data_dir: Path, stack_log: Path) -> Iterator[str]:
    """The stack as `make run` starts it (from $PARLEY_TEMPLATE instead of template.yaml if set, as
    test_iam_enforcement does); `/health` must answer within 30 s."""
    template = os.environ.get("PARLEY_TEMPLATE")
    with running_stack(
        data_dir,
        stack_log,
        limit_seconds=STARTUP_LIMIT_SECONDS,
        template=Path(template) if template else None,
        # Every test reaches the stack from 127.0.0.1: one address's failed sign-ins (the API contract pass makes
        # many) must not lock the others out. The per-e-mail limit stays the deployment's.
        function_env={"PARLEY_SIGN_IN_FAILURES_PER_ADDRESS": "100000"},
    ) as url:
        yield url


@pytest.fixture(autouse=True)
def no_aws_call_refused(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every function holds the permissions its work needs: an AWS call the template's IAM statements do not allow
    fails the test that caused it, naming function, action and resource."""
    logs: list[Path] = []
    if request.node.get_closest_marker("refusals_expected"):
        yield
        return
    if "base_url" in request.fixturenames:
        logs.append(request.getfixturevalue("stack_log"))
    if "stack" in request.fixturenames:  # a module's own stack: (url, log)
        logs.append(request.getfixturevalue("stack")[1])
    starts = {log: log.stat().st_size if log.exists() else 0 for log in logs}
    yield
    refused = []
    for log, start in starts.items():
        with log.open("rb") as output:
            output.seek(start)
            refused += [line for line in output.read().decode(errors="replace").splitlines() if "IAM: " in line]
    assert not refused, "AWS refused calls of the functions:\n" + "\n".join(refused)


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def new_account(api: httpx.Client) -> Callable[[], dict[str, Any]]:
    """Register a fresh user with their own tenant; returns the register response."""

    def _new() -> dict[str, Any]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
        assert response.status_code == 201, response.text
        return {**response.json(), "email": email, "password": "correct-horse-1"}

    return _new


@pytest.fixture(scope="session")
def local_aws(base_url: str, data_dir: Path) -> dict[str, Any]:
    """The running stack's moto endpoint and resources (from the stack.json it writes)."""
    return dict(json.loads((data_dir / "stack.json").read_text()))


@pytest.fixture(scope="session", name="chatbot_with_document")
def chatbot_with_document_fixture() -> Callable[..., tuple[dict[str, Any], dict[str, Any]]]:
    """`(base_url, filename, text, **chatbot fields)` → (owner's register response, chatbot), document indexed."""
    return chatbot_with_document


@pytest.fixture
def fresh_rate_window() -> None:
    """Start the test early in a minute: the per-minute limits count in fixed windows, so a burst that straddles two
    windows would be counted as two half-bursts and never reach the limit."""
    seconds_into_minute = time.time() % 60
    if seconds_into_minute > 30:
        time.sleep(60 - seconds_into_minute + 0.5)
