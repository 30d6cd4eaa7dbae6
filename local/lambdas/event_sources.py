"""SQS → Lambda as the event source mapping does it: batches of up to BatchSize messages gathered for up to the
batching window (ReceiveMessage returns at most 10 a call; an invocation's event at most Lambda's 6 MB), partial
failures, and retries after the queue's visibility timeout (SQS itself moves a message to the dead-letter queue
after maxReceiveCount); and Schedule events, as EventBridge invokes them."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.template import ACCOUNT_ID, REGION, TemplateError, function_events

log = logging.getLogger("local")

# ReceiveMessage's cap on the messages of one call.
RECEIVE_MAX = 10
# A synchronous invocation's request payload (the event): 6 MB.
PAYLOAD_LIMIT = 6 * 1024 * 1024
# What AWS accepts for a standard queue's mapping: BatchSize 1-10,000, over 10 only with a batching window of at
# least 1 s; the window at most 300 s.
MAX_BATCH_SIZE = 10_000
MAX_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class SqsSource:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    window_seconds: float = 0
    report_failures: bool = False
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency


def sqs_sources(template: Mapping[str, Any], resolve: Callable[[Any], Any]) -> list[SqsSource]:
    """Every SQS event of every function, with the queue resolved to the provisioned one."""
    sources = []
    for logical_id, props in function_events(template, "SQS"):
        queue_ref = props["Queue"]  # !GetAtt Queue.Arn
        source = SqsSource(
            function=logical_id,
            queue_url=resolve({"Ref": queue_ref["Fn::GetAtt"][0]}),
            queue_arn=resolve(queue_ref),
            batch_size=int(resolve(props.get("BatchSize", 10))),
            window_seconds=float(resolve(props.get("MaximumBatchingWindowInSeconds", 0))),
            report_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            maximum_concurrency=_int_or_none(resolve(props.get("ScalingConfig", {}).get("MaximumConcurrency"))),
        )
        _check(source)
        sources.append(source)
    return sources


def visibility_entries(handles: list[str], seconds: int) -> list[list[dict[str, Any]]]:
    """ChangeMessageVisibilityBatch's entries setting `handles`' messages' visibility to `seconds`, 10 a call."""
    entries = [
        {"Id": str(number), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
        for number, handle in enumerate(handles)
    ]
    return [entries[start : start + RECEIVE_MAX] for start in range(0, len(entries), RECEIVE_MAX)]


def _check(source: SqsSource) -> None:
    """Refuse a mapping AWS would refuse to create."""
    if not 1 <= source.batch_size <= MAX_BATCH_SIZE:
        raise TemplateError(f"{source.function}: BatchSize {source.batch_size} is outside 1-{MAX_BATCH_SIZE}")
    if not 0 <= source.window_seconds <= MAX_WINDOW_SECONDS:
        raise TemplateError(f"{source.function}: MaximumBatchingWindowInSeconds is outside 0-{MAX_WINDOW_SECONDS}")
    if source.batch_size > RECEIVE_MAX and source.window_seconds < 1:
        raise TemplateError(
            f"{source.function}: a BatchSize over {RECEIVE_MAX} needs MaximumBatchingWindowInSeconds of at least 1"
        )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _record(message: dict[str, Any], source: SqsSource) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": REGION,
    }


