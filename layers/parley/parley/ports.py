"""The small interfaces services depend on; adapters implement them for AWS and for tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from parley.domain.accounts import SignIn, Tenant, Tokens, UserProfile
from parley.domain.chatbots import Chatbot


class IdentityProvider(Protocol):
    """Users' credentials and sessions (Cognito in AWS and in the local stack)."""

    def sign_up(self, email: str, password: str, name: str) -> str:
        """Create the user and return its stable id (the token's `sub`)."""

    def confirm(self, email: str) -> None: ...

    def delete(self, email: str) -> None: ...

    def sign_in(self, email: str, password: str) -> SignIn: ...

    def refresh(self, refresh_token: str) -> Tokens: ...

    def sign_out(self, access_token: str) -> None:
        """Revoke the user's refresh tokens."""


class AccountStore(Protocol):
    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        """Store a new tenant and its first user together, or neither."""

    def get_user(self, user_id: str) -> UserProfile | None: ...


class ChatbotStore(Protocol):
    """Chatbots by tenant. Soft-deleted chatbots are invisible to every read."""

    def add(self, chatbot: Chatbot) -> None: ...

    def get(self, tenant_id: str, chatbot_id: str) -> Chatbot | None: ...

    def list(self, tenant_id: str) -> list[Chatbot]: ...

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        """Apply `changes` atomically; None when the chatbot does not exist or is deleted."""

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> bool: ...
