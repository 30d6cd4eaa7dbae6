"""The local vector index: exact hybrid search (dense vectors in numpy, sparse vectors in sorted posting
segments), persisted as an append-only log per tenant. It ranks as a Pinecone dot-product index with sparse values
does: a chunk's score is dense · dense query + sparse · sparse query.

Each namespace (tenant) is one log file of upsert/delete operations under the data folder; it is replayed on
first use. A delete that removes records also rewrites the log with the live records alone: as Pinecone forgets a
deleted record, no deleted chunk's text stays in the files (an erased chatbot's included). The index records which
embedder built it.

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

from parley.domain.vectors import Hit, HybridQuery, SparseVector, VectorRecord
from parley.errors import ConfigurationError

# Postings are first collected unsorted, then sealed into a sorted segment once this many have arrived.
SEGMENT_POSTINGS = 65_536


Segment = tuple[np.ndarray, np.ndarray, np.ndarray]  # (terms ascending, rows, weights)


class _Postings:
    """Each row's sparse vector, by term: sorted segments, searched with a binary search per term and segment.

    New postings go to a small buffer (sorted when a query first needs it), sealed into a segment when it fills; a
    segment then merges with its older neighbour while that one is at most twice its size, so a namespace holds
    O(log n) segments and each posting is re-sorted O(log n) times, on the write path. Queries only read.
    """

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self._buffer: list[Segment] = []
        self._buffered = 0
        self._buffer_sorted: Segment | None = None

    def add(self, row: int, indices: Sequence[int], values: Sequence[float]) -> None:
        if not indices:
            return
        terms = np.asarray(indices, dtype=np.uint32)
        self._buffer.append((terms, np.full(len(terms), row, dtype=np.int64), np.asarray(values, dtype=np.float32)))
        self._buffered += len(terms)
        self._buffer_sorted = None
        if self._buffered >= SEGMENT_POSTINGS:
            self.segments.append(_sorted_segment(self._buffer))
            self._buffer, self._buffered = [], 0
            while len(self.segments) > 1 and len(self.segments[-2][0]) <= 2 * len(self.segments[-1][0]):
                newer = self.segments.pop()
                self.segments[-1] = _sorted_segment([self.segments[-1], newer])

    def scores(self, query: SparseVector, rows: int) -> np.ndarray:
        """Sparse dot products of the query with rows [0, rows)."""
        if self._buffer and self._buffer_sorted is None:
            self._buffer_sorted = _sorted_segment(self._buffer)
        segments = [*self.segments, *([self._buffer_sorted] if self._buffer and self._buffer_sorted else [])]
        # Of the segments' own type: searching uint32 terms for int64 values would copy every segment first.
        wanted = np.asarray(query.indices, dtype=np.uint32)
        found_rows: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        for terms, posting_rows, weights in segments:
            starts = np.searchsorted(terms, wanted, side="left")
            ends = np.searchsorted(terms, wanted, side="right")
            for weight, start, end in zip(query.values, starts, ends, strict=True):
                if end > start:
                    found_rows.append(posting_rows[start:end])
                    found_scores.append(weights[start:end] * np.float32(weight))
        if not found_rows:
            return np.zeros(rows, dtype=np.float32)
        summed = np.bincount(np.concatenate(found_rows), weights=np.concatenate(found_scores), minlength=rows)
        return summed[:rows].astype(np.float32)


def _sorted_segment(parts: Sequence[Segment]) -> Segment:
    terms, rows, weights = (np.concatenate([part[column] for part in parts]) for column in range(3))
    order = np.argsort(terms, kind="stable")
    return terms[order], rows[order], weights[order]


class Namespace:
    """One tenant's vectors and metadata, in memory and in its log."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self._clear()
        self.refresh()

    def _clear(self) -> None:
        self.vectors = np.zeros((0, self.dimension), dtype=np.float32)
        self.ids: list[str] = []
        self.metadata: list[dict[str, Any]] = []
        self.alive = np.zeros(0, dtype=bool)
        self.chatbots = np.zeros(0, dtype=np.int32)  # each row's chatbot, as a code of `chatbot_codes`
        self.chatbot_codes: dict[str, int] = {}
        self.postings = _Postings()
        self.rows: dict[str, int] = {}
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
                    **({"s": {"i": record.sparse.indices, "v": record.sparse.values}} if record.sparse else {}),
                }
                for record in records
            ]
        }
        with self._exclusive():
            self._apply(operation)
            self._log(operation)

    def search(self, query: HybridQuery, top_k: int, chatbot_id: str) -> list[Hit]:
        """Live chunks of one chatbot by dense · query.dense + sparse · query.sparse (exact), best first."""
        rows = len(self.ids)
        code = self.chatbot_codes.get(chatbot_id)
        if code is None or not rows:
            return []
        scores = self.vectors[:rows] @ np.asarray(query.dense, dtype=np.float32)
        if query.sparse is not None:
            scores += self.postings.scores(query.sparse, rows)
        candidates = np.flatnonzero(self.alive[:rows] & (self.chatbots[:rows] == code))
        if len(candidates) > top_k:
            candidates = candidates[np.argpartition(-scores[candidates], top_k - 1)[:top_k]]
        chosen = candidates[np.lexsort((candidates, -scores[candidates]))]
        return [Hit(self.ids[row], float(scores[row]), self.metadata[row]) for row in chosen]

    def delete(self, ids: Sequence[str]) -> None:
        with self._exclusive():
            operation = {"delete": [id_ for id_ in ids if id_ in self.rows]}
            if operation["delete"]:
                self._apply(operation)
                self._log(operation)
                self._compact()

    def _apply(self, operation: dict[str, Any]) -> None:
        for item in operation.get("upsert", []):
            vector = np.frombuffer(base64.b64decode(item["v"]), dtype=np.float32)
            if vector.shape != (self.dimension,):
                raise ConfigurationError(f"vector of dimension {vector.shape[0]} in an index of {self.dimension}")
            # A replaced record gets a new row (its old postings stay with the old, dead row).
            previous = self.rows.get(item["id"])
            if previous is not None:
                self.alive[previous] = False
            row = len(self.ids)
            self._grow(row + 1)
            self.ids.append(item["id"])
            self.metadata.append(item["m"])
            self.rows[item["id"]] = row
            self.vectors[row] = vector
            self.alive[row] = True
            chatbot = item["m"].get("chatbot_id", "")
            self.chatbots[row] = self.chatbot_codes.setdefault(chatbot, len(self.chatbot_codes))
            sparse = item.get("s")
            if sparse:
                self.postings.add(row, sparse["i"], sparse["v"])
        for id_ in operation.get("delete", []):
            if id_ in self.rows:
                self.alive[self.rows.pop(id_)] = False

    def _grow(self, rows: int) -> None:
        if rows > len(self.vectors):
            capacity = max(rows, 2 * len(self.vectors), 64)
            vectors = np.zeros((capacity, self.dimension), dtype=np.float32)
            vectors[: len(self.vectors)] = self.vectors
            alive = np.zeros(capacity, dtype=bool)
            alive[: len(self.alive)] = self.alive
            chatbots = np.zeros(capacity, dtype=np.int32)
            chatbots[: len(self.chatbots)] = self.chatbots
            self.vectors, self.alive, self.chatbots = vectors, alive, chatbots

    def _log(self, operation: dict[str, Any]) -> None:
        """Append under the write lock, after catching up: the log then ends exactly where this copy does."""
        with self.path.open("ab") as log:
            log.write((json.dumps(operation, separators=(",", ":")) + "\n").encode())
            log.flush()
            status = os.fstat(log.fileno())
        self._file, self._offset = (status.st_dev, status.st_ino), status.st_size

    def _compact(self) -> None:
        """Rewrite the log as one upsert of the live records, as last written (under the write lock, caught up)."""
        live: dict[str, Any] = {}
        with self.path.open("rb") as log:
            for line in log:
                operation = json.loads(line)
                live.update((item["id"], item) for item in operation.get("upsert", []))
                for id_ in operation.get("delete", []):
                    live.pop(id_, None)
        temporary = self.path.with_suffix(".compacting")
        temporary.write_text(json.dumps({"upsert": list(live.values())}, separators=(",", ":")) + "\n")
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

    def search(self, namespace: str, query: HybridQuery, top_k: int, chatbot_id: str) -> list[Hit]:
        with self._lock:
            return self.namespace(namespace).search(query, top_k, chatbot_id)

    def records(self, namespace: str, prefix: str = "") -> list[dict[str, Any]]:
        """Metadata of the live vectors whose ids start with `prefix`, in id order (for inspection and tests)."""
        with self._lock:
            space = self.namespace(namespace)
            return [
                {"id": id_, **space.metadata[row]} for id_, row in sorted(space.rows.items()) if id_.startswith(prefix)
            ]
