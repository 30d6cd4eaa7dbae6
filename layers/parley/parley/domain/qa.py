"""Q&A pairs: a question its owner answered once, answered that way whenever a visitor asks it closely enough."""

from __future__ import annotations

import json
from dataclasses import dataclass

from parley.domain.chunking import MAX_CHUNK_BYTES
from parley.errors import UnreadableDocument


@dataclass(frozen=True)
class QaPair:
    question: str
    answer: str

    @property
    def passage(self) -> str:
        """The pair as a passage: what lexical search matches and a model reads when it is not answered directly."""
        return f"{self.question}\n\n{self.answer}"

    def data(self) -> bytes:
        """The bytes of the pair's document (kind "qa")."""
        return json.dumps({"question": self.question, "answer": self.answer}, ensure_ascii=False).encode()


def read_pair(data: bytes) -> QaPair:
    """The pair a qa document holds; raises UnreadableDocument when it is not one, or too long to be one chunk (a
    pair is never split: its answer is given whole)."""
    try:
        content = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnreadableDocument("The Q&A pair is not UTF-8 JSON") from error
    fields = content if isinstance(content, dict) else {}
    question, answer = fields.get("question"), fields.get("answer")
    if not isinstance(question, str) or not question.strip() or not isinstance(answer, str) or not answer.strip():
        raise UnreadableDocument('The Q&A pair needs a "question" and an "answer", both non-empty text')
    pair = QaPair(question.strip(), answer.strip())
    if len(pair.passage.encode()) > MAX_CHUNK_BYTES:
        raise UnreadableDocument(f"The Q&A pair is longer than {MAX_CHUNK_BYTES:,} bytes; shorten its answer")
    return pair
