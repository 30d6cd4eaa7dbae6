"""Personal data out of text before it leaves for a model: e-mails, phone numbers, payment cards, IBANs."""

from __future__ import annotations

import re
from collections.abc import Callable

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .-]?\d){6,14}\b")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_valid(text: str) -> bool:
    compact = text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return 15 <= len(compact) <= 34 and int(number) % 97 == 1


def _substitute(
    kind: str, found: list[str], check: Callable[[str], bool] | None = None
) -> Callable[[re.Match[str]], str]:
    def substitute(match: re.Match[str]) -> str:
        if check is not None and not check(match.group(0)):
            return match.group(0)
        found.append(kind)
        return f"[{kind}]"

    return substitute


def redact(text: str) -> tuple[str, list[str]]:
    """The text with personal data replaced by placeholders, and the kinds that were found."""
    found: list[str] = []
    text = _EMAIL.sub(_substitute("email", found), text)
    text = _IBAN.sub(_substitute("iban", found, _iban_valid), text)
    text = _CARD.sub(_substitute("card", found, lambda value: _luhn(re.sub(r"\D", "", value))), text)
    # Phone numbers last: what is left of long digit runs once cards and IBANs are out.
    text = _PHONE.sub(_substitute("phone", found), text)
    return text, found
