"""How an OpenAI adapter reaches the API: the key is fetched, and the SDK imported, only when a client is built;
calls a person waits for run within a time budget."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from openai import OpenAI

T = TypeVar("T")


@dataclass(frozen=True)
class TimeBudget:
    """How long a call a person waits for may take, retries included (`total`), and each attempt at most. The SDK's
    own retries cannot do this: each of them gets the full timeout, and it waits whatever Retry-After says."""

    total: float
    per_attempt: float
    # An attempt shorter than this is not worth starting.
    least_attempt: float = 0.5

    def run(
        self,
        attempt: Callable[[float], T],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """`attempt(timeout)` until it succeeds or the budget is spent; rate limits, server errors, broken
        connections and timeouts are retried (after Retry-After, or a jittered backoff), anything else raised."""
        import openai

        deadline, failures = clock() + self.total, 0
        while True:
            try:
                return attempt(min(self.per_attempt, deadline - clock()))
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as error:
                failures += 1
                wait = _retry_after(error) or random.uniform(0.1, min(2.0, 0.25 * 2**failures))  # noqa: S311
                if clock() + wait + self.least_attempt > deadline:
                    raise
                sleep(wait)


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    try:
        return float(response.headers["retry-after"]) if response is not None else None
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class OpenAIAccess:
    api_key: Callable[[], str]
    base_url: str | None = None  # any OpenAI-compatible server
    timeout: float = 30.0

    @cached_property
    def _shared(self) -> OpenAI:
        # One HTTP connection pool and TLS context for every adapter of the container: building them is a good
        # part of a first call's cost.
        from openai import OpenAI

        return OpenAI(api_key=self.api_key(), base_url=self.base_url, timeout=self.timeout)

    def client(self, *, max_retries: int) -> OpenAI:
        """An SDK client; the SDK retries 429 and 5xx up to `max_retries` times, honouring Retry-After."""
        return self._shared.with_options(max_retries=max_retries)
