from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from parley.api.deps import BearerToken, CurrentCaller, service
from parley.domain.accounts import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    Registration,
    Session,
    TokenRefresh,
    UserProfile,
)
from parley.services.accounts import AccountService
from parley.services.sessions import Sessions

AccountServiceDep = Annotated[AccountService, service(lambda c: c.accounts)]
SessionsDep = Annotated[Sessions, service(lambda c: c.sessions)]

router = APIRouter(prefix="/auth")


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterRequest, accounts: AccountServiceDep) -> Registration:
    """Create a user, their organization, and sign them in."""
    return accounts.register(body)


@router.post("/login")
def login(body: LoginRequest, accounts: AccountServiceDep) -> Session:
    return accounts.login(body)


@router.post("/refresh")
def refresh(body: RefreshRequest, accounts: AccountServiceDep) -> TokenRefresh:
    return TokenRefresh(tokens=accounts.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(caller: CurrentCaller, access_token: BearerToken, sessions: SessionsDep) -> Response:
    """End the caller's sessions everywhere: their tokens stop working and their open chats are closed."""
    sessions.sign_out(caller, access_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
def me(caller: CurrentCaller) -> UserProfile:
    return caller.profile
