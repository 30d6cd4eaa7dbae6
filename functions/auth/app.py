"""Auth function: register, login, refresh, logout, me, the team, closing the account (and the health check)."""

from parley.api import build_app
from parley.api.routes import account, auth, health, team
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    build_app(auth.router, account.router, team.router, health.router),
    needs=[
        Resource.TABLE,
        Resource.USER_POOL,
        Resource.USER_POOL_CLIENT,
        Resource.WEBSOCKET_API,
        Resource.ERASURE_QUEUE,
    ],
)
