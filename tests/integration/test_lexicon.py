"""A chatbot's lexical statistics in DynamoDB (moto, with transactions isolated as AWS isolates them)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from parley.adapters.dynamo import keys
from parley.adapters.dynamo.lexicon import TERMS_PER_SHARE, DynamoLexicon
from parley.adapters.dynamo.table import Table, deserialize
from parley.domain.lexical import Contribution, chunk_terms

TABLE = "lexicon-test"


@pytest.fixture
def table(aws: None) -> Table:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return Table(TABLE)


def contribution(*texts: str) -> Contribution:
    return Contribution.of([chunk_terms(text) for text in texts])


def stored(table: Table, tenant: str, chatbot: str) -> tuple[int, int, dict[int, int]]:
    """(chunks, length, non-zero document frequencies) as the table holds them."""
    counters = [deserialize(item) for item in _all_items(table)]
    mine = [item for item in counters if item["PK"] == keys.lexicon(tenant, chatbot)]
    totals = [item for item in mine if item["SK"].startswith("TOTALS#")]
    frequencies: Counter[int] = Counter()
    for item in mine:
        if item["SK"].startswith("T#"):  # T#<term>#<shard>
            frequencies[int(item["SK"].split("#")[1])] += int(item["df"])
    return (
        sum(int(item["chunks"]) for item in totals),
        sum(int(item["length"]) for item in totals),
        {term: count for term, count in frequencies.items() if count},
    )


def _all_items(table: Table) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table.name}
    while True:
        page = table.client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def rebuilt(*contributions: Contribution) -> tuple[int, int, dict[int, int]]:
    """The statistics computed from scratch from the documents' contributions."""
    frequencies: Counter[int] = Counter()
    for item in contributions:
        frequencies.update(item.frequencies)
    return (
        sum(item.chunks for item in contributions),
        sum(item.length for item in contributions),
        {term: count for term, count in frequencies.items() if count},
    )


def test_questions_read_the_counts_of_their_terms(table: Any) -> None:
    lexicon = DynamoLexicon(table)
    lexicon.record("t1", "bot", "d1", contribution("Llamas hum when calm.", "Llamas guard sheep."))
    lexicon.record("t1", "bot", "d2", contribution("Alpacas hum too."))

    statistics = lexicon.statistics("t1", "bot", [*chunk_terms("llama hum alpaca zebra").counts])

    assert statistics.chunks == 3
    by_word = {word: statistics.frequencies.get(next(iter(chunk_terms(word).counts)), 0) for word in ("llama", "hum")}
    assert by_word == {"llama": 2, "hum": 2}
    assert next(iter(chunk_terms("zebra").counts)) not in statistics.frequencies


def test_recording_again_or_forgetting_twice_counts_once(table: Any) -> None:
    lexicon = DynamoLexicon(table)
    first = contribution("Llamas hum when calm.")

    lexicon.record("t1", "bot", "d1", first)
    lexicon.record("t1", "bot", "d1", first)  # a retried ingest
    assert stored(table, "t1", "bot") == rebuilt(first)

    lexicon.forget("t1", "bot", "d1")
    lexicon.forget("t1", "bot", "d1")
    assert stored(table, "t1", "bot") == rebuilt()


def test_a_first_share_recorded_twice_without_looking_counts_once(table: Any) -> None:
    # `first` skips the read of earlier shares; should one be there after all, its put's condition refuses the copy.
    lexicon = DynamoLexicon(table)
    first = contribution("Llamas hum when calm.", "Llamas guard sheep.")

    lexicon.record("t1", "bot", "d1", first, first=True)
    lexicon.record("t1", "bot", "d1", first, first=True)

    assert stored(table, "t1", "bot") == rebuilt(first)


