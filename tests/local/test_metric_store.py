"""The local metric store: EMF lines read as CloudWatch reads them, CloudWatch's statistics, and what the gateway and
the runtime record."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from local.apigateway.http_api import HttpGateway
from local.cloudwatch.metrics import (
    ApiMetrics,
    FunctionMetrics,
    LocalSources,
    MetricClock,
    MetricKey,
    MetricStore,
    dimensions,
    emf_datapoints,
    statistic,
)
from local.lambdas.runtime import FunctionRuntime
from local.template import FunctionSpec, HttpRoute


class Clock:
    """Metric time the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.value = now

    def __call__(self) -> float:
        return self.value


def _emf(record: dict[str, Any]) -> str:
    return json.dumps(record)


def test_each_value_of_each_metric_is_a_datapoint_under_each_dimension_set() -> None:
    # Given an EMF line with two dimension sets, a metric with an array of values and one with a single value
    line = _emf(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Parley",
                        "Dimensions": [["service"], ["service", "mode"]],
                        "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Answers", "Unit": "Count"}],
                    }
                ],
            },
            "service": "parley",
            "mode": "llm",
            "Latency": [120, 80],
            "Answers": 1,
            "tenant_id": "t-1",
        }
    )

    # When CloudWatch reads it
    points = emf_datapoints(line)

    # Then every value is a sample of its metric under both dimension sets, at the line's timestamp
    by_series: dict[tuple[str, Any], list[float]] = {(p.key.name, p.key.dimensions): [] for p in points}
    for point in points:
        by_series[(point.key.name, point.key.dimensions)].append(point.value)
    assert by_series == {
        ("Latency", (("service", "parley"),)): [120.0, 80.0],
        ("Latency", (("mode", "llm"), ("service", "parley"))): [120.0, 80.0],
        ("Answers", (("service", "parley"),)): [1.0],
        ("Answers", (("mode", "llm"), ("service", "parley"))): [1.0],
    }
    assert {point.timestamp for point in points} == {1_700_000_000.0}
    assert {point.unit for point in points if point.key.name == "Latency"} == {"Milliseconds"}
    # And a property that no directive names (the tenant) is no dimension
    assert all("tenant_id" not in dict(point.key.dimensions) for point in points)


def test_a_directive_naming_a_missing_dimension_or_a_non_number_is_skipped_others_are_kept() -> None:
    line = _emf(
        {
            "_aws": {
                "Timestamp": 1_700_000_000_000,
                "CloudWatchMetrics": [
                    {"Namespace": "Parley", "Dimensions": [["absent"]], "Metrics": [{"Name": "A"}]},
                    {"Namespace": "Parley", "Dimensions": [[]], "Metrics": [{"Name": "B"}]},
                    {"Namespace": "Parley", "Dimensions": [[]], "Metrics": [{"Name": "C"}]},
                ],
            },
            "A": 1,
            "B": "many",
            "C": 2,
        }
    )

    points = emf_datapoints(line)

    assert [(point.key.name, point.key.dimensions, point.value) for point in points] == [("C", (), 2.0)]


@pytest.mark.parametrize(
    "line",
    ["REPORT RequestId: 1", '{"level": "INFO", "message": "Question answered"}', '{"_aws": "broken"', ""],
)
def test_lines_that_are_not_emf_give_no_datapoint(line: Any) -> None:
    assert emf_datapoints(line) == []


def test_what_powertools_publishes_is_read_under_its_namespace_and_service() -> None:
    # Given the metrics the functions publish, serialized by Powertools as it prints them
    metrics = Metrics(namespace="Parley", service="parley")
    metrics.add_metric(name="QuestionsAnswered", unit="Count", value=1)
    metrics.add_metric(name="AnswersDegraded", unit="Count", value=1)
    line = json.dumps(metrics.serialize_metric_set())
    metrics.clear_metrics()

    # When read
    points = emf_datapoints(line)

    # Then each is a datapoint of the Parley namespace under the service dimension
    assert {(p.key, p.value) for p in points} == {
        (MetricKey("Parley", "QuestionsAnswered", (("service", "parley"),)), 1.0),
        (MetricKey("Parley", "AnswersDegraded", (("service", "parley"),)), 1.0),
    }


