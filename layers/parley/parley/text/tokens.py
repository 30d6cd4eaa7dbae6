"""Text measures shared by chunking, embedding requests and prompt budgets."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Characters that a tokenizer trained mostly on English text splits into about one token each (often more): the
# letters of CJK, kana, Hangul, Thai, Lao, Khmer, Myanmar, Tibetan, the Indic scripts, Georgian and Ethiopic, and
# CJK punctuation and full-width forms.
_ONE_TOKEN_LETTER = re.compile(
    "[\u0900-\u0dff\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u10a0-\u10ff\u1100-\u11ff\u1200-\u139f\u1780-\u17ff"
    "\u3000-\u30ff\u3100-\u318f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff"
    "\uff00-\uffef\U00020000-\U0003ffff]"
)
# Words of three letters or more in Greek, Cyrillic, Armenian, Hebrew or Arabic: about one token per two letters.
# Shorter ones are symbols in English text ("β-cells", "NF-κB", "γδ T cells") and stay counted as English.
_HALF_TOKEN_WORD = re.compile("[\u0370-\u07ff]{3,}")


def count_tokens(text: str) -> int:
    """An estimate of model tokens that errs high, so request limits computed from it hold: words and punctuation
    marks, but at least one token per four characters (the usual ratio of BPE tokenizers on English), one per
    character of the scripts written without spaces (CJK...), one per two letters of a word in Greek, Cyrillic,
    Hebrew or Arabic."""
    symbols = len(_TOKEN.findall(text))
    if text.isascii():
        return max(symbols, (len(text) + 3) // 4)
    # Each character weighs a quarter of a token; these weigh a whole one, or a half.
    whole = len(_ONE_TOKEN_LETTER.findall(text))
    half = sum(len(word) for word in _HALF_TOKEN_WORD.findall(text))
    return max(symbols, (len(text) + 3 * whole + half + 3) // 4)
