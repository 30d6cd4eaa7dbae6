"""The local vector index: exact dense search over numpy arrays, persisted as an append-only log per tenant.

Each namespace (tenant) is one log file of upsert/delete operations under the data folder; it is replayed on
first use and compacted when deleted rows outnumber live ones. The index records which embedder built it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from parley.domain.vectors import VectorRecord
from parley.errors import ConfigurationError


class Namespace:
    """One tenant's vectors and metadata, in memory and in its log."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self.vectors = np.zeros((0, dimension), dtype=np.float32)
        self.ids: list[str] = []
        self.metadata: list[dict[str, Any]] = []
        self.alive = np.zeros(0, dtype=bool)
        self.rows: dict[str, int] = {}
        self.version = 0  # bumped on every change; derived structures (lexical index) rebuild when it moves
        if path.exists():
            with path.open() as log:
                for line in log:
                    self._apply(json.loads(line))

    @property
    def size(self) -> int:
        return len(self.rows)

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        operation = {
            "upsert": [
                {
                    "id": record.id,
                    "v": base64.b64encode(np.asarray(record.values, dtype=np.float32).tobytes()).decode(),
                    "m": record.metadata.stored(),
                }
                for record in records
            ]
        }
        self._apply(operation)
        self._log(operation)

    def delete(self, ids: Sequence[str]) -> None:
        operation = {"delete": [id_ for id_ in ids if id_ in self.rows]}
        if operation["delete"]:
            self._apply(operation)
            self._log(operation)
            if len(self.ids) > 1000 and len(self.ids) > 2 * self.size:
                self._compact()

    def _apply(self, operation: dict[str, Any]) -> None:
        for item in operation.get("upsert", []):
            vector = np.frombuffer(base64.b64decode(item["v"]), dtype=np.float32)
            if vector.shape != (self.dimension,):
                raise ConfigurationError(f"vector of dimension {vector.shape[0]} in an index of {self.dimension}")
            row = self.rows.get(item["id"])
            if row is None:
                row = len(self.ids)
                self._grow(row + 1)
                self.ids.append(item["id"])
                self.metadata.append(item["m"])
                self.rows[item["id"]] = row
            self.vectors[row] = vector
            self.metadata[row] = item["m"]
            self.alive[row] = True
        for id_ in operation.get("delete", []):
            row = self.rows.pop(id_, None)
            if row is not None:
                self.alive[row] = False
        self.version += 1

    def _grow(self, rows: int) -> None:
        if rows > len(self.vectors):
            capacity = max(rows, 2 * len(self.vectors), 64)
            vectors = np.zeros((capacity, self.dimension), dtype=np.float32)
            vectors[: len(self.vectors)] = self.vectors
            alive = np.zeros(capacity, dtype=bool)
            alive[: len(self.alive)] = self.alive
            self.vectors, self.alive = vectors, alive

    def _log(self, operation: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as log:
            log.write(json.dumps(operation, separators=(",", ":")) + "\n")

    def _compact(self) -> None:
        live = [row for row in range(len(self.ids)) if self.alive[row]]
        records = [
            {"id": self.ids[row], "v": base64.b64encode(self.vectors[row].tobytes()).decode(), "m": self.metadata[row]}
            for row in live
        ]
        temporary = self.path.with_suffix(".compacting")
        temporary.write_text(json.dumps({"upsert": records}, separators=(",", ":")) + "\n")
        temporary.replace(self.path)
        self.__init__(self.path, self.dimension)  # type: ignore[misc]


def _file_name(namespace: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", namespace) + ".log"


class LocalVectorIndex:
    def __init__(self, root: Path, model: str, dimension: int) -> None:
        self.root = root
        self.dimension = dimension
        self._lock = threading.RLock()
        self._namespaces: dict[str, Namespace] = {}
        manifest = root / "manifest.json"
        built_by = {"model": model, "dimension": dimension}
        root.mkdir(parents=True, exist_ok=True)
        if manifest.exists():
            recorded = json.loads(manifest.read_text())
            if recorded != built_by:
                raise ConfigurationError(
                    f"the local index at {root} was built with {recorded['model']} ({recorded['dimension']}-d); "
                    f"refusing to mix in {model} ({dimension}-d). Delete the folder to rebuild it."
                )
        else:
            manifest.write_text(json.dumps(built_by))

    def namespace(self, name: str) -> Namespace:
        with self._lock:
            if name not in self._namespaces:
                self._namespaces[name] = Namespace(self.root / "namespaces" / _file_name(name), self.dimension)
            return self._namespaces[name]

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> None:
        with self._lock:
            self.namespace(namespace).upsert(records)

    def ids(self, namespace: str, prefix: str) -> list[str]:
        with self._lock:
            return [id_ for id_ in self.namespace(namespace).rows if id_.startswith(prefix)]

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        with self._lock:
            self.namespace(namespace).delete(ids)

    def records(self, namespace: str, prefix: str = "") -> list[dict[str, Any]]:
        """Metadata of the live vectors whose ids start with `prefix`, in id order (for inspection and tests)."""
        with self._lock:
            space = self.namespace(namespace)
            return [
                {"id": id_, **space.metadata[row]} for id_, row in sorted(space.rows.items()) if id_.startswith(prefix)
            ]
