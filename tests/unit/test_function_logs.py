"""The functions' log lines: each names its function and request, a request's ids (tenant, chatbot, conversation)
stay with that request, and no line holds a secret or the input a validation refused."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from parley.api import build_app
from parley.domain.conversations import QueryRequest
from parley.log_redaction import REDACTED, format_exception, redact
from parley.observability import keys_of_one_record, lambda_entry, logger
from pydantic import ValidationError

from local.lambdas.worker import LambdaContext
from local.stack.stack import ROOT

QUESTION = "Is my neighbour's diagnosis in the files"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
CHATBOT = "0661777be926907b95b103343bbfc099"


def _refused_question() -> ValidationError:
    try:
        QueryRequest.model_validate({"question": QUESTION * 200, "conversation_id": "not an id"})
    except ValidationError as error:
        return error
    raise AssertionError("the question was not refused")


def _http_event(path: str, request_id: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads(Path(ROOT, "events/http_api_public.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "GET"
    event["requestContext"]["requestId"] = request_id
    return event


def test_a_validation_error_is_logged_without_the_input_it_refused(
    function_log: Callable[[], list[dict[str, Any]]],
) -> None:
    error = _refused_question()

    try:
        raise RuntimeError("Answer failed") from error
    except RuntimeError:
        logger.exception("Question failed")

    (line,) = function_log()
    assert QUESTION not in json.dumps(line)
    assert "question\n  String should have at most 4000 characters [type=string_too_long]" in line["exception"]
    assert "conversation_id\n  String should match pattern" in line["exception"]
    assert "The above exception was the direct cause" in line["exception"]
    assert line["exception"].rstrip().endswith("RuntimeError: Answer failed")
    assert QUESTION not in json.dumps(line["stack_trace"])


def test_secrets_are_taken_out_of_messages_fields_and_exceptions(
    function_log: Callable[[], list[dict[str, Any]]],
) -> None:
    url = "https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123&Policy=eyJleHA"

    try:
        raise ValueError(f"refused sk-proj-Abc123xyz and pcsk_9ZZ_secret for Bearer {JWT}")
    except ValueError:
        logger.exception("Called %s", url, extra={"password": "hunter2-marker", "form": {"x-amz-signature": "s1g"}})

    (line,) = function_log()
    text = json.dumps(line)
    for secret in ("abc123", "AKIA", "eyJleHA", "sk-proj", "pcsk_9ZZ", JWT, "hunter2-marker", "s1g"):
        assert secret not in text
    assert line["password"] == REDACTED
    assert line["form"] == {"x-amz-signature": REDACTED}
    assert f"X-Amz-Signature={REDACTED}" in line["message"]
    assert f"Bearer {REDACTED}" in line["exception"]


def test_redaction_leaves_ids_counts_and_publishable_keys_alone() -> None:
    text = "tenant 0661777bd96ddf642f23dcb98684d833 asked pk_s07C8DO0n6VbvpDn0K0 (model_tokens=42, a task-list)"

    assert redact(text) == text


def test_an_exception_is_formatted_as_python_prints_it() -> None:
    try:
        {}["missing"]  # type: ignore[index]
    except KeyError as error:
        formatted = format_exception(error)

    assert formatted.startswith("Traceback (most recent call last):\n")
    assert '{}["missing"]' in formatted
    assert formatted.endswith("KeyError: 'missing'")


def test_an_unexpected_error_of_a_request_is_one_json_line_of_ours_without_the_input(
    function_log: Callable[[], list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    router = APIRouter()

    @router.get("/chatbots/{chatbot_id}/broken")
    def broken(chatbot_id: str) -> None:
        raise _refused_question()

    handler = lambda_entry(build_app(router))

    response = handler(_http_event(f"/chatbots/{CHATBOT}/broken", "request-1"), LambdaContext("QueryFunction", 1, 3))

    assert response["statusCode"] == 500
    lines = function_log()
    # The app's own line, and Mangum's (it logs every error the app raised) through the same formatter
    assert [line["message"] for line in lines] == ["Unhandled error", "An error occurred running the application."]
    for line in lines:
        assert (line["function_name"], line["correlation_id"], line["chatbot_id"]) == (
            "QueryFunction",
            "request-1",
            CHATBOT,
        )
        assert line["function_request_id"]
        assert QUESTION not in json.dumps(line)
    printed = capsys.readouterr()
    assert QUESTION not in printed.out + printed.err


def test_ids_appended_in_one_invocation_are_gone_in_the_next(function_log: Callable[[], list[dict[str, Any]]]) -> None:
    router = APIRouter()

    @router.get("/chatbots/{chatbot_id}/ask")
    def ask(chatbot_id: str) -> None:
        logger.append_keys(tenant_id="tenant-a", conversation_id="conversation-1")
        logger.info("Question answered")

    @router.get("/health")
    def health() -> None:
        logger.info("Healthy")

    handler = lambda_entry(build_app(router))

    # Given a warm environment that has answered tenant A
    handler(_http_event(f"/chatbots/{CHATBOT}/ask", "request-1"), LambdaContext("QueryFunction", 1, 3))
    # When it serves the next request
    handler(_http_event("/health", "request-2"), LambdaContext("QueryFunction", 1, 3))

    first, second = function_log()
    assert (first["tenant_id"], first["chatbot_id"], first["conversation_id"]) == (
        "tenant-a",
        CHATBOT,
        "conversation-1",
    )
    assert second["correlation_id"] == "request-2"
    assert not {"tenant_id", "chatbot_id", "conversation_id"} & set(second)


def test_a_path_that_is_not_an_id_is_not_logged_as_one(function_log: Callable[[], list[dict[str, Any]]]) -> None:
    router = APIRouter()

    @router.get("/chatbots/{chatbot_id}/ask")
    def ask(chatbot_id: str) -> None:
        logger.info("Asked")

    lambda_entry(build_app(router))(_http_event(f"/chatbots/{QUESTION}/ask", "r"), LambdaContext("QueryFunction", 1, 3))

    (line,) = function_log()
    assert "chatbot_id" not in line


@pytest.mark.parametrize("fails", [False, True])
def test_each_record_of_a_batch_logs_with_its_own_ids_only(
    function_log: Callable[[], list[dict[str, Any]]], fails: Any
) -> None:
    logger.append_keys(correlation_id="message-1")
    try:
        # Given one record of tenant A, which may fail part-way
        with contextlib.suppress(RuntimeError), keys_of_one_record():
            logger.append_keys(tenant_id="tenant-a", correlation_id="overwritten")
            logger.info("Document indexed")
            if fails:
                raise RuntimeError("embedding failed")
        # When the next record is logged before its tenant is known
        logger.info("Object matches no live document; dropped")
        lines = function_log()
    finally:
        logger.remove_keys(["correlation_id"])

    assert (lines[0]["tenant_id"], lines[0]["correlation_id"]) == ("tenant-a", "overwritten")
    assert "tenant_id" not in lines[1]
    assert lines[1]["correlation_id"] == "message-1"
