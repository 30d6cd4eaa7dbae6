"""`/_ops`: the template's CloudWatch dashboards rendered from their DashboardBody on the local metric store, with
the state of every alarm; `/_ops/alarms.json` the same states for tools and tests.

One definition, two renderings: the page reads the widgets the template declares (after resolving `!Sub`), in their
layout order, and shows what the local stack measured for each metric. A metric the local stack does not produce
(CloudFront, Cognito, DynamoDB's consumed capacity…) says "not available locally" instead of a number; a metric math
expression outside the local subset (metric_math.py) says it is not evaluated; a Logs Insights widget shows
its query, which runs in CloudWatch only.

What PutDashboard refuses is refused when the stack starts (TemplateError), so a body that renders here deploys.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from local.cloudwatch.alarms import ALARM, OK, AlarmEvaluator, alarm_name
from local.cloudwatch.metric_math import NotEvaluated, Series, as_series, evaluate
from local.cloudwatch.metrics import LocalSources, MetricKey, MetricStore, dimensions
from local.markdown import markdown_html
from local.template import Resolver, TemplateError

WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")
DEFAULT_PERIOD = 300
DEFAULT_RANGE_SECONDS = 3 * 3600
_RANGE = re.compile(r"^-P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True)
class Dashboard:
    logical_id: str
    name: str
    body: dict[str, Any]

    @property
    def widgets(self) -> list[dict[str, Any]]:
        """The widgets in layout order: by row, then column (those without a position keep their place)."""
        placed = sorted(
            enumerate(self.body["widgets"]), key=lambda item: (item[1].get("y", item[0]), item[1].get("x", 0))
        )
        return [widget for _, widget in placed]


def template_dashboards(template: Mapping[str, Any], resolver: Resolver) -> list[Dashboard]:
    """Every AWS::CloudWatch::Dashboard, its body resolved and checked as PutDashboard checks it."""
    dashboards = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Dashboard":
            continue
        props = resolver.resolve(resource["Properties"])
        try:
            body = json.loads(props["DashboardBody"])
        except (KeyError, TypeError, ValueError) as error:
            raise TemplateError(f"{logical_id}: DashboardBody is not JSON: {error}") from None
        check_dashboard_body(logical_id, body)
        dashboards.append(Dashboard(logical_id, str(resolver.resolve({"Ref": logical_id})), body))
    return dashboards


def check_dashboard_body(owner: str, body: Any) -> None:
    """Raise TemplateError for a body CloudWatch's PutDashboard refuses (the rules the local page relies on)."""
    if not isinstance(body, dict) or not isinstance(body.get("widgets"), list):
        raise TemplateError(f"{owner}: a dashboard body is an object with a `widgets` array")
    for number, widget in enumerate(body["widgets"]):
        where = f"{owner}: widget {number}"
        if not isinstance(widget, dict) or widget.get("type") not in WIDGET_TYPES:
            raise TemplateError(f"{where}: `type` must be one of {', '.join(WIDGET_TYPES)}")
        for name, low, high in (("x", 0, 23), ("width", 1, 24), ("height", 1, 1000)):
            if name in widget and not (isinstance(widget[name], int) and low <= widget[name] <= high):
                raise TemplateError(f"{where}: `{name}` must be an integer from {low} to {high}")
        props = widget.get("properties")
        if not isinstance(props, dict):
            raise TemplateError(f"{where}: `properties` is required")
        required = {"metric": ("region",), "log": ("region", "query"), "text": ("markdown",), "alarm": ("alarms",)}
        for name in required.get(widget["type"], ()):
            if name not in props:
                raise TemplateError(f"{where}: `properties.{name}` is required")
        if widget["type"] == "metric":
            _metric_rows(where, props.get("metrics", []))


@dataclass(frozen=True)
class _Row:
    id: str
    options: dict[str, Any]
    key: MetricKey | None = None  # a metric, or
    expression: str = ""  # an expression

    def stat(self, widget: Mapping[str, Any]) -> str:
        return str(self.options.get("stat", widget.get("stat", "Average")))

    def label(self, widget: Mapping[str, Any]) -> str:
        if "label" in self.options:
            return str(self.options["label"])
        if self.key is None:
            return self.expression
        named = " ".join(value for _, value in self.key.dimensions)
        return f"{self.key.name} {named} ({self.stat(widget)})"


