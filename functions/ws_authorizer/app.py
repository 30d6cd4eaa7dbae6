"""WebSocket authorizer: who may open a chat connection ($connect only)."""

from parley.handlers.websocket import CORRELATION_PATH, authorize
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    authorize,
    needs=[Resource.TABLE, Resource.USER_POOL, Resource.USER_POOL_CLIENT],
    correlation_id_path=CORRELATION_PATH,
)
