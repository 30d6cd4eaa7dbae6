"""Website sources' Lambda entry points: the crawl queue's batches (each message a sync's start, a page, a sync's end
or a deleted source's erasure) and the scheduled sweep that starts the syncs that are due.

A message that fails is reported back (`batchItemFailures`) and comes again after the queue's visibility timeout; on
its last receive (the queue's maxReceiveCount) its page ends `failed` instead, so every sync ends.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from parley.container import get_container
from parley.domain.sources import CrawlMessage
from parley.observability import keys_of_one_record

processor = BatchProcessor(event_type=EventType.SQS)
CORRELATION_PATH = "Records[0].messageId"


def _crawl_record(record: SQSRecord) -> None:
    container = get_container()
    receives = int(record.attributes.approximate_receive_count or 1)
    with keys_of_one_record():
        container.crawler.handle(
            CrawlMessage.model_validate_json(record.body),
            final_attempt=receives >= container.settings.crawl_max_receives,
        )


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Carry out every message of the batch; report the ones that failed."""
    response = process_partial_response(event=event, record_handler=_crawl_record, processor=processor, context=context)
    return dict(response)


def handle_schedule(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The schedule: website sources due sync again; syncs past their deadline are ended."""
    return get_container().source_service.sync_due()
