"""Query function: search a chatbot's documents, answer questions, and read conversations."""

from parley.api import build_app
from parley.api.routes import answers
from parley.observability import lambda_entry

handler = lambda_entry(build_app(answers.router))