@pytest.mark.parametrize(
    ("stat", "expected"),
    [
        ("Sum", 5050.0),
        ("Average", 50.5),
        ("Minimum", 1.0),
        ("Maximum", 100.0),
        ("SampleCount", 100.0),
        ("p50", 50.0),
        ("p95", 95.0),
        ("p99", 99.0),
        ("p100", 100.0),
        ("p99.9", 100.0),
    ],
)
def test_cloudwatch_statistics_of_a_period(stat: Any, expected: Any) -> None:
    assert statistic([float(value) for value in range(100, 0, -1)], stat) == expected


def test_an_unknown_statistic_is_refused() -> None:
    with pytest.raises(ValueError, match="tm90"):
        statistic([1.0], "tm90")


def test_samples_are_grouped_by_period_and_periods_without_samples_are_missing() -> None:
    # Given samples in the first and third minute of a range
    clock = Clock(1_000_000.0)
    store = MetricStore(MetricClock(60, clock))
    key = MetricKey("Parley", "Answers")
    for at, value in ((1_000_010.0, 1.0), (1_000_050.0, 3.0), (1_000_130.0, 7.0)):
        clock.value = at
        store.record("Parley", "Answers", value)

    # When read per minute
    sums = store.statistics(key, "Sum", 60, 1_000_000.0, 1_000_180.0)

    # Then each minute has its sum, and the second none
    assert sums == {1_000_000.0: 4.0, 1_000_120.0: 7.0}


def test_samples_older_than_the_retention_are_dropped_and_periods_scale_with_the_metric_minute() -> None:
    clock = Clock(0.0)
    store = MetricStore(MetricClock(2, clock))  # a metric minute lasts 2 s: three hours last 360 s
    store.record("Parley", "Answers", 1.0)
    clock.value = 361.0
    store.record("Parley", "Answers", 2.0)

    assert store.samples(MetricKey("Parley", "Answers"), 0, 1000) == [(361.0, 2.0)]
    assert store.clock.seconds(300) == 10.0


def test_the_local_stack_says_which_metrics_it_produces() -> None:
    sources = LocalSources(["http-api-id"])

    assert sources.produces(MetricKey("Parley", "AnswersDegraded", dimensions({"service": "parley"})))
    assert sources.produces(MetricKey("AWS/ApiGateway", "5xx", dimensions({"ApiId": "http-api-id"})))
    assert sources.produces(MetricKey("AWS/Lambda", "Errors", dimensions({"FunctionName": "f"})))
    assert sources.produces(MetricKey("AWS/SQS", "ApproximateAgeOfOldestMessage", dimensions({"QueueName": "q"})))
    # Not: another service, a WebSocket API, a dimension set the stack does not record, Lambda's throttles
    assert not sources.produces(MetricKey("AWS/CloudFront", "Requests", dimensions({"DistributionId": "d"})))
    assert not sources.produces(MetricKey("AWS/ApiGateway", "ConnectCount", dimensions({"ApiId": "ws-api-id"})))
    assert not sources.produces(MetricKey("AWS/ApiGateway", "Count", dimensions({"ApiId": "ws-api-id"})))
    assert not sources.produces(MetricKey("AWS/Lambda", "Errors", dimensions({"Resource": "f"})))
    assert not sources.produces(MetricKey("AWS/Lambda", "Throttles", dimensions({"FunctionName": "f"})))


