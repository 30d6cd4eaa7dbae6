"""The local SQS event source mapping gathers batches as AWS's does, and is no kinder: at most BatchSize messages,
10 a receive, for up to the batching window, an event of at most 6 MB, and only mappings AWS would create."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws

from local.lambdas.event_sources import PAYLOAD_LIMIT, SqsPoller, SqsSource, sqs_sources
from local.template import REGION, TemplateError


class Clock:
    """The batching window's time, passing only when the poller waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs")


def _poller(
    sqs: Any, batch_size: int, window: float, clock: Clock, *, receives: list[int], batches: list[dict[str, Any]]
) -> SqsPoller:
    """A mapping of a new queue that records each receive's count and each event it invokes with."""
    url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    source = SqsSource("Fn", url, f"arn:aws:sqs:{REGION}:123456789012:uploads", batch_size, window, True)
    return SqsPoller(
        source,
        sqs,
        lambda _function, event: batches.append(event),
        on_received=lambda _url, count: receives.append(count),
        wait_seconds=0,
        clock=clock,
        sleep=clock.sleep,
    )


def _send(sqs: Any, url: str, count: int, body: str = "{}") -> None:
    for _ in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=body)


def test_a_batch_takes_up_to_batch_size_ten_a_receive(sqs: Any) -> None:
    clock, receives, batches = Clock(), list[int](), list[dict[str, Any]]()
    poller = _poller(sqs, 25, 5, clock, receives=receives, batches=batches)
    _send(sqs, poller.source.queue_url, 30)

    assert poller.poll_once() == 25
    assert receives == [10, 10, 5]  # ReceiveMessage returns at most 10
    assert clock.waits == []  # a full batch goes at once, before its window ends
    assert poller.poll_once() == 5
    assert [len(event["Records"]) for event in batches] == [25, 5]


def test_a_batch_short_of_its_size_waits_out_the_window_and_takes_what_arrives_in_it(sqs: Any) -> None:
    clock, receives = Clock(), list[int]()
    poller = _poller(sqs, 100, 5, clock, receives=receives, batches=[])
    url = poller.source.queue_url
    _send(sqs, url, 3)
    sleep = clock.sleep

    def arriving(seconds: float) -> None:  # two more uploads arrive while the mapping waits
        if not clock.waits:
            _send(sqs, url, 2)
        sleep(seconds)

    poller.sleep = arriving

    assert poller.poll_once() == 5
    assert clock.now == pytest.approx(5)  # invoked when the window ended, not when the queue was first empty
    assert poller.poll_once() == 0  # and an empty queue invokes nothing


def test_without_a_window_a_batch_is_what_one_receive_returns(sqs: Any) -> None:
    clock, receives = Clock(), list[int]()
    poller = _poller(sqs, 10, 0, clock, receives=receives, batches=[])
    _send(sqs, poller.source.queue_url, 3)

    assert poller.poll_once() == 3
    assert (receives, clock.waits) == ([3], [])


def test_an_event_stays_within_lambdas_six_megabytes_and_the_rest_comes_again(sqs: Any) -> None:
    clock, receives, batches = Clock(), list[int](), list[dict[str, Any]]()
    poller = _poller(sqs, 100, 5, clock, receives=receives, batches=batches)
    body = "x" * 250_000  # near SQS's 256 KiB a message: about 25 fill an event
    _send(sqs, poller.source.queue_url, 30, body)

    first = poller.poll_once()
    assert 20 < first < 30
    assert sum(receives) == 30  # the ones that did not fit were received, and put back at once
    assert poller.poll_once() == 30 - first
    assert [len(json.dumps(event)) <= PAYLOAD_LIMIT for event in batches] == [True, True]


def test_a_mapping_aws_would_refuse_is_refused() -> None:
    def template(**properties: Any) -> dict[str, Any]:
        event = {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Queue", "Arn"]}, **properties}}
        function = {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"Messages": event}}}
        return {"Resources": {"Fn": function, "Queue": {"Type": "AWS::SQS::Queue"}}}

    def resolve(value: Any) -> Any:
        return "queue" if isinstance(value, dict) else value

    assert sqs_sources(template(BatchSize=1000, MaximumBatchingWindowInSeconds=1), resolve)[0].batch_size == 1000
    with pytest.raises(TemplateError, match="at least 1"):
        sqs_sources(template(BatchSize=11), resolve)
    with pytest.raises(TemplateError, match="outside"):
        sqs_sources(template(BatchSize=10_001, MaximumBatchingWindowInSeconds=1), resolve)
    with pytest.raises(TemplateError, match="outside"):
        sqs_sources(template(BatchSize=10, MaximumBatchingWindowInSeconds=301), resolve)


def test_a_stack_that_shortened_its_queues_timeout_holds_what_a_batch_gathers_for_the_window(sqs: Any) -> None:
    clock = Clock()
    poller = _poller(sqs, 100, 5, clock, receives=list[int](), batches=[])
    poller.hold_seconds = 25  # the local queue's 20 s and the 5 s window
    _send(sqs, poller.source.queue_url, 3)
    asked: list[dict[str, Any]] = []
    receive = sqs.receive_message

    def recording(**parameters: Any) -> Any:
        asked.append(parameters)
        return receive(**parameters)

    poller.sqs = mock.Mock(wraps=sqs, receive_message=recording)

    # Every receive of the batch keeps its messages invisible past the window: none comes back (a receive more
    # towards the dead-letter queue) while the batch still gathers.
    assert poller.poll_once() == 3
    assert len(asked) > 1
    assert {parameters["VisibilityTimeout"] for parameters in asked} == {25}
