"""API keys function: an owner's keys for server-to-server calls - create, list, revoke."""

from parley.api import build_app
from parley.api.routes import api_keys
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(build_app(api_keys.router), needs=[Resource.TABLE])
