"""Query function: search a chatbot's documents, answer owners and website visitors, read conversations."""

from parley.api import build_app
from parley.api.routes import answers, public
from parley.observability import lambda_entry

handler = lambda_entry(build_app(answers.router, public.router))
