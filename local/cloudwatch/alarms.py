"""The template's CloudWatch alarms, evaluated on the local metric store as CloudWatch evaluates them.

Each `AWS::CloudWatch::Alarm` keeps its rule: the metric (or metric math `Metrics`, the one with ReturnData), its
Statistic or ExtendedStatistic, Period, EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator and
TreatMissingData; only the period's length is scaled by the stack's metric minute (metrics.py). Every metric
minute the last EvaluationPeriods complete periods are read and the state decided; `AWS::CloudWatch::CompositeAlarm`s
follow from their AlarmRule. Transitions are kept, as CloudWatch's alarm history, and logged (`Alarm <name>: OK ->
ALARM (why)`): a warning when an alarm goes off, information when it clears, detail for the rest (every alarm's
first evaluation into OK at start is no warning).

What CloudWatch refuses at PutMetricAlarm / PutCompositeAlarm is refused here when the stack starts (a TemplateError),
so a template that runs locally does not fail to deploy for it.

Missing data, for the last N periods with M datapoints to alarm: `breaching` and `notBreaching` count a missing
period as breaching or not; `missing` and `ignore` decide on the datapoints present. With none present, `missing`
goes to INSUFFICIENT_DATA and `ignore` keeps the state; with fewer than M present, all breaching, `missing` alarms
and `ignore` keeps the state; otherwise M breaching datapoints alarm and anything else is OK.
"""

from __future__ import annotations

import logging
import math
import operator
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from local.cloudwatch.metric_math import NotEvaluated, Series, as_series, evaluate
from local.cloudwatch.metrics import STATISTICS, MetricKey, MetricStore, dimensions, is_percentile
from local.template import Resolver, TemplateError

log = logging.getLogger("local")

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, ">="),
    "GreaterThanThreshold": (operator.gt, ">"),
    "LessThanThreshold": (operator.lt, "<"),
    "LessThanOrEqualToThreshold": (operator.le, "<="),
}
TREAT_MISSING_DATA = ("missing", "ignore", "breaching", "notBreaching")
HISTORY_KEPT = 100
_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class MetricQuery:
    """One entry of an alarm's metrics: a metric with its statistic and period, or an expression over the others."""

    id: str
    return_data: bool
    key: MetricKey | None = None
    stat: str = ""
    period: int = 0
    expression: str = ""
    label: str = ""


def _period(owner: str, value: Any) -> int:
    period = int(value)
    # CloudWatch alarms take periods of 10 s, 30 s or whole minutes.
    if period not in (10, 30) and (period < 60 or period % 60):
        raise TemplateError(f"{owner}: Period {period} must be 10, 30 or a multiple of 60")
    return period


def _stat(owner: str, stat: str) -> str:
    if stat not in STATISTICS and not is_percentile(stat):
        raise TemplateError(f"{owner}: {stat!r} is not a CloudWatch statistic")
    return stat


def _metric_key(metric: Mapping[str, Any]) -> MetricKey:
    pairs = {item["Name"]: item["Value"] for item in metric.get("Dimensions", [])}
    return MetricKey(str(metric["Namespace"]), str(metric["MetricName"]), dimensions(pairs))


