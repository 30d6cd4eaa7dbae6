"""Sign-out that ends a user's sessions everywhere, at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.accounts import Caller
from parley.domain.common import utcnow
from parley.observability import logger
from parley.ports import AccountStore, Connections, ConnectionStore, IdentityProvider


class Sessions:
    def __init__(
        self,
        identity: IdentityProvider,
        accounts: AccountStore,
        connection_store: ConnectionStore,
        connections: Connections,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.identity = identity
        self.accounts = accounts
        self.connection_store = connection_store
        self.connections = connections
        self.clock = clock

    def sign_out(self, caller: Caller, access_token: str) -> None:
        """Every token issued until now stops working, the refresh tokens are revoked, and the user's open chat
        connections are closed.

        Cognito cannot revoke an access token (a JWT is valid until it expires), so the cut-off is ours: the
        signed-out-at time, checked with the profile every request reads anyway. It is written first, so that no
        request is served on an old token once sign-out has begun."""
        self.end(caller.tenant_id, caller.user_id)
        self.identity.sign_out(access_token)

    def end(self, tenant_id: str, user_id: str) -> None:
        """Refuse every token the user holds from now on, and close their open chat connections (sign-out, and a
        member's removal from the team)."""
        self.accounts.sign_out(user_id, int(self.clock().timestamp()))
        open_connections = self.connection_store.of_caller(tenant_id, user_id)
        for connection in open_connections:
            self.connection_store.remove(tenant_id, connection.id)
            self.connections.close(connection.id)
        logger.info("Sessions ended", extra={"connections_closed": len(open_connections)})
