"""The chunking rule: which chunk sizes and overlaps (in tokens) a chatbot may use and ingest can honour."""

from __future__ import annotations

DEFAULT_SIZE = 400
DEFAULT_OVERLAP = 60
MIN_SIZE = 100
MAX_SIZE = 2000
MAX_OVERLAP = 200
# The most UTF-8 bytes of a chunk's text. A token of a byte-level BPE tokenizer stands for at least one byte, so
# a chunk this long is within OpenAI's embedding input limit (8,191 tokens) whatever its script, and with the
# rest of its metadata well within Pinecone's 40 KB per vector. English text never reaches it: MAX_SIZE tokens of
# it are at most 8,000 characters.
MAX_CHUNK_BYTES = 8_191


def check_chunking(size: int, overlap: int) -> None:
    """Raise ValueError unless documents can be cut into chunks of `size` tokens sharing `overlap` tokens."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"chunk_size ({size}) must be between {MIN_SIZE} and {MAX_SIZE}")
    if not 0 <= overlap <= MAX_OVERLAP:
        raise ValueError(f"chunk_overlap ({overlap}) must be between 0 and {MAX_OVERLAP}")
    # Every chunk opens with the overlap and must still hold more new text than that.
    if overlap * 2 >= size:
        raise ValueError(f"chunk_overlap ({overlap}) must be less than half of chunk_size ({size})")
