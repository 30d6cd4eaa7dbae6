"""How much one document may cost to read and index: set per deployment now (settings), per plan later."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestLimits:
    """Limits on one document, checked while it is read, so that a file over one fails before memory or money is
    spent on it. The defaults are the deployment's (each `PARLEY_INGEST_MAX_*` variable overrides one)."""

    # What a compressed container (.docx) may unpack to, all its entries together. Parsing costs about 3.5 times
    # the unpacked size in memory (the review's 1 GB of XML peaked at 3.5 GB), so 100 MB stays far inside the
    # ingest function's 2 GB, and still holds any document within the other limits: 5 million characters are
    # 15-25 MB of Word XML, and a .docx is at most 50 MB of (incompressible) images.
    expanded_bytes: int = 100_000_000
    # Long manuals and books run to 1,000-1,500 pages; pypdf reads 20-110 text pages a second (110 measured on
    # generated pages), so 2,000 pages fit in the time limit.
    pages: int = 2_000
    # Of extracted text: about 1,700 dense pages, 1.25 million tokens (2.5 US cents at text-embedding-3-small's
    # price, under 20 MB of Python strings).
    characters: int = 5_000_000
    # Embeddings and vectors paid for. A text within the character limit makes about 3,700 chunks at the default
    # size (400 tokens, 60 shared); only chatbots with small chunks reach this.
    chunks: int = 10_000
    # Wall time to read the file (extraction and chunking; the embedding calls that follow depend on the
    # services, not on the file). Leaves most of the ingest function's 900 s for embedding and indexing.
    seconds: float = 180
