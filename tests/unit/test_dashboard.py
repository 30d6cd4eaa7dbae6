"""The dashboard and the alarms of template.yaml against what exists (issue 14, item 5): every metric the code
publishes is on the dashboard, and every metric a widget or an alarm names is published by the code or is a
CloudWatch metric of a resource of the template, its dimensions naming resources that exist."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from parley.observability import COLD_START, METRICS, NAMESPACE

from local.stack.stack import ROOT
from local.template import Resolver, load_template, parameter_values

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
SERVICE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
FUNCTIONS = sorted(name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::Serverless::Function")

# The AWS metrics the dashboard and alarms may use: per resource type, its namespace, the dimension that names the
# resource (its Ref or attribute), the other dimensions allowed with their values, and the metric names.
AWS_METRICS: dict[str, dict[str, Any]] = {
    "AWS::Serverless::Function": {
        "namespace": "AWS/Lambda",
        "names": {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"},
        "resource_dimension": "FunctionName",
        "other": {},
    },
    "AWS::Serverless::HttpApi": {
        "namespace": "AWS/ApiGateway",
        "names": {"Count", "4xx", "5xx", "Latency", "IntegrationLatency"},
        "resource_dimension": "ApiId",
        "other": {},
    },
    "AWS::ApiGatewayV2::Api": {  # the WebSocket API, per stage
        "namespace": "AWS/ApiGateway",
        "names": {"ConnectCount", "MessageCount", "ClientError", "ExecutionError", "IntegrationError"}
        | {"IntegrationLatency"},
        "resource_dimension": "ApiId",
        "other": {"Stage": {"dev", "prod"}},
    },
    "AWS::SQS::Queue": {
        "namespace": "AWS/SQS",
        "names": {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesReceived"},
        "resource_dimension": "QueueName",
        "other": {},
    },
    "AWS::DynamoDB::Table": {
        "namespace": "AWS/DynamoDB",
        "names": {"ReadThrottleEvents", "WriteThrottleEvents", "SystemErrors"}
        | {"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"},
        "resource_dimension": "TableName",
        "other": {
            "Operation": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem"}
            | {"BatchWriteItem", "TransactWriteItems"}
        },
    },
    "AWS::Cognito::UserPool": {
        "namespace": "AWS/Cognito",
        "names": {"SignInSuccesses", "SignUpSuccesses", "TokenRefreshSuccesses"}
        | {"SignInThrottles", "SignUpThrottles", "TokenRefreshThrottles"},
        "resource_dimension": "UserPool",
        "other": {},  # UserPoolClient: names a resource of that type
    },
}


def _lookup(logical_id: str, attribute: str | None) -> str:
    """A resource's Ref or attribute as its logical id, so that a dimension shows which resource it names; an
    unknown resource fails the test."""
    assert logical_id in RESOURCES, f"{logical_id} is not a resource of the template"
    if attribute not in (None, "Arn", "QueueName", "TopicName", "RuleName"):
        pytest.fail(f"{logical_id}.{attribute} is not an attribute the monitoring uses")
    return logical_id


RESOLVER = Resolver(TEMPLATE, parameter_values(TEMPLATE), _lookup)
DASHBOARD = json.loads(RESOLVER.resolve(RESOURCES["Dashboard"]["Properties"]["DashboardBody"]))
ALARMS = {name: resource for name, resource in RESOURCES.items() if resource["Type"] == "AWS::CloudWatch::Alarm"}

Metric = tuple[str, str, frozenset[tuple[str, str]]]  # namespace, name, dimensions


def _dashboard_metrics() -> list[Metric]:
    metrics = []
    for widget in DASHBOARD["widgets"]:
        for row in widget["properties"].get("metrics", []):
            parts = [part for part in row if not isinstance(part, dict)]
            if not parts:
                continue  # a math expression, checked with the metrics it names
            namespace, name, *pairs = parts
            assert len(pairs) % 2 == 0, row
            metrics.append((namespace, name, frozenset(zip(pairs[::2], pairs[1::2], strict=True))))
    return metrics


def _alarm_metrics() -> list[Metric]:
    metrics = []
    for alarm in ALARMS.values():
        properties = RESOLVER.resolve(alarm["Properties"])
        stats = [query["MetricStat"]["Metric"] for query in properties.get("Metrics", []) if "MetricStat" in query]
        if "MetricName" in properties:
            stats.append(properties)
        for stat in stats:
            dimensions = frozenset((d["Name"], d["Value"]) for d in stat.get("Dimensions", []))
            metrics.append((stat["Namespace"], stat["MetricName"], dimensions))
    return metrics


def _published() -> set[Metric]:
    """Every metric (with its dimensions) the code can publish."""
    published: set[Metric] = set()
    for name, spec in METRICS.items():
        for values in itertools.product(*spec.dimensions.values()):
            dimensions = {("service", SERVICE), *zip(spec.dimensions, values, strict=True)}
            published.add((NAMESPACE, name, frozenset(dimensions)))
    cold_start, function_dimension = COLD_START
    for function in FUNCTIONS:
        published.add((NAMESPACE, cold_start, frozenset({("service", SERVICE), (function_dimension, function)})))
    return published


def test_every_metric_the_code_publishes_is_on_the_dashboard() -> None:
    missing = _published() - set(_dashboard_metrics())

    assert not missing, sorted(missing)


@pytest.mark.parametrize("source", ["dashboard", "alarms"])
def test_every_metric_shown_or_alarmed_on_exists(source: Any) -> None:
    metrics = _dashboard_metrics() if source == "dashboard" else _alarm_metrics()
    published = _published()
    problems = []
    for namespace, name, dimensions in metrics:
        if namespace == NAMESPACE:
            if (namespace, name, dimensions) not in published:
                problems.append(f"{name} {dict(dimensions)} is not published by the code")
            continue
        problem = _aws_metric_problem(namespace, name, dict(dimensions))
        if problem:
            problems.append(problem)

    assert metrics
    assert not problems, problems


def _aws_metric_problem(namespace: str, name: str, dimensions: dict[str, str]) -> str | None:
    for resource_type, known in AWS_METRICS.items():
        resource = dimensions.get(known["resource_dimension"])
        if known["namespace"] != namespace or resource not in RESOURCES:
            continue
        if RESOURCES[resource]["Type"] != resource_type:
            continue
        if name not in known["names"]:
            return f"{namespace} {name} is not a metric of {resource_type} ({resource})"
        others = {key: value for key, value in dimensions.items() if key != known["resource_dimension"]}
        for key, value in others.items():
            allowed = known["other"].get(key, set())
            if value not in allowed and not (value in RESOURCES and key in RESOURCES[value]["Type"]):
                return f"{namespace} {name}: dimension {key}={value} names nothing of {resource}"
        return None
    return f"{namespace} {name} {dimensions} names no resource of the template"


def test_the_degraded_answer_alarm_is_a_rate_of_every_answer_mode() -> None:
    properties = RESOLVER.resolve(ALARMS["DegradedAnswersAlarm"]["Properties"])
    queries = {query["Id"]: query for query in properties["Metrics"]}
    (expression,) = [query["Expression"] for query in queries.values() if query.get("ReturnData")]
    modes = {
        query["Id"]: {d["Name"]: d["Value"] for d in query["MetricStat"]["Metric"]["Dimensions"]}["mode"]
        for query in queries.values()
        if "MetricStat" in query
    }

    assert set(modes.values()) == set(METRICS["Answers"].dimensions["mode"])
    assert set(re.findall(r"[a-z_]+(?=, 0\))", expression)) == set(modes)
    assert expression.startswith("100 * FILL(answers_degraded, 0) / (")
    assert properties["Threshold"] == TEMPLATE["Parameters"]["DegradedAnswerRatePercent"]["Default"]


def test_the_dead_letter_alarm_fires_on_any_message_in_the_ingest_dead_letter_queue() -> None:
    # Counted as received, not as the depth: the dead-letter function takes every message at once, so the depth is
    # back to 0 before a sample (tests/e2e/test_operator_page.py drives this alarm on the local stack).
    properties = RESOLVER.resolve(ALARMS["IngestDeadLetterAlarm"]["Properties"])

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/SQS", "NumberOfMessagesReceived")
    assert properties["Dimensions"] == [{"Name": "QueueName", "Value": "IngestDeadLetterQueue"}]
    assert (properties["Statistic"], properties["Period"], properties["EvaluationPeriods"]) == ("Sum", 60, 1)
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_the_critical_alarm_rolls_up_every_alarm_and_alone_notifies_the_topic() -> None:
    critical = RESOLVER.resolve(RESOURCES["CriticalAlarm"]["Properties"])

    assert set(re.findall(r'ALARM\("(\w+)"\)', critical["AlarmRule"])) == set(ALARMS)
    assert critical["AlarmActions"] == critical["OKActions"] == ["AlarmTopic"]
    assert not any("AlarmActions" in alarm["Properties"] for alarm in ALARMS.values())
    assert RESOURCES["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_that_serves_or_works_is_counted_by_one_function_alarm(metric: str) -> None:
    # The custom resource's function runs only during a deploy, whose failure shows it; every other function is
    # counted by the API functions' alarm or by the background functions' alarm, never by both.
    counted: list[str] = []
    for group in ("Api", "Background"):
        properties = RESOLVER.resolve(ALARMS[f"{group}Function{metric}Alarm"]["Properties"])
        stats = [query["MetricStat"] for query in properties["Metrics"] if "MetricStat" in query]
        assert {(stat["Metric"]["Namespace"], stat["Metric"]["MetricName"]) for stat in stats} == {
            ("AWS/Lambda", metric)
        }
        counted += [stat["Metric"]["Dimensions"][0]["Value"] for stat in stats]

    assert sorted(counted) == sorted(set(FUNCTIONS) - {"WebConfigFunction"})


def test_every_function_is_on_each_per_function_widget_and_in_the_recent_errors() -> None:
    # CloudFormation cannot write a widget's rows from one list of functions, so each widget lists them: every one.
    per_function = {}
    for widget in DASHBOARD["widgets"]:
        metrics = [[part for part in row if isinstance(part, str)] for row in widget["properties"].get("metrics", [])]
        dimensions = [dict(zip(metric[2::2], metric[3::2], strict=True)) for metric in metrics if metric]
        named = [pairs.get("FunctionName") or pairs.get("function_name") for pairs in dimensions]
        if any(named):
            per_function[widget["properties"]["title"]] = sorted(name for name in named if name)
    (errors,) = [widget for widget in DASHBOARD["widgets"] if widget["properties"].get("title") == "Recent errors"]

    assert len(per_function) == 6  # invocations, errors, throttles, duration, concurrency, cold starts
    assert all(functions == FUNCTIONS for functions in per_function.values()), per_function
    assert sorted(re.findall(r"SOURCE '(\w+)LogGroup'", errors["properties"]["query"])) == FUNCTIONS


def test_log_widgets_and_insight_rules_read_log_groups_of_the_template() -> None:
    log_groups = {name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::Logs::LogGroup"}
    queries = [widget["properties"]["query"] for widget in DASHBOARD["widgets"] if widget["type"] == "log"]
    rules = [
        json.loads(RESOLVER.resolve(resource["Properties"]["RuleBody"]))
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::CloudWatch::InsightRule"
    ]

    read = {group for query in queries for group in re.findall(r"SOURCE '(\w+)'", query)}
    read |= {group for rule in rules for group in rule["LogGroupNames"]}
    assert len(queries) == 3
    assert len(rules) == 3
    assert read <= log_groups
    assert all(rule["Contribution"]["Keys"] == ["$.tenant_id"] for rule in rules)


def test_the_code_publishes_only_through_the_list_of_metrics() -> None:
    # METRICS is complete only if nothing adds a metric around it.
    sources = [*(ROOT / "layers/parley/parley").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    direct = [path.name for path in sources if "add_metric(" in path.read_text() and path.name != "observability.py"]
    recorded = {name for path in sources for name in re.findall(r'\brecord\(\s*"(\w+)"', path.read_text())}

    assert direct == []
    assert recorded == set(METRICS)  # and every declared metric is recorded somewhere
