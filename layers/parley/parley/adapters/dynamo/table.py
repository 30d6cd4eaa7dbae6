"""The one table: its client, made on first use, and the operations and conversions every store shares.

The stores speak in keys and expressions; DynamoDB's request shapes, serialization and the exceptions of a failed
condition stay here: a conditional write answers None (or False), a cancelled transaction the item that failed.
"""

from __future__ import annotations

import base64
import binascii
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from parley.adapters.dynamo import keys
from parley.domain.common import Page, PageRequest, batched
from parley.errors import InvalidInput, UpstreamUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# BatchWriteItem takes at most 25 requests; throttled ones come back as UnprocessedItems and are sent again.
BATCH_WRITE_ITEMS = 25
BATCH_WRITE_ATTEMPTS = 8
# BatchGetItem takes at most 100 keys; the ones it leaves unprocessed are asked for again, after a backoff.
BATCH_GET_KEYS = 100
BATCH_GET_ATTEMPTS = 20

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


Returns = Literal["NONE", "ALL_NEW", "ALL_OLD", "UPDATED_NEW"]


class Table:
    """The one table, with the operations the stores share: reads by key, prefix and lookup; conditional writes
    that answer whether their condition held; transactions; and the request shapes transactions are made of."""

    def __init__(self, name: str) -> None:
        self.name = name

    @cached_property
    def client(self) -> DynamoDBClient:
        # The endpoint comes from the standard AWS variables (the local stack sets them).
        import boto3

        return boto3.client("dynamodb")

    # Reads.

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.name, Key=self.key(pk, sk), ConsistentRead=True)
        return deserialize(found["Item"]) if "Item" in found else None

    def query_prefix(
        self,
        pk: str,
        sk_prefix: str | None = None,
        *,
        between: tuple[str, str] | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        consistent: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every item of one partition (whose sort key starts with `sk_prefix`, if given, or lies `between` two
        keys, inclusive), across pages, in key order (reversed with `newest_first`); at most `limit` of them."""
        condition, values = _key_condition(pk, sk_prefix, between)
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
        }
        if newest_first:
            kwargs["ScanIndexForward"] = False
        if limit is not None:
            kwargs["Limit"] = limit
        if consistent:
            kwargs["ConsistentRead"] = True
        yield from self._pages(kwargs, limit)

    def lookup(self, pk: str, *, below: str | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The items of one partition of the lookup index (keys.LOOKUP_INDEX), those whose lookup sort key sorts
        below `below` if given, across pages; at most `limit` of them."""
        condition = "#pk = :pk" + (" AND #sk < :below" if below is not None else "")
        names = {"#pk": keys.LOOKUP_PK, **({"#sk": keys.LOOKUP_SK} if below is not None else {})}
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": keys.LOOKUP_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize({":pk": pk, ":below": below}),
        }
        if limit is not None:
            kwargs["Limit"] = limit
        yield from self._pages(kwargs, limit)

    def _pages(self, kwargs: dict[str, Any], limit: int | None) -> Iterator[dict[str, Any]]:
        found = 0
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield deserialize(item)
                found += 1
                if limit is not None and found >= limit:
                    return
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
            kwargs["ExclusiveStartKey"] = self.key(pk, _sort_key(page.cursor, sk_prefix))
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

    def batch_get(
        self,
        wanted: Sequence[tuple[str, str]],
        *,
        projection: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[dict[str, Any]]:
        """The items at `wanted` keys that exist (their `projection` only, if given), in batches of BATCH_GET_KEYS,
        the keys DynamoDB leaves unprocessed asked for again after a backoff."""
        found: list[dict[str, Any]] = []
        for batch in batched(wanted, BATCH_GET_KEYS):
            asked: dict[str, Any] = {"Keys": [self.key(pk, sk) for pk, sk in batch]}
            if projection is not None:
                asked["ProjectionExpression"] = projection
            request: Mapping[str, Any] = {self.name: asked}
            for attempt in range(BATCH_GET_ATTEMPTS):
                response = self.client.batch_get_item(RequestItems=request)
                found += [deserialize(raw) for raw in response["Responses"].get(self.name, [])]
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                sleep(backoff(attempt))
            else:
                raise UpstreamUnavailable("The table left part of a read unprocessed; try again")
        return found

    # Writes of one item: a conditional one answers None (or False) when its condition did not hold.

    def put(self, item: Mapping[str, Any], *, new: bool = False) -> None:
        """Store `item`; with `new`, only where its key is free (raising if it is taken: a key collision is a bug)."""
        self.client.put_item(**(self.new_item(item) if new else self.put_request(item)))

    @overload
    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        returns: Returns = "NONE",
    ) -> dict[str, Any]: ...

    @overload
    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        returns: Returns = "NONE",
    ) -> dict[str, Any] | None: ...

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        returns: Returns = "NONE",
    ) -> dict[str, Any] | None:
        """Update one item; the attributes `returns` asks for ({} for none), or None if `condition` did not hold
        (an update without a condition always answers its attributes)."""
        request = self.update_request(pk, sk, expression, condition=condition, names=names, values=values)
        if returns != "NONE":
            request["ReturnValues"] = returns
        try:
            updated = self.client.update_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return deserialize(updated.get("Attributes", {}))

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> bool:
        """Delete one item; False if `condition` did not hold."""
        try:
            self.client.delete_item(**self.delete_request(pk, sk, condition=condition))
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def erase(self, pk: str, sk_prefix: str | None = None) -> None:
        """Delete every item of one partition (whose sort key starts with `sk_prefix`, if given)."""
        found = [self.key(item["PK"], item["SK"]) for item in self.query_prefix(pk, sk_prefix)]
        for batch in batched(found, BATCH_WRITE_ITEMS):
            requests: Any = {self.name: [{"DeleteRequest": {"Key": key}} for key in batch]}
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                requests = self.client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
                if not requests:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise UpstreamUnavailable("DynamoDB kept items of an erasure unprocessed; it is retried")

    # Transactions, and the requests they are made of.

    def write_all(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Write `items` together, or raise: for writes whose conditions only guard against a bug."""
        self.client.transact_write_items(TransactItems=list(items))  # type: ignore[arg-type]

    def transact(
        self, items: Sequence[Mapping[str, Any]], *, attempts: int = 1, sleep: Callable[[float], None] = time.sleep
    ) -> int | None:
        """Write `items` together: None once written, or the position of the first item whose condition did not
        hold (nothing written). A transaction DynamoDB cancels in a conflict with another on the same item is tried
        again, up to `attempts` times in all, after a backoff; any other cancellation raises."""
        for attempt in range(attempts):
            try:
                self.client.transact_write_items(TransactItems=list(items))  # type: ignore[arg-type]
                return None
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    return reasons.index("ConditionalCheckFailed")
                if "TransactionConflict" not in reasons or attempt == attempts - 1:
                    raise
            sleep(backoff(attempt))
        raise ValueError("attempts must be at least 1")

    def key(self, pk: str, sk: str) -> dict[str, Any]:
        return serialize({"PK": pk, "SK": sk})

    def new_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A Put that fails if the item's key is taken (for `transact` or `put`)."""
        return self.put_request(item, condition="attribute_not_exists(PK)")

    def put_request(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self._request({"Item": serialize(item)}, condition, names, values)

    def update_request(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self._request({"Key": self.key(pk, sk), "UpdateExpression": expression}, condition, names, values)

    def delete_request(
        self, pk: str, sk: str, *, condition: str | None = None, values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._request({"Key": self.key(pk, sk)}, condition, None, values)

    def check_request(
        self,
        pk: str,
        sk: str,
        condition: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ConditionCheck: the transaction holds only while `condition` does on this item."""
        return self._request({"Key": self.key(pk, sk)}, condition, names, values)

    def _request(
        self,
        request: dict[str, Any],
        condition: str | None,
        names: Mapping[str, str] | None,
        values: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        shaped = {"TableName": self.name, **request}
        if condition:
            shaped["ConditionExpression"] = condition
        if names:
            shaped["ExpressionAttributeNames"] = dict(names)
        serialized = serialize(values or {})
        if serialized:
            shaped["ExpressionAttributeValues"] = serialized
        return shaped
