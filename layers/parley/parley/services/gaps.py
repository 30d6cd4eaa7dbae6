"""Knowledge gaps of a chatbot: the questions of a period it could not answer, grouped by meaning (embedding
similarity, greedily, from a threshold measured per embedding model), largest first, each marked answered once a
Q&A pair of the chatbot answers it directly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from parley.domain.common import utcnow
from parley.domain.documents import QA_TYPE
from parley.domain.gaps import (
    EXAMPLES,
    MAX_GROUPS,
    MAX_QUESTIONS,
    GapGroup,
    GapList,
    distinct,
    greedy_groups,
    unit_rows,
)
from parley.ports import ChatbotStore, DocumentStore, Embedder, GapStore, HandoffStore
from parley.services.chatbots import find_chatbot


class KnowledgeGaps:
    def __init__(
        self,
        chatbots: ChatbotStore,
        gaps: GapStore,
        handoffs: HandoffStore,
        documents: DocumentStore,
        embedder: Embedder,
        *,
        threshold: float,
        qa_threshold: float | None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.gaps = gaps
        self.handoffs = handoffs
        self.documents = documents
        self.embedder = embedder
        self.threshold = threshold
        # A group is answered when a pair's question is this close to it (a pair answers only as a passage where the
        # deployment measured no Q&A threshold: then the grouping threshold says it covers the gap).
        self.answered_threshold = qa_threshold if qa_threshold is not None else threshold
        self.now = now

    def list(self, tenant_id: str, chatbot_id: str, days: int) -> GapList:
        """The gaps of the last `days` days, largest group first (most recently asked first among equals)."""
        chatbot = find_chatbot(self.chatbots, tenant_id, chatbot_id)
        found = distinct(self.gaps.since(tenant_id, chatbot.id, self.now() - timedelta(days=days), MAX_QUESTIONS))
        if not found:
            return GapList(days=days, threshold=self.threshold, items=[])
        pairs = [
            document.filename
            for document in self.documents.all(tenant_id, chatbot.id)
            if document.content_type == QA_TYPE.content_type and document.deleted_at is None
        ]
        vectors = unit_rows(self.embedder.embed_documents([gap.question for gap in found] + pairs))
        questions, pair_questions = vectors[: len(found)], vectors[len(found) :]
        replies = {
            handoff.conversation_id: handoff.first_reply
            for handoff in self.handoffs.of_tenant(tenant_id)
            if handoff.chatbot_id == chatbot.id and handoff.first_reply
        }
        groups = []
        for members in greedy_groups(questions, self.threshold):
            asked = [found[index] for index in members]
            newest_first = sorted(asked, key=lambda gap: gap.asked_at, reverse=True)
            answered = bool(pairs) and float((pair_questions @ questions[members[0]]).max()) >= self.answered_threshold
            groups.append(
                GapGroup(
                    question=asked[0].question,
                    count=len(asked),
                    examples=[gap.question for gap in newest_first[:EXAMPLES]],
                    last_asked=newest_first[0].asked_at,
                    reasons=dict(Counter(gap.reason for gap in asked)),
                    person_answer=next(
                        (replies[g.conversation_id] for g in asked if g.conversation_id in replies), None
                    ),
                    answered=answered,
                )
            )
        groups.sort(key=lambda group: (group.count, group.last_asked), reverse=True)
        return GapList(days=days, threshold=self.threshold, items=groups[:MAX_GROUPS])
