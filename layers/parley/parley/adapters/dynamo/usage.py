"""Plans and usage counters in the tenant's partition: conditional ADDs, so concurrent requests cannot overshoot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table

# A month's counters stay readable for a year after it, then the table's TTL removes them.
MONTH_KEPT = timedelta(days=400)


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
        expression = "ADD #counter :amount"
        values: dict[str, object] = {":amount": amount, ":room": limit - amount}
        if month is not None:
            expression += " SET expires_at = if_not_exists(expires_at, :expires)"
            values[":expires"] = _expires(month)
        added = self.table.update(
            *self._key(tenant_id, month),
            expression,
            condition="attribute_not_exists(#counter) OR #counter <= :room",
            names={"#counter": counter},
            values=values,
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
