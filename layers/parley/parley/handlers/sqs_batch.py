"""How every SQS-triggered function takes a batch: each message on its own (its log keys ending with it), and only
the messages that failed reported back (`batchItemFailures`), so SQS delivers just those again and, after the
queue's maxReceiveCount receives, moves them to its dead-letter queue.

The SQS handler modules import this module first: Powertools' batch utility, imported before anything loads
pydantic, skips its parser models, which no handler here uses (cold start).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from parley.observability import keys_of_one_record, logger

# Logs of one invocation carry the first message's id, which ties them to the queue's own metrics and traces.
CORRELATION_PATH = "Records[0].messageId"

BatchHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class Delivery:
    """One message of a batch: its body, how many times SQS has delivered it (1 on the first attempt), and the
    ARN of its queue."""

    body: str
    receives: int
    queue_arn: str = ""


def sqs_batch(handle: Callable[[Delivery], None]) -> BatchHandler:
    """A handler of SQS batches that runs `handle` on every message and reports the ones it raised on."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def handle_record(record: SQSRecord) -> None:
        with keys_of_one_record():
            handle(Delivery(record.body, int(record.attributes.approximate_receive_count or 1)))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
        return dict(response)

    return handler


def sqs_batch_together(
    handle: Callable[[Sequence[Delivery], Callable[[], float] | None], Sequence[BaseException | None]],
) -> BatchHandler:
    """A handler of SQS batches that gives `handle` the whole batch at once (so it can share work across messages,
    as ingest shares its embedding and upsert requests), with the seconds the invocation has left (from the Lambda
    context; None without one), and reports the messages whose entry in its answer is an error, as `sqs_batch`
    reports the ones its handler raised on."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = [SQSRecord(raw) for raw in event.get("Records", [])]
        deliveries = [
            Delivery(record.body, int(record.attributes.approximate_receive_count or 1), record.event_source_arn)
            for record in records
        ]
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        time_left = (lambda: remaining() / 1000) if remaining is not None else None
        failures = []
        for record, error in zip(records, handle(deliveries, time_left), strict=True):
            if error is not None:
                logger.error(
                    "Message failed; SQS delivers it again", extra={"message_id": record.message_id}, exc_info=error
                )
                failures.append({"itemIdentifier": record.message_id})
        return {"batchItemFailures": failures}

    return handler
