"""Tenant API keys: created by owners, shown once, checked on every request they come with, revoked at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.accounts import Caller
from parley.domain.api_keys import (
    LAST_USED_RESOLUTION_SECONDS,
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyGrant,
    key_hash,
    new_secret,
    visible_prefix,
)
from parley.domain.common import Page, PageRequest, new_id, utcnow
from parley.errors import ApiKeyNotFound, Unauthorized
from parley.observability import logger
from parley.ports import ApiKeyStore, ChatbotStore
from parley.services.chatbots import find_chatbot
from parley.services.quotas import Quotas


class ApiKeys:
    def __init__(
        self, keys: ApiKeyStore, chatbots: ChatbotStore, quotas: Quotas, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.keys = keys
        self.chatbots = chatbots
        self.quotas = quotas
        self.clock = clock

    def create(self, tenant_id: str, request: ApiKeyCreate) -> ApiKeyCreated:
        """A new key of the tenant (limited to one of its chatbots, if named); the only time the key is seen.
        The plan's limit on keys holds here (402 when it is reached)."""
        if request.chatbot_id is not None:
            find_chatbot(self.chatbots, tenant_id, request.chatbot_id)
        secret = new_secret()
        key = ApiKey(
            id=new_id(),
            tenant_id=tenant_id,
            name=request.name,
            prefix=visible_prefix(secret),
            chatbot_id=request.chatbot_id,
            created_at=self.clock(),
            hash=key_hash(secret),
        )
        self.quotas.acquire(tenant_id, "api_keys")
        try:
            self.keys.add(key)
        except BaseException:
            self.quotas.release(tenant_id, "api_keys")
            raise
        logger.info("API key created", extra={"api_key_id": key.id})
        return ApiKeyCreated(key=secret, **key.model_dump(include={"id", "name", "prefix", "chatbot_id", "created_at"}))

    def list(self, tenant_id: str, page: PageRequest) -> Page[ApiKey]:
        return self.keys.list(tenant_id, page)

    def revoke(self, tenant_id: str, key_id: str) -> None:
        if not self.keys.revoke(tenant_id, key_id):
            raise ApiKeyNotFound()
        self.quotas.release(tenant_id, "api_keys")
        logger.info("API key revoked", extra={"api_key_id": key_id})

    def grant_of(self, key: str) -> ApiKeyGrant | None:
        """What a presented key may act as; None for an unknown or revoked key."""
        return self.keys.grant(key_hash(key))

    def caller_of(self, key: str) -> Caller:
        """The caller a key acts as, read for every request (a revoked key is refused at once, whatever an
        authorizer cached), its use recorded at most once a minute."""
        hash = key_hash(key)
        grant = self.keys.grant(hash)
        if grant is None:
            raise Unauthorized("This API key is unknown or revoked")
        now = self.clock()
        since = now - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
        if grant.last_used_at is None or grant.last_used_at < since:
            self.keys.mark_used(hash, now, since)
        logger.append_keys(tenant_id=grant.tenant_id)
        return Caller(
            user_id=f"key:{grant.id}",
            tenant_id=grant.tenant_id,
            # What a key may do is the `api_key` principal's row of the role table, not this role's.
            role="admin",
            api_key_id=grant.id,
            chatbot_scope=grant.chatbot_id,
        )
