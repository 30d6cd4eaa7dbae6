"""Small building blocks shared by the domain models."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


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


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (itertools.batched arrived in 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batched_by_cost(
    items: Sequence[T], cost: Callable[[T], int], *, max_items: int, max_cost: int
) -> Iterator[list[T]]:
    """Consecutive groups of `items` within both a count and a total-cost limit (an API's request caps)."""
    batch: list[T] = []
    total = 0
    for item in items:
        price = cost(item)
        if batch and (len(batch) == max_items or total + price > max_cost):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += price
    if batch:
        yield batch


def timestamp(moment: datetime) -> str:
    """The ISO-8601 UTC form every stored and returned timestamp uses."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
