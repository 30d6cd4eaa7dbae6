"""The ingest function's entry points: SQS batches of S3 upload notifications (and of the dead-letter queue's
messages), and the scheduled sweep of upload tickets that expired unused."""

from __future__ import annotations

# First, before anything loads pydantic (parley/handlers/sqs_batch.py says why).
from parley.handlers.sqs_batch import Delivery, sqs_batch, sqs_batch_together

# isort: split
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote_plus

from pydantic import BaseModel, ValidationError

from parley.container import get_container
from parley.ingest.uploads import ObjectCreated
from parley.observability import keys_of_one_record, logger


class _S3Object(BaseModel):
    key: str
    size: int = 0
    eTag: str = ""
    sequencer: str | None = None


class _S3Entity(BaseModel):
    object: _S3Object


class _S3Record(BaseModel):
    eventName: str
    eventTime: str = ""
    s3: _S3Entity


class _S3Notification(BaseModel):
    Records: list[_S3Record] = []


def objects_created(body: str) -> list[ObjectCreated]:
    """The ObjectCreated records of one notification; the s3:TestEvent S3 sends on setup and junk yield none."""
    try:
        payload = json.loads(body)
        notification = _S3Notification.model_validate(payload)
    except (ValueError, ValidationError):
        logger.warning("Message is not an S3 notification; dropped")
        return []
    if isinstance(payload, dict) and payload.get("Event") == "s3:TestEvent":
        return []
    return [
        ObjectCreated(
            key=unquote_plus(record.s3.object.key),
            size=record.s3.object.size,
            etag=record.s3.object.eTag,
            sequencer=record.s3.object.sequencer or record.eventTime,
        )
        for record in notification.Records
        if record.eventName.startswith("ObjectCreated")
    ]


def _index(messages: Sequence[Delivery], time_left: Callable[[], float] | None) -> list[BaseException | None]:
    """Index the objects of a batch's messages together; a message fails (comes again) when any of its objects'
    attempts ended in an error. The messages of objects the invocation had no time to start are sent again as new
    messages and reported done: SQS would count a message returned unstarted as a receive towards its dead-letter
    queue (maxReceiveCount), and hold it back for the queue's whole visibility timeout."""
    container = get_container()
    max_receives = container.settings.ingest.max_receives
    # One notification may name several objects.
    objects = [(n, created) for n, message in enumerate(messages) for created in objects_created(message.body)]
    ended = container.indexer.index_objects(
        [(created, messages[n].receives >= max_receives) for n, created in objects], time_left=time_left
    )
    errors: list[BaseException | None] = [None] * len(messages)
    deferred: set[int] = set()
    for (n, _), outcome in zip(objects, ended, strict=True):
        if isinstance(outcome, BaseException):
            errors[n] = outcome
        elif outcome.status == "deferred":
            deferred.add(n)
    # A message with an object started and one deferred is sent again whole: its started object's upload is then
    # skipped as already processed.
    again = sorted(n for n in deferred if errors[n] is None)
    if again:
        logger.info(
            "Out of time for some of the batch's documents; their messages are sent again",
            extra={"deferred": len(again), "batch": len(messages)},
        )
        for n, error in zip(again, _send_again([messages[n] for n in again]), strict=True):
            errors[n] = error
    return errors


def _send_again(messages: Sequence[Delivery]) -> list[BaseException | None]:
    """Put `messages` back on their queue as new messages: None for each SQS took, an error for the others (they
    come back after the visibility timeout instead, that receive counted)."""
    try:
        refused = set(get_container().requeue.send_again(messages[0].queue_arn, [m.body for m in messages]))
    except Exception as error:
        return [error] * len(messages)
    return [RuntimeError("SQS did not take the message again") if n in refused else None for n in range(len(messages))]


def _abandon(message: Delivery) -> None:
    for created in objects_created(message.body):
        with keys_of_one_record():
            get_container().indexer.abandon(created)


# Index every message of the batch, together.
handle_batch = sqs_batch_together(_index)
# Messages SQS gave up on: their documents end `failed`, and whatever their attempts indexed is removed (the
# messages stay visible in logs and metrics).
handle_dead_letters = sqs_batch(_abandon)


def handle_expired_uploads(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The scheduled sweep: documents whose upload ticket expired with no upload end `failed` (`expired`); awaited
    replacements that never came lapse (`lapsed`)."""
    outcomes = get_container().abandoned_uploads.expire()
    return {
        "expired": sum(outcome.status == "failed" for outcome in outcomes),
        "lapsed": sum(outcome.status == "lapsed" for outcome in outcomes),
    }
