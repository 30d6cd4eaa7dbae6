"""Crawl function: the crawl queue's messages (a website source's sync, page by page, and a deleted source's
erasure); `scheduled` is EventBridge Scheduler's target, which starts the syncs that are due."""

# First: Powertools' batch utility, imported before anything loads pydantic, skips its parser models (cold start).
from parley.handlers.crawl import handle_batch, handle_schedule
from parley.handlers.sqs_batch import CORRELATION_PATH
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    handle_batch,
    needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET, Resource.CRAWL_QUEUE],
    correlation_id_path=CORRELATION_PATH,
)
scheduled = lambda_entry(
    handle_schedule, needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET, Resource.CRAWL_QUEUE], correlation_id_path="id"
)
