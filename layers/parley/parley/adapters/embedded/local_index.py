"""The local vector index: exact dense search over numpy arrays, persisted as an append-only log per tenant.

Each namespace (tenant) is one log file of upsert/delete operations under the data folder; it is replayed on
first use and compacted when deleted rows outnumber live ones. The index records which embedder built it.

Several processes share the folder (locally each function runs in processes of its own: ingest writes, upload
deletes, query reads), so each keeps its in-memory copy current: every operation first applies the log's new
tail, or reloads the log when compaction replaced the file. Appends and compaction hold an exclusive lock on the
namespace's lock file; readers take none, and only ever apply complete lines.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
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
        self.version = 0  # bumped on every change; derived structures (lexical index) rebuild when it moves
        self._clear()
        self.refresh()

    def _clear(self) -> None:
        self.vectors = np.zeros((0, self.dimension), dtype=np.float32)
        self.ids: list[str] = []
        self.metadata: list[dict[str, Any]] = []
        self.alive = np.zeros(0, dtype=bool)
        self.rows: dict[str, int] = {}
        self.version += 1
        self._derived: tuple[int, np.ndarray, _Lexical | None] | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the log replayed so far
        self._offset = 0  # bytes of that log applied

    def refresh(self) -> None:
        """Apply what other processes appended since the last look; reload if the log was replaced or removed."""
        try:
            log = self.path.open("rb")
        except FileNotFoundError:
            if self._file is not None:
                self._clear()
            return
        with log:
            status = os.fstat(log.fileno())
            file = (status.st_dev, status.st_ino)
            if file != self._file or status.st_size < self._offset:
                self._clear()
                self._file = file
            elif status.st_size == self._offset:
                return
            if self._offset:
                # A tail starts right after a line break; anything else means another file took this one's place.
                log.seek(self._offset - 1)
                if log.read(1) != b"\n":
                    self._clear()
                    self._file = file
            log.seek(self._offset)
            tail = log.read()
        complete = tail.rfind(b"\n") + 1  # a line being appended right now is applied next time
        for line in tail[:complete].splitlines():
            self._apply(json.loads(line))
        self._offset += complete

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the namespace's write lock, with the in-memory copy caught up with the log."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

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
        with self._exclusive():
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
        with self._exclusive():
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
        """Append under the write lock, after catching up: the log then ends exactly where this copy does."""
        with self.path.open("ab") as log:
            log.write((json.dumps(operation, separators=(",", ":")) + "\n").encode())
            log.flush()
            status = os.fstat(log.fileno())
        self._file, self._offset = (status.st_dev, status.st_ino), status.st_size

    def _compact(self) -> None:
        live = [row for row in range(len(self.ids)) if self.alive[row]]
        records = [
            {"id": self.ids[row], "v": base64.b64encode(self.vectors[row].tobytes()).decode(), "m": self.metadata[row]}
            for row in live
        ]
        temporary = self.path.with_suffix(".compacting")
        temporary.write_text(json.dumps({"upsert": records}, separators=(",", ":")) + "\n")
        temporary.replace(self.path)  # readers holding the old file see a new one next time and reload
        self._clear()
        self.refresh()


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
            # Written whole or not at all: another process may be reading it at this moment.
            temporary = manifest.with_suffix(f".{os.getpid()}")
            temporary.write_text(json.dumps(built_by))
            temporary.replace(manifest)

    def namespace(self, name: str) -> Namespace:
        """The namespace, current with what any process has written to it."""
        with self._lock:
            if name not in self._namespaces:
                self._namespaces[name] = Namespace(self.root / "namespaces" / _file_name(name), self.dimension)
            else:
                self._namespaces[name].refresh()
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
