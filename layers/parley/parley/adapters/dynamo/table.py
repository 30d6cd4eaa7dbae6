"""The one table: its client, made on first use, and the few operations and conversions the stores share."""

from __future__ import annotations

import base64
import binascii
import random
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from parley.domain.common import Page, PageRequest, batched
from parley.errors import InvalidInput, UpstreamUnavailable

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


def backoff(attempt: int) -> float:
    """How long to wait before retrying a write DynamoDB cancelled in a conflict: full jitter, from 25 ms doubling to
    at most a second."""
    return random.uniform(0, min(1.0, 0.025 * 2**attempt))  # noqa: S311 - jitter, not secrecy


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


# DynamoDB's limit on a sort key's size, and the length of such a key in a cursor (base64).
MAX_SORT_KEY_BYTES = 1024
MAX_CURSOR_LENGTH = -(-MAX_SORT_KEY_BYTES * 4 // 3)


def _cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _sort_key(cursor: str, sk_prefix: str) -> str:
    """The sort key a cursor points at. The partition is never in the cursor (it is the caller's), and the key must
    lie in the listed range, so a forged cursor can only move within what the caller may list anyway."""
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sort_key = ""
    if len(cursor) > MAX_CURSOR_LENGTH or not sort_key.startswith(sk_prefix):
        raise InvalidInput("cursor: not a cursor of this list; pass next_cursor from the previous page as it came")
    return sort_key


T = TypeVar("T")


def _key_condition(
    pk: str, sk_prefix: str | None, between: tuple[str, str] | None
) -> tuple[str, dict[str, str | None]]:
    """A query's key condition and its values: the partition, narrowed to sort keys `between` two (inclusive) or
    starting with `sk_prefix`."""
    if between is not None:
        return "PK = :pk AND SK BETWEEN :low AND :high", {":pk": pk, ":low": between[0], ":high": between[1]}
    if sk_prefix:
        return "PK = :pk AND begins_with(SK, :prefix)", {":pk": pk, ":prefix": sk_prefix}
    return "PK = :pk", {":pk": pk}


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

    def query_prefix(
        self, pk: str, sk_prefix: str | None = None, *, between: tuple[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of one partition (whose sort key starts with `sk_prefix`, if given, or lies `between` two
        keys, inclusive), across pages."""
        condition, values = _key_condition(pk, sk_prefix, between)
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
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

    def query_page(
        self,
        pk: str,
        sk_prefix: str,
        page: PageRequest,
        load: Callable[[dict[str, Any]], T | None],
        *,
        newest_first: bool = False,
        between: tuple[str, str] | None = None,
    ) -> Page[T]:
        """One page of a partition's items whose sort key starts with `sk_prefix` (and lies `between` two keys of
        that range, inclusive, if given), in key order (reversed with `newest_first`); `load` turns an item into a
        result, or None to leave it out (a soft-deleted record)."""
        condition, values = _key_condition(pk, sk_prefix, between)
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": not newest_first,
            # One more than a page: whether another page follows is then known without an empty last page.
            "Limit": page.limit + 1,
        }
        if page.cursor is not None:
            kwargs["ExclusiveStartKey"] = serialize({"PK": pk, "SK": _sort_key(page.cursor, sk_prefix)})
        found: list[tuple[str, T]] = []
        while True:
            response = self.client.query(**kwargs)
            for raw in response.get("Items", []):
                item = deserialize(raw)
                loaded = load(item)
                if loaded is not None:
                    found.append((item["SK"], loaded))
            if len(found) > page.limit or "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        kept = found[: page.limit]
        # The next page starts after the last item returned (not DynamoDB's last evaluated one, which lies beyond).
        next_cursor = _cursor(kept[-1][0]) if len(found) > page.limit else None
        return Page([loaded for _, loaded in kept], next_cursor)

    def put_new(self, item: Mapping[str, Any]) -> Any:
        """A Put request that fails if the key is taken (for `transact_write_items` or `put_item`)."""
        return {
            "TableName": self.name,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
