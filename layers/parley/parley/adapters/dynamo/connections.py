"""Live WebSocket connections under their tenant; TTL removes the ones whose $disconnect never came."""

from __future__ import annotations

import time

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record
from parley.domain.connections import Connection


class DynamoConnectionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, connection: Connection) -> None:
        self.table.put(record(connection, PK=keys.tenant(connection.tenant_id), SK=keys.connection(connection.id)))

    def get(self, tenant_id: str, connection_id: str) -> Connection | None:
        item = self.table.get(keys.tenant(tenant_id), keys.connection(connection_id))
        # TTL deletes within days, not at the second: an expired record is already gone.
        if item is None or item["expires_at"] <= time.time():
            return None
        return Connection.model_validate(item)

    def remove(self, tenant_id: str, connection_id: str) -> None:
        self.table.delete(keys.tenant(tenant_id), keys.connection(connection_id))

    def of_caller(self, tenant_id: str, caller: str) -> list[Connection]:
        # Reads the tenant's connection records (visitors' too): sign-out is rare, and keying records by caller
        # would cost every lookup by id, which each message makes, a second key.
        now = time.time()
        return [
            Connection.model_validate(item)
            for item in self.table.query_prefix(keys.tenant(tenant_id), keys.connection(""))
            if item["caller"] == caller and item["expires_at"] > now
        ]

    def of_members(self, tenant_id: str) -> list[Connection]:
        # The tenant's connection records are one query; a person's connection is the one with no publishable key.
        now = time.time()
        return [
            Connection.model_validate(item)
            for item in self.table.query_prefix(keys.tenant(tenant_id), keys.connection(""))
            if item.get("public_key") is None and item["expires_at"] > now
        ]