@dataclass(frozen=True)
class MetricAlarm:
    logical_id: str
    name: str
    description: str
    queries: tuple[MetricQuery, ...]
    period: int  # of the datapoints compared with the threshold
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str

    @classmethod
    def of(cls, logical_id: str, name: str, props: Mapping[str, Any]) -> MetricAlarm:
        """The alarm of resolved `props`; what PutMetricAlarm refuses raises TemplateError."""
        owner = f"{logical_id} (AWS::CloudWatch::Alarm)"
        comparison = props.get("ComparisonOperator")
        if comparison not in COMPARISONS:
            # The anomaly-detection operators need a band CloudWatch trains; nothing local can stand in for it.
            raise TemplateError(f"{owner}: ComparisonOperator {comparison!r} is not evaluated locally")
        if "Threshold" not in props:
            raise TemplateError(f"{owner}: Threshold is required")
        evaluation_periods = int(props.get("EvaluationPeriods", 0))
        datapoints = int(props.get("DatapointsToAlarm", evaluation_periods))
        if evaluation_periods < 1 or not 1 <= datapoints <= evaluation_periods:
            raise TemplateError(f"{owner}: needs 1 <= DatapointsToAlarm <= EvaluationPeriods")
        treat = props.get("TreatMissingData", "missing")
        if treat not in TREAT_MISSING_DATA:
            raise TemplateError(f"{owner}: TreatMissingData must be one of {', '.join(TREAT_MISSING_DATA)}")
        if ("MetricName" in props) == ("Metrics" in props):
            raise TemplateError(f"{owner}: give either MetricName or Metrics")
        if "MetricName" in props:
            if ("Statistic" in props) == ("ExtendedStatistic" in props):
                raise TemplateError(f"{owner}: give either Statistic or ExtendedStatistic")
            period = _period(owner, props.get("Period", 0))
            stat = _stat(owner, props.get("Statistic") or props["ExtendedStatistic"])
            queries: tuple[MetricQuery, ...] = (MetricQuery("m1", True, _metric_key(props), stat, period),)
        else:
            queries = tuple(_query(owner, item) for item in props["Metrics"])
            returned = [query for query in queries if query.return_data]
            if len(returned) != 1:
                raise TemplateError(f"{owner}: exactly one of its Metrics must have ReturnData true")
            ids = [query.id for query in queries]
            if len(set(ids)) != len(ids):
                raise TemplateError(f"{owner}: the Ids of its Metrics must be unique")
            periods = {query.period for query in queries if query.key}
            if not periods:
                raise TemplateError(f"{owner}: its Metrics name no metric")
            period = returned[0].period or max(periods)
        if period >= 60 and period * evaluation_periods > 86_400:
            raise TemplateError(f"{owner}: Period x EvaluationPeriods must not exceed one day")
        return cls(
            logical_id,
            name,
            str(props.get("AlarmDescription", "")),
            queries,
            period,
            evaluation_periods,
            datapoints,
            float(props["Threshold"]),
            comparison,
            treat,
        )

    @property
    def returned(self) -> MetricQuery:
        return next(query for query in self.queries if query.return_data)

    def values(self, store: MetricStore, end: float) -> list[float | None]:
        """The datapoint of each of the last EvaluationPeriods periods ending at `end` (local seconds), oldest
        first; None where the period has none."""
        period = store.clock.seconds(self.period)
        start = end - self.evaluation_periods * period
        grid = [start + n * period for n in range(self.evaluation_periods)]
        series: dict[str, Series] = {}
        for query in self.queries:
            if query.key is not None:
                series[query.id] = store.statistics(query.key, query.stat, period, start, end)
        pending = [query for query in self.queries if query.expression]
        # Expressions may name expressions listed after them: evaluate whatever is ready until all are.
        while pending:
            ready = [query for query in pending if not set(_ids(query.expression)) - set(series)]
            if not ready:
                raise NotEvaluated(f"{', '.join(query.id for query in pending)} name unknown ids")
            for query in ready:
                value = evaluate(query.expression, series, grid, [series[q.id] for q in self.queries if q.key])
                series[query.id] = as_series(value, grid)
                pending.remove(query)
        result = series[self.returned.id]
        return [None if at not in result or math.isnan(result[at]) else result[at] for at in grid]

    def decide(self, values: Sequence[float | None], current: str) -> tuple[str, str]:
        """The state the datapoints (oldest first) put the alarm in, and why."""
        compare, symbol = COMPARISONS[self.comparison]
        present = [value for value in values if value is not None]
        missing = len(values) - len(present)
        breaching = sum(1 for value in present if compare(value, self.threshold))
        if self.treat_missing_data == "breaching":
            breaching += missing
        shown = "[" + ", ".join("-" if value is None else f"{value:g}" for value in values) + "]"
        told = f"datapoints {shown} against {symbol} {self.threshold:g}"
        if self.treat_missing_data in ("missing", "ignore") and (
            not present or (len(present) < self.datapoints_to_alarm and breaching == len(present))
        ):
            if self.treat_missing_data == "ignore":
                return current, f"too few datapoints, state kept (ignore): {told}"
            if not present:
                return INSUFFICIENT_DATA, f"no datapoints in the last {len(values)} periods"
            return ALARM, f"every datapoint present breaches: {told}"
        if breaching >= self.datapoints_to_alarm:
            return ALARM, f"{breaching} of {len(values)} breaching (>= {self.datapoints_to_alarm}): {told}"
        return OK, f"{breaching} of {len(values)} breaching (< {self.datapoints_to_alarm}): {told}"


def _ids(expression: str) -> list[str]:
    return [token for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression) if _ID.match(token)]


