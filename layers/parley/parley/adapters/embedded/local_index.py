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

from parley.domain.vectors import Hit, VectorRecord
from parley.errors import ConfigurationError


class _Lexical:
    """BM25 over a namespace's chunk texts (English stop words, Snowball stemming), rebuilt when it changes."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s
        import Stemmer

        self.stemmer = Stemmer.Stemmer("english")
        self.retriever = bm25s.BM25(k1=1.5, b=0.75)
        self.retriever.index(self.tokenize(texts, ids=True), show_progress=False)

    def tokenize(self, texts: Sequence[str], *, ids: bool) -> Any:
        import bm25s

        return bm25s.tokenize(list(texts), stopwords="en", stemmer=self.stemmer, return_ids=ids, show_progress=False)

    def scores(self, text: str) -> np.ndarray:
        tokens = self.tokenize([text], ids=False)[0]
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32) if tokens else np.zeros(0)


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
        self._derived: tuple[int, np.ndarray, _Lexical | None] | None = None
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

    def _chatbots_and_lexical(self, lexical: bool) -> tuple[np.ndarray, _Lexical | None]:
        if self._derived is None or self._derived[0] != self.version or (lexical and self._derived[2] is None):
            rows = len(self.ids)
            chatbots = np.array([metadata.get("chatbot_id", "") for metadata in self.metadata[:rows]], dtype=object)
            bm25 = (
                _Lexical([metadata.get("text", "") for metadata in self.metadata[:rows]]) if lexical and rows else None
            )
            self._derived = (self.version, chatbots, bm25)
        return self._derived[1], self._derived[2]

    def _ranked(self, scores: np.ndarray, mask: np.ndarray, top_k: int) -> list[Hit]:
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return []
        chosen = candidates[np.argsort(-scores[candidates], kind="stable")[:top_k]]
        return [Hit(self.ids[row], float(scores[row]), self.metadata[row]) for row in chosen]

    def dense(self, vector: Sequence[float], top_k: int, chatbot_id: str) -> list[Hit]:
        """Exact cosine (vectors are unit length) among the live chunks of one chatbot."""
        rows = len(self.ids)
        chatbots, _ = self._chatbots_and_lexical(lexical=False)
        scores = self.vectors[:rows] @ np.asarray(vector, dtype=np.float32)
        return self._ranked(scores, self.alive[:rows] & (chatbots == chatbot_id), top_k)

    def lexical(self, text: str, top_k: int, chatbot_id: str) -> list[Hit]:
        """BM25 among the live chunks of one chatbot; chunks sharing no term with the query are left out."""
        rows = len(self.ids)
        chatbots, bm25 = self._chatbots_and_lexical(lexical=True)
        scores = bm25.scores(text) if bm25 else np.zeros(0)
        if not len(scores):
            return []
        return self._ranked(scores, self.alive[:rows] & (chatbots == chatbot_id) & (scores > 0), top_k)

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
        reloaded = Namespace(self.path, self.dimension)
        self.__dict__.update(reloaded.__dict__)


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

    def dense(self, namespace: str, vector: Sequence[float], top_k: int, chatbot_id: str) -> list[Hit]:
        with self._lock:
            return self.namespace(namespace).dense(vector, top_k, chatbot_id)

    def lexical(self, namespace: str, text: str, top_k: int, chatbot_id: str) -> list[Hit]:
        with self._lock:
            return self.namespace(namespace).lexical(text, top_k, chatbot_id)

    def records(self, namespace: str, prefix: str = "") -> list[dict[str, Any]]:
        """Metadata of the live vectors whose ids start with `prefix`, in id order (for inspection and tests)."""
        with self._lock:
            space = self.namespace(namespace)
            return [
                {"id": id_, **space.metadata[row]} for id_, row in sorted(space.rows.items()) if id_.startswith(prefix)
            ]
