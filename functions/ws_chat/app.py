"""WebSocket chat: connection records, and questions answered as a stream of frames."""

from parley.handlers.websocket import CORRELATION_PATH, route
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    route, needs=[Resource.TABLE, Resource.WEBSOCKET_API], calls_models=True, correlation_id_path=CORRELATION_PATH
)
