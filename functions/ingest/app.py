"""Ingest function: S3 ObjectCreated notifications from SQS → extracted, chunked, embedded and indexed documents.
`dead_letters` is the handler of the dead-letter queue: the documents of messages SQS gave up on end `failed`;
`expired_uploads` the scheduled sweep that fails documents whose upload ticket expired unused."""

# First: Powertools' batch utility, imported before anything loads pydantic, skips its parser models (cold start).
from parley.handlers.ingest import handle_batch, handle_dead_letters, handle_expired_uploads
from parley.handlers.sqs_batch import CORRELATION_PATH
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    handle_batch,
    needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET],
    calls_models=True,
    correlation_id_path=CORRELATION_PATH,
)
dead_letters = lambda_entry(
    handle_dead_letters, needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET], correlation_id_path=CORRELATION_PATH
)
expired_uploads = lambda_entry(handle_expired_uploads, needs=[Resource.TABLE], correlation_id_path="id")
