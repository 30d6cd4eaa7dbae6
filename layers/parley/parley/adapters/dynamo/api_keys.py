"""API keys: the key's record in its tenant's partition, and its grant in a partition named by the key's hash, so
that a request's key is checked in one GetItem. Both are written and removed together."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, deserialize, record, serialize
from parley.domain.api_keys import ApiKey, ApiKeyGrant
from parley.domain.common import Page, PageRequest, timestamp


class DynamoApiKeyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _grant_key(self, hash: str) -> dict[str, Any]:
        return {"PK": keys.api_key_grant(hash), "SK": keys.GRANT_SK}

    def add(self, key: ApiKey) -> None:
        grant = ApiKeyGrant(id=key.id, tenant_id=key.tenant_id, chatbot_id=key.chatbot_id)
        self.table.client.transact_write_items(
            TransactItems=[
                {
                    "Put": self.table.put_new(
                        record(key, PK=keys.tenant(key.tenant_id), SK=keys.api_key(key.id), hash=key.hash)
                    )
                },
                {"Put": self.table.put_new(record(grant, **self._grant_key(key.hash)))},
            ]
        )

    def list(self, tenant_id: str, page: PageRequest) -> Page[ApiKey]:
        found = self.table.query_page(keys.tenant(tenant_id), keys.api_keys(), page, dict)
        last_used: dict[str, Any] = {}
        if found.items:
            # One page is at most MAX_PAGE_SIZE keys: one BatchGetItem (plus any keys it leaves unprocessed).
            wanted = [serialize(self._grant_key(item["hash"])) for item in found.items]
            requests: Any = {self.table.name: {"Keys": wanted, "ProjectionExpression": "id, last_used_at"}}
            while requests:
                response = self.table.client.batch_get_item(RequestItems=requests)
                for raw in response["Responses"].get(self.table.name, []):
                    grant = deserialize(raw)
                    last_used[grant["id"]] = grant.get("last_used_at")
                requests = response.get("UnprocessedKeys") or None
        return Page(
            [ApiKey.model_validate({**item, "last_used_at": last_used.get(item["id"])}) for item in found.items],
            found.next_cursor,
        )

    def revoke(self, tenant_id: str, key_id: str) -> bool:
        item = self.table.get(keys.tenant(tenant_id), keys.api_key(key_id))
        if item is None:
            return False
        self.table.client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table.name, "Key": serialize({"PK": item["PK"], "SK": item["SK"]})}},
                {"Delete": {"TableName": self.table.name, "Key": serialize(self._grant_key(item["hash"]))}},
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
        with contextlib.suppress(self.table.client.exceptions.ConditionalCheckFailedException):
            self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize(self._grant_key(hash)),
                UpdateExpression="SET last_used_at = :at",
                ConditionExpression=(
                    "attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :since)"
                ),
                ExpressionAttributeValues=serialize({":at": timestamp(at), ":since": timestamp(unless_since)}),
            )
