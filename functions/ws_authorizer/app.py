"""WebSocket authorizer: who may open a chat connection ($connect only)."""

from parley.observability import lambda_entry
from parley.websocket import CORRELATION_PATH, authorize

handler = lambda_entry(authorize, correlation_id_path=CORRELATION_PATH)
