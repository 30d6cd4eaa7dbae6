"""Sources of a chatbot: websites, text snippets and Q&A pairs, and the pages of website sources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, PageQuery
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.common import is_id
from parley.domain.sources import SourceCreate, SourceList, SourcePage, SourcePageList, SourcePublic, SourceUpdate
from parley.errors import SourceNotFound
from parley.services.sources import SourceService

SourceServiceDep = Annotated[SourceService, service(lambda c: c.source_service)]

Reader = Annotated[Caller, allowed("documents:read")]
Manager = Annotated[Caller, allowed("documents:manage")]


def _source_id(source_id: Annotated[str, Path(description="32 hexadecimal digits, as Parley issued it")]) -> str:
    if not is_id(source_id):
        raise SourceNotFound()
    return source_id


SourceId = Annotated[str, Depends(_source_id)]

router = APIRouter(prefix="/chatbots/{chatbot_id}/sources", responses=errors(401, 403, 404))


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 422))
def create_source(
    chatbot_id: ChatbotId, body: SourceCreate, caller: Manager, sources: SourceServiceDep
) -> SourcePublic:
    """Add a website (its first sync starts at once), a text snippet or a Q&A pair. 402 over the plan's sources, or a
    website's max_pages over the plan's pages per source."""
    return sources.public(sources.create(caller.tenant_id, chatbot_id, body))


@router.get("", responses=errors(400, 422))
def list_sources(chatbot_id: ChatbotId, page: PageQuery, caller: Reader, sources: SourceServiceDep) -> SourceList:
    """The chatbot's sources, newest first."""
    found = sources.list(caller.tenant_id, chatbot_id, page)
    return SourceList(items=[sources.public(source) for source in found.items], next_cursor=found.next_cursor)


@router.get("/{source_id}")
def get_source(chatbot_id: ChatbotId, source_id: SourceId, caller: Reader, sources: SourceServiceDep) -> SourcePublic:
    return sources.public(sources.get(caller.tenant_id, chatbot_id, source_id))


@router.patch("/{source_id}", responses=errors(400, 402, 409, 422))
def update_source(
    chatbot_id: ChatbotId, source_id: SourceId, body: SourceUpdate, caller: Manager, sources: SourceServiceDep
) -> SourcePublic:
    """Change a snippet's title and text or a pair's question and answer (re-indexed in place, same document id; 409
    while its document is being indexed), or a website's max_pages, include and exclude (from its next sync on)."""
    return sources.public(sources.update(caller.tenant_id, chatbot_id, source_id, body))


@router.delete("/{source_id}", status_code=status.HTTP_202_ACCEPTED)
def delete_source(chatbot_id: ChatbotId, source_id: SourceId, caller: Manager, sources: SourceServiceDep) -> Response:
    """Delete the source; its documents, their files and vectors, and its pages are removed shortly after."""
    sources.delete(caller.tenant_id, chatbot_id, source_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post("/{source_id}/sync", status_code=status.HTTP_202_ACCEPTED, responses=errors(409))
def sync_source(chatbot_id: ChatbotId, source_id: SourceId, caller: Manager, sources: SourceServiceDep) -> SourcePublic:
    """Sync a website source now: changed pages are indexed again, gone ones removed, unchanged ones cost nothing.
    409 while a sync runs, and for snippets and pairs (nothing to sync)."""
    return sources.public(sources.sync(caller.tenant_id, chatbot_id, source_id))


@router.get("/{source_id}/pages", responses=errors(400, 422))
def list_pages(
    chatbot_id: ChatbotId, source_id: SourceId, page: PageQuery, caller: Reader, sources: SourceServiceDep
) -> SourcePageList:
    """The pages a website source's syncs found, with what became of each (skipped and failed ones with a reason)."""
    found = sources.pages(caller.tenant_id, chatbot_id, source_id, page)
    return SourcePageList(
        items=[SourcePage.model_validate(record.model_dump()) for record in found.items], next_cursor=found.next_cursor
    )
