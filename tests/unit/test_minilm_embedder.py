from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from parley.adapters.embedded.minilm import TOKENS_PER_CALL, MiniLMEmbedder

pytest.importorskip("onnxruntime")


class _RecordingSession:
    """Passes calls on to the real session and keeps the shape of each call's input."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
        self.shapes.append(feed["input_ids"].shape)
        return self.session.run(outputs, feed)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    embedder = MiniLMEmbedder()
    embedder.embed_query("load the model")
    return embedder


def test_calls_pad_to_their_longest_text_and_stay_within_the_token_budget(embedder: MiniLMEmbedder) -> None:
    # Given texts of very different lengths, the longest truncated at 256 word pieces
    texts = ["vitamin D", "a much longer sentence about the effect of vitamin D on bone density", "cells " * 400] * 3
    session = embedder._session
    recording = _RecordingSession(session)
    embedder._session = recording
    try:
        # When they are embedded together
        together = embedder.embed_documents(texts)
    finally:
        embedder._session = session

    # Then no call holds more padded tokens than the budget, none pads short texts to a fixed length,
    # and every vector is the one the text gets on its own, in the order given
    assert all(rows * width <= TOKENS_PER_CALL for rows, width in recording.shapes)
    assert min(width for _, width in recording.shapes) < 32
    alone = [embedder.embed_query(text) for text in texts]
    assert np.allclose(together, alone, atol=1e-5)
