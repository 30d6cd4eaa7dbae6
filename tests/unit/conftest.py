"""In-memory stand-ins for the ports, so services are tested without AWS."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from parley.domain.accounts import SignIn, Tenant, Tokens, UserProfile
from parley.domain.chatbots import Chatbot
from parley.domain.common import timestamp
from parley.errors import EmailTaken, InvalidCredentials, Unauthorized


class FakeIdentityProvider:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.revoked: set[str] = set()

    def sign_up(self, email: str, password: str, name: str) -> str:
        if email in self.users:
            raise EmailTaken("taken")
        self.users[email] = {"id": str(uuid.uuid4()), "password": password, "confirmed": False}
        return str(self.users[email]["id"])

    def confirm(self, email: str) -> None:
        self.users[email]["confirmed"] = True

    def delete(self, email: str) -> None:
        del self.users[email]

    def sign_in(self, email: str, password: str) -> SignIn:
        user = self.users.get(email)
        if not user or user["password"] != password:
            raise InvalidCredentials("wrong")
        refresh = f"refresh-{user['id']}-{uuid.uuid4().hex}"
        return SignIn(
            user_id=user["id"],
            tokens=Tokens(access_token=f"access-{user['id']}", refresh_token=refresh, expires_in=3600),
        )

    def refresh(self, refresh_token: str) -> Tokens:
        if refresh_token in self.revoked:
            raise Unauthorized("revoked")
        return Tokens(access_token="access-again", refresh_token=refresh_token, expires_in=3600)

    def sign_out(self, access_token: str) -> None:
        self.revoked.add(access_token)


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.users: dict[str, UserProfile] = {}
        self.fail_next = False

    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        if self.fail_next:
            raise RuntimeError("DynamoDB is down")
        self.tenants[tenant.id] = tenant
        self.users[owner.id] = owner

    def get_user(self, user_id: str) -> UserProfile | None:
        return self.users.get(user_id)


class InMemoryChatbotStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Chatbot] = {}

    def add(self, chatbot: Chatbot) -> None:
        self.items[(chatbot.tenant_id, chatbot.id)] = chatbot

    def get(self, tenant_id: str, chatbot_id: str) -> Chatbot | None:
        chatbot = self.items.get((tenant_id, chatbot_id))
        return chatbot if chatbot and not chatbot.deleted_at else None

    def list(self, tenant_id: str) -> list[Chatbot]:
        return [c for (tenant, _), c in self.items.items() if tenant == tenant_id and not c.deleted_at]

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        chatbot = self.get(tenant_id, chatbot_id)
        if chatbot is None:
            return None
        updated = Chatbot.model_validate({**chatbot.model_dump(mode="json"), **changes})
        self.items[(tenant_id, chatbot_id)] = updated
        return updated

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> bool:
        return self.update(tenant_id, chatbot_id, {"deleted_at": timestamp(deleted_at)}) is not None


@pytest.fixture
def identity() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def account_store() -> InMemoryAccountStore:
    return InMemoryAccountStore()


@pytest.fixture
def chatbot_store() -> InMemoryChatbotStore:
    return InMemoryChatbotStore()
