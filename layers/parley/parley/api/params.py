"""Parameters several routes share: ids in the path, checked before anything is read, and pages of lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query

from parley.domain.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest, is_id, utcnow
from parley.domain.conversations import DEFAULT_DAYS, DayRange
from parley.errors import AnswerNotFound, ChatbotNotFound, ConversationNotFound, DocumentNotFound

_ID = "32 hexadecimal digits, as Parley issued it; anything else is not found"


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page, as it came")] = None,
) -> PageRequest:
    return PageRequest(limit, cursor)


# An id that cannot name anything answers as an unknown one does (404), without a lookup: DynamoDB refuses keys
# over its size limits, so an absurd id would otherwise be a 500.
def _chatbot_id(chatbot_id: Annotated[str, Path(description=_ID)]) -> str:
    if not is_id(chatbot_id):
        raise ChatbotNotFound()
    return chatbot_id


def _document_id(document_id: Annotated[str, Path(description=_ID)]) -> str:
    if not is_id(document_id):
        raise DocumentNotFound()
    return document_id


def _conversation_id(conversation_id: Annotated[str, Path(description=_ID)]) -> str:
    if not is_id(conversation_id):
        raise ConversationNotFound()
    return conversation_id


_FROM = Query(alias="from", description=f"First UTC day, included (default: {DEFAULT_DAYS} days up to `to`)")
_TO = Query(alias="to", description="Last UTC day, included (default: today)")


def _days(first: Annotated[date | None, _FROM] = None, last: Annotated[date | None, _TO] = None) -> DayRange:
    return DayRange.of(first, last, today=utcnow().date())


def _days_if_asked(
    first: Annotated[date | None, _FROM] = None, last: Annotated[date | None, _TO] = None
) -> DayRange | None:
    return None if first is None and last is None else _days(first, last)


def _message_id(message_id: Annotated[str, Path(description=_ID)]) -> str:
    if not is_id(message_id):
        raise AnswerNotFound()
    return message_id


PageQuery = Annotated[PageRequest, Depends(_page)]
# Conversations started on a range of days (a year at most); `DaysIfAsked` is None when neither end is given.
Days = Annotated[DayRange, Depends(_days)]
DaysIfAsked = Annotated[DayRange | None, Depends(_days_if_asked)]
ChatbotId = Annotated[str, Depends(_chatbot_id)]
DocumentId = Annotated[str, Depends(_document_id)]
ConversationId = Annotated[str, Depends(_conversation_id)]
MessageId = Annotated[str, Depends(_message_id)]
