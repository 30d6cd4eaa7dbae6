"""Ingest function: S3 ObjectCreated notifications from SQS → extracted, chunked, embedded and indexed documents."""

from parley.ingest.events import CORRELATION_PATH, handle_batch
from parley.observability import lambda_entry

handler = lambda_entry(handle_batch, correlation_id_path=CORRELATION_PATH)