def _query(owner: str, item: Mapping[str, Any]) -> MetricQuery:
    query_id = str(item.get("Id", ""))
    if not _ID.match(query_id):
        raise TemplateError(f"{owner}: metric Id {query_id!r} must start with a lowercase letter")
    return_data = item.get("ReturnData", True) not in (False, "false", "False")
    label = str(item.get("Label", ""))
    if ("MetricStat" in item) == ("Expression" in item):
        raise TemplateError(f"{owner}: metric {query_id} needs either MetricStat or Expression")
    if "Expression" in item:
        return MetricQuery(query_id, return_data, expression=str(item["Expression"]), label=label)
    stat = item["MetricStat"]
    return MetricQuery(
        query_id,
        return_data,
        _metric_key(stat["Metric"]),
        _stat(owner, str(stat["Stat"])),
        _period(owner, stat["Period"]),
        label=label,
    )


@dataclass(frozen=True)
class CompositeAlarm:
    logical_id: str
    name: str
    description: str
    rule: str

    def names(self) -> set[str]:
        """The alarms its rule names."""
        return {alarm_name(argument) for argument in re.findall(r"\(\s*(\"[^\"]*\"|[^()\s]+)\s*\)", self.rule)}

    def decide(self, states: Mapping[str, str]) -> tuple[str, str]:
        truth = _RuleParser(_rule_tokens(self.rule), states).rule()
        return (ALARM, f"{self.rule} is TRUE") if truth else (OK, f"{self.rule} is FALSE")


def alarm_name(argument: str) -> str:
    """An alarm named in a rule by name or ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`)."""
    name = argument.strip().strip('"')
    return name.split(":alarm:", 1)[1] if ":alarm:" in name else name


def _rule_tokens(rule: str) -> list[str]:
    return re.findall(r"\"[^\"]*\"|[()]|[^\s()]+", rule)


class _RuleParser:
    """ALARM(x), OK(x), INSUFFICIENT_DATA(x), TRUE, FALSE, NOT, AND, OR and parentheses (NOT binds tightest)."""

    def __init__(self, tokens: list[str], states: Mapping[str, str]) -> None:
        self.tokens = tokens
        self.states = states
        self.position = 0

    def _take(self) -> str:
        if self.position >= len(self.tokens):
            raise TemplateError("the AlarmRule ends too early")
        self.position += 1
        return self.tokens[self.position - 1]

    def _peek(self) -> str:
        return self.tokens[self.position].upper() if self.position < len(self.tokens) else ""

    def rule(self) -> bool:
        value = self._any()
        if self.position != len(self.tokens):
            raise TemplateError(f"unexpected {self.tokens[self.position]!r} in the AlarmRule")
        return value

    def _any(self) -> bool:
        value = self._all()
        while self._peek() == "OR":
            self._take()
            value = self._all() or value
        return value

    def _all(self) -> bool:
        value = self._one()
        while self._peek() == "AND":
            self._take()
            value = self._one() and value
        return value

    def _one(self) -> bool:
        token = self._take().upper()
        if token == "NOT":
            return not self._one()
        if token == "(":
            value = self._any()
            if self._take() != ")":
                raise TemplateError("unbalanced parentheses in the AlarmRule")
            return value
        if token in ("TRUE", "FALSE"):
            return token == "TRUE"
        if token in (OK, ALARM, INSUFFICIENT_DATA) and self._take() == "(":
            name = alarm_name(self._take())
            if self._take() != ")":
                raise TemplateError(f"{token}(…) takes one alarm")
            return self.states[name] == token
        raise TemplateError(f"unexpected {token!r} in the AlarmRule")


def template_alarms(template: Mapping[str, Any], resolver: Resolver) -> tuple[list[MetricAlarm], list[CompositeAlarm]]:
    """Every alarm and composite alarm of the template, resolved and checked as CloudWatch checks them."""
    metric_alarms: list[MetricAlarm] = []
    composites: list[CompositeAlarm] = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] not in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            continue
        condition = resource.get("Condition")
        if condition and not resolver.condition(condition):
            continue
        props = resolver.resolve(resource.get("Properties", {}))
        name = str(resolver.resolve({"Ref": logical_id}))
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            metric_alarms.append(MetricAlarm.of(logical_id, name, props))
        else:
            composites.append(
                CompositeAlarm(logical_id, name, str(props.get("AlarmDescription", "")), props["AlarmRule"])
            )
    known = {alarm.name for alarm in metric_alarms} | {composite.name for composite in composites}
    for composite in composites:
        unknown = composite.names() - known
        if unknown:
            raise TemplateError(f"{composite.logical_id}: its AlarmRule names alarms that do not exist: {unknown}")
        _RuleParser(_rule_tokens(composite.rule), dict.fromkeys(known, INSUFFICIENT_DATA)).rule()
    return metric_alarms, composites


