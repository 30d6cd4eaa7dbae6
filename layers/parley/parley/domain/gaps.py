"""Knowledge gaps: the questions a chatbot could not answer (it abstained, the answer got a thumbs-down, or the
visitor asked for a person), grouped by meaning so that an owner sees what their documents miss, largest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from parley.domain.common import Model

if TYPE_CHECKING:
    import numpy as np

GapReason = Literal["abstained", "thumbs_down", "handoff"]
# A gaps request reads at most this many unanswered questions of its period (the most recent), and shows at most
# MAX_GROUPS groups (the largest).
MAX_QUESTIONS = 1000
MAX_GROUPS = 100
EXAMPLES = 3


class Gap(Model):
    """One question the chatbot could not answer, recorded when that became known."""

    chatbot_id: str
    conversation_id: str
    question: str
    reason: GapReason
    asked_at: datetime


class GapGroup(BaseModel):
    """Questions that ask the same thing: how often, a few of them, when last, and whether it is answered now."""

    question: str
    count: int
    examples: Annotated[list[str], Field(max_length=EXAMPLES)]
    last_asked: datetime
    reasons: dict[GapReason, int]
    # The first reply a member gave to one of these questions in a handoff: the answer to start a Q&A pair from.
    person_answer: str | None = None
    # A Q&A pair of the chatbot now answers this question directly.
    answered: bool = False


class GapList(BaseModel):
    days: int
    threshold: float
    items: Annotated[list[GapGroup], Field(max_length=MAX_GROUPS)]


def distinct(gaps: Sequence[Gap]) -> list[Gap]:
    """One gap per question of a conversation (an abstained question the visitor then rated down and handed to a
    person was asked once), the latest reason kept, in the order they were asked."""
    latest: dict[tuple[str, str], Gap] = {}
    for gap in sorted(gaps, key=lambda g: g.asked_at):
        latest[(gap.conversation_id, gap.question.strip().lower())] = gap
    return sorted(latest.values(), key=lambda g: g.asked_at)


def greedy_groups(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Indexes of `vectors` (unit rows) grouped greedily in order: each joins the group whose first member is most
    similar to it if that is at least `threshold`, or starts a group of its own."""
    import numpy as np

    groups: list[list[int]] = []
    for index in range(len(vectors)):
        leaders = np.array([vectors[group[0]] for group in groups]) if groups else None
        if leaders is not None:
            similarities = leaders @ vectors[index]
            best = int(similarities.argmax())
            if similarities[best] >= threshold:
                groups[best].append(index)
                continue
        groups.append([index])
    return groups


def unit_rows(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    import numpy as np

    rows = np.array(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)
