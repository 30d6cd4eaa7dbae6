"""What the chat models cost per token, to estimate what answers spend (an operator's metric, not a bill).

List prices in US dollars per million tokens, standard tier, from https://openai.com/api/pricing (read 2025-06).
They are estimates: the invoice also reflects cached-input discounts, batch pricing and price changes, which this
table does not follow. A model missing here is counted as `other` and its cost is not estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.domain.conversations import Usage


@dataclass(frozen=True)
class TokenPrice:
    input_per_million: float
    output_per_million: float

    def cost(self, usage: Usage) -> float:
        """US dollars for `usage`."""
        return (
            usage.prompt_tokens * self.input_per_million + usage.completion_tokens * self.output_per_million
        ) / 1_000_000


MODEL_PRICES: dict[str, TokenPrice] = {
    "gpt-4o-mini": TokenPrice(0.15, 0.60),
    "gpt-4.1-mini": TokenPrice(0.40, 1.60),
    "gpt-4.1-nano": TokenPrice(0.10, 0.40),
}


def estimated_cost(model: str, usage: Usage) -> float | None:
    """What a call of `model` cost in USD, estimated from list prices; None for a model the price table lacks."""
    price = MODEL_PRICES.get(model)
    return price.cost(usage) if price is not None else None
