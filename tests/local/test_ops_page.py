"""`/_ops` renders the dashboards of template.yaml (their resolved DashboardBody) on the local metrics, with the
alarms' states; a body PutDashboard refuses stops the stack."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from local.cloudwatch.alarms import AlarmEvaluator, template_alarms
from local.cloudwatch.dashboards import Dashboard, OperatorPage, check_dashboard_body, template_dashboards
from local.cloudwatch.metrics import LocalSources, MetricClock, MetricStore
from local.lambdas.runtime import lambda_environment
from local.markdown import markdown_html
from local.stack.provision import Provisioner
from local.template import Resolver, TemplateError, functions, load_template, parameter_values

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def repository() -> tuple[dict[str, Any], Resolver]:
    """template.yaml, its resources named as the local stack names those it does not create (`local-<id>`)."""
    template = load_template(ROOT / "template.yaml")
    return template, Resolver(template, parameter_values(template), lambda logical_id, _: f"local-{logical_id}")


class Clock:
    def __init__(self, now: float) -> None:
        self.value = now

    def __call__(self) -> float:
        return self.value


def _page(dashboards: list[Dashboard], store: MetricStore, evaluator: AlarmEvaluator) -> TestClient:
    page = OperatorPage(dashboards, store, evaluator, LocalSources(["local-HttpApi", "local-PublicApi"]))
    return TestClient(Starlette(routes=page.routes()))


def test_the_page_renders_the_template_dashboard_widgets_in_layout_order_with_what_was_measured(
    repository: Any,
) -> None:
    # Given the repository's dashboard and alarms, and some traffic measured
    template, resolver = repository
    dashboards = template_dashboards(template, resolver)
    alarms, composites = template_alarms(template, resolver)
    clock = Clock(100_000.0)
    store = MetricStore(MetricClock(60, clock))
    for status in (200, 200, 500):
        store.record("AWS/ApiGateway", "Count", 1, ApiId="local-HttpApi")
        store.record("AWS/ApiGateway", "5xx", float(status >= 500), ApiId="local-HttpApi")
    store.record("Parley", "Answers", 3, service="parley", mode="llm")
    store.record("Parley", "Answers", 1, service="parley", mode="degraded")
    evaluator = AlarmEvaluator(alarms, composites, store)
    clock.value += 5

    # When the page is read
    response = _page(dashboards, store, evaluator).get("/_ops")

    # Then every widget of the body is there, titled, in its layout order
    assert response.status_code == 200
    html = response.text
    body = json.loads(resolver.resolve(template["Resources"][dashboards[0].logical_id]["Properties"])["DashboardBody"])
    ordered = sorted(body["widgets"], key=lambda widget: (widget["y"], widget["x"]))
    titles = [widget["properties"]["title"] for widget in ordered if "title" in widget["properties"]]
    positions = [html.index(f"<h3>{escape(title)}</h3>") for title in titles]
    assert positions == sorted(positions)
    # And the measured figures: 3 requests, one 5xx, a degraded rate of 25 % from the expression
    requests = _widget(html, "Owners' API: requests and errors")
    assert re.search(r"Count</span> <span class='value'>3</span>", requests)
    assert re.search(r"5xx</span> <span class='value'>1</span>", requests)
    assert "Degraded (%)</span> <span class='value'>25</span>" in _widget(html, "Degraded answers (%)")
    # And what the local stack cannot measure, or run, says so
    assert "not available locally" in _widget(html, "Cognito: sign-ins, sign-ups, throttles")
    assert "runs in CloudWatch" in _widget(html, "Recent errors")
    # And every alarm is listed with its state
    for alarm in alarms:
        assert alarm.name in html.split("<h2 id='alarms'>")[1]


def _widget(html: str, title: str) -> str:
    start = html.index(f"<h3>{escape(title)}</h3>")
    return html[start : html.index("</article>", start)]


def test_the_text_widget_markdown_is_rendered_with_no_markup_of_its_own(repository: Any) -> None:
    # Given the repository's dashboard, whose text widget has a heading, bold and code
    template, resolver = repository
    store = MetricStore()

    # When the page is read
    html = _page(template_dashboards(template, resolver), store, AlarmEvaluator([], [], store)).get("/_ops").text

    # Then its Markdown is rendered: no `##`, `**` or backtick is left
    text = html[html.index("<article") : html.index("</article>")]
    assert "<h3>Parley dev: operators</h3>" in text
    assert "<strong>critical</strong>" in text
    assert "<code>local-AlarmTopic</code>" in text
    assert [marker for marker in ("##", "**", "`") if marker in text] == []


def test_markdown_is_escaped_before_it_is_rendered() -> None:
    text = "# <b>Ops</b>\nSee [runbook](https://example.com/run?a=1&b=2), not [this](javascript:alert(1)).\n\n- `<i>`"

    html = markdown_html(text)

    assert html == (
        '<h3>&lt;b&gt;Ops&lt;/b&gt;</h3><p>See <a href="https://example.com/run?a=1&amp;b=2">runbook</a>, not '
        "[this](javascript:alert(1)).</p><ul><li><code>&lt;i&gt;</code></li></ul>"
    )


def test_a_rate_with_no_answers_says_no_data_never_nan(repository: Any) -> None:
    # Given requests but no answer: the degraded rate divides 0 by 0 in every period
    template, resolver = repository
    clock = Clock(100_000.0)
    store = MetricStore(MetricClock(60, clock))
    store.record("AWS/ApiGateway", "Count", 1, "Count", ApiId="local-HttpApi")
    clock.value += 5

    # When the page is read
    html = _page(template_dashboards(template, resolver), store, AlarmEvaluator([], [], store)).get("/_ops").text

    # Then the rate has no data (CloudWatch drops what a division by zero yields), and no figure reads nan
    assert "Degraded (%)</span> <span class='note'>no data yet</span>" in _widget(html, "Degraded answers (%)")
    assert not re.search(r"\bnan\b", html, re.IGNORECASE)


def test_charts_have_a_time_axis_and_a_value_axis_in_the_metrics_unit(repository: Any) -> None:
    # Given requests counted and their latency measured
    template, resolver = repository
    clock = Clock(100_000.0)
    store = MetricStore(MetricClock(60, clock))
    for latency in (120.0, 480.0):
        store.record("AWS/ApiGateway", "Count", 1, "Count", ApiId="local-HttpApi")
        store.record("AWS/ApiGateway", "Latency", latency, "Milliseconds", ApiId="local-HttpApi")
    clock.value += 5

    # When the page is read
    html = _page(template_dashboards(template, resolver), store, AlarmEvaluator([], [], store)).get("/_ops").text

    # Then each chart has a value axis in its unit (the metric's, or the widget's axis label) and a time axis in UTC
    for title, unit, highest in (
        ("Owners' API: requests and errors", "count", "2"),
        ("Owners' API: latency", "ms", "480"),
    ):
        widget = _widget(html, title)
        value_axis = widget[widget.index('class="value-axis"') : widget.index('class="time-axis"')]
        assert f'data-unit="{unit}"' in value_axis
        assert f">0 {unit}</text>" in value_axis
        assert f">{highest} {unit}</text>" in widget  # the highest of one of the widget's statistics
        time_axis = widget[widget.index('class="time-axis"') :]
        assert re.search(r">\d\d:\d\d</text>.*>\d\d:\d\d UTC</text>", time_axis)


def test_the_repository_template_alarms_are_read_with_the_dlq_and_degraded_answer_rules(repository: Any) -> None:
    template, resolver = repository

    alarms, composites = template_alarms(template, resolver)

    by_id = {alarm.logical_id: alarm for alarm in alarms}
    dlq = by_id["IngestDeadLetterAlarm"].returned.key
    assert dlq is not None
    assert (dlq.namespace, dict(dlq.dimensions)) == ("AWS/SQS", {"QueueName": "local-IngestDeadLetterQueue"})
    degraded = by_id["DegradedAnswersAlarm"]
    assert ("Answers", "degraded") in {
        (query.key.name, dict(query.key.dimensions).get("mode")) for query in degraded.queries if query.key
    }
    known = {alarm.name for alarm in alarms} | {composite.name for composite in composites}
    assert all(composite.names() <= known for composite in composites)


def test_alarm_states_are_served_as_json(repository: Any) -> None:
    template, resolver = repository
    alarms, composites = template_alarms(template, resolver)
    store = MetricStore(MetricClock(2, Clock(1000.0)))
    evaluator = AlarmEvaluator(alarms, composites, store)
    evaluator.evaluate()

    report = _page([], store, evaluator).get("/_ops/alarms.json").json()

    assert report["metric_minute_seconds"] == 2
    states = {alarm["logical_id"]: alarm["state"] for alarm in report["alarms"]}
    assert states["IngestDeadLetterAlarm"] == "OK"  # no message received: missing data is not breaching


def test_an_expression_outside_the_local_subset_says_it_is_not_evaluated() -> None:
    widget = {
        "type": "metric",
        "properties": {
            "title": "Anomalies",
            "region": "us-east-1",
            "metrics": [
                ["Parley", "QuestionsAnswered", "service", "parley", {"id": "m1"}],
                [{"expression": "ANOMALY_DETECTION_BAND(m1, 2)", "id": "e1"}],
            ],
        },
    }
    store = MetricStore()
    store.record("Parley", "QuestionsAnswered", 1, service="parley")
    dashboard = Dashboard("D", "d", {"widgets": [widget]})

    html = _page([dashboard], store, AlarmEvaluator([], [], store)).get("/_ops").text

    assert "expression not evaluated locally" in html


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ({"widget": []}, "widgets"),
        ({"widgets": [{"type": "chart", "properties": {}}]}, "type"),
        ({"widgets": [{"type": "metric", "properties": {"metrics": []}}]}, "region"),
        ({"widgets": [{"type": "log", "properties": {"region": "us-east-1"}}]}, "query"),
        ({"widgets": [{"type": "text", "width": 25, "properties": {"markdown": "x"}}]}, "width"),
        ({"widgets": [{"type": "metric", "properties": {"region": "r", "metrics": [["Parley"]]}}]}, "namespace"),
        ({"widgets": [{"type": "metric", "properties": {"region": "r", "metrics": [[{"id": "e1"}]]}}]}, "expression"),
    ],
)
def test_a_dashboard_body_putdashboard_refuses_stops_the_stack(body: Any, refusal: Any) -> None:
    with pytest.raises(TemplateError, match=refusal):
        check_dashboard_body("Dashboard", body)


def test_a_dashboard_body_that_is_not_json_stops_the_stack() -> None:
    template = {"Resources": {"D": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": "{"}}}}
    resolver = Resolver(template, {}, lambda logical_id, _: f"local-{logical_id}")
    with pytest.raises(TemplateError, match="not JSON"):
        template_dashboards(template, resolver)


def test_the_dashboard_names_each_function_as_its_workers_run_under_it() -> None:
    # Powertools' ColdStart carries the worker's AWS_LAMBDA_FUNCTION_NAME; the dashboard's rows name `${Function}`:
    # locally both must be the same name, or the cold-start widget would stay empty.
    template = load_template(ROOT / "template.yaml")
    parameters = parameter_values(template, {})
    provisioner = Provisioner(template, parameters, client=lambda *_: None)
    kinds = {logical_id: resource["Type"] for logical_id, resource in template["Resources"].items()}
    resolver = Resolver(  # the functions' environments need other resources, which need AWS: stubs will do
        template,
        parameters,
        lambda logical_id, attribute: (
            provisioner.lookup(logical_id, attribute)
            if kinds[logical_id] == "AWS::Serverless::Function"
            else f"stub-{logical_id}"
        ),
    )

    for logical_id, spec in functions(template, resolver, ROOT).items():
        assert provisioner.lookup(logical_id, None) == lambda_environment(spec, {})["AWS_LAMBDA_FUNCTION_NAME"]
