"""WebSocket authorizer: who may open a chat connection ($connect only)."""

from parley.handlers.websocket import CORRELATION_PATH, authorize
from parley.observability import lambda_entry

handler = lambda_entry(authorize, correlation_id_path=CORRELATION_PATH)
