"""Exports of a chatbot's conversations: read in pages, written as they are read, answered inline while small and
as a download link beyond that."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import TypeVar

from parley.domain.common import MAX_PAGE_SIZE, Page, PageRequest, new_id
from parley.domain.conversations import Conversation, Message
from parley.domain.exports import (
    CONTENT_TYPES,
    ExportLink,
    ExportRequest,
    encode_row,
    export_key,
    export_rows,
    preamble,
    response_weight,
)
from parley.errors import ExportTooLarge
from parley.observability import logger
from parley.ports import ChatbotStore, ConversationStore, ExportFiles, TeamStore
from parley.services.chatbots import find_chatbot

T = TypeVar("T")


@dataclass(frozen=True)
class ExportFile:
    """An export small enough to be the response itself."""

    body: bytes
    content_type: str
    filename: str


class ConversationExports:
    def __init__(
        self,
        chatbots: ChatbotStore,
        conversations: ConversationStore,
        files: ExportFiles,
        team: TeamStore,
        *,
        inline_max_bytes: int,
        max_conversations: int,
        link_ttl: int,
    ) -> None:
        self.chatbots = chatbots
        self.conversations = conversations
        self.files = files
        self.team = team
        self.inline_max_bytes = inline_max_bytes
        self.max_conversations = max_conversations
        self.link_ttl = link_ttl

    def export(self, tenant_id: str, chatbot_id: str, request: ExportRequest) -> ExportFile | ExportLink:
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        started = self._started(tenant_id, chatbot_id, request)
        # Who started each conversation, as a person reads it: a member's e-mail address (a visitor keeps their tag,
        # a member who has left the team their user id).
        emails = {member.id: member.email for member in self.team.members(tenant_id)} if started else {}
        content_type, filename = CONTENT_TYPES[request.format], request.filename(chatbot_id)
        rows = 0
        # In memory while it could still be the response; spilled to a temporary file once it cannot.
        with SpooledTemporaryFile(max_size=self.inline_max_bytes) as out:
            out.write(preamble(request.format))
            for conversation in started:
                messages = self._messages(tenant_id, conversation)
                shown = conversation.model_copy(
                    update={"started_by": emails.get(conversation.started_by or "", conversation.started_by)}
                )
                for row in export_rows(shown, messages, request.feedback):
                    out.write(encode_row(request.format, row))
                    rows += 1
            size = out.tell()
            out.seek(0)
            # Raw bytes first (escaping only adds to them), then the weight in the response itself.
            body = out.read() if size <= self.inline_max_bytes else None
            if body is not None and response_weight(body) <= self.inline_max_bytes:
                logger.info("Exported conversations inline", extra={"rows": rows, "bytes": size})
                return ExportFile(body, content_type, filename)
            out.seek(0)
            key = export_key(tenant_id, chatbot_id, new_id(), request.format)
            self.files.store(key, out, content_type, filename)
        logger.info("Exported conversations to a link", extra={"rows": rows, "bytes": size})
        return ExportLink(url=self.files.link(key, self.link_ttl), expires_in=self.link_ttl, filename=filename)

    def _started(self, tenant_id: str, chatbot_id: str, request: ExportRequest) -> list[Conversation]:
        """The conversations started in the range, oldest first; more than one export reads is refused before any
        message is read."""
        found: list[Conversation] = []
        start, end = request.days.start, request.days.end
        for conversation in _every_item(
            lambda page: self.conversations.started_between(tenant_id, chatbot_id, start, end, page)
        ):
            found.append(conversation)
            if len(found) > self.max_conversations:
                raise ExportTooLarge(
                    f"More than {self.max_conversations} conversations started in this range; export at most that "
                    "many at once by narrowing from and to"
                )
        return found

    def _messages(self, tenant_id: str, conversation: Conversation) -> Iterator[Message]:
        """The conversation's messages, oldest first, read a page at a time as they are written out."""
        return _every_item(lambda page: self.conversations.messages(tenant_id, conversation.id, page))


def _every_item(fetch: Callable[[PageRequest], Page[T]]) -> Iterator[T]:
    """Every item of a paged listing, read a page (of the largest size) at a time."""
    cursor: str | None = None
    while True:
        page = fetch(PageRequest(MAX_PAGE_SIZE, cursor))
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
