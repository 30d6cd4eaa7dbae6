"""A local fake of Pinecone's data plane (a serverless dot-product index), with its limits per request and per
vector, so that the real SDK runs in tests and benchmarks offline."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from local.fakes.http_api import FakeHttpApi
from local.faults import Faults

# A namespace as the fake searches it: ids, their dense matrix, and term -> (positions, values) of the sparse ones.
Searchable = tuple[list[str], np.ndarray, dict[int, tuple[list[int], list[float]]]]


class FakePinecone(FakeHttpApi):
    """A Pinecone serverless dot-product index's data plane (dense and sparse values), with its caps of 1,000 records
    and 2 MB per upsert, 1,000 non-zero sparse values and 40 KB of metadata per vector."""

    MAX_RECORDS = 1000
    MAX_BYTES = 2_000_000
    MAX_SPARSE_VALUES = 1000
    MAX_METADATA_BYTES = 40_960
    FAULT_KINDS = ("500", "503")

    def __init__(self, dimension: int, faults: Faults | None = None) -> None:
        super().__init__(faults)
        self.dimension = dimension
        self.namespaces: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.upserted_records = 0
        self._versions: Counter[str] = Counter()  # changes per namespace, to know when a search cache is stale
        self._search_cache: dict[str, tuple[int, Searchable]] = {}
        self.routes.update(
            {
                ("POST", "/vectors/upsert"): self._upsert,
                ("GET", "/vectors/list"): self._list,
                ("POST", "/vectors/delete"): self._delete,
                ("POST", "/describe_index_stats"): self._stats,
                ("POST", "/query"): self._query,
            }
        )

    def load(self, namespaces: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Hold these records (a saved state, local/stack/snapshot.py) in place of the ones held."""
        with self._lock:
            self.namespaces.clear()
            self.namespaces.update(namespaces)
            self._versions.update(namespaces.keys())
            self._search_cache.clear()

    def reset(self) -> None:
        super().reset()
        self.load({})
        self.upserted_records = 0

    def failure(self, status: int) -> tuple[int, Any, dict[str, str]]:
        code, message = (14, "Service unavailable") if status == 503 else (13, "Internal error")
        return status, {"code": code, "message": message, "details": []}, {}

    def _upsert(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        vectors = body.get("vectors", [])
        if len(vectors) > self.MAX_RECORDS:
            return 400, {"code": 3, "message": f"{len(vectors)} vectors exceed the 1000 per request"}
        if body["__bytes__"] > self.MAX_BYTES:
            return 413, {"code": 3, "message": f"request of {body['__bytes__']} bytes exceeds 2 MB"}
        for vector in vectors:
            if len(vector["values"]) != self.dimension:
                return 400, {"code": 3, "message": f"vector dimension {len(vector['values'])} != {self.dimension}"}
            refused = _sparse_refusal(vector.get("sparseValues"))
            if refused:
                return 400, {"code": 3, "message": refused}
            metadata = len(json.dumps(vector.get("metadata", {}), ensure_ascii=False).encode())
            if metadata > self.MAX_METADATA_BYTES:
                message = f"Metadata size is {metadata} bytes, which exceeds the limit of 40960 bytes per vector"
                return 400, {"code": 3, "message": message}
        with self._lock:
            namespace = self.namespaces[body.get("namespace", "")]
            for vector in vectors:
                namespace[vector["id"]] = vector
            self._versions[body.get("namespace", "")] += 1
        self.upserted_records += len(vectors)
        return 200, {"upsertedCount": len(vectors)}

    def _list(self, _: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        namespace = query.get("namespace", [""])[0]
        prefix = query.get("prefix", [""])[0]
        limit = int(query.get("limit", ["100"])[0])
        start = int(query.get("paginationToken", ["0"])[0])
        ids = sorted(id_ for id_ in self.namespaces.get(namespace, {}) if id_.startswith(prefix))
        page = ids[start : start + limit]
        result: dict[str, Any] = {
            "vectors": [{"id": id_} for id_ in page],
            "namespace": namespace,
            "usage": {"readUnits": 1},
        }
        if start + limit < len(ids):
            result["pagination"] = {"next": str(start + limit)}
        return 200, result

    def _delete(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        namespace = self.namespaces.get(body.get("namespace", ""), {})
        if len(body.get("ids", [])) > 1000:
            return 400, {"code": 3, "message": "at most 1000 ids per delete"}
        with self._lock:
            for id_ in body.get("ids", []):
                namespace.pop(id_, None)
            self._versions[body.get("namespace", "")] += 1
        return 200, {}

    def _stats(self, _: dict[str, Any], __: dict[str, list[str]]) -> tuple[int, Any]:
        namespaces = {name: {"vectorCount": len(vectors)} for name, vectors in self.namespaces.items() if vectors}
        total = sum(item["vectorCount"] for item in namespaces.values())
        return 200, {
            "dimension": self.dimension,
            "indexFullness": 0.0,
            "totalVectorCount": total,
            "namespaces": namespaces,
        }

    def _query(self, body: dict[str, Any], _: dict[str, list[str]]) -> tuple[int, Any]:
        """Exact dot-product search: dense · vector + sparse · sparseVector, as a hybrid dotproduct index scores."""
        name = body.get("namespace", "")
        sparse = body.get("sparseVector")
        refused = _sparse_refusal(sparse)
        if refused:
            return 400, {"code": 3, "message": refused}
        ids, dense, postings = self._searchable(name)
        wanted = body.get("filter", {})
        namespace = self.namespaces.get(name, {})
        chosen = np.asarray(
            [
                id_ in namespace
                and all(_matches(namespace[id_].get("metadata", {}).get(key), test) for key, test in wanted.items())
                for id_ in ids
            ],
            dtype=bool,
        )
        if not chosen.any():
            return 200, {"matches": [], "namespace": name}
        scores = dense @ np.asarray(body["vector"], dtype=np.float32)
        for index, weight in zip(*((sparse["indices"], sparse["values"]) if sparse else ([], [])), strict=True):
            positions, values = postings.get(index, ([], []))
            scores[positions] += np.float32(weight) * np.asarray(values, dtype=np.float32)
        candidates = np.flatnonzero(chosen)
        top = candidates[np.argsort(-scores[candidates], kind="stable")[: int(body.get("topK", 10))]]
        matches = [
            {
                "id": ids[position],
                "score": float(scores[position]),
                "metadata": namespace[ids[position]].get("metadata", {}) if body.get("includeMetadata") else None,
            }
            for position in top
        ]
        return 200, {"matches": matches, "namespace": name}

    def _searchable(self, name: str) -> Searchable:
        """A namespace's ids, dense matrix and sparse postings, rebuilt only after it changed."""
        with self._lock:
            version = self._versions[name]
            cached = self._search_cache.get(name)
            if cached and cached[0] == version:
                return cached[1]
            vectors = list(self.namespaces.get(name, {}).values())
        dense = np.asarray([vector["values"] for vector in vectors], dtype=np.float32).reshape(-1, self.dimension)
        postings: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for position, vector in enumerate(vectors):
            stored = vector.get("sparseValues") or {"indices": [], "values": []}
            for index, value in zip(stored["indices"], stored["values"], strict=True):
                postings[index][0].append(position)
                postings[index][1].append(value)
        searchable = ([vector["id"] for vector in vectors], dense, dict(postings))
        with self._lock:
            self._search_cache[name] = (version, searchable)
        return searchable


def _sparse_refusal(sparse: dict[str, Any] | None) -> str | None:
    """Why Pinecone would refuse these sparse values, if it would."""
    if not sparse:
        return None
    indices, values = sparse.get("indices", []), sparse.get("values", [])
    if len(indices) != len(values):
        return "sparse indices and values differ in length"
    if len(indices) > FakePinecone.MAX_SPARSE_VALUES:
        return f"sparse vector with {len(indices)} non-zero values exceeds {FakePinecone.MAX_SPARSE_VALUES}"
    if len(set(indices)) != len(indices) or any(not 0 <= index < 2**32 for index in indices):
        return "sparse indices must be distinct unsigned 32-bit integers"
    return None


def _matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, dict):
        if "$eq" in condition:
            return bool(value == condition["$eq"])
        if "$in" in condition:
            return value in condition["$in"]
    return bool(value == condition)