def _metric_rows(where: str, metrics: Any) -> list[_Row]:
    """A metric widget's rows, the `.` and `...` shorthands (the value above) expanded."""
    if not isinstance(metrics, list):
        raise TemplateError(f"{where}: `metrics` is an array of arrays")
    rows: list[_Row] = []
    previous: list[Any] = []
    for number, row in enumerate(metrics):
        if not isinstance(row, list) or not row:
            raise TemplateError(f"{where}: each metric is a non-empty array")
        options = row[-1] if isinstance(row[-1], dict) else {}
        parts = row[:-1] if options else list(row)
        row_id = str(options.get("id", f"m{number + 1}"))
        if not parts:
            if "expression" not in options:
                raise TemplateError(f"{where}: a metric array holding only options needs an `expression`")
            rows.append(_Row(row_id, options, expression=str(options["expression"])))
            continue
        if "..." in parts:
            at = parts.index("...")
            parts = parts[:at] + previous[at:]
        parts = [previous[i] if part == "." and i < len(previous) else part for i, part in enumerate(parts)]
        if len(parts) < 2 or len(parts) % 2 or not all(isinstance(part, str) for part in parts):
            raise TemplateError(f"{where}: a metric is [namespace, name, dimension, value, …] (strings), not {row}")
        previous = parts
        pairs = dict(zip(parts[2::2], parts[3::2], strict=True))
        rows.append(_Row(row_id, options, key=MetricKey(parts[0], parts[1], dimensions(pairs))))
    return rows


def _range_seconds(text: Any) -> int:
    """`-PT3H`, `-P1D`, `-PT15M`: how far back a widget looks (in metric time)."""
    found = _RANGE.match(str(text or ""))
    if not found or not any(found.groups()):
        return DEFAULT_RANGE_SECONDS
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return days * 86400 + hours * 3600 + minutes * 60


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


# CloudWatch's units as a chart's value axis names them (a unit not listed is shown as it is).
UNIT_LABELS = {"None": "", "Count": "count", "Milliseconds": "ms", "Seconds": "s", "Percent": "%", "Bytes": "bytes"}
# A chart's size and margins (SVG user units): room on the left for the values, below for the times.
_CHART = {"width": 320, "height": 120, "left": 58, "right": 10, "top": 8, "bottom": 22}


def _present(value: float | None) -> bool:
    """Whether a period has a datapoint: metric math yields NaN where it divides by zero, which CloudWatch drops."""
    return value is not None and math.isfinite(value)


def _chart(series: Series, grid: Sequence[float], label: str, unit: str) -> str:
    """The series as a line chart over the widget's range, with a time axis (UTC) and a value axis in `unit`; gaps
    where periods have no datapoint."""
    width, height = _CHART["width"], _CHART["height"]
    left, right, top, bottom = _CHART["left"], _CHART["right"], _CHART["top"], _CHART["bottom"]
    values = [value if _present(value) else None for value in (series.get(at) for at in grid)]
    present = [value for value in values if value is not None]
    if not present:
        return ""
    low, high = min([*present, 0.0]), max([*present, 0.0])
    span = (high - low) or 1.0
    plot_width, plot_height = width - left - right, height - top - bottom
    step = plot_width / max(len(grid) - 1, 1)

    def x(index: int) -> float:
        return left + index * step

    def y(value: float) -> float:
        return top + plot_height - (value - low) / span * plot_height

    lines: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            lines.append([])
        else:
            lines[-1].append((x(index), y(value)))
    drawn = "".join(
        f'<polyline points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" class="line"/>'
        if len(points) > 1
        else f'<circle cx="{points[0][0]:.1f}" cy="{points[0][1]:.1f}" r="2.5" class="dot"/>'
        for points in lines
        if points
    )
    suffix = f" {unit}" if unit else ""
    value_axis = "".join(
        f'<text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(_number(value) + suffix)}</text>'
        f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
        for value in dict.fromkeys([high, low])
    )
    first, last = (datetime.fromtimestamp(at, UTC).strftime("%H:%M") for at in (grid[0], grid[-1]))
    time_axis = (
        f'<text x="{left}" y="{height - 6}" text-anchor="start">{first}</text>'
        f'<text x="{width - right}" y="{height - 6}" text-anchor="end">{last} UTC</text>'
    )
    summary = (
        f"{label}: {len(present)} periods with data from {first} to {last} UTC, latest {_number(present[-1])}"
        f"{suffix}, highest {_number(max(present))}{suffix}"
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(summary)}">'
        f'<g class="value-axis" data-unit="{escape(unit)}">{value_axis}</g>'
        f'<g class="time-axis">{time_axis}'
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_height}" y2="{top + plot_height}" class="axis"/>'
        f'</g><line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_height}" class="axis"/>{drawn}</svg>'
    )


