"""What one document may still spend while it is read: each limit is checked as the cost is incurred, and a file
over one is refused with a sentence that names the limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.domain.ingest_limits import IngestLimits
from parley.errors import OverIngestLimit

# A dense page of text reads in well under a tenth of a second; a page that takes a hundred times that is built to.
PAGE_SECONDS = 10


def _bytes(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 1_000_000 else f"{count:,} bytes"


class ReadingBudget:
    def __init__(self, limits: IngestLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.seconds
        self.page_deadline = self.deadline
        self.characters = 0

    def take_characters(self, count: int) -> None:
        """Count `count` more characters of extracted text."""
        self.characters += count
        if self.characters > self.limits.characters:
            limit = self.limits.characters
            raise OverIngestLimit(f"The file holds more than {limit:,} characters of text (limit {limit:,})")

    def start_page(self) -> None:
        """Start the clock of one page, which may take at most PAGE_SECONDS of the document's time."""
        self.page_deadline = min(self.deadline, self.clock() + PAGE_SECONDS)

    def check_time(self) -> None:
        """Called between small steps of reading, so even one slow page stops soon after its deadline."""
        now = self.clock()
        if now > self.deadline:
            limit = self.limits.seconds
            raise OverIngestLimit(f"Reading the file took longer than {limit:g} seconds (limit {limit:g} seconds)")
        if now > self.page_deadline:
            raise OverIngestLimit(
                f"A page of the file takes longer than {PAGE_SECONDS} seconds to read (limit {PAGE_SECONDS} seconds)"
            )

    def check_pages(self, count: int) -> None:
        if count > self.limits.pages:
            raise OverIngestLimit(f"The PDF has {count:,} pages (limit {self.limits.pages:,})")

    def check_expanded(self, size: int) -> None:
        """`size`: the bytes a compressed file unpacks to."""
        if size > self.limits.expanded_bytes:
            limit = _bytes(self.limits.expanded_bytes)
            raise OverIngestLimit(f"The file unpacks to more than {limit} (limit {limit})")

    def check_chunks(self, count: int) -> None:
        if count > self.limits.chunks:
            limit = self.limits.chunks
            raise OverIngestLimit(
                f"The file makes more than {limit:,} chunks of text (limit {limit:,}); split it into smaller files"
            )
