"""Circuit breakers: after repeated failures of a dependency, stop calling it for a while and fail fast."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
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


class CircuitBreakers:
    """A breaker per key (a tenant, or a tenant and the model it calls): one tenant's failing dependency, such as a
    model name the provider refuses, opens that tenant's breaker only and never fails another tenant fast.

    Kept per container and bounded: the least recently used breakers are forgotten (a forgotten open breaker only
    means its next call is tried again)."""

    def __init__(
        self,
        name: str,
        *,
        failures: int = 5,
        cool_down: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 1024,
    ) -> None:
        self.name = name
        self.failures = failures
        self.cool_down = cool_down
        self.clock = clock
        self.capacity = capacity
        self._breakers: OrderedDict[Hashable, CircuitBreaker] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key: Hashable) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = CircuitBreaker(self.name, failures=self.failures, cool_down=self.cool_down, clock=self.clock)
                self._breakers[key] = breaker
                if len(self._breakers) > self.capacity:
                    self._breakers.popitem(last=False)
            else:
                self._breakers.move_to_end(key)
            return breaker
