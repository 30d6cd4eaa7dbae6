"""Each chatbot's lexical statistics in the table, kept exact under concurrent ingests, retries and deletes.

Items (keys in parley/adapters/dynamo/keys.py):
- partition `LEX#<tenant>#<chatbot>`: `TOTALS#<shard>` holds `chunks` and `length` (sum of chunk lengths) of the
  chatbot's indexed documents, `T#<term id>#<shard>` holds `df`, the number of chunks holding the term;
- partition `LEXDOC#<tenant>#<chatbot>#<document>`: one item per share of the document's contribution, as applied
  (its terms and counts, and a fingerprint of the whole contribution).

A share and the counters it adds to are written in one transaction (at most 100 items), on the condition that the
share is not there yet; removing it subtracts the same counts in one transaction too. So a retried ingest, a
replay or a delete racing an ingest can never count a document twice or subtract what was never added, and the
counters always equal the sum of the shares present. Concurrent transactions on the same counter are cancelled
by DynamoDB (`TransactionConflict`) and retried here with jittered backoff; to make that rare, every counter is
split in SHARDS items (a document adds to the shard its id hashes to) and a question reads and sums them all.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table
from parley.domain.common import batched
from parley.domain.lexical import Contribution, Statistics

# A transaction holds at most 100 items: the share, the totals, and this many term counters.
TERMS_PER_SHARE = 98
ATTEMPTS = 20
# Counters per statistic. Measured with ten concurrent ingests of documents sharing most of their words, against
# moto with AWS's conflict rule (tests/integration/test_lexicon.py): with one counter each and 12 attempts, 2 runs
# of 8 had a transaction cancelled 12 times in a row; with 4 shards and 20 attempts, 10 runs of 10 completed.
SHARDS = 4


def _shard(document_id: str) -> int:
    return int(hashlib.sha256(document_id.encode()).hexdigest()[:8], 16) % SHARDS


def _fingerprint(contribution: Contribution) -> str:
    content = [contribution.chunks, contribution.length, sorted(contribution.frequencies.items())]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()[:32]


def _shares(contribution: Contribution) -> Iterator[dict[str, Any]]:
    """The contribution in shares that each fit one transaction; the first carries the chunk count and length."""
    terms = sorted(contribution.frequencies.items())
    for number, part in enumerate(batched(terms, TERMS_PER_SHARE) if terms else [[]]):
        yield {
            "part": number,
            "chunks": contribution.chunks if number == 0 else 0,
            "length": contribution.length if number == 0 else 0,
            "frequencies": {str(term): count for term, count in part},
        }


class DynamoLexicon:
    def __init__(self, table: Table, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.sleep = sleep

    def record(
        self, tenant_id: str, chatbot_id: str, document_id: str, contribution: Contribution, *, first: bool = False
    ) -> None:
        counters = keys.lexicon(tenant_id, chatbot_id)
        shares = keys.lexicon_shares(tenant_id, chatbot_id, document_id)
        fingerprint = _fingerprint(contribution)
        # A first share is not read for (a query per document saved): were it there after all, the put's condition
        # refuses it, and its counts with it.
        present = {} if first else {item["SK"]: item for item in self.table.query_prefix(shares)}
        for item in present.values():
            if item["fingerprint"] != fingerprint:  # a share of an earlier version of the document
                self._remove(counters, item)
        for share in _shares(contribution):
            key = keys.lexicon_share(share["part"])
            if present.get(key, {}).get("fingerprint") != fingerprint:
                item = {"PK": shares, "SK": key, "fingerprint": fingerprint, "shard": _shard(document_id), **share}
                self._add(counters, item)

    def forget(self, tenant_id: str, chatbot_id: str, document_id: str) -> None:
        counters = keys.lexicon(tenant_id, chatbot_id)
        for item in list(self.table.query_prefix(keys.lexicon_shares(tenant_id, chatbot_id, document_id))):
            self._remove(counters, item)

    def erase(self, tenant_id: str, chatbot_id: str, document_ids: Sequence[str]) -> None:
        for document_id in document_ids:
            self.table.erase(keys.lexicon_shares(tenant_id, chatbot_id, document_id))
        self.table.erase(keys.lexicon(tenant_id, chatbot_id))

    def statistics(self, tenant_id: str, chatbot_id: str, term_ids: Sequence[int]) -> Statistics:
        partition = keys.lexicon(tenant_id, chatbot_id)
        terms = set(term_ids)
        wanted = [
            key
            for shard in range(SHARDS)
            for key in (keys.lexicon_totals(shard), *(keys.lexicon_term(term, shard) for term in terms))
        ]
        read = self.table.batch_get([(partition, key) for key in wanted], projection="SK, df, chunks", sleep=self.sleep)
        found = {item["SK"]: item for item in read}
        chunks = sum(int(found.get(keys.lexicon_totals(shard), {}).get("chunks", 0)) for shard in range(SHARDS))
        frequencies = {
            term: sum(int(found.get(keys.lexicon_term(term, shard), {}).get("df", 0)) for shard in range(SHARDS))
            for term in terms
        }
        return Statistics(chunks, {term: count for term, count in frequencies.items() if count})

    def _add(self, counters: str, share: dict[str, Any]) -> None:
        put = {"Put": self.table.new_item(share)}
        self._transact([put, *self._counters(counters, share, sign=1)])

    def _remove(self, counters: str, share: Mapping[str, Any]) -> None:
        delete = {
            "Delete": self.table.delete_request(
                share["PK"],
                share["SK"],
                condition="fingerprint = :fingerprint",
                values={":fingerprint": share["fingerprint"]},
            )
        }
        self._transact([delete, *self._counters(counters, share, sign=-1)])

    def _counters(self, partition: str, share: Mapping[str, Any], sign: int) -> list[dict[str, Any]]:
        shard = int(share["shard"])
        updates = [
            self._add_to(partition, keys.lexicon_term(int(term), shard), {"df": sign * int(count)})
            for term, count in share["frequencies"].items()
        ]
        if share["chunks"] or share["length"]:
            totals = {"chunks": sign * int(share["chunks"]), "length": sign * int(share["length"])}
            updates.append(self._add_to(partition, keys.lexicon_totals(shard), totals))
        return updates

    def _add_to(self, partition: str, key: str, amounts: Mapping[str, int]) -> dict[str, Any]:
        names = {f"#a{i}": name for i, name in enumerate(amounts)}
        values = {f":a{i}": amount for i, amount in enumerate(amounts.values())}
        expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(amounts)))
        return {"Update": self.table.update_request(partition, key, expression, names=names, values=values)}

    def _transact(self, items: list[Any]) -> None:
        """Write `items` (the share's put or delete first, the only one with a condition): if it fails, the share
        was written or removed already, and so were its counts."""
        self.table.transact(items, attempts=ATTEMPTS, sleep=self.sleep)
