"""The team's rules: who may join with which invitation, who may change whose role, and what removal ends."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.accounts import Caller, RegisterRequest
from parley.domain.chatbots import ChatbotCreate
from parley.domain.common import utcnow
from parley.domain.connections import Connection
from parley.domain.team import InvitationCreate
from parley.errors import (
    AlreadyInATeam,
    AlreadyMember,
    Forbidden,
    InvitationExpired,
    InvitationForAnotherEmail,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    TeamFull,
    Unauthorized,
)
from parley.services.accounts import AccountClosure, resolve_caller
from parley.services.chatbots import ChatbotService
from parley.services.team import TeamService

if TYPE_CHECKING:
    from tests.unit.conftest import (
        ClosingConnections,
        FakeIdentityProvider,
        InMemoryAccountStore,
        InMemoryChatbotStore,
        InMemoryConnectionStore,
        InMemoryTeamStore,
        RecordingErasureQueue,
    )


PASSWORD = "correct-horse-1"


def _caller(account_store: InMemoryAccountStore, user_id: str) -> Any:
    return resolve_caller(account_store, {"sub": user_id, "token_use": "access"})


@pytest.fixture
def owner(accounts: Any, account_store: InMemoryAccountStore) -> Any:
    registration = accounts.register(RegisterRequest(email="owner@example.com", password=PASSWORD))
    return _caller(account_store, registration.user.id)


def _invite(team: TeamService, inviter: Caller, email: str, role: str = "member") -> Any:
    return team.invitations.invite(inviter, InvitationCreate(email=email, role=role))


def _join_by_sign_up(accounts: Any, team: TeamService, inviter: Caller, email: str, role: str = "member") -> Any:
    code = _invite(team, inviter, email, role).code
    return accounts.register(RegisterRequest(email=email, password=PASSWORD, invitation=code))


def test_signing_up_with_an_invitation_joins_its_tenant_with_the_invited_role(
    accounts: Any, team: TeamService, owner: Any, account_store: InMemoryAccountStore
) -> None:
    # Given an invitation for Bea as an admin
    created = _invite(team, owner, "bea@example.com", "admin")
    assert [i.email for i in team.list(owner).invitations] == ["bea@example.com"]

    # When Bea signs up with it
    registration = accounts.register(
        RegisterRequest(email="bea@example.com", password=PASSWORD, invitation=created.code)
    )

    # Then she is an admin of the owner's tenant (no tenant of her own), and the invitation is used up
    assert (registration.tenant.id, registration.user.role) == (owner.tenant_id, "admin")
    assert registration.tokens is not None
    assert len(account_store.tenants) == 1
    listed = team.list(owner)
    assert [(m.email, m.role) for m in listed.members] == [("owner@example.com", "owner"), ("bea@example.com", "admin")]
    assert listed.invitations == []
    # and the code cannot be used again
    with pytest.raises(InvitationNotFound):
        accounts.register(RegisterRequest(email="bea@example.com", password=PASSWORD, invitation=created.code))


def test_an_invitation_is_only_for_its_email_and_until_it_expires(
    accounts: Any, team: TeamService, owner: Any, identity: FakeIdentityProvider
) -> None:
    code = _invite(team, owner, "bea@example.com").code

    with pytest.raises(InvitationForAnotherEmail):
        accounts.register(RegisterRequest(email="eve@example.com", password=PASSWORD, invitation=code))
    # A refused sign-up leaves no identity behind
    assert "eve@example.com" not in identity.users

    team.invitations.clock = lambda: utcnow() + timedelta(days=8)
    with pytest.raises(InvitationExpired):
        accounts.register(RegisterRequest(email="bea@example.com", password=PASSWORD, invitation=code))


@pytest.mark.parametrize("forged", ["nonsense", "a.b.c", "{tenant}.{invitation}.wrong-secret"])
def test_a_forged_or_tampered_code_is_not_found(accounts: Any, team: TeamService, owner: Any, forged: Any) -> None:
    created = _invite(team, owner, "bea@example.com")
    code = forged.format(tenant=owner.tenant_id, invitation=created.invitation.id)

    with pytest.raises(InvitationNotFound):
        accounts.register(RegisterRequest(email="bea@example.com", password=PASSWORD, invitation=code))


def test_inviting_a_member_again_is_refused(team: TeamService, owner: Any) -> None:
    with pytest.raises(AlreadyMember):
        _invite(team, owner, "owner@example.com")


def test_a_signed_in_person_with_an_empty_tenant_joins_and_their_old_tenant_is_erased(
    accounts: Any, team: TeamService, owner: Any, account_store: InMemoryAccountStore, erasures: RecordingErasureQueue
) -> None:
    # Given Cy, who signed up on his own (an empty tenant), and an invitation for him
    cy = accounts.register(RegisterRequest(email="cy@example.com", password=PASSWORD))
    code = _invite(team, owner, "cy@example.com").code

    # When he accepts it signed in
    member = team.join(_caller(account_store, cy.user.id), code)

    # Then he is a member of the owner's tenant, read so on his next request, and his old tenant is to be erased
    assert member.role == "member"
    moved = _caller(account_store, cy.user.id)
    assert (moved.tenant_id, moved.role) == (owner.tenant_id, "member")
    ((request, _),) = erasures.requests
    assert (request.tenant_id, request.users) == (cy.tenant.id, [])


def test_a_signed_in_person_whose_tenant_holds_a_chatbot_cannot_join(
    accounts: Any,
    team: TeamService,
    owner: Any,
    account_store: InMemoryAccountStore,
    chatbots: ChatbotService,
) -> None:
    cy = accounts.register(RegisterRequest(email="cy@example.com", password=PASSWORD))
    chatbots.create(cy.tenant.id, ChatbotCreate(name="Mine"))
    code = _invite(team, owner, "cy@example.com").code

    with pytest.raises(AlreadyInATeam):
        team.join(_caller(account_store, cy.user.id), code)
    assert _caller(account_store, cy.user.id).tenant_id == cy.tenant.id


def test_an_admin_cannot_make_or_unmake_owners_and_the_last_owner_stays(
    accounts: Any, team: TeamService, owner: Any, account_store: InMemoryAccountStore
) -> None:
    bea = _join_by_sign_up(accounts, team, owner, "bea@example.com", "admin")
    dan = _join_by_sign_up(accounts, team, owner, "dan@example.com")
    admin = _caller(account_store, bea.user.id)

    # An admin may promote a member to admin, but not to owner, nor touch the owner
    assert team.change_role(admin, dan.user.id, "admin").role == "admin"
    with pytest.raises(Forbidden):
        team.change_role(admin, dan.user.id, "owner")
    with pytest.raises(Forbidden):
        team.change_role(admin, owner.user_id, "member")
    # The owner cannot demote the last owner (themselves)
    with pytest.raises(LastOwner):
        team.change_role(owner, owner.user_id, "admin")
    # but may make a second owner, after which one of them may step down
    team.change_role(owner, bea.user.id, "owner")
    assert team.change_role(owner, owner.user_id, "admin").role == "admin"
    assert _caller(account_store, owner.user_id).role == "admin"


def test_transferring_ownership_makes_the_previous_owner_an_admin(
    accounts: Any, team: TeamService, owner: Any, account_store: InMemoryAccountStore
) -> None:
    dan = _join_by_sign_up(accounts, team, owner, "dan@example.com")

    assert team.transfer(owner, dan.user.id).role == "owner"

    assert _caller(account_store, dan.user.id).role == "owner"
    assert _caller(account_store, owner.user_id).role == "admin"


def test_removing_a_member_ends_their_sessions_and_deletes_their_sign_in(
    accounts: Any,
    team: TeamService,
    owner: Any,
    account_store: InMemoryAccountStore,
    identity: FakeIdentityProvider,
    connection_store: InMemoryConnectionStore,
    closing_connections: ClosingConnections,
) -> None:
    # Given Dan, a member with an open chat
    dan = _join_by_sign_up(accounts, team, owner, "dan@example.com")
    now = utcnow()
    connection_store.add(
        Connection(
            id="dan-1=", tenant_id=owner.tenant_id, caller=dan.user.id, source_ip="203.0.113.7", connected_at=now,
            expires_at=int(now.timestamp()) + 3600,
        )
    )  # fmt: skip

    # When the owner removes him
    team.remove(owner, dan.user.id)

    # Then his chat is closed, his tokens are refused and his sign-in is gone
    assert closing_connections.closed == ["dan-1="]
    with pytest.raises(Unauthorized):
        _caller(account_store, dan.user.id)
    assert "dan@example.com" not in identity.users
    assert [m.email for m in team.list(owner).members] == ["owner@example.com"]


def test_the_owner_cannot_be_removed_and_unknown_members_are_not_found(team: TeamService, owner: Any) -> None:
    with pytest.raises(Forbidden):
        team.remove(owner, owner.user_id)
    with pytest.raises(MemberNotFound):
        team.remove(owner, "not-a-user-id")
    with pytest.raises(MemberNotFound):
        team.change_role(owner, "5f0c8f36-3a4a-4b8e-9b0e-0c6a4f1f8e11", "admin")


def test_closing_an_account_erases_every_member(
    accounts: Any,
    team: TeamService,
    owner: Any,
    account_store: InMemoryAccountStore,
    identity: FakeIdentityProvider,
    chatbot_store: InMemoryChatbotStore,
    erasures: RecordingErasureQueue,
    team_store: InMemoryTeamStore,
) -> None:
    # Given a tenant of three
    for email in ("bea@example.com", "dan@example.com"):
        _join_by_sign_up(accounts, team, owner, email)

    # When the owner closes it
    AccountClosure(identity, account_store, team_store, chatbot_store, erasures).close(owner)

    # Then nobody of it can sign in or act, and the erasure covers all three
    assert identity.users == {}
    assert account_store.users == {}
    ((request, _),) = erasures.requests
    assert sorted(user.email for user in request.users) == ["bea@example.com", "dan@example.com", "owner@example.com"]


def test_a_team_has_a_bound_on_pending_invitations_and_members(
    accounts: Any, team: TeamService, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bounds of one pending invitation and two members
    monkeypatch.setattr("parley.services.team.MAX_PENDING_INVITATIONS", 1)
    monkeypatch.setattr("parley.services.team.MAX_MEMBERS", 2)
    _join_by_sign_up(accounts, team, owner, "bea@example.com")
    code = _invite(team, owner, "dan@example.com").code

    # Then a second pending invitation, and a third member, are refused
    with pytest.raises(TeamFull):
        _invite(team, owner, "eve@example.com")
    with pytest.raises(TeamFull):
        accounts.register(RegisterRequest(email="dan@example.com", password=PASSWORD, invitation=code))
