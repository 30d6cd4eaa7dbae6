"""WebSocket chat: connection records, and questions answered as a stream of frames."""

from parley.handlers.websocket import CORRELATION_PATH, route
from parley.observability import lambda_entry

handler = lambda_entry(route, correlation_id_path=CORRELATION_PATH)
