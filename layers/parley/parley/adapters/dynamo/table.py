"""The one table: its client, made on first use, and the few operations and conversions the stores share."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from parley.domain.common import batched
from parley.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# BatchWriteItem takes at most 25 requests; throttled ones come back as UnprocessedItems and are sent again.
BATCH_WRITE_ITEMS = 25
BATCH_WRITE_ATTEMPTS = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(item) for item in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(item) for item in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain JSON-ish values → DynamoDB attribute values (None is left out, floats become Decimals)."""
    return {key: _serializer.serialize(_to_dynamo(value)) for key, value in item.items() if value is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def record(model: BaseModel, **keys: str | None) -> dict[str, Any]:
    """A model as a stored item under `keys`."""
    return {**keys, **model.model_dump(mode="json")}


def set_clause(changes: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`SET`/`REMOVE` expression for `changes`; None values are removed rather than stored."""
    names = {f"#f{i}": field for i, field in enumerate(changes)}
    sets = [f"#f{i} = :v{i}" for i, value in enumerate(changes.values()) if value is not None]
    removes = [f"#f{i}" for i, value in enumerate(changes.values()) if value is None]
    values = {f":v{i}": value for i, value in enumerate(changes.values()) if value is not None}
    expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    return expression.strip(), names, values


class Table:
    """The one table, with the few operations the stores need."""

    def __init__(self, name: str) -> None:
        self.name = name

    @cached_property
    def client(self) -> DynamoDBClient:
        # The endpoint comes from the standard AWS variables (the local stack sets them).
        import boto3

        return boto3.client("dynamodb")

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.name, Key=serialize({"PK": pk, "SK": sk}), ConsistentRead=True)
        return deserialize(found["Item"]) if "Item" in found else None

    def query_prefix(self, pk: str, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of one partition (whose sort key starts with `sk_prefix`, if given), across pages."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "PK = :pk" + (" AND begins_with(SK, :prefix)" if sk_prefix else ""),
            "ExpressionAttributeValues": serialize({":pk": pk, ":prefix": sk_prefix}),
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield deserialize(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def erase(self, pk: str, sk_prefix: str | None = None) -> None:
        """Delete every item of one partition (whose sort key starts with `sk_prefix`, if given)."""
        found = [{"PK": item["PK"], "SK": item["SK"]} for item in self.query_prefix(pk, sk_prefix)]
        for batch in batched(found, BATCH_WRITE_ITEMS):
            requests: Any = {self.name: [{"DeleteRequest": {"Key": serialize(key)}} for key in batch]}
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                requests = self.client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
                if not requests:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise UpstreamUnavailable("DynamoDB kept items of an erasure unprocessed; it is retried")

    def put_new(self, item: Mapping[str, Any]) -> Any:
        """A Put request that fails if the key is taken (for `transact_write_items` or `put_item`)."""
        return {
            "TableName": self.name,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
