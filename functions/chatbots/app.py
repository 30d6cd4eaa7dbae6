"""Chatbots function: chatbot CRUD for the caller's tenant."""

from parley.api import build_app
from parley.api.routes import chatbots
from parley.observability import lambda_entry

handler = lambda_entry(build_app(chatbots.router))
