"""What every kind of test shares."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def emitted_metrics(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], list[dict[str, Any]]]:
    """The EMF records printed so far (as CloudWatch would read them from the function's log), each once."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "parley")  # as every function's environment sets it

    def read() -> list[dict[str, Any]]:
        lines = capsys.readouterr().out.splitlines()
        return [json.loads(line) for line in lines if line.startswith('{"_aws"')]

    return read
