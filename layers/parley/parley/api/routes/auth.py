from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from parley.api.deps import BearerToken, Person, SourceIp, service
from parley.api.responses import errors
from parley.domain.accounts import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    Registration,
    Session,
    SignedInUser,
    TokenRefresh,
)
from parley.ports import AccountStore
from parley.services.accounts import AccountService, signed_in_user
from parley.services.sessions import Sessions

AccountServiceDep = Annotated[AccountService, service(lambda c: c.accounts)]
SessionsDep = Annotated[Sessions, service(lambda c: c.sessions)]
AccountStoreDep = Annotated[AccountStore, service(lambda c: c.account_store)]

router = APIRouter(prefix="/auth")


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 403, 404, 409, 410, 422, 429))
def register(body: RegisterRequest, accounts: AccountServiceDep) -> Registration:
    """Create a user and their organization, or with `invitation` join the inviting team; and sign them in."""
    return accounts.register(body)


@router.post("/login", responses=errors(400, 401, 403, 422, 429))
def login(body: LoginRequest, source_ip: SourceIp, accounts: AccountServiceDep) -> Session:
    """Sign in; failed sign-ins are limited per e-mail and per client address (429 with Retry-After)."""
    return accounts.login(body, source_ip)


@router.post("/refresh", responses=errors(400, 401, 422, 429))
def refresh(body: RefreshRequest, accounts: AccountServiceDep) -> TokenRefresh:
    return TokenRefresh(tokens=accounts.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 429))
def logout(caller: Person, access_token: BearerToken, sessions: SessionsDep) -> Response:
    """End the caller's sessions everywhere: their tokens stop working and their open chats are closed."""
    sessions.sign_out(caller, access_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", responses=errors(401, 403))
def me(caller: Person, accounts: AccountStoreDep) -> SignedInUser:
    """The signed-in person: their profile, role and organization."""
    assert caller.profile is not None
    return signed_in_user(accounts, caller.profile)
