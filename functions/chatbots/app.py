"""Chatbots function: chatbot CRUD for the caller's tenant, and its usage of its plan."""

from parley.api import build_app
from parley.api.routes import chatbots, usage
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(build_app(chatbots.router, usage.router), needs=[Resource.TABLE, Resource.ERASURE_QUEUE])
