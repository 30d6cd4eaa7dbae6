"""WebSocket chat: connection records, and questions answered as a stream of frames."""

from parley.observability import lambda_entry
from parley.websocket import CORRELATION_PATH, route

handler = lambda_entry(route, correlation_id_path=CORRELATION_PATH)
