"""Handoff to a person: a visitor asks for one, the tenant's signed-in members are told at once over the WebSocket
API, exactly one member takes the conversation and answers, and the bot stays silent on it until it is handed back.

Nothing waits for the deadline: a handoff nobody took is read as `unanswered` once it has passed (the visitor's widget
asks again then), and a member can no longer take it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from parley.domain.analytics import Tally, first_reply_tally, handoff_tally
from parley.domain.chatbots import Chatbot
from parley.domain.common import new_id, timestamp, utcnow
from parley.domain.connections import Connection
from parley.domain.conversations import Conversation, Message, MessagePublic
from parley.domain.frames import HandoffFrame, InboxFrame, PersonFrame, VisitorFrame
from parley.domain.gaps import Gap
from parley.domain.handoff import INBOX_SIZE, Handoff, HandoffPublic, Inbox
from parley.errors import ConversationNotFound, HandoffConflict, HandoffNotFound, StreamInterrupted
from parley.observability import logger, record
from parley.ports import ChatbotStore, Connections, ConnectionStore, ConversationStore, GapStore, HandoffStore
from parley.services.chatbots import find_chatbot

# The messages read to show the inbox the visitor's question and the bot's last answer.
RECENT_MESSAGES = 6
# In the inbox: people are waiting first (longest first), then conversations a member holds, then the unanswered.
_INBOX_ORDER = {"waiting_for_human": 0, "with_human": 1, "unanswered": 2}


class Handoffs:
    def __init__(
        self,
        chatbots: ChatbotStore,
        conversations: ConversationStore,
        handoffs: HandoffStore,
        connection_store: ConnectionStore,
        connections: Connections,
        *,
        gaps: GapStore,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.conversations = conversations
        self.handoffs = handoffs
        self.gaps = gaps
        self.connection_store = connection_store
        self.connections = connections
        self.now = now

    # A visitor's side (the chatbot is the one their publishable key and Origin opened).

    def ask_for_person(self, chatbot: Chatbot, conversation_id: str, visitor: str) -> HandoffFrame:
        """Put the visitor's conversation in the tenant's inbox, waiting for a member until the chatbot's timeout; if
        no member is signed in, it is unanswered at once. Asking again while it waits or is held changes nothing."""
        conversation = self._visitors_conversation(chatbot, conversation_id, visitor)
        now = self.now()
        current = self.handoffs.get(chatbot.tenant_id, chatbot.id, conversation.id)
        if current is not None and current.holds_bot(now):
            return self._frame(current, now)
        members = self.connection_store.of_members(chatbot.tenant_id)
        recent = self.conversations.recent_messages(chatbot.tenant_id, conversation.id, RECENT_MESSAGES)
        question = next((m.content for m in reversed(recent) if m.role == "user"), conversation.title)
        answer = next((m.content for m in reversed(recent) if m.role == "assistant" and m.person is None), None)
        handoff = Handoff(
            tenant_id=chatbot.tenant_id,
            chatbot_id=chatbot.id,
            conversation_id=conversation.id,
            visitor=visitor,
            status="waiting_for_human",
            question=question,
            last_answer=answer,
            requested_at=now,
            wait_until=now + timedelta(seconds=chatbot.handoff_timeout_seconds) if members else now,
            updated_at=now,
        )
        self.handoffs.put(handoff, handoff_tally(now.date()))
        gap = Gap(
            chatbot_id=chatbot.id, conversation_id=conversation.id, question=question, reason="handoff", asked_at=now
        )
        self.gaps.add(chatbot.tenant_id, gap)
        record("Handoffs", outcome="waiting" if members else "nobody_online", tenant_id=chatbot.tenant_id)
        self._tell_members(chatbot.tenant_id, InboxFrame(handoff=HandoffPublic.of(handoff, now)), members)
        return self._frame(handoff, now, members_online=bool(members))

    def visitor_writes(self, chatbot: Chatbot, conversation_id: str | None, visitor: str, text: str) -> Message:
        """Store a visitor's message the bot does not answer (a person is awaited or answering, or it asks for one),
        in a new conversation if none is named; the tenant's members see it at once."""
        now = self.now()
        if conversation_id is None:
            conversation = Conversation(
                id=new_id(),
                tenant_id=chatbot.tenant_id,
                chatbot_id=chatbot.id,
                title=text[:80],
                started_by=visitor,
                created_at=now,
                updated_at=now,
            )
        else:
            conversation = self._visitors_conversation(chatbot, conversation_id, visitor)
        message = Message(id=new_id(), conversation_id=conversation.id, role="user", content=text, created_at=now)
        self._append(conversation, message, new=conversation_id is None)
        frame = VisitorFrame(chatbot_id=chatbot.id, conversation_id=conversation.id, message_id=message.id, text=text)
        self._tell_members(chatbot.tenant_id, frame)
        return message

    def status(self, chatbot: Chatbot, conversation_id: str, visitor: str) -> HandoffFrame:
        """Where the visitor's handoff stands now (a waiting one past its deadline is unanswered)."""
        handoff = self._visitors_handoff(chatbot, conversation_id, visitor)
        now = self.now()
        return self._frame(handoff, now)

    def leave_contact(self, chatbot: Chatbot, conversation_id: str, visitor: str, email: str) -> HandoffFrame:
        """Keep the address a visitor leaves on their handoff, for the members to write to (Parley sends nothing)."""
        handoff = self._visitors_handoff(chatbot, conversation_id, visitor)
        now = self.now()
        handoff = self.handoffs.leave_contact(handoff, email, now)
        self._tell_members(chatbot.tenant_id, InboxFrame(handoff=HandoffPublic.of(handoff, now)))
        return self._frame(handoff, now)

    # A member's side (the tenant is the one of their verified token).

    def inbox(self, tenant_id: str) -> Inbox:
        """The tenant's handoffs a member can act on or follow up: waiting, held, and unanswered ones."""
        now = self.now()
        shown = [
            HandoffPublic.of(handoff, now)
            for handoff in self.handoffs.of_tenant(tenant_id)
            if handoff.state(now) in _INBOX_ORDER
        ]
        shown.sort(key=lambda item: (_INBOX_ORDER[item.status], item.requested_at))
        return Inbox(items=shown[:INBOX_SIZE])

    def member_status(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> HandoffFrame:
        """Where a handoff of the member's tenant stands (another tenant's is not found)."""
        return self._frame(self._members_handoff(tenant_id, chatbot_id, conversation_id), self.now())

    def take(self, tenant_id: str, chatbot_id: str, conversation_id: str, member: str) -> HandoffPublic:
        """Give the waiting conversation to `member`, and to nobody else: a second member gets a conflict."""
        handoff = self._members_handoff(tenant_id, chatbot_id, conversation_id)
        now = self.now()
        taken = self.handoffs.take(handoff, member, now)
        if taken is None:
            current = self._members_handoff(tenant_id, chatbot_id, conversation_id)
            if current.status == "with_human" and current.taken_by == member:
                return HandoffPublic.of(current, now)
            raise HandoffConflict(_conflict(current, now))
        record("HandoffsTaken", tenant_id=tenant_id)
        public = HandoffPublic.of(taken, now)
        self._tell_visitor(taken, self._frame(taken, now))
        self._tell_members(tenant_id, InboxFrame(handoff=public))
        return public

    def reply(self, tenant_id: str, chatbot_id: str, conversation_id: str, member: str, text: str) -> MessagePublic:
        """Store the member's message in the conversation they hold and push it to the visitor, marked as a person's."""
        handoff = self._held_by(tenant_id, chatbot_id, conversation_id, member)
        now = self.now()
        conversation = self.conversations.get(tenant_id, chatbot_id, conversation_id)
        if conversation is None:
            raise HandoffNotFound()
        message = Message(
            id=new_id(),
            conversation_id=conversation_id,
            role="assistant",
            content=text,
            person=member,
            created_at=now,
        )
        first = handoff.first_reply_at is None
        wait_ms = round((now - handoff.requested_at).total_seconds() * 1000)
        self._append(conversation, message, new=False, tally=first_reply_tally(now.date(), wait_ms) if first else None)
        if first:
            self.handoffs.replied(handoff, text, now)
            record("TimeToFirstHumanReply", wait_ms, tenant_id=tenant_id)
        self._tell_visitor(handoff, PersonFrame(conversation_id=conversation_id, message_id=message.id, text=text))
        return MessagePublic.model_validate(message.model_dump())

    def hand_back(
        self, tenant_id: str, chatbot_id: str, conversation_id: str, member: str, *, close: bool
    ) -> HandoffPublic:
        """End the member's hold: the bot answers the conversation's next question again."""
        handoff = self._held_by(tenant_id, chatbot_id, conversation_id, member)
        now = self.now()
        ended = self.handoffs.hand_back(handoff, member, "closed" if close else "bot", now)
        if ended is None:
            raise HandoffConflict("You no longer hold this conversation")
        public = HandoffPublic.of(ended, now)
        self._tell_visitor(ended, self._frame(ended, now))
        self._tell_members(tenant_id, InboxFrame(handoff=public))
        return public

    # Helpers.

    def _visitors_conversation(self, chatbot: Chatbot, conversation_id: str, visitor: str) -> Conversation:
        conversation = self.conversations.get(chatbot.tenant_id, chatbot.id, conversation_id)
        # Another visitor's conversation looks like none at all.
        if conversation is None or conversation.started_by != visitor:
            raise ConversationNotFound()
        return conversation

    def _visitors_handoff(self, chatbot: Chatbot, conversation_id: str, visitor: str) -> Handoff:
        handoff = self.handoffs.get(chatbot.tenant_id, chatbot.id, conversation_id)
        if handoff is None or handoff.visitor != visitor:
            raise HandoffNotFound()
        return handoff

    def _members_handoff(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Handoff:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        handoff = self.handoffs.get(tenant_id, chatbot_id, conversation_id)
        if handoff is None:
            raise HandoffNotFound()
        return handoff

    def _held_by(self, tenant_id: str, chatbot_id: str, conversation_id: str, member: str) -> Handoff:
        handoff = self._members_handoff(tenant_id, chatbot_id, conversation_id)
        if handoff.status != "with_human" or handoff.taken_by != member:
            raise HandoffConflict(_conflict(handoff, self.now()))
        return handoff

    def _append(self, conversation: Conversation, message: Message, *, new: bool, tally: Tally | None = None) -> None:
        changed = conversation.model_copy(
            update={"updated_at": message.created_at, "message_count": conversation.message_count + 1}
        )
        # A person's or an unanswered visitor's message counts no question or answer of the bot (a member's first
        # reply counts its wait).
        counted = tally or Tally(message.created_at.date(), {})
        self.conversations.append(changed, [message], new=new, tally=counted)

    def _frame(self, handoff: Handoff, now: datetime, *, members_online: bool | None = None) -> HandoffFrame:
        return HandoffFrame(
            conversation_id=handoff.conversation_id,
            status=handoff.state(now),
            wait_until=timestamp(handoff.wait_until),
            members_online=members_online,
            contact_email=handoff.contact_email,
        )

    def _tell_visitor(self, handoff: Handoff, frame: BaseModel) -> None:
        self._push(self.connection_store.of_caller(handoff.tenant_id, handoff.visitor), frame.model_dump(mode="json"))

    def _tell_members(self, tenant_id: str, frame: BaseModel, members: Iterable[Connection] | None = None) -> None:
        online = self.connection_store.of_members(tenant_id) if members is None else members
        self._push(online, frame.model_dump(mode="json"))

    def _push(self, connections: Iterable[Connection], frame: Mapping[str, Any]) -> None:
        for connection in connections:
            try:
                self.connections.send(connection.id, frame)
            except StreamInterrupted:
                # Gone without a $disconnect: its record expires on its own (TTL).
                logger.info("A handoff push found the connection gone")


def _conflict(handoff: Handoff, now: datetime) -> str:
    match handoff.state(now):
        case "with_human":
            return "Another member has taken this conversation"
        case "unanswered":
            return "Nobody took this conversation in time; the visitor was told"
        case _:
            return "This conversation is not waiting for a person"
