"""What the vector index holds for each chunk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


def vector_id(document_id: str, chunk_no: int) -> str:
    # Listable by the `<document_id>#` prefix: Pinecone serverless cannot delete by metadata filter.
    return f"{document_id}#{chunk_no}"


def document_prefix(document_id: str) -> str:
    return f"{document_id}#"


class ChunkMetadata(BaseModel):
    chatbot_id: str
    document_id: str
    filename: str
    chunk_no: int
    page: int | None = None
    heading: str | None = None
    text: str
    # Chunks of a source's documents: the source, and a web page's address (what a citation links to).
    source_id: str | None = None
    url: str | None = None
    # The chunk of a Q&A pair (its only one) holds the pair, which answers as written when a question matches it.
    qa_question: str | None = None
    qa_answer: str | None = None

    def stored(self) -> dict[str, Any]:
        """The metadata as an index stores it (no nulls: Pinecone refuses them)."""
        return self.model_dump(exclude_none=True)


@dataclass(frozen=True)
class SparseVector:
    """Non-zero dimensions (32-bit term ids, ascending) and their weights."""

    indices: list[int]
    values: list[float]

    def scaled(self, factor: float) -> SparseVector:
        return SparseVector(self.indices, [value * factor for value in self.values])


@dataclass(frozen=True)
class HybridQuery:
    """What a search ranks by: each chunk scores dense · `dense` + sparse · `sparse` (both already weighted)."""

    dense: list[float]
    sparse: SparseVector | None = None


@dataclass(frozen=True)
class Hit:
    """One chunk found by a search, with its score on that search's own scale."""

    id: str
    score: float
    metadata: dict[str, Any]


class VectorRecord(BaseModel):
    id: str
    values: list[float]
    sparse: SparseVector | None = None
    metadata: ChunkMetadata
