"""Erasure function: deleted chatbots and closed tenants, erased from the table, the bucket and the vector index."""

# First: Powertools' batch utility, imported before anything loads pydantic, skips its parser models (cold start).
from parley.handlers.erasure import handle_batch
from parley.handlers.sqs_batch import CORRELATION_PATH
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    handle_batch,
    needs=[
        Resource.TABLE,
        Resource.DOCUMENTS_BUCKET,
        Resource.ERASURE_QUEUE,
        Resource.USER_POOL,
        Resource.USER_POOL_CLIENT,
    ],
    correlation_id_path=CORRELATION_PATH,
)
