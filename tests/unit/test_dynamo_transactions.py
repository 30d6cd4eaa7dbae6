"""Every transaction goes through Table.transact: a cancellation for a conflict with another transaction is retried
after a jittered backoff, a failed condition answers which item, anything else raises. The client is a stub raising
the error botocore raises for DynamoDB's TransactionCanceledException."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from parley.adapters.dynamo.table import TRANSACT_ATTEMPTS, Table, backoff
from parley.errors import UpstreamUnavailable


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class StubClient:
    """transact_write_items raising `failures` in turn, then succeeding."""

    def __init__(self, *failures: ClientError) -> None:
        self.failures = list(failures)
        self.calls: list[list[Any]] = []

    def transact_write_items(self, TransactItems: list[Any]) -> dict[str, Any]:
        self.calls.append(TransactItems)
        if self.failures:
            raise self.failures.pop(0)
        return {}


def table_with(client: StubClient, waits: list[float]) -> Table:
    table = Table("parley", sleep=waits.append)
    table.__dict__["client"] = client  # the cached_property's slot
    return table


ITEMS: list[dict[str, Any]] = [{"Put": {"TableName": "parley", "Item": {}}}, {"Update": {"TableName": "parley"}}]


def test_a_write_all_cancelled_by_conflicts_is_written_by_a_later_attempt() -> None:
    client = StubClient(cancelled("None", "TransactionConflict"), cancelled("TransactionConflict", "None"))
    waits: list[float] = []

    table_with(client, waits).write_all(ITEMS)

    assert len(client.calls) == 3
    assert all(call == ITEMS for call in client.calls)
    assert len(waits) == 2
    assert all(0 <= wait <= 1.0 for wait in waits)


def test_a_failed_condition_is_not_retried_and_names_its_item() -> None:
    client = StubClient(cancelled("None", "ConditionalCheckFailed"))

    assert table_with(client, []).transact(ITEMS) == 1
    assert len(client.calls) == 1


def test_conflicts_past_the_attempts_raise_a_retryable_error() -> None:
    client = StubClient(*[cancelled("TransactionConflict", "None")] * TRANSACT_ATTEMPTS)

    with pytest.raises(UpstreamUnavailable):
        table_with(client, []).transact(ITEMS)
    assert len(client.calls) == TRANSACT_ATTEMPTS


def test_another_cancellation_raises_as_it_came() -> None:
    client = StubClient(cancelled("ValidationError", "None"))

    with pytest.raises(ClientError):
        table_with(client, []).transact(ITEMS)
    assert len(client.calls) == 1


def test_the_backoff_is_jittered_and_bounded() -> None:
    first = {backoff(0) for _ in range(50)}
    late = [backoff(12) for _ in range(200)]

    assert len(first) > 1
    assert all(0 <= wait <= 0.025 for wait in first)
    assert all(0 <= wait <= 1.0 for wait in late)
    assert len(set(late)) > 1
