from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from parley.api.deps import allowed, service
from parley.api.params import PageQuery
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyPublic
from parley.domain.common import is_id
from parley.errors import ApiKeyNotFound
from parley.services.api_keys import ApiKeys

ApiKeysDep = Annotated[ApiKeys, service(lambda c: c.api_keys)]
Owner = Annotated[Caller, allowed("keys:manage")]


def _key_id(key_id: Annotated[str, Path(description="32 hexadecimal digits; anything else is not found")]) -> str:
    if not is_id(key_id):
        raise ApiKeyNotFound()
    return key_id


router = APIRouter(prefix="/api-keys", responses=errors(401, 403))


def _public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(key.model_dump())


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 404, 422))
def create_api_key(body: ApiKeyCreate, caller: Owner, keys: ApiKeysDep) -> ApiKeyCreated:
    """Create a key for server-to-server calls (`Authorization: Bearer sk_…`), optionally limited to one chatbot.
    The key is in this response only: Parley keeps its hash."""
    return keys.create(caller.tenant_id, body)


@router.get("", responses=errors(400, 422))
def list_api_keys(page: PageQuery, caller: Owner, keys: ApiKeysDep) -> ApiKeyList:
    found = keys.list(caller.tenant_id, page)
    return ApiKeyList(items=[_public(key) for key in found.items], next_cursor=found.next_cursor)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def revoke_api_key(key_id: Annotated[str, Depends(_key_id)], caller: Owner, keys: ApiKeysDep) -> Response:
    """Revoke the key: requests carrying it are refused from now on."""
    keys.revoke(caller.tenant_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
