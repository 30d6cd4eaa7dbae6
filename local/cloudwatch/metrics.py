"""CloudWatch metrics as the local stack records them: a bounded in-memory store of datapoints, filled from what the
stack can honestly measure, and read back as CloudWatch's statistics over periods.

Sources (each records only what it measures itself):
- the functions' EMF lines on stdout (`emf_datapoints`: the `_aws.CloudWatchMetrics` directives, as CloudWatch reads
  them), so the application metrics are exactly the ones Powertools publishes in AWS;
- the gateway: AWS/ApiGateway Count, 4xx, 5xx, Latency and IntegrationLatency of each HTTP API;
- the runtime: AWS/Lambda Invocations, Errors, Duration and ConcurrentExecutions of each function;
- `QueueMetrics`: AWS/SQS depth and age of oldest message sampled from moto once a metric minute, and the messages
  the event source mappings received.

Time: a metric minute lasts `MetricClock.minute` seconds locally (60 unless the stack is started with
`--metric-minute`): every period of a dashboard or alarm is scaled by it, so a test can see a 60 s alarm period pass
in a few seconds while the alarm's rule (statistic, periods, threshold, missing data) stays the template's.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend

from local.template import ACCOUNT_ID, REGION

log = logging.getLogger("local")

# CloudWatch's standard statistics; pNN (p50, p95, p99.9) are computed from the samples.
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")
# How long datapoints are kept, in metric time (a dashboard's default range), and how many per series at most.
RETENTION_SECONDS = 3 * 3600
SAMPLES_PER_SERIES = 50_000

Dimensions = tuple[tuple[str, str], ...]


def dimensions(pairs: Mapping[str, str]) -> Dimensions:
    """A dimension set as CloudWatch matches it: exactly these names and values, in any order."""
    return tuple(sorted((str(name), str(value)) for name, value in pairs.items()))


@dataclass(frozen=True)
class MetricKey:
    namespace: str
    name: str
    dimensions: Dimensions = ()


@dataclass(frozen=True)
class Datapoint:
    key: MetricKey
    value: float
    timestamp: float  # seconds since the epoch
    unit: str = "None"


class MetricClock:
    """Metric time: `minute` local seconds per CloudWatch minute."""

    def __init__(self, minute: float = 60.0, now: Callable[[], float] = time.time) -> None:
        if minute <= 0:
            raise ValueError("a metric minute lasts a positive number of seconds")
        self.minute = minute
        self.now = now

    def seconds(self, metric_seconds: float) -> float:
        """How long `metric_seconds` (a template's Period) last locally."""
        return metric_seconds * self.minute / 60


class MetricStore:
    """Datapoints by metric (namespace, name, dimension set), the latest kept for RETENTION_SECONDS of metric time."""

    def __init__(self, clock: MetricClock | None = None) -> None:
        self.clock = clock or MetricClock()
        self._series: dict[MetricKey, deque[tuple[float, float]]] = defaultdict(
            lambda: deque(maxlen=SAMPLES_PER_SERIES)
        )
        # The unit each metric was last published with (CloudWatch keeps one per datapoint; charts show it).
        self._units: dict[MetricKey, str] = {}
        self._lock = threading.Lock()

    def put(self, datapoints: Iterable[Datapoint]) -> None:
        with self._lock:
            for point in datapoints:
                self._units[point.key] = point.unit
                series = self._series[point.key]
                series.append((point.timestamp, point.value))
                horizon = self.clock.now() - self.clock.seconds(RETENTION_SECONDS)
                while series and series[0][0] < horizon:
                    series.popleft()

    def record(self, namespace: str, name: str, value: float, unit: str = "None", **dimension: str) -> None:
        """One sample now, under one dimension set."""
        key = MetricKey(namespace, name, dimensions(dimension))
        self.put([Datapoint(key, value, self.clock.now(), unit)])

    def unit(self, key: MetricKey) -> str:
        """The unit `key` was last published with (`None`, as CloudWatch says, if it has no datapoint)."""
        with self._lock:
            return self._units.get(key, "None")

    def keys(self) -> list[MetricKey]:
        with self._lock:
            return list(self._series)

    def samples(self, key: MetricKey, start: float, end: float) -> list[tuple[float, float]]:
        """(timestamp, value) of `key` in [start, end), oldest first."""
        with self._lock:
            return [(at, value) for at, value in self._series.get(key, ()) if start <= at < end]

    def statistics(self, key: MetricKey, stat: str, period: float, start: float, end: float) -> dict[float, float]:
        """`stat` of `key` per period (local seconds) in [start, end), by period start; periods without samples are
        missing, as in GetMetricData."""
        buckets: dict[float, list[float]] = defaultdict(list)
        for at, value in self.samples(key, start, end):
            buckets[start + (at - start) // period * period].append(value)
        return {bucket: statistic(values, stat) for bucket, values in sorted(buckets.items())}


def statistic(values: Sequence[float], stat: str) -> float:
    """One CloudWatch statistic of a period's samples (there is at least one)."""
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values)) / len(values)
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    if stat == "SampleCount":
        return float(len(values))
    if is_percentile(stat):
        # The nearest-rank percentile: a value that was observed, as CloudWatch reports.
        ordered = sorted(values)
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))
        return float(ordered[max(rank, 1) - 1])
    raise ValueError(f"statistic {stat!r} is not computed locally")


