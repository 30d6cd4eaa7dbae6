"""Fixed-window rate counters in the table."""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table
from parley.domain.accounts import Failures
from parley.errors import RateLimited


def _window(clock: Callable[[], float], window_seconds: int) -> tuple[int, int]:
    """Now, and the start of the window it falls in (epoch seconds)."""
    now = int(clock())
    return now, now - now % window_seconds


def _count(table: Table, pk: str, sk: str, expires_at: int) -> int:
    """Add one to a counter item that expires with its window; the new count."""
    counted = table.update(
        pk,
        sk,
        "ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
        values={":one": 1, ":expires": expires_at},
        returns="UPDATED_NEW",
    )
    return int(counted["hits"])


class DynamoRateLimiter:
    """Fixed-window counters: one atomic ADD per event on an item that expires with its window."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.clock = clock

    def hit(self, tenant_id: str, key: str, limit: int, window_seconds: int) -> int:
        now, window = _window(self.clock, window_seconds)
        hits = _count(self.table, keys.tenant(tenant_id), keys.rate_window(key, window), window + 2 * window_seconds)
        if hits > limit:
            raise RateLimited("Too many messages; wait a moment", retry_after=window + window_seconds - now)
        return hits


class DynamoFailureCounter:
    """Failed attempts per subject, counted the same way, read before each attempt."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.clock = clock

    def failures(self, subject: str, window_seconds: int) -> Failures:
        now, window = _window(self.clock, window_seconds)
        item = self.table.get(keys.sign_in_failures(subject), keys.rate_window("failures", window))
        count, last = (int(item["hits"]), int(item.get("last_at", now))) if item else (0, now)
        return Failures(count, max(now - last, 0), window + window_seconds - now)

    def fail(self, subject: str, window_seconds: int) -> None:
        now, window = _window(self.clock, window_seconds)
        self.table.update(
            keys.sign_in_failures(subject),
            keys.rate_window("failures", window),
            "ADD hits :one SET expires_at = if_not_exists(expires_at, :expires), last_at = :now",
            values={":one": 1, ":expires": window + 2 * window_seconds, ":now": now},
        )