def test_the_gateway_records_requests_errors_and_latency_per_api_and_per_route() -> None:
    # Given the gateway in front of a function that fails on one path
    async def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 500 if event["rawPath"].endswith("broken") else 200, "body": "{}"}

    store = MetricStore()
    gateway = HttpGateway(
        [HttpRoute("GET", "/chatbots/{chatbot_id}", "Chatbots", None, api="HttpApi")],
        {},
        invoke,
        metrics=ApiMetrics(store, {"HttpApi": "api-1"}),
    )
    client = TestClient(Starlette(routes=[Route("/{path:path}", gateway.__call__, methods=["GET", "DELETE"])]))

    # When one request succeeds, one fails, one names no route of the API (a method it lacks), and one a path no
    # route holds (locally, all APIs share one host: whose path it is cannot be told, so it is counted nowhere)
    client.get("/chatbots/a")
    client.get("/chatbots/broken")
    client.delete("/chatbots/a")
    client.get("/nothing-here")

    # Then the API counts all three, one 5xx; the route counts its two; latency is recorded for each
    def total(name: str, **dims: str) -> float:
        return sum(value for _, value in store.samples(MetricKey("AWS/ApiGateway", name, dimensions(dims)), 0, 1e12))

    assert total("Count", ApiId="api-1") == 3
    assert total("5xx", ApiId="api-1") == 1
    assert total("4xx", ApiId="api-1", Stage="$default") == 1
    assert total("Count", ApiId="api-1", Stage="$default", Route="GET /chatbots/{chatbot_id}") == 2
    latencies = store.samples(MetricKey("AWS/ApiGateway", "Latency", dimensions({"ApiId": "api-1"})), 0, 1e12)
    assert len(latencies) == 3
    integration = MetricKey("AWS/ApiGateway", "IntegrationLatency", dimensions({"ApiId": "api-1"}))
    assert len(store.samples(integration, 0, 1e12)) == 2


HANDLERS = """
import json
import time


def answer(event, context):
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Parley", "Dimensions": [["service"]], "Metrics": [{"Name": "QuestionsAnswered"}]}]},
        "service": "parley", "QuestionsAnswered": 1}))
    print("a plain log line")
    return {"ok": True}


def fail(event, context):
    raise ValueError("the llama refused")
"""


def test_the_runtime_records_invocations_errors_durations_and_the_functions_emf_lines(tmp_path: Path) -> None:
    # Given two functions, one that publishes a metric and one that fails
    (tmp_path / "app.py").write_text(HANDLERS)
    specs = {
        name: FunctionSpec(name, tmp_path / "app.py", handler, 10, 256, tmp_path, "app")
        for name, handler in (("Answer", "answer"), ("Fail", "fail"))
    }
    store = MetricStore()
    observer = FunctionMetrics(store, {"Answer": "parley-Answer", "Fail": "parley-Fail"})
    runtime = FunctionRuntime(specs, lambda _: {}, observer=observer)
    try:
        # When each is invoked
        runtime.invoke("Answer", {})
        with pytest.raises(Exception, match="the llama refused"):
            runtime.invoke("Fail", {})
        # (the worker's stdout is read on a thread of its own: wait for the line)
        emf = MetricKey("Parley", "QuestionsAnswered", (("service", "parley"),))
        for _ in range(100):
            if store.samples(emf, 0, 1e12):
                break
            time.sleep(0.05)
    finally:
        runtime.close()

    # Then each function has its invocation, its error count and its duration, by physical name
    def values(name: str, function: str) -> list[float]:
        key = MetricKey("AWS/Lambda", name, dimensions({"FunctionName": function}))
        return [value for _, value in store.samples(key, 0, 1e12)]

    assert values("Invocations", "parley-Answer") == [1.0]
    assert values("Errors", "parley-Answer") == [0.0]
    assert values("Errors", "parley-Fail") == [1.0]
    assert len(values("Duration", "parley-Fail")) == 1
    assert values("ConcurrentExecutions", "parley-Answer") == [1.0]
    # And the metric the function printed is in the store
    assert [value for _, value in store.samples(emf, 0, 1e12)] == [1.0]
