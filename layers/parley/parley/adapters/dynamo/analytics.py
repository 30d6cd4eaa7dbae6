"""A chatbot's analytics counters: one item per chatbot per day in the tenant's partition, added to atomically."""

from __future__ import annotations

from datetime import date
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table
from parley.domain.analytics import AnalyticsDay, Tally, days_between


def tally_update(table: Table, tenant_id: str, chatbot_id: str, tally: Tally) -> dict[str, Any]:
    """An Update request adding `tally` to its day's counters (for `transact_write_items`); the item is created by
    the first ADD, so concurrent answers never overwrite each other's counts."""
    names = {f"#c{i}": name for i, name in enumerate(tally.add)}
    values = {f":v{i}": amount for i, amount in enumerate(tally.add.values())}
    return table.update_request(
        keys.tenant(tenant_id),
        keys.analytics_day(chatbot_id, tally.day.isoformat()),
        "ADD " + ", ".join(f"{name} {value}" for name, value in zip(names, values, strict=True)),
        names=names,
        values=values,
    )


class DynamoAnalyticsStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def days(self, tenant_id: str, chatbot_id: str, first: date, last: date) -> list[AnalyticsDay]:
        """Every day from `first` to `last`, read with one Query over the chatbot's day items (a year of them is far
        below a page's 1 MB)."""
        bounds = (keys.analytics_day(chatbot_id, first.isoformat()), keys.analytics_day(chatbot_id, last.isoformat()))
        stored = {
            date.fromisoformat(str(item["SK"]).removeprefix(keys.analytics_days(chatbot_id))): item
            for item in self.table.query_prefix(keys.tenant(tenant_id), between=bounds)
        }
        return [AnalyticsDay.of(day, stored.get(day, {})) for day in days_between(first, last)]