def is_percentile(stat: str) -> bool:
    try:
        return stat[:1] == "p" and 0 <= float(stat[1:]) <= 100
    except ValueError:
        return False


def emf_datapoints(line: str | bytes) -> list[Datapoint]:
    """The datapoints of one log line in CloudWatch's embedded metric format; none for any other line. A directive
    that names a dimension or metric the line does not hold is skipped, as CloudWatch skips it."""
    text = line.decode(errors="replace") if isinstance(line, bytes) else line
    if '"_aws"' not in text:
        return []
    try:
        record = json.loads(text)
        meta = record["_aws"]
        directives = meta["CloudWatchMetrics"]
        timestamp = float(meta["Timestamp"]) / 1000
    except (ValueError, KeyError, TypeError):
        return []
    points: list[Datapoint] = []
    for directive in directives if isinstance(directives, list) else []:
        try:
            points += _directive_datapoints(record, directive, timestamp)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("EMF directive skipped (%s): %s", error, directive)
    return points


def _directive_datapoints(record: Mapping[str, Any], directive: Mapping[str, Any], timestamp: float) -> list[Datapoint]:
    namespace = str(directive["Namespace"])
    sets = [dimensions({name: _dimension_value(record, name) for name in names}) for names in directive["Dimensions"]]
    points = []
    for metric in directive["Metrics"]:
        name = str(metric["Name"])
        raw = record[name]
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
            raise ValueError(f"{name} is not a number or an array of numbers")
        unit = str(metric.get("Unit", "None"))
        points += [
            Datapoint(MetricKey(namespace, name, dims), float(value), timestamp, unit)
            for dims in sets
            for value in values
        ]
    return points


def _dimension_value(record: Mapping[str, Any], name: str) -> str:
    value = record[name]
    if not isinstance(value, str):
        raise ValueError(f"dimension {name} is not a string")
    return value


# AWS service metrics the local stack measures itself, by namespace: metric name → the dimension names it records.
LOCAL_SERVICE_METRICS: dict[str, dict[str, tuple[frozenset[str], ...]]] = {
    "AWS/ApiGateway": {
        name: (frozenset({"ApiId"}), frozenset({"ApiId", "Stage"}), frozenset({"ApiId", "Stage", "Route"}))
        for name in ("Count", "4xx", "5xx", "Latency", "IntegrationLatency")
    },
    "AWS/Lambda": {
        name: (frozenset({"FunctionName"}),) for name in ("Invocations", "Errors", "Duration", "ConcurrentExecutions")
    },
    "AWS/SQS": {
        name: (frozenset({"QueueName"}),)
        for name in (
            "ApproximateNumberOfMessagesVisible",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateAgeOfOldestMessage",
            "NumberOfMessagesReceived",
        )
    },
}


class LocalSources:
    """Which metrics the local stack produces: every application namespace (the functions' EMF), and the service
    metrics above for the resources it serves itself (the HTTP APIs' ids: the WebSocket API's metrics are not)."""

    def __init__(self, http_api_ids: Iterable[str]) -> None:
        self.http_api_ids = set(http_api_ids)

    def produces(self, key: MetricKey) -> bool:
        if not key.namespace.startswith("AWS/"):
            return True
        recorded = LOCAL_SERVICE_METRICS.get(key.namespace, {}).get(key.name, ())
        names = frozenset(name for name, _ in key.dimensions)
        if names not in recorded:
            return False
        return key.namespace != "AWS/ApiGateway" or dict(key.dimensions)["ApiId"] in self.http_api_ids


HTTP_STAGE = "$default"  # the stage SAM gives an HTTP API without StageName


