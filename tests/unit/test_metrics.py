"""Parley's EMF metrics: each record carries exactly its declared dimensions (plus Powertools' `service`), and the
tenant and chatbot only as properties; refusals are counted where every error becomes a response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from parley.api import build_app
from parley.errors import ChatbotNotFound, InvalidCredentials, ParleyError, RateLimited, Unauthorized
from parley.observability import METRICS, logger, record


def dimensions(emf: dict[str, Any]) -> list[list[str]]:
    found: list[list[str]] = emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    return found


def names(records: list[dict[str, Any]]) -> list[str]:
    return [emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for emf in records]


def test_a_record_has_its_dimensions_and_the_tenant_and_chatbot_only_as_properties(
    emitted_metrics: Callable[[], list[dict[str, Any]]],
) -> None:
    record("ModelTokensIn", 120, model="gpt-4o-mini", tenant_id="tenant-a", chatbot_id="bot-1")

    (emf,) = emitted_metrics()
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Parley"
    assert sorted(dimensions(emf)[0]) == ["model", "service"]
    assert (emf["service"], emf["model"], emf["ModelTokensIn"]) == ("parley", "gpt-4o-mini", [120.0])
    assert (emf["tenant_id"], emf["chatbot_id"]) == ("tenant-a", "bot-1")


@pytest.mark.parametrize(
    ("name", "dimensions_"),
    [
        ("Answers", {"mode": "shouting"}),  # not a declared value
        ("Answers", {}),  # a declared dimension missing
        ("AnswerLatency", {"tenant": "tenant-a"}),  # an undeclared dimension
    ],
)
def test_a_dimension_or_value_not_declared_is_refused(
    emitted_metrics: Callable[[], list[dict[str, Any]]], name: Any, dimensions_: Any
) -> None:
    with pytest.raises(ValueError, match=name):
        record(name, **dimensions_)
    assert emitted_metrics() == []


def test_no_metric_declares_a_tenant_user_or_chatbot_dimension() -> None:
    declared = {dimension for spec in METRICS.values() for dimension in spec.dimensions}

    assert declared == {"mode", "model", "reason", "rating", "outcome"}
    assert all(len(spec_values) <= 6 for spec in METRICS.values() for spec_values in spec.dimensions.values())


def _app_raising(error: ParleyError) -> TestClient:
    router = APIRouter()

    @router.get("/refused")
    def refused() -> None:
        raise error

    return TestClient(build_app(router))


@pytest.mark.parametrize(
    ("error", "counted"),
    [
        (RateLimited("Too many messages; wait a moment"), ["RateLimitRefusals"]),
        (Unauthorized("Missing bearer token"), ["AuthFailures"]),
        (InvalidCredentials("E-mail or password is incorrect"), ["AuthFailures"]),
        (ChatbotNotFound(), []),  # another tenant's chatbot: neither
    ],
)
def test_refusals_are_counted_by_kind_when_they_become_responses(
    emitted_metrics: Callable[[], list[dict[str, Any]]], error: Any, counted: Any
) -> None:
    response = _app_raising(error).get("/refused")

    assert response.status_code == error.status
    assert names(emitted_metrics()) == counted


def test_a_rate_limit_refusal_is_logged_with_the_tenant_for_the_ranking_rule(
    caplog: pytest.LogCaptureFixture, emitted_metrics: Callable[[], list[dict[str, Any]]]
) -> None:
    logger.append_keys(tenant_id="tenant-a")
    try:
        _app_raising(RateLimited()).get("/refused")
        # As the function writes them to its log: Powertools' JSON, with the keys appended for this request
        lines = [json.loads(logger.registered_formatter.format(entry)) for entry in caplog.records]
    finally:
        logger.remove_keys(["tenant_id"])

    refused = [line for line in lines if line["message"] == "Request refused"]
    assert [(line["tenant_id"], line["code"]) for line in refused] == [("tenant-a", "rate_limited")]
