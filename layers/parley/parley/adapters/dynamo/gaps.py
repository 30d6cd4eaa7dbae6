"""Knowledge gaps by chatbot and time, in the tenant's partition; TTL removes them once no period can reach them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record
from parley.domain.common import new_id, timestamp
from parley.domain.conversations import MAX_DAYS
from parley.domain.gaps import Gap


def gap_item(tenant_id: str, gap: Gap) -> dict[str, Any]:
    """A gap as its item (written alone, or in the transaction of the answer that revealed it)."""
    sk = keys.gap(gap.chatbot_id, timestamp(gap.asked_at), new_id())
    expires_at = int((gap.asked_at + timedelta(days=MAX_DAYS + 1)).timestamp())
    return {**record(gap, PK=keys.tenant(tenant_id), SK=sk), "expires_at": expires_at}


class DynamoGapStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, tenant_id: str, gap: Gap) -> None:
        self.table.put(gap_item(tenant_id, gap), new=True)

    def since(self, tenant_id: str, chatbot_id: str, start: datetime, limit: int) -> list[Gap]:
        bounds = keys.gaps_since(chatbot_id, timestamp(start))
        items = self.table.query_prefix(keys.tenant(tenant_id), between=bounds, newest_first=True, limit=limit)
        return [Gap.model_validate(item) for item in items]