class SqsPoller:
    """One event source mapping: `concurrency` threads, each long-polling the queue and invoking the function with
    its batches, so up to that many batches are processed at once (as MaximumConcurrency allows in AWS).
    `on_received(queue_url, count)` is told of the messages each receive returns (the queue's
    NumberOfMessagesReceived); `on_returned(queue_url, receipt_handles)` of the failed messages each batch leaves in
    the queue (SQS redelivers them once their visibility timeout has passed). `wait_seconds` is each receive's long
    poll: the stack's threads wait for messages, while tests that drain the queues with `poll_once` pass 0 (in-process
    moto holds an empty receive for the whole wait), and a `clock` and `sleep` of their own to pass the batching
    window without waiting for it. `hold_seconds`, when given, is each receive's visibility timeout: a stack that
    shortened its queue's below the batching window keeps what a batch gathers invisible while it gathers, as the
    queue's own timeout does in AWS (at least the function's, beyond any window)."""

    def __init__(
        self,
        source: SqsSource,
        sqs: Any,
        invoke: Callable[[str, dict[str, Any]], Any],
        *,
        concurrency: int = 1,
        on_received: Callable[[str, int], None] | None = None,
        on_returned: Callable[[str, list[str]], None] | None = None,
        wait_seconds: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        hold_seconds: int | None = None,
    ) -> None:
        self.source = source
        self.hold_seconds = hold_seconds
        self.wait_seconds = wait_seconds
        self.sqs = sqs
        self.invoke = invoke
        self.on_received = on_received
        self.on_returned = on_returned
        self.clock = clock
        self.sleep = sleep
        self.stopped = threading.Event()
        self.batches = 0
        self._count = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"sqs-{source.function}-{n}", daemon=True)
            for n in range(concurrency)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5) -> None:
        self.stopped.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0, deadline - time.monotonic()))

    def _receive(self) -> list[dict[str, Any]]:
        """One batch, as the mapping gathers it: once a first message arrives, up to BatchSize messages, 10 a
        receive, until the batching window has passed since that first one or the next message would take the
        event over Lambda's 6 MB. A message received that does not fit goes back to the queue at once (visibility
        0: in SQS that receive still counts towards its maxReceiveCount)."""
        messages: list[dict[str, Any]] = []
        payload = len(json.dumps({"Records": []}))
        deadline: float | None = None
        while len(messages) < self.source.batch_size and not self.stopped.is_set():
            left = None if deadline is None else deadline - self.clock()
            if left is not None and left <= 0:
                break
            wait = self.wait_seconds if left is None else min(self.wait_seconds, int(left))
            hold = {} if self.hold_seconds is None else {"VisibilityTimeout": self.hold_seconds}
            received = self.sqs.receive_message(
                QueueUrl=self.source.queue_url,
                MaxNumberOfMessages=min(RECEIVE_MAX, self.source.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                **hold,
            ).get("Messages", [])
            if received and self.on_received:
                self.on_received(self.source.queue_url, len(received))
            if deadline is None:
                if not received:
                    break  # nothing within one long poll; the caller polls again
                deadline = self.clock() + self.source.window_seconds
            for number, message in enumerate(received):
                size = len(json.dumps(_record(message, self.source))) + 1  # and its comma
                if payload + size > PAYLOAD_LIMIT:
                    self._give_back(received[number:])
                    return messages
                payload += size
                messages.append(message)
            if not received and left is not None and wait == 0:
                self.sleep(min(1.0, left))  # the window's last fraction of a second, or a test's receive that waits not
        return messages

    def _give_back(self, messages: list[dict[str, Any]]) -> None:
        for entries in visibility_entries([message["ReceiptHandle"] for message in messages], 0):
            self.sqs.change_message_visibility_batch(QueueUrl=self.source.queue_url, Entries=entries)

    def poll_once(self) -> int:
        """Deliver one batch, if any; returns how many messages it held."""
        messages = self._receive()
        if not messages:
            return 0
        event = {"Records": [_record(message, self.source) for message in messages]}
        try:
            result = self.invoke(self.source.function, event) or {}
            # Without ReportBatchItemFailures a normal return means the whole batch succeeded.
            reported = result.get("batchItemFailures", []) if self.source.report_failures else []
            failed = {item["itemIdentifier"] for item in reported}
        except Exception:
            if not self.stopped.is_set():
                log.exception("%s failed; the whole batch returns to the queue", self.source.function)
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        with self._count:
            self.batches += 1
        # Failed messages stay invisible until the queue's visibility timeout; SQS then redelivers them.
        returned = [message["ReceiptHandle"] for message in messages if message["MessageId"] in failed]
        if returned and self.on_returned:
            self.on_returned(self.source.queue_url, returned)
        return len(messages)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.poll_once()
            except Exception:
                if not self.stopped.is_set():
                    log.exception("polling %s failed", self.source.queue_url)
                    time.sleep(1)


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class ScheduleSource:
    function: str
    name: str
    period_seconds: int


def schedule_sources(template: Mapping[str, Any], resolve: Callable[[Any], Any]) -> list[ScheduleSource]:
    """Every schedule of every function: EventBridge rules (`Schedule`) and EventBridge Scheduler schedules
    (`ScheduleV2`), its expression resolved; only `rate(...)` expressions (no cron) are understood locally."""
    sources = []
    for event_type, expression_key in (("Schedule", "Schedule"), ("ScheduleV2", "ScheduleExpression")):
        for logical_id, props in function_events(template, event_type):
            expression = str(resolve(props.get(expression_key, "")))
            found = _RATE.match(expression)
            if not found:
                raise TemplateError(f"{logical_id}: the local stack runs rate(...) schedules only, not {expression!r}")
            period = int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]
            sources.append(ScheduleSource(logical_id, f"{logical_id}-schedule", period))
    return sources


class Scheduler:
    """Invokes a function with EventBridge's Scheduled Event every period, the first time one period after start."""

    def __init__(self, source: ScheduleSource, invoke: Callable[[str, dict[str, Any]], Any]) -> None:
        self.source = source
        self.invoke = invoke
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{source.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def event(self) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.source.name}"],
            "detail": {},
        }

    def _run(self) -> None:
        while not self.stopped.wait(self.source.period_seconds):
            try:
                self.invoke(self.source.function, self.event())
            except Exception:
                log.exception("scheduled %s failed", self.source.function)
