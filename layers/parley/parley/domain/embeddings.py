"""Embedding spaces: the model that made a vector and its dimension."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddingSpace:
    """A model and the dimension of its vectors; an index built in one space refuses vectors of another."""

    model: str
    dimension: int


# The embedded default's space, known to settings without loading the model's adapter.
MINILM_SPACE = EmbeddingSpace("all-MiniLM-L6-v2", 384)