class OperatorPage:
    """The `/_ops` routes of the local stack."""

    def __init__(
        self,
        dashboards: Sequence[Dashboard],
        store: MetricStore,
        alarms: AlarmEvaluator,
        sources: LocalSources,
    ) -> None:
        self.dashboards = list(dashboards)
        self.store = store
        self.alarms = alarms
        self.sources = sources

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_ops", self.page, methods=["GET"]),
            Route("/_ops/alarms.json", self.alarms_json, methods=["GET"]),
        ]

    async def alarms_json(self, _: Request) -> Response:
        return JSONResponse({"metric_minute_seconds": self.store.clock.minute, "alarms": self.alarms.report()})

    async def page(self, _: Request) -> Response:
        return HTMLResponse(self.render(), headers={"Cache-Control": "no-store"})

    def render(self) -> str:
        now = self.store.clock.now()
        sections = []
        for dashboard in self.dashboards:
            widgets = "".join(self._widget(widget, now) for widget in dashboard.widgets)
            sections.append(
                f'<section aria-labelledby="d-{escape(dashboard.logical_id)}">'
                f'<h2 id="d-{escape(dashboard.logical_id)}">Dashboard {escape(dashboard.name)}</h2>'
                f'<div class="grid">{widgets}</div></section>'
            )
        if not sections:
            sections.append("<p>template.yaml declares no AWS::CloudWatch::Dashboard.</p>")
        minute = self.store.clock.minute
        scale = (
            "as in CloudWatch"
            if minute == 60
            else f"one metric minute lasts {minute:g} s here (--metric-minute): every period is scaled by it"
        )
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            # No icon to fetch: a request the page does not need is an error in the browser's console.
            "<link rel='icon' href='data:,'>"
            f"<title>Parley operations (local)</title><style>{_CSS}</style></head><body><main>"
            "<h1>Parley operations (local)</h1>"
            f"<p>The dashboards and alarms of template.yaml on what this local stack measured, at {stamp}; {scale}. "
            "Reload the page for newer figures; <a href='/_ops/alarms.json'>alarm states as JSON</a>.</p>"
            + "".join(sections)
            + self._alarm_section()
            + "</main></body></html>"
        )

    def _widget(self, widget: Mapping[str, Any], now: float) -> str:
        props = widget["properties"]
        kind = widget["type"]
        title = str(props.get("title") or {"text": "Notes", "alarm": "Alarms"}.get(kind, kind))
        if kind == "metric":
            content = self._metric_widget(props, now)
        elif kind == "text":
            content = markdown_html(str(props["markdown"]))
        elif kind == "log":
            content = (
                f"<pre>{escape(str(props['query']))}</pre><p class='note'>A Logs Insights query: it runs in "
                "CloudWatch, not evaluated locally.</p>"
            )
        elif kind == "alarm":
            content = self._alarm_widget(props["alarms"])
        else:
            content = f"<p class='note'>A {escape(kind)} widget is not rendered locally.</p>"
        heading = "" if kind == "text" and "title" not in props else f"<h3>{escape(title)}</h3>"
        span = int(widget.get("width", 6))
        return f'<article class="widget" style="grid-column: span {span}">{heading}{content}</article>'

    def _metric_widget(self, props: Mapping[str, Any], now: float) -> str:
        rows = _metric_rows("widget", props.get("metrics", []))
        clock = self.store.clock
        end = now
        start = end - clock.seconds(_range_seconds(props.get("start")))
        widget_period = int(props.get("period", DEFAULT_PERIOD))
        series: dict[str, Series] = {}
        unavailable: set[str] = set()
        grids: dict[str, list[float]] = {}
        for row in rows:
            if row.key is None:
                continue
            period = clock.seconds(int(row.options.get("period", widget_period)))
            aligned = start // period * period
            grids[row.id] = [aligned + n * period for n in range(int((end - aligned) // period) + 1)]
            if not self.sources.produces(row.key):
                unavailable.add(row.id)
                continue
            series[row.id] = self.store.statistics(row.key, row.stat(props), period, aligned, end)
        period = clock.seconds(widget_period)
        aligned = start // period * period
        grid = [aligned + n * period for n in range(int((end - aligned) // period) + 1)]
        items = []
        for row in rows:
            if row.options.get("visible") is False:
                continue
            items.append(
                self._series_item(
                    row,
                    series=series,
                    unavailable=unavailable,
                    row_grid=grids.get(row.id, grid),
                    grid=grid,
                    props=props,
                )
            )
        return f"<ul class='series'>{''.join(items)}</ul>"

    def _series_item(
        self,
        row: _Row,
        *,
        series: dict[str, Series],
        unavailable: set[str],
        row_grid: Sequence[float],
        grid: Sequence[float],
        props: Mapping[str, Any],
    ) -> str:
        label = escape(row.label(props))
        if row.id in unavailable:
            return f"<li><span class='label'>{label}</span> <span class='note'>not available locally</span></li>"
        if row.key is None:
            named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", row.expression))
            if named & unavailable:
                return f"<li><span class='label'>{label}</span> <span class='note'>not available locally</span></li>"
            try:
                metrics = [values for key, values in series.items() if key not in unavailable]
                values = as_series(evaluate(row.expression, series, grid, metrics), grid)
            except NotEvaluated as error:
                return (
                    f"<li><span class='label'>{label}</span> <span class='note'>expression not evaluated locally "
                    f"({escape(str(error))})</span></li>"
                )
            series[row.id] = values
            row_grid = grid
        else:
            values = series[row.id]
        present = [values[at] for at in row_grid if _present(values.get(at))]
        if not present:
            return f"<li><span class='label'>{label}</span> <span class='note'>no data yet</span></li>"
        unit = self._unit(row, props)
        latest = f"<span class='value'>{_number(present[-1])}</span>"
        if unit:
            latest += f" <span class='unit'>{escape(unit)}</span>"
        chart = "" if props.get("view") == "singleValue" else _chart(values, row_grid, html.unescape(label), unit)
        return f"<li><span class='label'>{label}</span> {latest} {chart}</li>"

    def _unit(self, row: _Row, props: Mapping[str, Any]) -> str:
        """What a row's values are in: the widget's left axis label if it has one (as CloudWatch shows it), else the
        unit its metric was published with (an expression has none)."""
        axis = props.get("yAxis", {}).get("left", {})
        if axis.get("label"):
            return str(axis["label"])
        if row.key is None:
            return ""
        unit = self.store.unit(row.key)
        return UNIT_LABELS.get(unit, unit)

    def _alarm_widget(self, alarms: Sequence[Any]) -> str:
        states = {row["name"]: row for row in self.alarms.report()}
        items = []
        for reference in alarms:
            name = alarm_name(str(reference))
            state = states.get(name, {}).get("state", "unknown alarm")
            items.append(f"<li>{_badge(state)} {escape(name)}</li>")
        return f"<ul class='alarms'>{''.join(items)}</ul>"

    def _alarm_section(self) -> str:
        rows = []
        for alarm in self.alarms.report():
            if alarm["type"] == "composite":
                rule = f"<code>{escape(alarm['rule'])}</code>"
            else:
                rule = escape(
                    f"{alarm['comparison']} {alarm['threshold']:g} for {alarm['datapoints_to_alarm']} of "
                    f"{alarm['evaluation_periods']} periods of {alarm['period']} s "
                    f"(missing data: {alarm['treat_missing_data']})"
                )
            rows.append(
                f"<tr><th scope='row'>{escape(alarm['name'])}<br><span class='note'>"
                f"{escape(alarm['description'])}</span></th><td>{_badge(alarm['state'])}</td>"
                f"<td>{rule}</td><td>{escape(alarm['reason'])}</td></tr>"
            )
        if not rows:
            return "<section><h2>Alarms</h2><p>template.yaml declares no alarm.</p></section>"
        return (
            "<section aria-labelledby='alarms'><h2 id='alarms'>Alarms</h2><table><thead><tr><th scope='col'>Alarm</th>"
            "<th scope='col'>State</th><th scope='col'>Rule</th><th scope='col'>Reason</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></section>"
        )


def _badge(state: str) -> str:
    kind = {ALARM: "alarm", OK: "ok"}.get(state, "unknown")
    return f"<span class='state {kind}'>{escape(state)}</span>"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f4f5f7}"
    "main{max-width:90rem;margin:auto;padding:1rem}"
    ".grid{display:grid;grid-template-columns:repeat(24,1fr);gap:.75rem}"
    ".widget{background:#fff;border:1px solid #c8ccd2;border-radius:4px;padding:.5rem .75rem;min-width:0}"
    ".widget h3{font-size:1rem;margin:.2rem 0 .5rem}"
    ".series,.alarms{list-style:none;padding:0;margin:0}.series li,.alarms li{margin:.3rem 0}"
    ".label{display:block;font-size:.85rem}.value{font-size:1.3rem;font-weight:600;margin-right:.5rem}"
    ".note{color:#505a66;font-size:.85rem}.unit{color:#505a66;font-size:.85rem}"
    ".chart{display:block;width:100%;max-width:24rem;height:auto;margin:.2rem 0 .4rem;font-size:10px;fill:#3d4651}"
    ".chart .line{fill:none;stroke:#1a4f9c;stroke-width:1.5}.chart .dot{fill:#1a4f9c}"
    ".chart .axis{stroke:#5b6470}.chart .grid{stroke:#dde1e6;stroke-dasharray:2 2}"
    ".widget code{background:#eef0f3;padding:0 .2rem;border-radius:2px}"
    "pre{white-space:pre-wrap;font-size:.8rem;background:#eef0f3;padding:.4rem}"
    "table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #c8ccd2;padding:.4rem;"
    "text-align:left;vertical-align:top;font-size:.9rem}"
    ".state{font-weight:700;padding:.1rem .35rem;border-radius:3px;color:#fff}"
    ".state.ok{background:#1e6b34}.state.alarm{background:#b3261e}.state.unknown{background:#5b6470}"
    "@media (max-width:60rem){.widget{grid-column:1/-1 !important}}"
)
