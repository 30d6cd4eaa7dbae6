"""A sign of life for the long counts of `make eval` and `make bench` (uploading and indexing thousands of documents or
chunks): how many are done of how many, at what rate, and about how long is left.

On a terminal it is one line rewritten in place (at most a few times a second); when the output is a file or a pipe
(CI, `| tee`), a plain line every PLAIN_EVERY_SECONDS, so that a log holds a few lines, not thousands of redraws.
The last figures are printed once more, as a line of their own, when the count finishes.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

PLAIN_EVERY_SECONDS = 30.0
REDRAW_EVERY_SECONDS = 0.25


class Progress:
    """`done` of `total` `unit` (documents, chunks), told with `advance` (from any thread) and printed to `stream`."""

    def __init__(
        self,
        what: str,
        total: int,
        unit: str,
        *,
        stream: TextIO | None = None,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.stream = stream or sys.stdout
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._shown_at = self.started
        self._drawn = 0  # the width of the line drawn in place, to blank what a shorter one leaves
        self._lock = threading.Lock()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            now = self.clock()
            if now - self._shown_at >= (REDRAW_EVERY_SECONDS if self.terminal else PLAIN_EVERY_SECONDS):
                self._show(now)

    def finish(self) -> None:
        """The figures as they end, on a line of their own."""
        with self._lock:
            self._show(self.clock())
            if self.terminal:
                self.stream.write("\n")
                self.stream.flush()

    def line(self, now: float) -> str:
        """`what: done of total unit (share), rate unit/s, about T left`."""
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        told = f"{self.what}: {self.done:,} of {self.total:,} {self.unit}{share}, {rate:.1f} {self.unit}/s"
        left = self.total - self.done
        if left <= 0:
            return f"{told}, done in {_duration(elapsed)}"
        return f"{told}, about {_duration(left / rate)} left" if rate > 0 else told

    def _show(self, now: float) -> None:
        self._shown_at = now
        text = self.line(now)
        if self.terminal:
            self.stream.write("\r" + text.ljust(self._drawn))
            self._drawn = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    """A duration as a person reads it: 45 s, 12 min, 1 h 05 min."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
