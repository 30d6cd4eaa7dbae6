"""The progress line of `make eval` and `make bench`: done of total, rate and time left; one line rewritten in place on
a terminal, plain lines now and then otherwise."""

from __future__ import annotations

import io

from local.tools.progress import PLAIN_EVERY_SECONDS, Progress


class Clock:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_not_on_a_terminal_a_plain_line_now_and_then_with_done_rate_and_time_left() -> None:
    # Given 1,000 documents to index, the output a file
    clock, out = Clock(), io.StringIO()
    progress = Progress("ingest", 1000, "documents", stream=out, terminal=False, clock=clock)

    # When one is indexed a second for 100 s, then the rest at once
    for _ in range(100):
        clock.value += 1
        progress.advance()
    progress.advance(900)
    progress.finish()

    # Then a line every 30 s (not one per document), each with the count, the rate and what is left, and the last
    lines = out.getvalue().splitlines()
    assert len(lines) == 100 // PLAIN_EVERY_SECONDS + 1
    assert lines[0] == "ingest: 30 of 1,000 documents (3%), 1.0 documents/s, about 16 min left"
    assert lines[-1] == "ingest: 1,000 of 1,000 documents (100%), 10.0 documents/s, done in 100 s"
    assert "\r" not in out.getvalue()


def test_on_a_terminal_one_line_rewritten_in_place() -> None:
    # Given 40 chunks to write, the output a terminal
    clock, out = Clock(), io.StringIO()
    progress = Progress("build", 40, "chunks", stream=out, terminal=True, clock=clock)

    # When they are written one a second
    for _ in range(40):
        clock.value += 1
        progress.advance()
    progress.finish()

    # Then every figure redraws the same line, which ends once, with the last figures
    shown = out.getvalue()
    assert shown.count("\r") == 41
    assert shown.endswith("build: 40 of 40 chunks (100%), 1.0 chunks/s, done in 40 s\n")
    assert shown.count("\n") == 1
    assert "\rbuild: 2 of 40 chunks (5%), 1.0 chunks/s, about 38 s left" in shown
