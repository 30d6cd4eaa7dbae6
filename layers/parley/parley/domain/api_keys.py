"""Tenant API keys: secrets for server-to-server calls, shown once and kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from parley.domain.common import Id, Model, Paged, Request

KEY_PREFIX = "sk_"
# 32 random bytes, url-safe: 43 characters after the prefix.
_SECRET_BYTES = 32
# How much of a key its list shows, so that its owner can tell keys apart (7 of 43 random characters stay public).
_VISIBLE = len(KEY_PREFIX) + 7
# A key's use is recorded at most this often, so that a busy key costs no write per request.
LAST_USED_RESOLUTION_SECONDS = 60


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def is_api_key(token: str) -> bool:
    """Whether a bearer token is meant as an API key (anything else is taken for an access token)."""
    return token.startswith(KEY_PREFIX)


def key_hash(key: str) -> str:
    """What is stored of a key: its SHA-256 (a key is 256 random bits, so no salt or slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str) -> str:
    return key[:_VISIBLE]


class ApiKey(Model):
    id: str
    tenant_id: str
    name: str
    prefix: str
    chatbot_id: str | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    # Never shown: the route side finds a key by it, and revoking removes its lookup.
    hash: str = Field(exclude=True, repr=False)


class ApiKeyGrant(Model):
    """What a key presented with a request is allowed to act as: read in one GetItem by the key's hash."""

    id: str
    tenant_id: str
    chatbot_id: str | None = None
    last_used_at: datetime | None = None


class ApiKeyCreate(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    chatbot_id: Annotated[Id | None, Field(description="Limit the key to this chatbot of the tenant")] = None


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it by")
    chatbot_id: str | None
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(BaseModel):
    id: str
    name: str
    key: str = Field(description="The key itself: shown this once, never again")
    prefix: str
    chatbot_id: str | None
    created_at: datetime


class ApiKeyList(Paged):
    items: list[ApiKeyPublic]
