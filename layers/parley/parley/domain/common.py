"""Small building blocks shared by the domain models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Model(BaseModel):
    """Base of stored records: validated on the way in, immutable once built."""

    model_config = ConfigDict(frozen=True)


class Request(BaseModel):
    """Base of request bodies: unknown fields are a client mistake, not something to drop silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def timestamp(moment: datetime) -> str:
    """The ISO-8601 UTC form every stored and returned timestamp uses."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
