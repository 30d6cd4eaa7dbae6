"""moto's DynamoDB made safe under concurrency, as fast as its data structures allow, and its
`TransactWriteItems` made to behave as AWS's.

moto's DynamoDB is not thread-safe: a query iterating a table while another thread writes to it fails with
"dictionary changed size during iteration" (an internal error AWS never returns). So every DynamoDB call is
applied under one lock here (moto is bound to one core anyway).

A query on a table's key collects and sorts every item of the table before keeping its partition's: a cost that
grows with the table (with a SciFact corpus indexed, ~50,000 items, most calls of an ingest were waiting on it).
Here it looks at the queried partition only; results and pagination are moto's own.

moto 5 backs every transaction up with a deep copy of each table it touches and, when a part fails, puts the copy
back in place of the live table. That costs time in proportion to the whole table (tens of milliseconds per
transaction once a chatbot's term statistics hold tens of thousands of items) and, with threads, loses writes made
meanwhile and fails with internal errors. AWS instead isolates each transaction and cancels one that touches an
item another transaction is still writing (`TransactionConflict`), which callers must retry.

This replacement keeps moto's checks and its update code, and changes only the isolation:
- conditions are evaluated for every part first, then the parts are applied; a failure while applying restores only
  the items this transaction touched;
- transactions are applied one at a time, and one that arrives while another is being applied to any of its
  items is cancelled with `TransactionConflict`, as AWS cancels it (so retry paths run locally too).

moto checks the size of key values only when an item is written; AWS refuses a key over its limits (partition key
2048 bytes, sort key 1024) in every request that names one, with a ValidationException: reads, updates, deletes,
a query's key condition and its ExclusiveStartKey. Here every such request is checked too, so that an unchecked id
fails locally as it fails in AWS instead of reading as "not found".

moto 5 writes every answer through a serializer that walks the operation's output shape and, at each attribute value,
tries every member of DynamoDB's AttributeValue union: a fifth of the stack process's samples (py-spy) while 300
SciFact abstracts were uploaded and ingested. What moto builds for the data plane's answers is already DynamoDB's
JSON: an answer made only of JSON's own types (strings, numbers, booleans, lists, objects) is written as it is, the
JSON the serializer writes (tests/local/test_dynamodb_answers.py); any other (a binary value, an error) still
goes through the serializer.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
import threading
from decimal import Decimal
from typing import Any

from moto import settings
from moto.dynamodb import responses
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    HashKeyTooLong,
    MultipleTransactionsException,
    RangeKeyTooLong,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler, DynamoResult

_dynamodb = threading.Lock()  # held while moto applies any DynamoDB call
_registry = threading.Lock()
_running: list[set[tuple[str, str]]] = []  # the items of the transaction being applied, if any

Part = tuple[str, dict[str, Any], dict[str, Any]]  # (operation, its parameters, the item's key)


def _parts(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Part]:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    parts: list[Part] = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException()
        operation, parameters = next(iter(item.items()))
        if operation not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError(f"Unsupported transaction operation {operation}")
        if operation == "Put":
            table = backend.get_table(parameters["TableName"])
            names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
            key = {name: parameters["Item"][name] for name in names}
        else:
            key = parameters["Key"]
        identity = _identity(parameters["TableName"], key)
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        parts.append((operation, parameters, key))
    return parts


def _identity(table_name: str, key: dict[str, Any]) -> tuple[str, str]:
    return table_name, json.dumps(key, sort_keys=True)


def _check(backend: DynamoDBBackend, parts: list[Part]) -> None:
    reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for _, parameters, key in parts:
        current = backend.get_item(parameters["TableName"], key)
        condition = parameters.get("ConditionExpression")
        holds = condition is None or get_filter_expression(
            condition, parameters.get("ExpressionAttributeNames"), parameters.get("ExpressionAttributeValues")
        ).expr(current)
        if holds:
            reasons.append((None, None, None))
            continue
        wanted = parameters.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        reasons.append(
            ("ConditionalCheckFailed", "The conditional request failed", current.to_json()["Attributes"])
            if wanted and current
            else ("ConditionalCheckFailed", "The conditional request failed", None)
        )
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)


def _apply(backend: DynamoDBBackend, operation: str, parameters: dict[str, Any], key: dict[str, Any]) -> None:
    table_name = parameters["TableName"]
    names, values = parameters.get("ExpressionAttributeNames"), parameters.get("ExpressionAttributeValues")
    condition = parameters.get("ConditionExpression")
    if operation == "Put":
        backend.put_item(table_name, parameters["Item"], None, condition, names, values)
    elif operation == "Delete":
        backend.delete_item(table_name, key, names, values, condition)
    elif operation == "Update":
        expression = parameters["UpdateExpression"]
        if condition or not _ADD_NUMBERS.match(expression) or not _add_numbers(backend, parameters, key):
            backend.update_item(table_name, key, expression, names or {}, values or {}, condition_expression=condition)


# `ADD #a :a, #b :b`: counters. moto parses and validates every update expression (about 5 ms each), which made a
# transaction of 100 counters cost half a second; these are applied directly, with the same result.
_ADD_NUMBERS = re.compile(r"^ADD #\w+ :\w+(?:, #\w+ :\w+)*$")


def _add_numbers(backend: DynamoDBBackend, parameters: dict[str, Any], key: dict[str, Any]) -> bool:
    """Add numbers to an item's number attributes (creating the item or the attribute at 0); False, changing
    nothing, when an operand is not a number (moto's own update then gives DynamoDB's error)."""
    names, values = parameters["ExpressionAttributeNames"], parameters["ExpressionAttributeValues"]
    current = backend.get_item(parameters["TableName"], key)
    attributes = current.to_json()["Attributes"] if current else dict(key)
    for clause in parameters["UpdateExpression"].removeprefix("ADD ").split(", "):
        name, value = clause.split(" ")
        present, amount = attributes.get(names[name]), values[value]
        if "N" not in amount or (present is not None and "N" not in present):
            return False
        total = Decimal(present["N"]) if present else Decimal(0)
        attributes[names[name]] = {"N": str(total + Decimal(amount["N"]))}
    backend.put_item(parameters["TableName"], attributes)
    return True


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    parts = _parts(self, transact_items)
    identities = {_identity(parameters["TableName"], key) for _, parameters, key in parts}
    with _registry:
        if _running and identities & _running[0]:
            raise TransactionCanceledException(
                [("TransactionConflict", "Transaction is ongoing for the item", None)] * len(parts)
            )
    with _dynamodb:
        with _registry:
            _running.append(identities)
        try:
            _check(self, parts)
            before = [
                (parameters["TableName"], key, copy.deepcopy(self.get_item(parameters["TableName"], key)))
                for _, parameters, key in parts
            ]
            try:
                for operation, parameters, key in parts:
                    _apply(self, operation, parameters, key)
            except Exception:
                for table_name, key, item in before:
                    if item is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, item.to_json()["Attributes"])
                raise
        finally:
            with _registry:
                _running.clear()


_call_action = DynamoHandler.call_action


def call_action(self: DynamoHandler) -> Any:
    if self._get_action() == "TransactWriteItems":  # takes the lock itself, once past its conflict check
        return _call_action(self)
    with _dynamodb:
        return _call_action(self)


def _check_key_sizes(hash_value: DynamoType | None, range_values: list[DynamoType]) -> None:
    if hash_value is not None and hash_value.size() > HASH_KEY_MAX_LENGTH:
        raise HashKeyTooLong()
    if any(value.size() > RANGE_KEY_MAX_LENGTH for value in range_values):
        raise RangeKeyTooLong()


_get_item = Table.get_item
_delete_item = Table.delete_item


# Every read, update, delete and transaction part finds its item through these two.
def get_item(
    self: Table,
    hash_key: DynamoType,
    range_key: DynamoType | None = None,
    projection_expression: list[list[str]] | None = None,
) -> Item | None:
    _check_key_sizes(hash_key, [range_key] if range_key is not None else [])
    return _get_item(self, hash_key, range_key, projection_expression)


def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    _check_key_sizes(hash_key, [range_key] if range_key is not None else [])
    return _delete_item(self, hash_key, range_key)


_query = Table.query
_QUERY = inspect.signature(_query)


def query(self: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _QUERY.bind(self, *args, **kwargs).arguments  # moto passes them by position
    hash_key = arguments.get("hash_key")
    start = arguments.get("exclusive_start_key") or {}
    _check_key_sizes(hash_key, list(arguments.get("range_objs") or []))
    for name, value in start.items():
        if name in self.hash_key_names:
            _check_key_sizes(DynamoType(value), [])
        elif name in self.range_key_names:
            _check_key_sizes(None, [DynamoType(value)])
    if arguments.get("index_name") is not None or not self.range_key_attr or hash_key is None:
        return _query(self, *args, **kwargs)
    partition = list(self.items.get(hash_key, {}).values())
    # moto reads every item through all_items(); for the duration of this call it returns only the partition's.
    self.all_items = lambda: sorted(partition, key=lambda item: item.range_key)  # type: ignore[method-assign]
    try:
        return _query(self, *args, **kwargs)
    finally:
        del self.all_items


# The operations whose answers (DynamoResult) are items, keys and counts.
_DATA_PLANE = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "TransactGetItems"}
)
_execute_result = DynamoResult.execute_result


def execute_result(self: DynamoResult, context: Any) -> Any:
    operation, output = context.operation_model, context.operation_model.output_shape
    if operation.name in _DATA_PLANE and not settings.PRETTIFY_RESPONSES and isinstance(self.result, dict):
        # What is not a member of the answer's shape the serializer leaves out (moto adds ConsumedCapacityUnits).
        answer = {name: value for name, value in self.result.items() if name in output.members}
        if _plain(answer):
            content_type = f"application/x-amz-json-{context.service_model.metadata['jsonVersion']}"
            return operation.http.get("responseCode", 200), {"Content-Type": content_type}, json.dumps(answer)
    return _execute_result(self, context)


def _plain(value: Any) -> bool:
    """Whether `value` holds only what JSON writes as it is: no bytes (base64 in DynamoDB's JSON), no None."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return isinstance(value, (str, int, float))  # bool is an int


class _CheckedUpdateExpressions:
    """The parser of update expressions as moto's request checks use it: they read which placeholders a parsed
    expression names and change nothing, so each expression is parsed once (a lexicon transaction's hundred `ADD #df
    :one` were a hundred parses). The backend applying an update parses its own copy, which it changes."""

    make = staticmethod(functools.lru_cache(maxsize=1024)(UpdateExpressionParser.make))


def install() -> None:
    """Replace moto's implementations (idempotent; affects every moto backend in this process)."""
    responses.UpdateExpressionParser = _CheckedUpdateExpressions  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.get_item = get_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign, assignment]
