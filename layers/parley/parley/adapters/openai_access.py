"""How an OpenAI adapter reaches the API: the key is fetched, and the SDK imported, only when a client is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import OpenAI


@dataclass(frozen=True)
class OpenAIAccess:
    api_key: Callable[[], str]
    base_url: str | None = None  # any OpenAI-compatible server
    timeout: float = 30.0

    def client(self, *, max_retries: int) -> OpenAI:
        """A new SDK client; the SDK retries 429 and 5xx up to `max_retries` times, honouring Retry-After."""
        from openai import OpenAI

        return OpenAI(api_key=self.api_key(), base_url=self.base_url, max_retries=max_retries, timeout=self.timeout)
