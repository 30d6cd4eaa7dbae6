"""Fixed-window rate counters in the table."""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, deserialize, serialize
from parley.errors import RateLimited


class DynamoRateLimiter:
    """Fixed-window counters: one atomic ADD per event on an item that expires with its window."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.clock = clock

    def hit(self, tenant_id: str, key: str, limit: int, window_seconds: int) -> int:
        now = int(self.clock())
        window = now - now % window_seconds
        counted = self.table.client.update_item(
            TableName=self.table.name,
            Key=serialize({"PK": keys.tenant(tenant_id), "SK": keys.rate_window(key, window)}),
            UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues=serialize({":one": 1, ":expires": window + 2 * window_seconds}),
            ReturnValues="UPDATED_NEW",
        )
        hits = int(deserialize(counted["Attributes"])["hits"])
        if hits > limit:
            raise RateLimited("Too many messages; wait a moment", retry_after=window + window_seconds - now)
        return hits
