"""Plans and usage counters in the tenant's partition: conditional ADDs, so concurrent requests cannot overshoot."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table
from parley.domain.common import timestamp
from parley.domain.documents import Document
from parley.domain.plans import month_of

# A month's counters stay readable for a year after it, then the table's TTL removes them.
MONTH_KEPT = timedelta(days=400)


# A counter takes an amount only while it stays within its limit (a fresh counter always does).
_ROOM_LEFT = "attribute_not_exists(#counter) OR #counter <= :room"


def _counted(amount: int, limit: int, month: str | None) -> tuple[str, dict[str, object]]:
    """The update adding `amount` to a counter (`#counter`) held to `limit` by _ROOM_LEFT: its expression and values; a
    monthly counter's item also gets its expiry."""
    expression = "ADD #counter :amount"
    values: dict[str, object] = {":amount": amount, ":room": limit - amount}
    if month is not None:
        expression += " SET expires_at = if_not_exists(expires_at, :expires)"
        values[":expires"] = _expires(month)
    return expression, values


def _expires(month: str) -> int:
    return int((datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC) + MONTH_KEPT).timestamp())


class DynamoUsageCounters:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, tenant_id: str, month: str | None) -> tuple[str, str]:
        return keys.tenant(tenant_id), keys.usage() if month is None else keys.usage_month(month)

    def plan(self, tenant_id: str) -> str | None:
        item = self.table.get(keys.tenant(tenant_id), keys.usage())
        return str(item["plan"]) if item and item.get("plan") else None

    def assign(self, tenant_id: str, plan: str) -> bool:
        if self.table.get(keys.tenant(tenant_id), keys.TENANT_SK) is None:
            return False
        self.table.update(
            *self._key(tenant_id, None), "SET #plan = :plan", names={"#plan": "plan"}, values={":plan": plan}
        )
        return True

    def add(self, tenant_id: str, counter: str, amount: int, limit: int, month: str | None = None) -> bool:
        if amount > limit:
            # `attribute_not_exists` would let it through on a fresh counter.
            return False
        expression, values = _counted(amount, limit, month)
        added = self.table.update(
            *self._key(tenant_id, month), expression, condition=_ROOM_LEFT, names={"#counter": counter}, values=values
        )
        return added is not None

    def subtract(self, tenant_id: str, counter: str, amount: int, month: str | None = None) -> None:
        # The condition fails when it was given back already (or never counted, as before plans existed): zero is the
        # floor.
        self.table.update(
            *self._key(tenant_id, month),
            "ADD #counter :minus",
            condition="#counter >= :amount",
            names={"#counter": counter},
            values={":minus": -amount, ":amount": amount},
        )

    def add_for(self, document: Document, pages: int, at: datetime, limits: Mapping[str, int]) -> str | None:
        amounts = {"pages": (pages, month_of(at)), "stored_bytes": (document.size_bytes, None)}
        for counter, (amount, _) in amounts.items():
            if amount > limits[counter]:
                return counter
        mark = self.table.update_request(
            *self._document_key(document),
            "SET counted_version = :version, counted_pages = :pages, counted_at = :at",
            condition="attribute_exists(PK) AND (attribute_not_exists(counted_version) OR counted_version <> :version)",
            values={":version": document.version, ":pages": pages, ":at": timestamp(at)},
        )
        items: list[dict[str, Any]] = [{"Update": mark}]
        for counter, (amount, month) in amounts.items():
            expression, values = _counted(amount, limits[counter], month)
            update = self.table.update_request(
                *self._key(document.tenant_id, month),
                expression,
                condition=_ROOM_LEFT,
                names={"#counter": counter},
                values=values,
            )
            items.append({"Update": update})
        failed = self.table.transact(items)
        return None if failed in (None, 0) else list(amounts)[failed - 1]

    def subtract_for(self, document: Document) -> bool:
        if not document.counted or document.counted_at is None:
            return False
        unmark = self.table.update_request(
            *self._document_key(document),
            "REMOVE counted_version, counted_pages, counted_at",
            condition="counted_version = :version",
            values={":version": document.version},
        )
        items: list[dict[str, Any]] = [{"Update": unmark}]
        given = {
            "pages": (document.counted_pages or 0, month_of(document.counted_at)),
            "stored_bytes": (document.size_bytes, None),
        }
        for counter, (amount, month) in given.items():
            update = self.table.update_request(
                *self._key(document.tenant_id, month),
                "ADD #counter :minus",
                names={"#counter": counter},
                values={":minus": -amount},
            )
            items.append({"Update": update})
        return self.table.transact(items) is None

    def _document_key(self, document: Document) -> tuple[str, str]:
        return keys.tenant(document.tenant_id), keys.document(document.chatbot_id, document.id)

    def counts(self, tenant_id: str, month: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for sort_key in (keys.usage(), keys.usage_month(month)):
            found |= _counters(self.table.get(keys.tenant(tenant_id), sort_key) or {})
        return found

    def usage(self, tenant_id: str, month: str) -> tuple[str | None, dict[str, int]]:
        # Both items in one BatchGetItem (the plan is on the standing one): a report is one read, not three.
        wanted = [(keys.tenant(tenant_id), keys.usage()), (keys.tenant(tenant_id), keys.usage_month(month))]
        plan: str | None = None
        found: dict[str, int] = {}
        for item in self.table.batch_get(wanted):
            plan = str(item["plan"]) if item["SK"] == keys.usage() and item.get("plan") else plan
            found |= _counters(item)
        return plan, found


def _counters(item: dict[str, object]) -> dict[str, int]:
    return {
        name: value for name, value in item.items() if isinstance(value, int) and name not in ("PK", "SK", "expires_at")
    }
