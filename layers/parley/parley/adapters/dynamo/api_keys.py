"""API keys: the key's record in its tenant's partition, and its grant in a partition named by the key's hash, so
that a request's key is checked in one GetItem. Both are written and removed together."""

from __future__ import annotations

from datetime import datetime

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record
from parley.domain.api_keys import ApiKey, ApiKeyGrant
from parley.domain.common import Page, PageRequest, timestamp


class DynamoApiKeyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, key: ApiKey) -> None:
        grant = ApiKeyGrant(id=key.id, tenant_id=key.tenant_id, chatbot_id=key.chatbot_id)
        self.table.write_all(
            [
                {
                    "Put": self.table.new_item(
                        record(key, PK=keys.tenant(key.tenant_id), SK=keys.api_key(key.id), hash=key.hash)
                    )
                },
                {"Put": self.table.new_item(record(grant, PK=keys.api_key_grant(key.hash), SK=keys.GRANT_SK))},
            ]
        )

    def list(self, tenant_id: str, page: PageRequest) -> Page[ApiKey]:
        found = self.table.query_page(keys.tenant(tenant_id), keys.api_keys(), page, dict)
        last_used: dict[str, object] = {}
        if found.items:
            # One page is at most MAX_PAGE_SIZE keys: one BatchGetItem (plus any keys it leaves unprocessed).
            wanted = [(keys.api_key_grant(item["hash"]), keys.GRANT_SK) for item in found.items]
            for grant in self.table.batch_get(wanted, projection="id, last_used_at"):
                last_used[grant["id"]] = grant.get("last_used_at")
        return Page(
            [ApiKey.model_validate({**item, "last_used_at": last_used.get(item["id"])}) for item in found.items],
            found.next_cursor,
        )

    def revoke(self, tenant_id: str, key_id: str) -> bool:
        item = self.table.get(keys.tenant(tenant_id), keys.api_key(key_id))
        if item is None:
            return False
        self.table.write_all(
            [
                {"Delete": self.table.delete_request(item["PK"], item["SK"])},
                {"Delete": self.table.delete_request(keys.api_key_grant(item["hash"]), keys.GRANT_SK)},
            ]
        )
        return True

    def erase(self, tenant_id: str) -> None:
        for item in self.table.query_prefix(keys.tenant(tenant_id), keys.api_keys()):
            self.table.erase(keys.api_key_grant(item["hash"]))
        self.table.erase(keys.tenant(tenant_id), keys.api_keys())

    def grant(self, hash: str) -> ApiKeyGrant | None:
        item = self.table.get(keys.api_key_grant(hash), keys.GRANT_SK)
        return ApiKeyGrant.model_validate(item) if item else None

    def mark_used(self, hash: str, at: datetime, unless_since: datetime) -> None:
        # Conditional, so that concurrent requests of one key write once, and a revoked key is not brought back.
        self.table.update(
            keys.api_key_grant(hash),
            keys.GRANT_SK,
            "SET last_used_at = :at",
            condition="attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :since)",
            values={":at": timestamp(at), ":since": timestamp(unless_since)},
        )
