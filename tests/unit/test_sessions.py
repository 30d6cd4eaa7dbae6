"""Sessions end at sign-out: only access tokens are accepted, and none issued before the user signed out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.accounts import RegisterRequest
from parley.domain.connections import Connection
from parley.errors import Unauthorized
from parley.services.accounts import AccountService, resolve_caller
from parley.services.sessions import Sessions

if TYPE_CHECKING:
    from tests.unit.conftest import (
        ClosingConnections,
        FakeIdentityProvider,
        InMemoryAccountStore,
        InMemoryConnectionStore,
    )


SIGNED_OUT = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
AT = int(SIGNED_OUT.timestamp())


def _connection(connection_id: str, tenant_id: str, caller: str) -> Connection:
    return Connection(
        id=connection_id,
        tenant_id=tenant_id,
        caller=caller,
        source_ip="203.0.113.7",
        connected_at=SIGNED_OUT,
        expires_at=AT + 7200,
    )


def _claims(user_id: str, iat: int, token_use: str = "access") -> dict[str, object]:
    # As API Gateway hands them over: strings.
    return {"sub": user_id, "iat": str(iat), "token_use": token_use}


@pytest.fixture
def users(accounts: AccountService) -> Any:
    ada = accounts.register(RegisterRequest(email="ada@example.com", password="correct-horse-1"))
    bob = accounts.register(RegisterRequest(email="bob@example.com", password="correct-horse-1"))
    return ada, bob


def test_an_id_token_is_refused(account_store: InMemoryAccountStore, users: Any) -> None:
    ada, _ = users

    with pytest.raises(Unauthorized, match="Only access tokens"):
        resolve_caller(account_store, _claims(ada.user.id, AT - 60, token_use="id"))


def test_tokens_issued_until_sign_out_are_refused_and_later_ones_accepted(
    identity: FakeIdentityProvider, account_store: InMemoryAccountStore, users: Any, sessions: Sessions
) -> None:
    # Given Ada, who signed out at AT
    ada, _ = users
    sessions.clock = lambda: SIGNED_OUT
    caller = resolve_caller(account_store, _claims(ada.user.id, AT - 600))

    sessions.sign_out(caller, "access-ada")

    # Then her tokens issued before (or in the same second) are refused, one issued after is accepted
    for issued in (AT - 600, AT):
        with pytest.raises(Unauthorized, match="session has ended"):
            resolve_caller(account_store, _claims(ada.user.id, issued))
    assert resolve_caller(account_store, _claims(ada.user.id, AT + 1)).user_id == ada.user.id
    # and her refresh tokens are revoked
    assert "access-ada" in identity.revoked


def test_sign_out_closes_only_the_users_own_connections(
    account_store: InMemoryAccountStore,
    users: Any,
    sessions: Sessions,
    connection_store: InMemoryConnectionStore,
    closing_connections: ClosingConnections,
) -> None:
    # Given Ada with two open chats, Bob with one, and a visitor of Ada's tenant
    ada, bob = users
    store = connection_store
    for connection in (
        _connection("ada-1=", ada.tenant.id, ada.user.id),
        _connection("ada-2=", ada.tenant.id, ada.user.id),
        _connection("bob-1=", bob.tenant.id, bob.user.id),
        _connection("visitor-1=", ada.tenant.id, "visitor:abcdefgh"),
    ):
        store.add(connection)
    closing = closing_connections
    sessions.clock = lambda: SIGNED_OUT

    # When Ada signs out
    sessions.sign_out(resolve_caller(account_store, _claims(ada.user.id, AT - 600)), "access-ada")

    # Then her connections are closed and forgotten; Bob's and the visitor's stay, and Bob's tokens still work
    assert sorted(closing.closed) == ["ada-1=", "ada-2="]
    assert sorted(connection_id for _, connection_id in store.items) == ["bob-1=", "visitor-1="]
    assert resolve_caller(account_store, _claims(bob.user.id, AT - 600)).user_id == bob.user.id
