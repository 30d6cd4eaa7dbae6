"""The export's rows and its two file formats: CSV safe in a spreadsheet and RFC 4180 quoted, JSON Lines one object a
line; and which conversations a request covers."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from parley.domain.conversations import Citation, Conversation, DayRange, Feedback, Message, Usage
from parley.domain.exports import (
    COLUMNS,
    ExportRequest,
    encode_row,
    export_rows,
    preamble,
    response_weight,
)
from parley.errors import ValidationFailed

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONVERSATION = Conversation(
    id="c" * 32,
    tenant_id="t" * 32,
    chatbot_id="b" * 32,
    title="t",
    started_by="visitor:v1",
    created_at=AT,
    updated_at=AT,
)


def _message(role: str, content: str, number: int, **fields: object) -> Message:
    return Message.model_validate(
        {
            "id": f"{number:032x}",
            "conversation_id": CONVERSATION.id,
            "role": role,
            "content": content,
            "created_at": AT,
            **fields,
        }
    )


def _answer(content: str, number: int, rating: str | None = None, comment: str | None = None) -> Message:
    feedback = Feedback(rating=rating, comment=comment, at=AT) if rating else None
    citation = Citation(document_id="d" * 32, filename="guide.pdf", chunk_id="d#0", score=0.9, snippet="s")
    return _message(
        "assistant",
        content,
        number,
        citations=[citation, citation.model_copy(update={"chunk_id": "d#1"})],
        mode="extractive",
        latency_ms=120,
        usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
        feedback=feedback,
    )


def _csv(rows: list[dict[str, object]]) -> list[list[str]]:
    data = preamble("csv") + b"".join(encode_row("csv", row) for row in rows)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_row_per_message_carries_who_what_and_how_it_was_answered() -> None:
    messages = [_message("user", "Where is the guide?", 1), _answer("In the hall.", 2, "down", "wrong hall")]

    question, answer = export_rows(CONVERSATION, messages, None)

    assert question["role"] == "user"
    assert question["started_by"] == "visitor:v1"
    assert answer == {
        "conversation_id": CONVERSATION.id,
        "started_by": "visitor:v1",
        "message_id": f"{2:032x}",
        "role": "assistant",
        "content": "In the hall.",
        "citations": ["guide.pdf"],
        "mode": "extractive",
        "degraded": False,
        "answerable": True,
        "latency_ms": 120,
        "tokens": 15,
        "feedback": "down",
        "feedback_comment": "wrong hall",
        "created_at": "2026-03-01T12:00:00Z",
    }
    assert list(answer) == list(COLUMNS)


def test_a_feedback_filter_keeps_the_rated_answers_each_after_its_question() -> None:
    messages = [
        _message("user", "q1", 1),
        _answer("a1", 2, "up"),
        _message("user", "q2", 3),
        _answer("a2", 4, "down"),
        _message("user", "q3", 5),
        _answer("a3", 6),
        _message("user", "q4", 7),
        _answer("a4", 8, "down"),
    ]

    kept = [row["content"] for row in export_rows(CONVERSATION, messages, "down")]

    assert kept == ["q2", "a2", "q4", "a4"]
    assert [row["content"] for row in export_rows(CONVERSATION, messages, "up")] == ["q1", "a1"]


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_cells_a_spreadsheet_would_run_as_formulas_become_text(dangerous: str) -> None:
    row = export_rows(CONVERSATION, [_message("user", dangerous, 1)], None)

    (header, record) = _csv(list(row))

    cell = record[header.index("content")]
    assert cell == f"'{dangerous}"


def test_csv_quotes_commas_quotes_and_line_breaks_as_rfc_4180_says() -> None:
    content = 'He said "yes", then\r\nleft; déjà vu ☕ 日本'
    rows = list(export_rows(CONVERSATION, [_message("user", content, 1), _answer("ok", 2, "up")], None))

    data = preamble("csv") + b"".join(encode_row("csv", row) for row in rows)
    header, question, answer = _csv(rows)

    # Records end in CRLF; the field holding quotes, a comma and a line break is quoted, its quotes doubled.
    assert data.endswith(b"\r\n")
    assert '"He said ""yes"", then\r\nleft; déjà vu ☕ 日本"'.encode() in data
    assert header == list(COLUMNS)
    assert question[header.index("content")] == content
    assert answer[header.index("citations")] == "guide.pdf"
    assert answer[header.index("degraded")] == "false"
    assert answer[header.index("feedback_comment")] == ""


def test_json_lines_are_one_object_a_line_with_unicode_as_is() -> None:
    content = "line one\nline two ☕ 日本 \u2028"
    rows = list(export_rows(CONVERSATION, [_message("user", content, 1), _answer("=1+1", 2)], None))

    data = preamble("jsonl") + b"".join(encode_row("jsonl", row) for row in rows)

    lines = data.decode().split("\n")
    assert lines[-1] == ""
    parsed = [json.loads(line) for line in lines[:-1]]
    assert [row["content"] for row in parsed] == [content, "=1+1"]  # JSON needs no formula guard
    assert "☕ 日本" in lines[0]
    assert parsed[1]["citations"] == ["guide.pdf"]
    assert parsed[1]["feedback"] is None


def test_a_range_defaults_to_the_last_30_days_and_covers_whole_utc_days() -> None:
    days = DayRange.of(None, None, today=date(2026, 3, 31))

    assert (days.first, days.last) == (date(2026, 3, 2), date(2026, 3, 31))
    assert days.start == datetime(2026, 3, 2, tzinfo=UTC)
    assert days.end == datetime(2026, 4, 1, tzinfo=UTC)
    assert ExportRequest("csv", days).filename("b" * 32) == f"conversations-{'b' * 32}-2026-03-02-to-2026-03-31.csv"
    assert ExportRequest("jsonl", days, "down").filename("b").endswith("-2026-03-31-down.jsonl")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "from (2026-03-02) is after to (2026-03-01)"),
        (date(2025, 1, 1), date(2026, 3, 1), "at most 366 days"),
    ],
)
def test_a_reversed_or_too_long_range_is_refused(first: date, last: date, expected: str) -> None:
    with pytest.raises(ValidationFailed, match=re.escape(expected)):
        DayRange.of(first, last, today=date(2026, 3, 31))


@pytest.mark.parametrize(
    ("body", "weight"),
    [
        (b"plain ascii", 16),  # base64 outweighs escaped ASCII (13, with the quotes)
        ("☕".encode() * 10, 62),  # three bytes each, six escaped
        (b"\x01" * 30, 182),  # one byte each, six escaped
    ],
)
def test_a_files_weight_in_a_response_is_its_larger_encoding(body: bytes, weight: int) -> None:
    assert response_weight(body) == weight
