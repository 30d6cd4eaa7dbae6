"""How an answer becomes WebSocket frames: coalesced tokens, and a client that has gone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from parley.domain.conversations import QueryResult, Usage
from parley.errors import RateLimited, StreamInterrupted
from parley.services.live_chat import FrameStream


class Recorder:
    def __init__(self, gone_after: int | None = None) -> None:
        self.frames: list[dict[str, Any]] = []
        self.gone_after = gone_after

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        if self.gone_after is not None and len(self.frames) >= self.gone_after:
            raise StreamInterrupted(connection_id)
        self.frames.append(dict(frame))

    def close(self, connection_id: str) -> None:
        raise AssertionError("a frame stream only sends")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def result() -> QueryResult:
    return QueryResult(answer="a", citations=[], conversation_id="c", message_id="m", mode="llm", usage=Usage())


def test_first_token_goes_at_once_and_later_ones_are_coalesced_per_interval() -> None:
    client, clock = Recorder(), Clock()
    stream = FrameStream(client, "conn", interval=0.05, clock=clock)
    stream.started("c", "m")

    for at, piece in [(0.0, "Llamas "), (0.01, "eat "), (0.02, "grass "), (0.06, "and "), (0.07, "hay.")]:
        clock.now = 100.0 + at
        stream.token(piece)
    stream.finish(result())

    assert [frame.get("text") for frame in client.frames if frame["type"] == "token"] == [
        "Llamas ",
        "eat grass and ",
        "hay.",
    ]
    assert [frame["type"] for frame in client.frames] == ["start", "token", "token", "token", "citations", "done"]


def test_once_the_client_is_gone_every_send_raises() -> None:
    stream = FrameStream(Recorder(gone_after=1), "conn", interval=0.05, clock=Clock())
    stream.started("c", "m")

    with pytest.raises(StreamInterrupted):
        stream.token("Llamas")
    with pytest.raises(StreamInterrupted):
        stream.finish(result())
    assert stream.gone


def test_error_frames_carry_the_code_and_a_retry_hint_for_rate_limits() -> None:
    client = Recorder()
    stream = FrameStream(client, "conn", interval=0.05, clock=Clock())

    stream.error(RateLimited("Too many messages", retry_after=17))

    assert client.frames == [
        {"type": "error", "code": "rate_limited", "message": "Too many messages", "retry_after": 17}
    ]
