"""What every kind of test shares."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from parley.observability import logger

from local.template import REGION

# The shared helpers' assertions say what differed, as the tests' own do (registered before a test imports them).
pytest.register_assert_rewrite("tests.support")


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


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """AWS as in-process moto, for the test's duration: the integration tier's and the stand-in's."""
    from moto import mock_aws  # only the tiers that use AWS pay for importing moto

    for key in ("AWS_ENDPOINT_URL",):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    # One boto3 session for every test (moto would start each with a new one, which reads every service's model
    # from disk again for the clients of the test: a third of a second each); its clients are still made anew.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        yield
