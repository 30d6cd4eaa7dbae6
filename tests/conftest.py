"""What every kind of test shares."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from parley.observability import logger


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


@pytest.fixture
def function_log() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The lines the functions' logger (Powertools' JSON) has written so far in the test, as their log group would
    hold them."""
    stream = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    if previous is not None:
        handler.setStream(previous)
