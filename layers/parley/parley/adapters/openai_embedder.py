"""OpenAI embeddings, batched within the API's request limits; the SDK retries 429/5xx honouring Retry-After."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from parley.domain.common import batched_by_cost
from parley.errors import UpstreamUnavailable
from parley.ingest.chunking import count_tokens

if TYPE_CHECKING:
    from openai import OpenAI

# The API takes at most 2,048 inputs and 300,000 tokens per request; our token count is an estimate, so keep a margin.
MAX_INPUTS = 2048
MAX_TOKENS = 250_000


def request_batches(texts: Sequence[str]) -> Iterator[list[int]]:
    """Indexes of `texts` grouped into requests that respect the input and token limits."""
    return batched_by_cost(
        range(len(texts)), lambda i: count_tokens(texts[i]) + 1, max_items=MAX_INPUTS, max_cost=MAX_TOKENS
    )


class OpenAIEmbedder:
    def __init__(self, client: OpenAI, model: str = "text-embedding-3-small", dimension: int = 512) -> None:
        self.client = client
        self.model = model
        self.dimension = dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        vectors: list[list[float]] = [[] for _ in texts]
        for batch in request_batches(texts):
            try:
                response = self.client.embeddings.create(
                    model=self.model, input=[texts[i] for i in batch], dimensions=self.dimension
                )
            except openai.APIError as error:
                raise UpstreamUnavailable("The embedding service is unavailable") from error
            for item in response.data:
                vectors[batch[item.index]] = list(item.embedding)
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
