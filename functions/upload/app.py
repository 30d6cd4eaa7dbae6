"""Upload function: register documents and hand out presigned upload URLs; list, get and delete documents; and
the chatbot's sources (websites, snippets, Q&A pairs), which write documents of their own."""

from parley.api import build_app
from parley.api.routes import documents, sources
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    build_app(documents.router, sources.router), needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET, Resource.CRAWL_QUEUE]
)
