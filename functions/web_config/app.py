"""Web config function: config.json (where this deployment's APIs are) written next to the console at deploy."""

from parley.handlers.web_config import CORRELATION_PATH, web_config
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(web_config, needs=[Resource.WEB_BUCKET], correlation_id_path=CORRELATION_PATH)
