"""Ingest's Lambda entry points: SQS batches of S3 upload notifications, each record handled on its own, and the
scheduled sweep of upload tickets that expired unused.

Records that fail are reported back (`batchItemFailures`) so only they are retried; SQS moves a message to the
dead-letter queue after the queue's maxReceiveCount receives.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ValidationError

from parley.container import get_container
from parley.ingest.uploads import ObjectCreated
from parley.observability import keys_of_one_record, logger

processor = BatchProcessor(event_type=EventType.SQS)
# Logs of one invocation carry the first message's id, which ties them to the queue's own metrics and traces.
CORRELATION_PATH = "Records[0].messageId"


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


def _index_record(record: SQSRecord) -> None:
    container = get_container()
    receives = int(record.attributes.approximate_receive_count or 1)
    final_attempt = receives >= container.settings.ingest_max_receives
    for created in objects_created(record.body):
        with keys_of_one_record():
            container.indexer.index_object(created, final_attempt=final_attempt)


def _abandon_record(record: SQSRecord) -> None:
    for created in objects_created(record.body):
        with keys_of_one_record():
            get_container().indexer.abandon(created)


def handle_dead_letters(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Messages SQS gave up on: their documents end `failed`, and whatever their attempts indexed is removed (the
    messages stay visible in logs and metrics)."""
    response = process_partial_response(
        event=event, record_handler=_abandon_record, processor=processor, context=context
    )
    return dict(response)


def handle_expired_uploads(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The scheduled sweep: documents whose upload ticket expired with no upload end `failed` (`expired`); awaited
    replacements that never came lapse (`lapsed`)."""
    outcomes = get_container().abandoned_uploads.expire()
    return {
        "expired": sum(outcome.status == "failed" for outcome in outcomes),
        "lapsed": sum(outcome.status == "lapsed" for outcome in outcomes),
    }


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Index every record of the batch; report the ones that failed."""
    response = process_partial_response(event=event, record_handler=_index_record, processor=processor, context=context)
    return dict(response)
