"""Zip containers (.docx; .xlsx and .pptx are the same kind of file) checked before a parser unpacks them, so a
zip bomb is refused before it costs memory."""

from __future__ import annotations

import io
import zipfile

from parley.errors import OverIngestLimit
from parley.ingest.budget import ReadingBudget

# Apache POI's defaults against zip bombs in Office files: past its first 100 KB an entry may not expand more than
# 100 times (Word XML compresses 5 to 20 times; Deflate's own maximum is about 1,000).
MAX_RATIO = 100
RATIO_GRACE_BYTES = 100_000
# A Word document has tens of entries, a few hundred with many images; a directory this long is a parsing bomb.
MAX_ENTRIES = 10_000
# Entries are unpacked this much at a time to be measured, and the bytes dropped.
READ_STEP = 1 << 20


def check_archive(data: bytes, budget: ReadingBudget) -> None:
    """Refuse a zip that unpacks to more than the budget allows, or at an absurd compression ratio.

    The directory's declared sizes are checked first, at the cost of reading it. They may lie, and a parser reads
    each entry whole (Python's zipfile inflates a whole entry before cutting it at its declared size), so every
    entry is then unpacked once, a step at a time, counting what it really holds; an entry that holds more than
    it declares fails its CRC check at its declared size, as damaged."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise OverIngestLimit(f"The file holds more than {MAX_ENTRIES:,} parts (limit {MAX_ENTRIES:,})")
        budget.check_expanded(sum(entry.file_size for entry in entries))
        for entry in entries:
            _check_ratio(entry.file_size, entry.compress_size)
        unpacked = 0
        for entry in entries:
            size = 0
            with archive.open(entry) as stream:
                while step := len(stream.read(READ_STEP)):
                    size, unpacked = size + step, unpacked + step
                    budget.check_expanded(unpacked)
                    _check_ratio(size, entry.compress_size)
                    budget.check_time()


def _check_ratio(size: int, compressed: int) -> None:
    if size > RATIO_GRACE_BYTES and size > MAX_RATIO * max(compressed, 1):
        raise OverIngestLimit(
            f"The file is compressed more than {MAX_RATIO} to 1, as only zip bombs are (limit {MAX_RATIO} to 1)"
        )
