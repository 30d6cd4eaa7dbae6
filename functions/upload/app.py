"""Upload function: register documents and hand out presigned upload URLs; list, get and delete documents."""

from parley.api import build_app
from parley.api.routes import documents
from parley.observability import lambda_entry

handler = lambda_entry(build_app(documents.router))
