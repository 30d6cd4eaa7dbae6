"""A chatbot's analytics counters: one item per chatbot per day in the tenant's partition, added to atomically."""

from __future__ import annotations

from datetime import date
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, deserialize, serialize
from parley.domain.analytics import AnalyticsDay, Tally, days_between


def tally_update(table: Table, tenant_id: str, chatbot_id: str, tally: Tally) -> dict[str, Any]:
    """An Update request adding `tally` to its day's counters (for `transact_write_items`); the item is created by
    the first ADD, so concurrent answers never overwrite each other's counts."""
    names = {f"#c{i}": name for i, name in enumerate(tally.add)}
    values = {f":v{i}": amount for i, amount in enumerate(tally.add.values())}
    return {
        "TableName": table.name,
        "Key": serialize({"PK": keys.tenant(tenant_id), "SK": keys.analytics_day(chatbot_id, tally.day.isoformat())}),
        "UpdateExpression": "ADD " + ", ".join(f"{name} {value}" for name, value in zip(names, values, strict=True)),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": serialize(values),
    }


class DynamoAnalyticsStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def days(self, tenant_id: str, chatbot_id: str, first: date, last: date) -> list[AnalyticsDay]:
        """Every day from `first` to `last`, read with one Query over the chatbot's day items."""
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "ExpressionAttributeValues": serialize(
                {
                    ":pk": keys.tenant(tenant_id),
                    ":first": keys.analytics_day(chatbot_id, first.isoformat()),
                    ":last": keys.analytics_day(chatbot_id, last.isoformat()),
                }
            ),
        }
        stored: dict[date, dict[str, Any]] = {}
        while True:  # a year of day items is far below a page's 1 MB; the loop is for safety, not the usual case
            response = self.table.client.query(**kwargs)
            for raw in response.get("Items", []):
                item = deserialize(raw)
                stored[date.fromisoformat(str(item["SK"]).removeprefix(keys.analytics_days(chatbot_id)))] = item
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [AnalyticsDay.of(day, stored.get(day, {})) for day in days_between(first, last)]