class ApiMetrics:
    """AWS/ApiGateway metrics of the HTTP APIs the gateway serves: per API, per API and stage, per route."""

    def __init__(self, store: MetricStore, api_ids: Mapping[str, str]) -> None:
        """`api_ids`: each HTTP API's physical id by logical id (what the template's `${HttpApi}` resolves to)."""
        self.store = store
        self.api_ids = dict(api_ids)

    def request(
        self, api: str, route: str | None, status: int, latency_ms: float, integration_ms: float | None
    ) -> None:
        api_id = self.api_ids[api]
        sets = [{"ApiId": api_id}, {"ApiId": api_id, "Stage": HTTP_STAGE}]
        if route is not None:
            sets.append({"ApiId": api_id, "Stage": HTTP_STAGE, "Route": route})
        now = self.store.clock.now()
        values = {"Count": 1.0, "4xx": float(400 <= status < 500), "5xx": float(status >= 500), "Latency": latency_ms}
        if integration_ms is not None:
            values["IntegrationLatency"] = integration_ms
        units = {"Latency": "Milliseconds", "IntegrationLatency": "Milliseconds"}
        self.store.put(
            Datapoint(MetricKey("AWS/ApiGateway", name, dimensions(dims)), value, now, units.get(name, "Count"))
            for dims in sets
            for name, value in values.items()
        )


class FunctionMetrics:
    """AWS/Lambda metrics of each function, and its EMF lines: what the runtime observes of its environments."""

    def __init__(self, store: MetricStore, function_names: Mapping[str, str]) -> None:
        """`function_names`: each function's physical name by logical id (what `${Function}` resolves to)."""
        self.store = store
        self.function_names = dict(function_names)

    def invocation(self, function: str, duration_ms: float, *, failed: bool, concurrent: int) -> None:
        name = self.function_names[function]
        self.store.record("AWS/Lambda", "Invocations", 1, "Count", FunctionName=name)
        self.store.record("AWS/Lambda", "Errors", float(failed), "Count", FunctionName=name)
        self.store.record("AWS/Lambda", "Duration", duration_ms, "Milliseconds", FunctionName=name)
        self.store.record("AWS/Lambda", "ConcurrentExecutions", concurrent, "Count", FunctionName=name)

    def output(self, _function: str, line: bytes) -> None:
        self.store.put(emf_datapoints(line))


class QueueMetrics:
    """AWS/SQS metrics of the template's queues, recorded once a metric minute as SQS publishes them: depth and age
    of the oldest message sampled from moto, and the messages the event source mappings received since the last
    sample (0 when none, as for an active queue)."""

    def __init__(self, store: MetricStore, sqs: Any, queues: Mapping[str, str]) -> None:
        """`queues`: each queue's URL by its name."""
        self.store = store
        self.sqs = sqs
        self.queues = dict(queues)
        self._received: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-metrics", daemon=True)

    def received(self, queue_url: str, count: int) -> None:
        with self._lock:
            self._received[queue_url] += count

    def sample(self) -> None:
        now_ms = self.store.clock.now() * 1000
        for name, url in self.queues.items():
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            with self._lock:
                received = self._received.pop(url, 0)
            oldest = _oldest_sent_ms(name)
            values = {
                "ApproximateNumberOfMessagesVisible": (float(attributes["ApproximateNumberOfMessages"]), "Count"),
                "ApproximateNumberOfMessagesNotVisible": (
                    float(attributes["ApproximateNumberOfMessagesNotVisible"]),
                    "Count",
                ),
                "ApproximateAgeOfOldestMessage": (max(0.0, (now_ms - oldest) / 1000) if oldest else 0.0, "Seconds"),
                "NumberOfMessagesReceived": (float(received), "Count"),
            }
            for metric, (value, unit) in values.items():
                self.store.record("AWS/SQS", metric, value, unit, QueueName=name)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        # A first sample as the stack starts, then one a metric minute.
        while True:
            try:
                self.sample()
            except Exception:
                log.exception("sampling the queues' metrics failed")
            if self._stopped.wait(self.store.clock.minute):
                return


def _oldest_sent_ms(queue_name: str) -> float | None:
    """When the oldest message still in the queue (visible or in flight) was sent. SQS's API has no such attribute
    (only its CloudWatch metric), so it is read from moto's queue, which runs in this process."""
    queue = get_backend("sqs")[ACCOUNT_ID][REGION].queues.get(queue_name)
    if queue is None:
        return None
    messages: list[Any] = list(queue._messages)
    sent = [float(message.sent_timestamp) for message in messages if message.sent_timestamp]
    return min(sent) if sent else None
