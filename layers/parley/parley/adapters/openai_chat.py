"""OpenAI chat completions (or any OpenAI-compatible server), plain or streamed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from parley.adapters.openai_access import OpenAIAccess
from parley.domain.conversations import Usage
from parley.errors import UpstreamUnavailable
from parley.ports import ChatMessage, Completion

if TYPE_CHECKING:
    from openai import OpenAI


class OpenAIChat:
    def __init__(self, access: OpenAIAccess, *, max_retries: int = 2) -> None:
        self.access = access
        # Two quick retries by default: a person is waiting, and the extractive fallback is ready.
        self.max_retries = max_retries

    @cached_property
    def client(self) -> OpenAI:
        return self.access.client(max_retries=self.max_retries)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        temperature: float,
        max_tokens: int,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        import openai

        payload: Any = [{"role": message.role, "content": message.content} for message in messages]
        try:
            if on_token is None:
                response = self.client.chat.completions.create(
                    model=model, messages=payload, temperature=temperature, max_tokens=max_tokens
                )
                usage = response.usage
                return Completion(
                    text=response.choices[0].message.content or "",
                    usage=Usage(
                        prompt_tokens=usage.prompt_tokens if usage else 0,
                        completion_tokens=usage.completion_tokens if usage else 0,
                        total_tokens=usage.total_tokens if usage else 0,
                    ),
                )
            return self._stream(payload, model, temperature, max_tokens, on_token)
        except openai.APIError as error:
            raise UpstreamUnavailable("The language model is unavailable") from error

    def _stream(
        self, payload: Any, model: str, temperature: float, max_tokens: int, on_token: Callable[[str], None]
    ) -> Completion:
        stream = self.client.chat.completions.create(
            model=model,
            messages=payload,
            temperature=temperature,
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        parts: list[str] = []
        usage = Usage()
        # Closing the stream (also when on_token raises because the listener left) ends the model's work.
        with stream:
            for chunk in stream:
                if chunk.usage:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                        total_tokens=chunk.usage.total_tokens,
                    )
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        on_token(choice.delta.content)
        return Completion(text="".join(parts), usage=usage)
