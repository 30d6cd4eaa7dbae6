"""Chat over WebSocket: the connection records, and answers streamed as frames.

Frames, in order: `start`, `token`…, `citations`, `done`; or one `error` (ARCHITECTURE.md §6). A `feedback` frame
rates an answer and is answered by one `feedback` frame (or an `error`).

A visitor may ask for a person (`requestPerson`, or in words the bot recognises); while a person is awaited or
answering, the visitor's messages are stored and pushed to the tenant's members, and answered by a `handoff` frame
instead of the bot. A member's connection receives `inbox` and `visitor` frames (parley.services.handoffs).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError

from parley.domain.common import utcnow
from parley.domain.connections import CONNECTION_LIFETIME_SECONDS, Connection, SendMessage
from parley.domain.conversations import QueryRequest, QueryResult
from parley.domain.feedback import GiveFeedback
from parley.domain.frames import (
    CitationsFrame,
    DoneFrame,
    ErrorFrame,
    FeedbackFrame,
    HandoffFrame,
    StartFrame,
    TokenFrame,
)
from parley.domain.handoff import HandoffCheck, LeaveContact, RequestPerson, wants_person
from parley.errors import (
    ConversationHeld,
    InternalError,
    InvalidInput,
    ParleyError,
    RateLimited,
    StreamInterrupted,
    Unauthorized,
    UnknownAction,
    ValidationFailed,
    validation_message,
)
from parley.observability import logger, record, record_refusal
from parley.ports import AccountStore, Connections, ConnectionStore
from parley.services.admission import Admission
from parley.services.answers import AnswerService
from parley.services.feedback import FeedbackService
from parley.services.handoffs import Handoffs
from parley.services.public_chat import PublicChat, Visitor

# Tokens are sent at most this often (seconds): a long answer costs tens of posts, not one per token.
TOKEN_INTERVAL = 0.05


class FrameStream:
    """An answer's frames to one connection, tokens coalesced; once the client is gone, every send raises."""

    def __init__(
        self, connections: Connections, connection_id: str, *, interval: float, clock: Callable[[], float]
    ) -> None:
        self.connections = connections
        self.connection_id = connection_id
        self.interval = interval
        self.clock = clock
        self.gone = False
        self._pending: list[str] = []
        self._last_token_at = -math.inf

    def started(self, conversation_id: str, message_id: str) -> None:
        self._send(StartFrame(conversation_id=conversation_id, message_id=message_id))

    def token(self, text: str) -> None:
        self._pending.append(text)
        # The first piece goes at once (it is what makes chat feel instant); later ones wait for the interval.
        if self.clock() - self._last_token_at >= self.interval:
            self._flush()

    def finish(self, result: QueryResult) -> None:
        self._flush()
        self._send(CitationsFrame(citations=result.citations))
        self._send(
            DoneFrame(usage=result.usage, mode=result.mode, degraded=result.degraded, answerable=result.answerable)
        )

    def error(self, error: ParleyError) -> None:
        self._flush()  # the words of an answer cut short come before the error that ends it
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        self._send(ErrorFrame(code=error.code, message=error.public_message, retry_after=retry_after))

    def _flush(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._send(TokenFrame(text=text))
            self._last_token_at = self.clock()

    def rated(self, rating: GiveFeedback) -> None:
        self._send(FeedbackFrame(message_id=rating.message_id, rating=rating.rating))

    def handoff(self, frame: HandoffFrame) -> None:
        self._send(frame)

    def _send(
        self, frame: StartFrame | TokenFrame | CitationsFrame | DoneFrame | ErrorFrame | FeedbackFrame | HandoffFrame
    ) -> None:
        if self.gone:
            raise StreamInterrupted(self.connection_id)
        try:
            self.connections.send(self.connection_id, frame.model_dump(mode="json"))
        except StreamInterrupted:
            self.gone = True
            raise


class LiveChat:
    def __init__(
        self,
        store: ConnectionStore,
        connections: Connections,
        public_chat: PublicChat,
        answers: AnswerService,
        accounts: AccountStore,
        *,
        feedback: FeedbackService,
        handoffs: Handoffs,
        interval: float = TOKEN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.connections = connections
        self.public_chat = public_chat
        self.answers = answers
        self.accounts = accounts
        self.feedback = feedback
        self.handoffs = handoffs
        self.interval = interval
        self.clock = clock
        self.now = now

    def open(self, connection_id: str, admission: Admission, address: str) -> Connection:
        """After the authorizer allowed it: remember the connection (TTL removes it if $disconnect never comes)."""
        now = self.now()
        connection = Connection(
            id=connection_id,
            tenant_id=admission.tenant_id,
            caller=admission.caller,
            public_key=admission.public_key or None,
            origin=admission.origin or None,
            token_issued_at=None if admission.public_key else admission.token_issued_at,
            source_ip=address,
            connected_at=now,
            expires_at=int(now.timestamp()) + CONNECTION_LIFETIME_SECONDS,
        )
        self.store.add(connection)
        record("WebSocketConnections", tenant_id=admission.tenant_id)
        return connection

    def close(self, tenant_id: str, connection_id: str) -> None:
        self.store.remove(tenant_id, connection_id)

    def receive(self, tenant_id: str, connection_id: str, body: str | None) -> None:
        """One client frame: a question answered as a stream of frames, a rating acknowledged, or an error frame;
        never an exception."""
        frames = FrameStream(self.connections, connection_id, interval=self.interval, clock=self.clock)
        try:
            try:
                message = _parse(body)
                if isinstance(message, GiveFeedback):
                    self._rate(tenant_id, connection_id, message)
                    frames.rated(message)
                elif isinstance(message, SendMessage):
                    self._send_message(tenant_id, connection_id, message, frames)
                else:
                    frames.handoff(self._handoff(tenant_id, connection_id, message))
            except StreamInterrupted:
                raise
            except ParleyError as error:
                record_refusal(error)
                frames.error(error)
            except Exception:
                logger.exception("WebSocket message failed")
                frames.error(InternalError())
        except StreamInterrupted:
            # The client left mid-answer: what was written is stored (interrupted); the connection is over.
            logger.info("WebSocket client gone; answer stopped")
            self.close(tenant_id, connection_id)

    def _send_message(self, tenant_id: str, connection_id: str, message: SendMessage, frames: FrameStream) -> None:
        """A question: answered by the bot, or, on a visitor's conversation a person holds (or when the visitor asks
        for one in words), stored for the person and acknowledged by a `handoff` frame."""
        connection = self._connection(tenant_id, connection_id)
        request = QueryRequest(question=message.question, conversation_id=message.conversation_id)
        if connection.public_key is None:
            self._check_session(connection)
            frames.finish(
                self.answers.ask(tenant_id, message.chatbot_id, request, user_id=connection.caller, listener=frames)
            )
            return
        visitor = Visitor.tagged(connection.caller, connection.source_ip)
        chatbot = self.public_chat.chatbot(connection.public_key, connection.origin, message.chatbot_id)
        if wants_person(message.question):
            stored = self.handoffs.visitor_writes(chatbot, message.conversation_id, visitor.tag, message.question)
            frames.handoff(self.handoffs.ask_for_person(chatbot, stored.conversation_id, visitor.tag))
            return
        try:
            result = self.public_chat.ask(
                connection.public_key, connection.origin, visitor, request, chatbot_id=chatbot.id, listener=frames
            )
        except ConversationHeld:
            stored = self.handoffs.visitor_writes(chatbot, message.conversation_id, visitor.tag, message.question)
            status = self.handoffs.status(chatbot, stored.conversation_id, visitor.tag)
            frames.handoff(status.model_copy(update={"message_id": stored.id}))
            return
        frames.finish(result)

    def _handoff(
        self, tenant_id: str, connection_id: str, message: RequestPerson | LeaveContact | HandoffCheck
    ) -> HandoffFrame:
        """A visitor asks for a person, asks where that stands, or leaves an address; a member may ask where a
        handoff of their tenant stands."""
        connection = self._connection(tenant_id, connection_id)
        if connection.public_key is None:
            self._check_session(connection)
            if not isinstance(message, HandoffCheck):
                raise InvalidInput("Only a visitor of a public chat asks for a person")
            return self.handoffs.member_status(tenant_id, message.chatbot_id, message.conversation_id)
        chatbot = self.public_chat.chatbot(connection.public_key, connection.origin, message.chatbot_id)
        visitor = connection.caller
        match message:
            case RequestPerson():
                return self.handoffs.ask_for_person(chatbot, message.conversation_id, visitor)
            case LeaveContact():
                return self.handoffs.leave_contact(chatbot, message.conversation_id, visitor, message.email)
            case HandoffCheck():
                return self.handoffs.status(chatbot, message.conversation_id, visitor)

    def _rate(self, tenant_id: str, connection_id: str, message: GiveFeedback) -> None:
        connection = self._connection(tenant_id, connection_id)
        if connection.public_key is not None:
            visitor = Visitor.tagged(connection.caller, connection.source_ip)
            self.feedback.rate_publicly(
                connection.public_key,
                connection.origin,
                visitor,
                message.message_id,
                message,
                chatbot_id=message.chatbot_id,
            )
        else:
            self._check_session(connection)
            self.feedback.rate(tenant_id, message.chatbot_id, message.message_id, message)

    def _connection(self, tenant_id: str, connection_id: str) -> Connection:
        connection = self.store.get(tenant_id, connection_id)
        if connection is None:
            raise Unauthorized("This connection has ended; connect again")
        return connection

    def _check_session(self, connection: Connection) -> None:
        # Sign-out closes the user's connections; this refuses a message that races it, or a connection opened
        # with an old token while sign-out was under way.
        profile = self.accounts.get_user(connection.caller)
        if profile is None or profile.signed_out_since(connection.token_issued_at or 0):
            raise Unauthorized("This session has ended; sign in again")


ClientMessage = SendMessage | GiveFeedback | RequestPerson | LeaveContact | HandoffCheck

_CLIENT_FRAMES: dict[str, type[ClientMessage]] = {
    "sendMessage": SendMessage,
    "feedback": GiveFeedback,
    "requestPerson": RequestPerson,
    "leaveContact": LeaveContact,
    "handoffStatus": HandoffCheck,
}


def _parse(body: str | None) -> ClientMessage:
    try:
        frame = json.loads(body or "")
    except ValueError as error:
        raise InvalidInput("Frames are JSON objects") from error
    if not isinstance(frame, dict):
        raise InvalidInput("Frames are JSON objects")
    kind = _CLIENT_FRAMES.get(str(frame.get("action")))
    if kind is None:
        raise UnknownAction(f"Unknown action {frame.get('action')!r}; the actions are {', '.join(_CLIENT_FRAMES)}")
    try:
        return kind.model_validate(frame)
    except ValidationError as error:
        raise ValidationFailed(validation_message(error.errors())) from error
