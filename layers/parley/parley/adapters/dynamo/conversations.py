"""Conversations of a chatbot and their messages, written together in one transaction."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.analytics import tally_update
from parley.adapters.dynamo.gaps import gap_item
from parley.adapters.dynamo.table import Table, record
from parley.domain.analytics import Tally
from parley.domain.common import Page, PageRequest, timestamp
from parley.domain.conversations import Conversation, Feedback, Message
from parley.domain.feedback import StoredAnswer
from parley.domain.gaps import Gap


class DynamoConversationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Conversation | None:
        item = self.table.get(keys.tenant(tenant_id), keys.conversation(chatbot_id, conversation_id))
        return Conversation.model_validate(item) if item else None

    def messages(self, tenant_id: str, conversation_id: str, page: PageRequest) -> Page[Message]:
        prefix = keys.messages(conversation_id)
        return self.table.query_page(keys.tenant(tenant_id), prefix, page, Message.model_validate)

    def recent_messages(self, tenant_id: str, conversation_id: str, limit: int) -> list[Message]:
        latest = self.table.query_prefix(
            keys.tenant(tenant_id), keys.messages(conversation_id), newest_first=True, limit=limit, consistent=True
        )
        return [Message.model_validate(item) for item in reversed(list(latest))]

    def append(
        self,
        conversation: Conversation,
        messages: Sequence[Message],
        *,
        new: bool,
        tally: Tally,
        gaps: Sequence[Gap] = (),
    ) -> None:
        pk = keys.tenant(conversation.tenant_id)
        sk = keys.conversation(conversation.chatbot_id, conversation.id)
        if new:
            head: dict[str, Any] = {"Put": self.table.new_item(record(conversation, PK=pk, SK=sk))}
        else:
            head = {
                "Update": self.table.update_request(
                    pk,
                    sk,
                    "SET updated_at = :now ADD message_count :added",
                    condition="attribute_exists(PK)",
                    values={":now": timestamp(conversation.updated_at), ":added": len(messages)},
                )
            }
        puts = [
            {
                "Put": self.table.new_item(
                    record(
                        message,
                        PK=pk,
                        SK=keys.message(conversation.id, timestamp(message.created_at), message.id),
                    )
                )
            }
            for message in messages
        ]
        # Each answer's question is the user message before it, if this append holds it (a person's reply has none).
        questions = {
            answer.id: asked.content
            for asked, answer in itertools.pairwise(messages)
            if asked.role == "user" and answer.role == "assistant"
        }
        refs = [
            {
                "Put": self.table.new_item(
                    {
                        "PK": pk,
                        "SK": keys.answer_ref(conversation.chatbot_id, message.id),
                        "conversation_id": conversation.id,
                        "created_at": timestamp(message.created_at),
                        "started_by": conversation.started_by,
                        "question": questions.get(message.id),
                    }
                )
            }
            for message in messages
            if message.role == "assistant"
        ]
        found = [{"Put": self.table.new_item(gap_item(conversation.tenant_id, gap))} for gap in gaps]
        counts = (
            [{"Update": tally_update(self.table, conversation.tenant_id, conversation.chatbot_id, tally)}]
            if tally.add
            else []
        )
        self.table.write_all([head, *puts, *refs, *found, *counts])

    def answer(self, tenant_id: str, chatbot_id: str, message_id: str) -> StoredAnswer | None:
        ref = self.table.get(keys.tenant(tenant_id), keys.answer_ref(chatbot_id, message_id))
        if ref is None:
            return None
        sk = keys.message(str(ref["conversation_id"]), str(ref["created_at"]), message_id)
        item = self.table.get(keys.tenant(tenant_id), sk)
        if item is None:
            return None
        started_by, question = ref.get("started_by"), ref.get("question")
        return StoredAnswer(
            Message.model_validate(item),
            str(started_by) if started_by is not None else None,
            str(question) if question is not None else None,
        )

    def rate(self, tenant_id: str, chatbot_id: str, answer: Message, feedback: Feedback, tally: Tally) -> bool:
        sk = keys.message(answer.conversation_id, timestamp(answer.created_at), answer.id)
        before = answer.feedback.rating if answer.feedback else None
        # The rating replaced must still be the one the tally was computed from, or the counts would drift.
        unchanged = "attribute_not_exists(feedback)" if before is None else "feedback.rating = :before"
        update = self.table.update_request(
            keys.tenant(tenant_id),
            sk,
            "SET feedback = :feedback",
            condition=f"attribute_exists(PK) AND {unchanged}",
            values={":feedback": feedback.model_dump(mode="json"), ":before": before},
        )
        items = [{"Update": update}]
        if tally.add:
            items.append({"Update": tally_update(self.table, tenant_id, chatbot_id, tally)})
        return self.table.transact(items) is None

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Conversation]:
        prefix = keys.conversations(chatbot_id)
        return self.table.query_page(
            keys.tenant(tenant_id), prefix, page, Conversation.model_validate, newest_first=True
        )

    def started_between(
        self,
        tenant_id: str,
        chatbot_id: str,
        start: datetime,
        end: datetime,
        page: PageRequest,
        *,
        newest_first: bool = False,
    ) -> Page[Conversation]:
        # The upper bound is the bare id prefix of `end`: it sorts before every id issued at `end`.
        bounds = (keys.conversations_started(chatbot_id, start), keys.conversations_started(chatbot_id, end))
        return self.table.query_page(
            keys.tenant(tenant_id),
            keys.conversations(chatbot_id),
            page,
            Conversation.model_validate,
            newest_first=newest_first,
            between=bounds,
        )

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        # Messages first: the conversations are what finds them again if this is interrupted.
        for item in self.table.query_prefix(keys.tenant(tenant_id), keys.conversations(chatbot_id)):
            self.table.erase(keys.tenant(tenant_id), keys.messages(str(item["id"])))
        self.table.erase(keys.tenant(tenant_id), keys.answer_refs(chatbot_id))
        self.table.erase(keys.tenant(tenant_id), keys.analytics_days(chatbot_id))
        self.table.erase(keys.tenant(tenant_id), keys.chatbot_handoffs(chatbot_id))
        self.table.erase(keys.tenant(tenant_id), keys.gaps(chatbot_id))
        self.table.erase(keys.tenant(tenant_id), keys.conversations(chatbot_id))
