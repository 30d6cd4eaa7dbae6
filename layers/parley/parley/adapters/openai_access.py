"""How an OpenAI adapter reaches the API: the key is fetched, and the SDK imported, only when a client is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import OpenAI


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
