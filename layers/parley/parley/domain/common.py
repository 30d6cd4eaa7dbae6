"""Small building blocks shared by the domain models."""

from __future__ import annotations

import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints

T = TypeVar("T")

# Every id Parley issues: 32 lowercase hex digits (new_id).
ID_PATTERN = r"^[0-9a-f]{32}$"
_ID = re.compile(ID_PATTERN)
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class _Clock:
    """Microseconds since the epoch, strictly increasing within the process."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def tick(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last


_id_clock = _Clock()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A random id that sorts by creation time (microseconds first, then 72 random bits), so that the table's
    key order, which pagination follows, is creation order; strictly increasing within a process."""
    return f"{_id_clock.tick():014x}{secrets.token_hex(9)}"


def id_floor(moment: datetime) -> str:
    """The id prefix of `moment`: every id issued at or after it sorts at or after this, every earlier one before,
    so a time range of records keyed by id is a key range."""
    return f"{(moment - _EPOCH) // timedelta(microseconds=1):014x}"


def is_id(value: str) -> bool:
    """Whether `value` has the shape of an id Parley issues; anything else names nothing, and is never looked up."""
    return bool(_ID.match(value))


class Model(BaseModel):
    """Base of stored records: validated on the way in, immutable once built."""

    model_config = ConfigDict(frozen=True)


class Request(BaseModel):
    """Base of request bodies: unknown fields are a client mistake, not something to drop silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Abuse limits are set per minute (settings.rate_limits) and counted in fixed windows of one.
RATE_WINDOW_SECONDS = 60

# Lists come in pages: at most MAX_PAGE_SIZE items (a page of the largest records stays far below Lambda's 6 MB
# response limit), and a cursor to the next page while there is one.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: up to `limit` items after the one `cursor` (from the previous page) points at."""

    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # Where the next page starts; None on the last page.
    next_cursor: str | None


class Paged(BaseModel):
    """Base of list responses: pass `next_cursor` as `cursor` to get the next page; null on the last one."""

    next_cursor: str | None = None


def address_block(address: str) -> str:
    """The unit abuse limits count a client address by: an IPv4 address, or the IPv6 /64 it belongs to (one
    subscriber's network, in which a client can pick any address)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


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
