"""The crawl function's entry points: the crawl queue's batches (each message a sync's start, a page, a sync's end
or a deleted source's erasure) and the scheduled sweep that starts the syncs that are due.

A message that fails is reported back and comes again after the queue's visibility timeout; on its last receive
(the queue's maxReceiveCount) its page ends `failed` instead, so every sync ends.

A batch may mix tenants: its messages are taken in turns by tenant (one of each tenant's, then the next of each…),
and those not started within BATCH_SECONDS go back to the queue, so a tenant's message never waits long behind
another tenant's slow pages in one invocation (services/crawl.py holds each tenant to a share of the function's
concurrency).
"""

from __future__ import annotations

# First, before anything loads pydantic (parley/handlers/sqs_batch.py says why).
from parley.handlers.sqs_batch import Delivery, sqs_batch

# isort: split
import json
import time
from collections import Counter
from typing import Any

from parley.container import get_container
from parley.domain.sources import CrawlMessage

# Seconds of an invocation spent starting its batch's messages (of the function's 120 s timeout; a page takes at most
# the fetch policy's 10 s, then its document's write).
BATCH_SECONDS = 30


class _Batch:
    """When the batch being handled started (None outside one)."""

    started: float | None = None


def _crawl(message: Delivery) -> None:
    container = get_container()
    crawl = CrawlMessage.model_validate_json(message.body)
    if _Batch.started is not None and time.monotonic() - _Batch.started > BATCH_SECONDS:
        container.crawler.requeue(crawl)
        return
    container.crawler.handle(crawl, final_attempt=message.receives >= container.settings.crawl.max_receives)


_handle_batch = sqs_batch(_crawl)


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _Batch.started = time.monotonic()
    try:
        return _handle_batch({**event, "Records": in_turns(event.get("Records") or [])}, context)
    finally:
        _Batch.started = None


def in_turns(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's records taken in turns by tenant, each tenant's in their order."""
    taken: Counter[str] = Counter()
    turns = []
    for position, record in enumerate(records):
        try:
            tenant = str(json.loads(record.get("body") or "{}").get("tenant_id", ""))
        except (ValueError, AttributeError):
            tenant = ""
        turns.append((taken[tenant], position, record))
        taken[tenant] += 1
    return [record for _, _, record in sorted(turns, key=lambda turn: turn[:2])]


def handle_schedule(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The schedule: website sources due sync again; syncs past their deadline are ended."""
    return get_container().source_service.sync_due()
