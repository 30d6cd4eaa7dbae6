"""Auth function: register, login, refresh, logout, me, the team, closing the account (and the health check)."""

from parley.api import build_app
from parley.api.routes import account, auth, health, team
from parley.observability import lambda_entry

handler = lambda_entry(build_app(auth.router, account.router, team.router, health.router))
