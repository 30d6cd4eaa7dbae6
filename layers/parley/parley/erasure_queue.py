"""The erasure queue's Lambda entry point: each message erases one deleted chatbot or closed tenant; a failed one is
retried by SQS (every step can be repeated) and ends in its dead-letter queue after the queue's maxReceiveCount."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from parley.container import get_container
from parley.domain.erasure import ErasureRequest
from parley.observability import keys_of_one_record

processor = BatchProcessor(event_type=EventType.SQS)
CORRELATION_PATH = "Records[0].messageId"


def _erase_record(record: SQSRecord) -> None:
    with keys_of_one_record():
        get_container().erasure.erase(ErasureRequest.model_validate_json(record.body))


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Carry out every erasure request of the batch; report the ones that failed."""
    response = process_partial_response(event=event, record_handler=_erase_record, processor=processor, context=context)
    return dict(response)
