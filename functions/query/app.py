"""Query function: search a chatbot's documents, answer owners and website visitors, read and export conversations."""

from parley.api import build_app
from parley.api.routes import answers, exports, public
from parley.observability import lambda_entry

handler = lambda_entry(build_app(exports.router, answers.router, public.router))
