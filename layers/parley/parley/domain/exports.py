"""Exports of a chatbot's conversations: which ones a request asks for, the rows they become, and the two file
formats (JSON Lines, and CSV safe to open in a spreadsheet)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from parley.domain.common import timestamp
from parley.domain.conversations import Conversation, DayRange, Message, Rating
from parley.domain.documents import files_prefix

ExportFormat = Literal["jsonl", "csv"]

CONTENT_TYPES: dict[ExportFormat, str] = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

COLUMNS = (
    "conversation_id",
    "started_by",
    "message_id",
    "role",
    "content",
    "citations",
    "mode",
    "degraded",
    "answerable",
    "latency_ms",
    "tokens",
    "feedback",
    "feedback_comment",
    "created_at",
)


@dataclass(frozen=True)
class ExportRequest:
    """Which conversations to export: those started in `days`; with `feedback`, only the answers rated so, each after
    the question it answered."""

    format: ExportFormat
    days: DayRange
    feedback: Rating | None = None

    def filename(self, chatbot_id: str) -> str:
        rated = f"-{self.feedback}" if self.feedback else ""
        return f"conversations-{chatbot_id}-{self.days.first}-to-{self.days.last}{rated}.{self.format}"


class ExportLink(BaseModel):
    """An export too large to answer inline: download it from `url` (no other credentials) within `expires_in`
    seconds."""

    url: str
    expires_in: int
    filename: str


def response_weight(body: bytes) -> int:
    """What a file weighs as a Lambda response, which carries it JSON-escaped (text) or base64-encoded (binary): the
    larger of the two, so that it fits either way. Escaping can multiply text by six (a control character becomes
    `\\u0001`), so the file's own size says too little."""
    return max(len(json.dumps(body.decode())), 4 * -(-len(body) // 3))


def export_key(tenant_id: str, chatbot_id: str, export_id: str, format: ExportFormat) -> str:
    """Where a large export waits for its download: with the chatbot's files, so erasing them erases it too."""
    return f"{files_prefix(tenant_id, chatbot_id)}exports/{export_id}.{format}"


def export_rows(
    conversation: Conversation, messages: Iterable[Message], feedback: Rating | None
) -> Iterator[dict[str, Any]]:
    """One row per message of the conversation, in order; with `feedback`, only the answers rated so, each after the
    question before it (what "export the negative feedback" asks for: what was asked, and the answer judged)."""
    question: Message | None = None
    for message in messages:
        if feedback is None:
            yield _row(conversation, message)
        elif message.role == "user":
            question = message
        elif message.feedback is not None and message.feedback.rating == feedback:
            if question is not None:
                yield _row(conversation, question)
                question = None
            yield _row(conversation, message)


def _row(conversation: Conversation, message: Message) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "started_by": conversation.started_by,
        "message_id": message.id,
        "role": message.role,
        "content": message.content,
        # Each cited file once, in the order first cited.
        "citations": list(dict.fromkeys(citation.filename for citation in message.citations)),
        "mode": message.mode,
        "degraded": message.degraded,
        "answerable": message.answerable,
        "latency_ms": message.latency_ms,
        "tokens": message.usage.total_tokens if message.usage else None,
        "feedback": message.feedback.rating if message.feedback else None,
        "feedback_comment": message.feedback.comment if message.feedback else None,
        "created_at": timestamp(message.created_at),
    }


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a leading apostrophe makes it
# text, and is not shown.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "; ".join(value) if isinstance(value, list) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_line(cells: Iterable[str]) -> bytes:
    # RFC 4180: CRLF between records; a field holding a comma, a quote or a line break is quoted, quotes doubled.
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(cells)
    return line.getvalue().encode()


def preamble(format: ExportFormat) -> bytes:
    """What a file starts with: for CSV, a byte order mark (so spreadsheets read UTF-8 as such) and the header."""
    return "\ufeff".encode() + _csv_line(COLUMNS) if format == "csv" else b""


def encode_row(format: ExportFormat, row: dict[str, Any]) -> bytes:
    """One row as a JSON Lines line (one object, unicode as is) or a CSV record (every cell as text)."""
    if format == "jsonl":
        return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    return _csv_line(_csv_cell(row[column]) for column in COLUMNS)
