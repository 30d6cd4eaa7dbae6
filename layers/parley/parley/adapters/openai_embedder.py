"""OpenAI embeddings, batched within the API's request limits; the SDK retries 429/5xx honouring Retry-After."""

from __future__ import annotations

import array
import base64
import math
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from parley.adapters.openai_access import OpenAIAccess, TimeBudget
from parley.domain.common import batched_by_cost
from parley.errors import UpstreamUnavailable
from parley.text.tokens import count_tokens

if TYPE_CHECKING:
    from openai import OpenAI

# The API takes at most 2,048 inputs and 300,000 tokens per request; our token count is an estimate, so keep a margin.
MAX_INPUTS = 2048
MAX_TOKENS = 250_000
# A question is embedded while someone waits, within the query function's 29 s with the model's answer after it
# (OpenAIChat.BUDGET): a one-line input answers in well under a second, so an attempt that takes 2.5 s has hung,
# and three attempts fit.
QUESTION_BUDGET = TimeBudget(total=8, per_attempt=2.5)


def request_batches(texts: Sequence[str]) -> Iterator[list[int]]:
    """Indexes of `texts` grouped into requests that respect the input and token limits."""
    return batched_by_cost(
        range(len(texts)), lambda i: count_tokens(texts[i]) + 1, max_items=MAX_INPUTS, max_cost=MAX_TOKENS
    )


def decoded(embedding: object) -> list[float]:
    """An embedding as the API sends it when asked for base64 (little-endian float32), as floats of unit length
    (retrieval scores dense similarity as a dot product, which is the cosine only for unit vectors). Decoded here,
    the SDK does not load numpy for it (a third of a second at cold start); a server that ignores the format and
    sends floats is understood too."""
    if isinstance(embedding, list):
        values = [float(value) for value in embedding]
    else:
        values = array.array("f", base64.b64decode(str(embedding))).tolist()
    norm = math.sqrt(sum(value * value for value in values))
    return [value / norm for value in values] if norm else values


class OpenAIEmbedder:
    def __init__(
        self,
        access: OpenAIAccess,
        model: str = "text-embedding-3-small",
        dimension: int = 512,
        *,
        max_retries: int = 4,
    ) -> None:
        self.access = access
        self.model = model
        self.dimension = dimension
        self.max_retries = max_retries

    @cached_property
    def client(self) -> OpenAI:
        return self.access.client(max_retries=self.max_retries)

    @cached_property
    def question_client(self) -> OpenAI:
        # Retries are the budget's (QUESTION_BUDGET), not the SDK's.
        return self.access.client(max_retries=0)

    def prefetch(self, texts: Sequence[str]) -> None:
        """Nothing ahead: the texts are sent when they are asked for, a group's in as few requests as its size
        allows (request_batches), which is what the requests cost."""

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        vectors: list[list[float]] = [[] for _ in texts]
        for batch in request_batches(texts):
            try:
                response = self.client.embeddings.create(
                    model=self.model,
                    input=[texts[i] for i in batch],
                    dimensions=self.dimension,
                    encoding_format="base64",
                )
            except openai.APIError as error:
                raise UpstreamUnavailable("The embedding service is unavailable") from error
            for item in response.data:
                vectors[batch[item.index]] = decoded(item.embedding)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        import openai

        def attempt(timeout: float) -> list[float]:
            response = self.question_client.embeddings.create(
                model=self.model, input=[text], dimensions=self.dimension, encoding_format="base64", timeout=timeout
            )
            return decoded(response.data[0].embedding)

        try:
            return QUESTION_BUDGET.run(attempt)
        except openai.APIError as error:
            raise UpstreamUnavailable("The embedding service is unavailable") from error
