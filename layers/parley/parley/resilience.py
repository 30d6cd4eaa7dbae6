"""A circuit breaker: after repeated failures of a dependency, stop calling it for a while and fail fast."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from parley.errors import StreamInterrupted, UpstreamUnavailable

T = TypeVar("T")


class CircuitOpen(UpstreamUnavailable):
    """The dependency failed too often recently; it is not being called until the cool-down ends."""


class CircuitBreaker:
    def __init__(
        self, name: str, *, failures: int = 5, cool_down: float = 30.0, clock: Callable[[], float] = time.monotonic
    ):
        self.name = name
        self.threshold = failures
        self.cool_down = cool_down
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        with self._lock:
            return self._opened_at is not None and self.clock() - self._opened_at < self.cool_down

    def call(self, operation: Callable[[], T]) -> T:
        """Run `operation` unless the circuit is open; after the cool-down one trial call decides."""
        if self.open:
            raise CircuitOpen(f"{self.name} is unavailable; retrying shortly")
        try:
            result = operation()
        except StreamInterrupted:
            # Abandoned by the caller: it says nothing about the dependency's health.
            raise
        except Exception:
            with self._lock:
                self._failures += 1
                if self._failures >= self.threshold:
                    self._opened_at = self.clock()
            raise
        with self._lock:
            self._failures, self._opened_at = 0, None
        return result
