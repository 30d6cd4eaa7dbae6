from __future__ import annotations

import itertools
import random
import threading
from typing import Any

import numpy as np
import pytest
from parley.adapters.embedded.minilm import CALL_TOKENS, TOKENS_PER_CALL, MiniLMEmbedder, _calls

pytest.importorskip("onnxruntime")


class _RecordingSession:
    """Passes calls on to the real session and keeps the shape of each call's input and the thread it ran on."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.shapes: list[tuple[int, int]] = []
        self.threads: list[str] = []

    def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
        self.shapes.append(feed["input_ids"].shape)
        self.threads.append(threading.current_thread().name)
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


class _Encoding:
    def __init__(self, length: int) -> None:
        self.ids = [0] * length


def _within_budget(call: list[int], widths: list[int]) -> bool:
    """A call's padded tokens within the budget (a text longer than it goes alone)."""
    return len(call) == 1 or len(call) * widths[call[-1]] <= TOKENS_PER_CALL


def _tokens(calls: list[list[int]], widths: list[int]) -> int:
    return sum(CALL_TOKENS + len(call) * max(widths[position] for position in call) for call in calls)


def test_calls_compute_the_fewest_padded_tokens_a_cut_within_the_budget_can() -> None:
    # Given texts of mixed lengths, shortest first, as embed_documents orders them
    rng = random.Random(7)
    for _ in range(200):
        widths = sorted(rng.choice([3, 12, 15, 40, 45, 60, 100, 256]) for _ in range(rng.randint(1, 7)))
        encodings = [_Encoding(width) for width in widths]

        # When they are cut into calls
        calls = _calls(list(range(len(widths))), encodings)

        # Then every text is in one call, in order, each call within the budget (a text longer than it alone), and
        # no cut of the sorted texts into runs computes fewer tokens
        assert [position for call in calls for position in call] == list(range(len(widths)))
        assert all(_within_budget(call, widths) for call in calls)
        cuts = (
            [list(range(begin, end)) for begin, end in itertools.pairwise((0, *inner, len(widths)))]
            for size in range(len(widths))
            for inner in itertools.combinations(range(1, len(widths)), size)
        )
        fewest = min(_tokens(cut, widths) for cut in cuts if all(_within_budget(call, widths) for call in cut))
        assert _tokens(calls, widths) == fewest


def test_texts_asked_for_ahead_are_embedded_in_the_background_and_only_what_was_not_is_embedded_when_asked(
    embedder: MiniLMEmbedder,
) -> None:
    # Given the chunks of two documents asked for ahead, as ingest reads them, and one of another document not
    first, second = ["Vitamin D and bone density.", "Llamas hum."], ["Statins lower cholesterol.", "Llamas hum."]
    session = embedder._session
    recording = _RecordingSession(session)
    threads = recording.threads
    embedder._session = recording
    try:
        embedder.prefetch(first)
        embedder.prefetch(second)
        # When the group's texts are asked for, with one never asked ahead
        together = embedder.embed_documents([*first, *second, "Aspirin thins blood."])
        ahead_only = len(threads)
        # and a later call asks again for a text asked ahead last time
        again = embedder.embed_documents(["Llamas hum."])
    finally:
        embedder._session = session

    # Then the texts asked ahead were embedded off the caller's thread, only the new text on it, and the vectors are
    # the ones each text gets alone; what a call takes is not kept for the next
    assert set(threads[: ahead_only - 1]) == {"minilm-prefetch"}
    assert threads[ahead_only - 1 :] == [threading.current_thread().name] * 2
    alone = [embedder.embed_query(text) for text in [*first, *second, "Aspirin thins blood."]]
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(again, alone[1:2], atol=1e-5)
