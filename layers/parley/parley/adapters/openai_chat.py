"""OpenAI chat completions (or any OpenAI-compatible server), plain or streamed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from parley.adapters.openai_access import OpenAIAccess, TimeBudget
from parley.domain.conversations import Usage
from parley.errors import UpstreamUnavailable
from parley.ports import ChatMessage, Completion

if TYPE_CHECKING:
    from openai import OpenAI


class OpenAIChat:
    """A person waits for every call: each runs within BUDGET (for a stream, until its first bytes; then each piece
    must come within the attempt's timeout), and the extractive fallback answers when it is spent. A REST question
    makes two calls at most (a follow-up's rewrite, the answer) after its embedding (QUESTION_BUDGET): 8 + 9 + 9 s
    leave room for retrieval and storage within the query function's 29 s. An answer longer than the model writes
    in 7 s (the default 512 tokens take about 5) needs the streamed chat, whose pieces come every few milliseconds."""

    BUDGET = TimeBudget(total=9, per_attempt=7)

    def __init__(self, access: OpenAIAccess, *, budget: TimeBudget = BUDGET) -> None:
        self.access = access
        self.budget = budget

    @cached_property
    def client(self) -> OpenAI:
        # Retries are the budget's, not the SDK's.
        return self.access.client(max_retries=0)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        temperature: float,
        max_tokens: int,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        import httpx
        import openai

        payload: Any = [{"role": message.role, "content": message.content} for message in messages]
        try:
            if on_token is None:
                response = self.budget.run(
                    lambda timeout: self.client.chat.completions.create(
                        model=model, messages=payload, temperature=temperature, max_tokens=max_tokens, timeout=timeout
                    )
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
        except (openai.APIError, httpx.HTTPError) as error:
            # httpx's own errors: a stream broken after its first bytes, which the SDK does not wrap.
            raise UpstreamUnavailable("The language model is unavailable") from error

    def _stream(
        self, payload: Any, model: str, temperature: float, max_tokens: int, on_token: Callable[[str], None]
    ) -> Completion:
        stream = self.budget.run(
            lambda timeout: self.client.chat.completions.create(
                model=model,
                messages=payload,
                temperature=temperature,
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout,
            )
        )
        parts: list[str] = []
        usage = Usage()
        finished = False
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
                    finished = finished or choice.finish_reason is not None
        if not finished:
            # A stream that ends without a finish reason was cut, however cleanly its connection closed.
            raise UpstreamUnavailable("The language model's answer was cut off")
        return Completion(text="".join(parts), usage=usage)
