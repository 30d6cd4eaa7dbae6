"""What a log line may never hold (tokens, keys, passwords, upload signatures, the input a validation refused),
taken out by the one formatter every function's log lines go through."""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from pydantic import ValidationError

REDACTED = "[redacted]"

# Shapes of secrets, wherever in a line they appear: JWTs (Cognito's tokens), bearer credentials, API keys (OpenAI
# `sk-…`, tenant keys `sk_…`, Pinecone `pc-…` and `pcsk_…`) and the signing parts of presigned S3 URLs.
_SECRET_SHAPES = (
    (re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*"), REDACTED),
    (re.compile(r"\b(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE), rf"\g<1>{REDACTED}"),
    (re.compile(r"\b(?:sk|pc|pcsk)[-_][\w-]{4,}"), REDACTED),
    (
        re.compile(
            r"\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|Policy)=[^&\s\"']+",
            re.IGNORECASE,
        ),
        rf"\g<1>={REDACTED}",
    ),
)
_CAUSE = "\n\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\n\nDuring handling of the above exception, another exception occurred:\n\n"
# Fields whose text is a secret whatever it looks like (a password has no shape), in `extra=` or any nested dict.
_SECRET_FIELDS = re.compile(
    r"password|secret|token|authorization|api[-_]?key|signature|credential|policy", re.IGNORECASE
)


def redact(text: str) -> str:
    """`text` with every secret of a known shape replaced."""
    for shape, replacement in _SECRET_SHAPES:
        text = shape.sub(replacement, text)
    return text


def exception_message(error: BaseException) -> str:
    """What an exception says, a validation error without the input it refused (pydantic's message echoes it:
    a refused question would be logged whole)."""
    if isinstance(error, ValidationError):
        problems = "".join(
            f"\n{'.'.join(map(str, problem['loc'])) or '(the value)'}\n  {problem['msg']} [type={problem['type']}]"
            for problem in error.errors(include_url=False, include_input=False)
        )
        return f"{error.error_count()} validation error(s) for {error.title}{problems}"
    return str(error)


def format_exception(error: BaseException) -> str:
    """An exception and those it was raised from or while handling, as Python prints them, each message through
    `exception_message`."""
    parts: list[str] = []
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        frames = traceback.format_tb(current.__traceback__) if current.__traceback__ else []
        trace = "Traceback (most recent call last):\n" + "".join(frames) if frames else ""
        parts.insert(0, f"{trace}{name}: {exception_message(current)}")
        if current.__cause__ is not None:
            parts.insert(0, _CAUSE)
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            parts.insert(0, _CONTEXT)
            current = current.__context__
        else:
            current = None
    return "".join(parts)


def _scrubbed(value: Any, key: str = "") -> Any:
    if isinstance(value, BaseException):
        return exception_message(value)
    if isinstance(value, str) and _SECRET_FIELDS.search(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {name: _scrubbed(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item, key) for item in value]
    return value


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log lines, with secrets and refused inputs taken out of every field, exception and trace."""

    def formatException(self, ei: Any) -> str:
        return format_exception(ei[1])

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return redact(super().serialize(_scrubbed(log)))
