"""A chatbot's analytics for a range of days, read from its day counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from parley.domain.analytics import DEFAULT_DAYS, MAX_DAYS, Analytics
from parley.domain.common import utcnow
from parley.errors import ValidationFailed
from parley.ports import AnalyticsStore, ChatbotStore
from parley.services.chatbots import find_chatbot


class AnalyticsService:
    def __init__(
        self, chatbots: ChatbotStore, analytics: AnalyticsStore, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.chatbots = chatbots
        self.analytics = analytics
        self.clock = clock

    def days(self, tenant_id: str, chatbot_id: str, first: date | None, last: date | None) -> Analytics:
        """Each day from `first` to `last` (UTC, both included); by default the last 30 days up to today."""
        find_chatbot(self.chatbots, tenant_id, chatbot_id)
        last = last or self.clock().date()
        if first is None:
            # The calendar's first days have no 30 days before them.
            first = last - timedelta(days=DEFAULT_DAYS - 1) if last.toordinal() >= DEFAULT_DAYS else date.min
        if first > last:
            raise ValidationFailed("from: must not be after to")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"from, to: at most {MAX_DAYS} days at a time")
        return Analytics(days=self.analytics.days(tenant_id, chatbot_id, first, last))