def test_a_new_version_of_a_document_replaces_its_share(table: Any) -> None:
    lexicon = DynamoLexicon(table)
    lexicon.record("t1", "bot", "d1", contribution("Llamas hum when calm."))
    other = contribution("Vicuñas live wild.")
    lexicon.record("t1", "bot", "d2", other)

    replacement = contribution("Alpacas sing.", "Alpacas sleep standing.")
    lexicon.record("t1", "bot", "d1", replacement)

    assert stored(table, "t1", "bot") == rebuilt(other, replacement)


def test_a_share_half_written_before_a_crash_is_completed_by_the_retry(table: Any) -> None:
    # Given a document of three shares whose ingest stopped after writing the first
    words = [f"term{n}" for n in range(2 * TERMS_PER_SHARE + 5)]
    big = contribution(" ".join(words))
    lexicon = DynamoLexicon(table)
    real_transact = lexicon._transact
    calls = 0

    def crash_after_one(items: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("the function timed out")
        real_transact(items)

    lexicon._transact = crash_after_one  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        lexicon.record("t1", "bot", "d1", big)

    # When the message is retried
    DynamoLexicon(table).record("t1", "bot", "d1", big)

    # Then every term is counted once
    assert stored(table, "t1", "bot") == rebuilt(big)


def test_another_tenant_sees_none_of_a_chatbots_statistics(table: Any) -> None:
    lexicon = DynamoLexicon(table)
    lexicon.record("t1", "bot", "d1", contribution("Llamas hum."))

    statistics = lexicon.statistics("t2", "bot", [*chunk_terms("llama hum").counts])
    lexicon.forget("t2", "bot", "d1")

    assert (statistics.chunks, dict(statistics.frequencies)) == (0, {})
    assert stored(table, "t1", "bot") == rebuilt(contribution("Llamas hum."))


def test_ten_concurrent_ingests_and_deletes_leave_exactly_the_statistics_of_a_rebuild(table: Any) -> None:
    # Given 40 documents sharing much of their vocabulary, some larger than one transaction
    rng = random.Random(11)
    vocabulary = [f"word{n}" for n in range(400)]
    documents = {
        f"d{n}": contribution(
            *(" ".join(rng.choices(vocabulary, k=rng.randint(5, 150))) for _ in range(rng.randint(1, 4)))
        )
        for n in range(40)
    }
    deleted = set(rng.sample(sorted(documents), 12))

    def ingest(names: list[str]) -> None:
        lexicon = DynamoLexicon(Table(TABLE))
        for name in names:
            lexicon.record("t1", "bot", name, documents[name])
            if name in deleted:
                lexicon.forget("t1", "bot", name)

    # When ten workers ingest them at once, deleting some right after
    names = sorted(documents)
    workers = [threading.Thread(target=ingest, args=(names[n::10],)) for n in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # Then the counters equal a rebuild from the documents that remain, and questions read them
    kept = [documents[name] for name in names if name not in deleted]
    assert stored(table, "t1", "bot") == rebuilt(*kept)
    statistics = DynamoLexicon(table).statistics("t1", "bot", [*chunk_terms("word1 word2 word3").counts])
    assert statistics.chunks == sum(item.chunks for item in kept)


def test_a_transaction_cancelled_by_a_conflict_is_retried(table: Any) -> None:
    # Given DynamoDB cancelling the first two attempts, as it does when another transaction holds a counter
    lexicon = DynamoLexicon(table, sleep=lambda _: None)
    real = lexicon.table.client.transact_write_items
    attempts = []

    def conflicting(**kwargs: Any) -> Any:
        attempts.append(kwargs)
        if len(attempts) <= 2:
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,  # type: ignore[typeddict-item]
                },
                "TransactWriteItems",
            )
        return real(**kwargs)

    lexicon.table.client.transact_write_items = conflicting  # type: ignore[method-assign]

    # When a document is recorded
    lexicon.record("t1", "bot", "d1", contribution("Llamas hum."))

    # Then the third attempt wrote it, once
    assert len(attempts) == 3
    assert stored(table, "t1", "bot") == rebuilt(contribution("Llamas hum."))
