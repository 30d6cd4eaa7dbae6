"""The chunking rule: which chunk sizes and overlaps (in tokens) a chatbot may use and ingest can honour."""

from __future__ import annotations

DEFAULT_SIZE = 400
DEFAULT_OVERLAP = 60
MIN_SIZE = 100
MAX_SIZE = 2000
MAX_OVERLAP = 200


def check_chunking(size: int, overlap: int) -> None:
    """Raise ValueError unless documents can be cut into chunks of `size` tokens sharing `overlap` tokens."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"chunk_size ({size}) must be between {MIN_SIZE} and {MAX_SIZE}")
    if not 0 <= overlap <= MAX_OVERLAP:
        raise ValueError(f"chunk_overlap ({overlap}) must be between 0 and {MAX_OVERLAP}")
    # Every chunk opens with the overlap and must still hold more new text than that.
    if overlap * 2 >= size:
        raise ValueError(f"chunk_overlap ({overlap}) must be less than half of chunk_size ({size})")
