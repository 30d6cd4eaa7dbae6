"""Chatbots, soft-deleted in place until erased; a sparse index finds a live one by its publishable key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record, set_clause
from parley.domain.chatbots import Chatbot, is_public_key
from parley.domain.common import Page, PageRequest, timestamp

_LIVE = "attribute_exists(PK) AND attribute_not_exists(deleted_at)"


def _chatbot(item: Mapping[str, Any] | None) -> Chatbot | None:
    return Chatbot.model_validate(item) if item else None


def _live_chatbot(item: Mapping[str, Any] | None) -> Chatbot | None:
    if not item or item.get("deleted_at"):
        return None
    return Chatbot.model_validate(item)


class DynamoChatbotStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, chatbot: Chatbot) -> None:
        item = record(
            chatbot,
            PK=keys.tenant(chatbot.tenant_id),
            SK=keys.chatbot(chatbot.id),
            **{keys.LOOKUP_PK: keys.public_key(chatbot.public_key), keys.LOOKUP_SK: keys.chatbot(chatbot.id)},
        )
        self.table.put(item, new=True)

    def get(self, tenant_id: str, chatbot_id: str, *, deleting: bool = False) -> Chatbot | None:
        item = self.table.get(keys.tenant(tenant_id), keys.chatbot(chatbot_id))
        return _chatbot(item) if deleting else _live_chatbot(item)

    def ids(self, tenant_id: str) -> list[str]:
        return [str(item["id"]) for item in self.table.query_prefix(keys.tenant(tenant_id), keys.chatbots())]

    def list(self, tenant_id: str, page: PageRequest) -> Page[Chatbot]:
        return self.table.query_page(keys.tenant(tenant_id), keys.chatbots(), page, _chatbot)

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        expression, names, values = set_clause(changes)
        updated = self.table.update(
            keys.tenant(tenant_id),
            keys.chatbot(chatbot_id),
            expression,
            condition=_LIVE,
            names=names,
            values=values,
            returns="ALL_NEW",
        )
        return _live_chatbot(updated)

    def by_public_key(self, public_key: str) -> Chatbot | None:
        if not is_public_key(public_key):  # names no chatbot, and DynamoDB refuses an oversized key
            return None
        found = next(self.table.lookup(keys.public_key(public_key), limit=1), None)
        return _live_chatbot(found)

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> Chatbot | None:
        was = self.table.update(
            keys.tenant(tenant_id),
            keys.chatbot(chatbot_id),
            # Dropping the index keys retires the public key with the chatbot.
            "SET deleted_at = if_not_exists(deleted_at, :now), updated_at = :now REMOVE #index_pk, #index_sk",
            condition="attribute_exists(PK)",
            names={"#index_pk": keys.LOOKUP_PK, "#index_sk": keys.LOOKUP_SK},
            values={":now": timestamp(deleted_at)},
            returns="ALL_OLD",
        )
        return _chatbot(was)

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        self.table.delete(keys.tenant(tenant_id), keys.chatbot(chatbot_id))
