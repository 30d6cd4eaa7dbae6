"""Text measures shared by chunking, embedding requests and prompt budgets."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """An estimate of model tokens: words and punctuation marks, but at least one per four characters, the
    usual ratio of BPE tokenizers on English. Errs high, so request limits computed from it hold."""
    return max(len(_TOKEN.findall(text)), (len(text) + 3) // 4)
