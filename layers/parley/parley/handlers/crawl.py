"""The crawl function's entry points: the crawl queue's batches (each message a sync's start, a page, a sync's end
or a deleted source's erasure) and the scheduled sweep that starts the syncs that are due.

A message that fails is reported back and comes again after the queue's visibility timeout; on its last receive
(the queue's maxReceiveCount) its page ends `failed` instead, so every sync ends.
"""

from __future__ import annotations

# First, before anything loads pydantic (parley/handlers/sqs_batch.py says why).
from parley.handlers.sqs_batch import Delivery, sqs_batch

# isort: split
from typing import Any

from parley.container import get_container
from parley.domain.sources import CrawlMessage


def _crawl(message: Delivery) -> None:
    container = get_container()
    container.crawler.handle(
        CrawlMessage.model_validate_json(message.body),
        final_attempt=message.receives >= container.settings.crawl.max_receives,
    )


handle_batch = sqs_batch(_crawl)


def handle_schedule(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The schedule: website sources due sync again; syncs past their deadline are ended."""
    return get_container().source_service.sync_due()
