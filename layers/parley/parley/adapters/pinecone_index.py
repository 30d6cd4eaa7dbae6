"""Pinecone serverless: one dot-product index holding dense and sparse values, one namespace per tenant; upserts
batched under its record-count and request-size caps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from parley.domain.common import batched, batched_by_cost
from parley.domain.vectors import Hit, HybridQuery, VectorRecord
from parley.errors import ConfigurationError

if TYPE_CHECKING:
    from pinecone import Index

MAX_RECORDS = 1000
# Pinecone caps an upsert request at 2 MB; sizes are measured as the JSON the SDK sends, with room for the envelope.
MAX_REQUEST_BYTES = 2_000_000 - 16_384
DELETE_BATCH = 1000


def _payload(record: VectorRecord) -> dict[str, Any]:
    payload = {"id": record.id, "values": record.values, "metadata": record.metadata.stored()}
    if record.sparse and record.sparse.indices:
        payload["sparse_values"] = {"indices": record.sparse.indices, "values": record.sparse.values}
    return payload


def upsert_batches(records: Sequence[VectorRecord]) -> Iterator[list[dict[str, Any]]]:
    """Upsert payloads grouped under Pinecone's record-count and request-size caps."""
    return batched_by_cost(
        [_payload(record) for record in records],
        lambda payload: len(json.dumps(payload, separators=(",", ":"))) + 1,
        max_items=MAX_RECORDS,
        max_cost=MAX_REQUEST_BYTES,
    )


class PineconeIndex:
    def __init__(self, api_key: Callable[[], str], host: str, dimension: int) -> None:
        self.api_key = api_key
        self.host = host
        self.dimension = dimension
        self._checked = False

    @cached_property
    def index(self) -> Index:
        # The key is fetched, and the SDK imported, only by a function that reaches the index. The data-plane client
        # alone: a `Pinecone` client would first build a control-plane HTTP client (and TLS context) we never use.
        from pinecone import Index

        return Index(host=self.host, api_key=self.api_key())

    def _check_dimension(self) -> None:
        # Vectors of another embedder would be silently meaningless; refuse to mix them.
        if not self._checked:
            actual = self.index.describe_index_stats().dimension
            if actual and actual != self.dimension:
                raise ConfigurationError(f"the Pinecone index has dimension {actual}, the embedder {self.dimension}")
            self._checked = True

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> None:
        self._check_dimension()
        for batch in upsert_batches(records):
            self.index.upsert(vectors=batch, namespace=namespace)

    def ids(self, namespace: str, prefix: str) -> list[str]:
        pages = self.index.list(prefix=prefix, namespace=namespace)
        return [item.id for page in pages for item in page.vectors if item.id is not None]

    def search(self, namespace: str, query: HybridQuery, top_k: int, chatbot_id: str) -> list[Hit]:
        # One request: a dot-product index scores dense and sparse together.
        sparse = query.sparse
        result = self.index.query(
            vector=list(query.dense),
            sparse_vector={"indices": sparse.indices, "values": sparse.values} if sparse and sparse.indices else None,
            top_k=top_k,
            namespace=namespace,
            filter={"chatbot_id": {"$eq": chatbot_id}},
            include_metadata=True,
        )
        return [Hit(match.id, float(match.score or 0.0), dict(match.metadata or {})) for match in result.matches]

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        for batch in batched(ids, DELETE_BATCH):
            self.index.delete(ids=list(batch), namespace=namespace)