@dataclass
class AlarmState:
    state: str = INSUFFICIENT_DATA
    reason: str = "not evaluated yet"
    updated: float = 0.0
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY_KEPT))


def _transition_level(previous: str, state: str) -> int:
    """How loud a transition is logged: an alarm going off is a warning, one that clears is news, and moves between
    OK and INSUFFICIENT_DATA (every alarm's first evaluation at start, a quiet period) are only detail."""
    if state == ALARM:
        return logging.WARNING
    return logging.INFO if previous == ALARM else logging.DEBUG


class AlarmEvaluator:
    """Evaluates every alarm once a metric minute (just after it ends) and keeps each one's state and history."""

    def __init__(self, alarms: Sequence[MetricAlarm], composites: Sequence[CompositeAlarm], store: MetricStore) -> None:
        self.alarms = list(alarms)
        self.composites = list(composites)
        self.store = store
        names = [alarm.name for alarm in self.alarms] + [composite.name for composite in self.composites]
        self.states = {name: AlarmState() for name in names}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alarms", daemon=True)

    def evaluate(self, now: float | None = None) -> None:
        """Decide every alarm's state at `now` (local seconds): metric alarms on their last complete periods, then
        composite alarms on those states."""
        now = self.store.clock.now() if now is None else now
        for alarm in self.alarms:
            period = self.store.clock.seconds(alarm.period)
            current = self.states[alarm.name].state
            try:
                state, reason = alarm.decide(alarm.values(self.store, now // period * period), current)
            except NotEvaluated as error:
                state, reason = INSUFFICIENT_DATA, f"metric math not evaluated locally: {error}"
            self._set(alarm.name, state, reason, now)
        # A composite may name composites: evaluate in rounds until none changes (rules cannot form cycles in AWS).
        for _ in range(len(self.composites)):
            states = {name: known.state for name, known in self.states.items()}
            changed = False
            for composite in self.composites:
                state, reason = composite.decide(states)
                changed |= self._set(composite.name, state, reason, now)
            if not changed:
                break

    def _set(self, name: str, state: str, reason: str, now: float) -> bool:
        with self._lock:
            known = self.states[name]
            previous = known.state
            known.reason = reason
            if state == previous:
                known.updated = known.updated or now
                return False
            known.state, known.updated = state, now
            known.history.append({"timestamp": now, "from": previous, "to": state, "reason": reason})
        log.log(_transition_level(previous, state), "Alarm %s: %s -> %s (%s)", name, previous, state, reason)
        return True

    def report(self) -> list[dict[str, Any]]:
        """Every alarm's definition, state, reason and history, as `/_ops/alarms.json` serves them."""
        with self._lock:
            rows = []
            for alarm in self.alarms:
                rows.append(
                    {
                        "name": alarm.name,
                        "logical_id": alarm.logical_id,
                        "type": "metric",
                        "description": alarm.description,
                        "threshold": alarm.threshold,
                        "comparison": alarm.comparison,
                        "period": alarm.period,
                        "evaluation_periods": alarm.evaluation_periods,
                        "datapoints_to_alarm": alarm.datapoints_to_alarm,
                        "treat_missing_data": alarm.treat_missing_data,
                        **self._state(alarm.name),
                    }
                )
            for composite in self.composites:
                rows.append(
                    {
                        "name": composite.name,
                        "logical_id": composite.logical_id,
                        "type": "composite",
                        "description": composite.description,
                        "rule": composite.rule,
                        **self._state(composite.name),
                    }
                )
            return rows

    def _state(self, name: str) -> dict[str, Any]:
        known = self.states[name]
        return {"state": known.state, "reason": known.reason, "updated": known.updated, "history": list(known.history)}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        minute = self.store.clock.minute
        while True:
            # Just after each metric minute ends, so the period that ended has all its datapoints.
            now = self.store.clock.now()
            if self._stopped.wait(minute - now % minute + minute / 10):
                return
            try:
                self.evaluate()
            except Exception:
                log.exception("evaluating the alarms failed")
