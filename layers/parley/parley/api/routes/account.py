from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from parley.api.deps import allowed, service
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.services.accounts import AccountClosure

AccountClosureDep = Annotated[AccountClosure, service(lambda c: c.account_closure)]

router = APIRouter(prefix="/account")


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 429))
def delete_account(caller: Annotated[Caller, allowed("tenant:delete")], closure: AccountClosureDep) -> Response:
    """Close the caller's organization: their sign-in ends now; its chatbots, documents, files, vectors and
    conversations are erased shortly after."""
    closure.close(caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
