"""Erasure function: deleted chatbots and closed tenants, erased from the table, the bucket and the vector index."""

from parley.erasure_queue import CORRELATION_PATH, handle_batch
from parley.observability import lambda_entry

handler = lambda_entry(handle_batch, correlation_id_path=CORRELATION_PATH)
