"""Sources and the pages of website sources, with the conditional writes that make a sync's end exact: a page is
claimed once per sync, ended once, and every claim and end moves the source's count of pages outstanding with it,
in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record, set_clause
from parley.domain.common import Page, PageRequest, timestamp
from parley.domain.sources import PageRecord, PageStatus, Source, url_hash

Claim = Literal["queued", "taken", "refused"]
_LIVE = "attribute_exists(PK) AND attribute_not_exists(deleted_at)"
# A sync's claims and ends hold only while it runs.
_SYNCING = "#sync_id = :sync AND #status = :syncing"
# A page's end holds only while this sync still has it to crawl.
_PENDING = "#sync_id = :sync AND #status IN (:queued, :fetching)"
# Not in this sync yet: a page unknown, or last found by another sync.
_NOT_IN_SYNC = "attribute_not_exists(PK) OR #sync_id <> :sync"
_NAMES = {"#sync_id": "sync_id", "#status": "status"}
_CLAIM = "SET #sync_id = :sync, #status = :queued, #depth = :depth, #url = :url, #parent = :parent REMOVE #reason"


def _live_source(item: Mapping[str, Any] | None) -> Source | None:
    if not item or item.get("deleted_at"):
        return None
    return Source.model_validate(item)


def _page(item: Mapping[str, Any] | None) -> PageRecord | None:
    return PageRecord.model_validate(item) if item else None


def _due(source: Source, due_at: datetime) -> dict[str, str]:
    return {
        keys.LOOKUP_PK: keys.sources_due(),
        keys.LOOKUP_SK: keys.source_due(timestamp(due_at), source.tenant_id, source.chatbot_id, source.id),
    }


class DynamoSourceStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, source: Source) -> tuple[str, str]:
        return keys.tenant(source.tenant_id), keys.source(source.chatbot_id, source.id)

    def _page_key(self, source: Source, url: str) -> tuple[str, str]:
        return keys.tenant(source.tenant_id), keys.source_page(source.chatbot_id, source.id, url_hash(url))

    def add(self, source: Source) -> None:
        due = _due(source, source.sync_deadline) if source.sync_deadline else {}
        pk, sk = self._key(source)
        self.table.put(record(source, PK=pk, SK=sk, **due), new=True)

    def get(self, tenant_id: str, chatbot_id: str, source_id: str, *, deleted: bool = False) -> Source | None:
        """The live source, or (`deleted`) one deleted and not erased yet."""
        item = self.table.get(keys.tenant(tenant_id), keys.source(chatbot_id, source_id))
        return Source.model_validate(item) if item and deleted else _live_source(item)

    def update(self, source: Source, changes: Mapping[str, Any]) -> Source | None:
        """Apply `changes` to a live source; None when it is gone."""
        return self._update(source, changes)

    def _update(
        self, source: Source, changes: Mapping[str, Any], condition: str = "", values: Mapping[str, Any] | None = None
    ) -> Source | None:
        """Apply `changes` to a live source (and only if `condition`, on its sync, holds); None when it does not."""
        expression, names, change_values = set_clause(changes)
        updated = self.table.update(
            *self._key(source),
            expression,
            condition=_LIVE + (f" AND ({condition})" if condition else ""),
            # Only the names the condition uses: DynamoDB refuses a request that names an attribute it never uses.
            names={**names, **{name: value for name, value in _NAMES.items() if name in condition}},
            values={**change_values, **(values or {})},
            returns="ALL_NEW",
        )
        return _live_source(updated)

    def start_sync(self, source: Source, sync_id: str, deadline: datetime, now: datetime) -> Source | None:
        """Begin sync `sync_id` (its start outstanding), unless one is under way; None if one is."""
        changes = {
            "status": "syncing",
            "sync_id": sync_id,
            "sync_deadline": timestamp(deadline),
            "outstanding": 1,
            "counts": {"found": 0, "indexed": 0, "failed": 0, "skipped": 0},
            "error": None,
            "updated_at": timestamp(now),
            **_due(source, deadline),
        }
        return self._update(source, changes, "#status <> :syncing", {":syncing": "syncing"})

    def end_sync(self, source: Source, sync_id: str, changes: Mapping[str, Any]) -> Source | None:
        """End sync `sync_id` with `changes` (its outcome), once; due again at `next_sync_at` if it has one."""
        ended = dict(changes)
        next_sync_at = changes.get("next_sync_at")
        ended.update(
            _due(source, datetime.fromisoformat(next_sync_at))
            if next_sync_at
            else {keys.LOOKUP_PK: None, keys.LOOKUP_SK: None}
        )
        return self._update(source, ended, _SYNCING, {":sync": sync_id, ":syncing": "syncing"})

    def soft_delete(self, source: Source, now: datetime) -> bool:
        """Hide the source (and take it out of the schedule's index); False if it was gone already."""
        changes = {
            "deleted_at": timestamp(now),
            "updated_at": timestamp(now),
            keys.LOOKUP_PK: None,
            keys.LOOKUP_SK: None,
        }
        expression, names, values = set_clause(changes)
        hidden = self.table.update(*self._key(source), expression, condition=_LIVE, names=names, values=values)
        return hidden is not None

    def due(self, before: datetime) -> list[Source]:
        """Website sources due by `before`: to sync again, or with a sync past its deadline."""
        due = self.table.lookup(keys.sources_due(), below=timestamp(before))
        return [source for item in due if (source := _live_source(item))]

    def all(self, tenant_id: str, chatbot_id: str) -> list[Source]:
        """Every source of the chatbot, deleted ones included."""
        items = self.table.query_prefix(keys.tenant(tenant_id), keys.sources(chatbot_id))
        return [Source.model_validate(item) for item in items]

    def erase_source(self, tenant_id: str, chatbot_id: str, source_id: str) -> None:
        self.table.erase(keys.tenant(tenant_id), keys.source_pages(chatbot_id, source_id))
        self.table.erase(keys.tenant(tenant_id), keys.source(chatbot_id, source_id))

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        """Every source of a chatbot, and their pages."""
        self.table.erase(keys.tenant(tenant_id), keys.source_pages(chatbot_id))
        self.table.erase(keys.tenant(tenant_id), keys.sources(chatbot_id))

    # Pages of website sources.

    def page(self, source: Source, url: str) -> PageRecord | None:
        return _page(self.table.get(*self._page_key(source, url)))

    def pages(self, source: Source) -> list[PageRecord]:
        items = self.table.query_prefix(keys.tenant(source.tenant_id), keys.source_pages(source.chatbot_id, source.id))
        return [PageRecord.model_validate(item) for item in items]

    def list_pages(self, source: Source, page: PageRequest) -> Page[PageRecord]:
        prefix = keys.source_pages(source.chatbot_id, source.id)
        return self.table.query_page(keys.tenant(source.tenant_id), prefix, page, _page)

    def claim_page(self, source: Source, sync_id: str, url: str, depth: int, parent: str) -> Claim:
        """Count `url` into sync `sync_id` (queued, outstanding) unless it is in it already (taken), or the sync has
        found its max_pages or ended (refused)."""
        claim = self.table.update_request(
            *self._page_key(source, url),
            _CLAIM,
            condition=_NOT_IN_SYNC,
            names={**_NAMES, "#depth": "depth", "#url": "url", "#reason": "reason", "#parent": "parent"},
            values={":sync": sync_id, ":queued": "queued", ":depth": depth, ":url": url, ":parent": parent},
        )
        count = self._count(source, sync_id, outstanding=1, count="found", limit=source.max_pages)
        if self._transact([{"Update": claim}, count]):
            return "queued"
        current = self.page(source, url)
        return "taken" if current is not None and current.sync_id == sync_id else "refused"

    def skip_page(self, source: Source, sync_id: str, url: str, reason: str) -> bool:
        """Record `url` as skipped in sync `sync_id` without crawling it (it is not outstanding), unless the sync has
        it already."""
        skipped = self.table.update(
            *self._page_key(source, url),
            "SET #sync_id = :sync, #status = :skipped, #url = :url, #reason = :reason",
            condition=_NOT_IN_SYNC,
            names={**_NAMES, "#url": "url", "#reason": "reason"},
            values={":sync": sync_id, ":skipped": "skipped", ":url": url, ":reason": reason},
        )
        return skipped is not None

    def start_page(self, source: Source, sync_id: str, url: str, now: datetime) -> PageRecord | None:
        """The page, marked fetching, while sync `sync_id` still has it to crawl; None once it ended (a message
        delivered again)."""
        started = self.table.update(
            *self._page_key(source, url),
            "SET #status = :fetching, fetched_at = :now",
            condition=_PENDING,
            names=_NAMES,
            values={":sync": sync_id, ":queued": "queued", ":fetching": "fetching", ":now": timestamp(now)},
            returns="ALL_NEW",
        )
        return _page(started)

    def finish_page(self, source: Source, page: PageRecord) -> bool:
        """End a page of sync `page.sync_id` as `page` says, once: its outcome counted and its place given back."""
        status: PageStatus = page.status
        pk, sk = self._page_key(source, page.url)
        end = self.table.put_request(
            record(page, PK=pk, SK=sk),
            condition=_PENDING,
            names=_NAMES,
            values={":sync": page.sync_id, ":queued": "queued", ":fetching": "fetching"},
        )
        count = status if status != "removed" else None
        return self._transact([{"Put": end}, self._count(source, page.sync_id, outstanding=-1, count=count)])

    def _transact(self, items: list[Any]) -> bool:
        """Write `items` together; False if a condition failed. Every claim and end of a sync updates its source, so
        they conflict: the table retries those (and past its attempts, SQS delivers the message again)."""
        return self.table.transact(items) is None

    def finish_start(self, source: Source, sync_id: str) -> bool:
        """End the start of sync `sync_id` (its sitemaps read, or its first page queued), once."""
        ended = self.table.update(
            *self._key(source),
            "ADD outstanding :minus SET started = :sync",
            condition=f"{_SYNCING} AND (attribute_not_exists(started) OR started <> :sync)",
            names=_NAMES,
            values={":minus": -1, ":sync": sync_id, ":syncing": "syncing"},
        )
        return ended is not None

    def put_page(self, source: Source, page: PageRecord) -> None:
        pk, sk = self._page_key(source, page.url)
        self.table.put(record(page, PK=pk, SK=sk))

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Source]:
        return self.table.query_page(
            keys.tenant(tenant_id), keys.sources(chatbot_id), page, _live_source, newest_first=True
        )

    def _count(
        self, source: Source, sync_id: str, *, outstanding: int, count: str | None, limit: int | None = None
    ) -> dict[str, Any]:
        """The source's side of a page's claim or end: outstanding and a count moved, while the sync runs."""
        expression = "ADD outstanding :step"
        names = dict(_NAMES)
        values: dict[str, Any] = {":step": outstanding, ":sync": sync_id, ":syncing": "syncing"}
        condition = _SYNCING
        if count is not None:
            expression += " SET #counts.#count = #counts.#count + :one"
            names |= {"#counts": "counts", "#count": count}
            values[":one"] = 1
        if limit is not None:
            condition += " AND #counts.#count < :limit"
            values[":limit"] = limit
        update = self.table.update_request(
            *self._key(source), expression, condition=condition, names=names, values=values
        )
        return {"Update": update}

    def take_crawl_slot(self, tenant_id: str, slots: int, holder: str, now: int, hold_seconds: int) -> int | None:
        for slot in range(slots):
            taken = self.table.update(
                keys.tenant(tenant_id),
                keys.crawl_slot(slot),
                "SET held_until = :until, holder = :holder",
                condition="attribute_not_exists(PK) OR held_until < :now",
                values={":until": now + hold_seconds, ":holder": holder, ":now": now},
            )
            if taken is not None:
                return slot
        return None

    def give_back_crawl_slot(self, tenant_id: str, slot: int, holder: str) -> None:
        self.table.update(
            keys.tenant(tenant_id),
            keys.crawl_slot(slot),
            "SET held_until = :free",
            condition="holder = :holder",
            values={":free": 0, ":holder": holder},
        )
