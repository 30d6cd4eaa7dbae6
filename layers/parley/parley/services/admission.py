"""Who may open a chat connection: an owner by access token, or a visitor of a public chatbot by key and Origin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from parley.domain.common import RATE_WINDOW_SECONDS
from parley.errors import Unauthorized
from parley.ports import RateLimiter
from parley.services.accounts import AccountService
from parley.services.public_chat import PublicChat, Visitor, network_of


@dataclass(frozen=True)
class Admission:
    """Who the authorizer let in; API Gateway hands it (as strings) to every route of the connection."""

    tenant_id: str
    caller: str
    public_key: str = ""
    origin: str = ""
    # An owner's token `iat` (0 for visitors).
    token_issued_at: int = 0

    def context(self) -> dict[str, str | int]:
        return asdict(self)

    @classmethod
    def of_context(cls, context: Mapping[str, Any]) -> Admission:
        if not context.get("tenant_id") or not context.get("caller"):
            raise Unauthorized("The connection was not authorized")
        return cls(
            tenant_id=str(context["tenant_id"]),
            caller=str(context["caller"]),
            public_key=str(context.get("public_key") or ""),
            origin=str(context.get("origin") or ""),
            token_issued_at=int(context.get("token_issued_at") or 0),
        )


class ConnectionAdmission:
    def __init__(
        self, accounts: AccountService, public_chat: PublicChat, limiter: RateLimiter, *, per_network: int
    ) -> None:
        self.accounts = accounts
        self.public_chat = public_chat
        self.limiter = limiter
        self.per_network = per_network

    def admit(
        self, *, token: str | None, key: str | None, origin: str | None, visitor_id: str | None, address: str
    ) -> Admission:
        """At $connect: an owner by access token, or a visitor of a public chatbot by key and allowed Origin; then
        counted against the connections a network may open to the tenant in a minute."""
        if token and not key:
            caller = self.accounts.caller_of(token)
            admission = Admission(
                tenant_id=caller.tenant_id, caller=caller.user_id, token_issued_at=caller.token_issued_at
            )
        elif key and not token:
            chatbot = self.public_chat.admit(key, origin)
            visitor = Visitor.of(visitor_id, address)
            admission = Admission(tenant_id=chatbot.tenant_id, caller=visitor.tag, public_key=key, origin=origin or "")
        else:
            raise Unauthorized("Connect with ?token=<access token> or, to a public chatbot, ?key=<publishable key>")
        self.limiter.hit(admission.tenant_id, f"connect#{network_of(address)}", self.per_network, RATE_WINDOW_SECONDS)
        return admission
