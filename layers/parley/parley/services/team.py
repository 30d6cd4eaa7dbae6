"""A tenant's team: inviting people, letting them in, changing their roles, handing over ownership, removing them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.accounts import Caller, UserProfile
from parley.domain.common import is_id, utcnow
from parley.domain.erasure import ErasureRequest
from parley.domain.roles import Role
from parley.domain.team import (
    MAX_MEMBERS,
    MAX_PENDING_INVITATIONS,
    InvitationCreate,
    InvitationCreated,
    Member,
    StoredInvitation,
    Team,
    is_user_id,
    new_invitation,
    parse_code,
)
from parley.errors import (
    AlreadyInATeam,
    AlreadyMember,
    Forbidden,
    InvalidInput,
    InvitationExpired,
    InvitationForAnotherEmail,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    TeamFull,
)
from parley.observability import logger
from parley.ports import ChatbotStore, ErasureQueue, IdentityProvider, TeamStore
from parley.services.quotas import Quotas
from parley.services.sessions import Sessions


class Invitations:
    """Who may come in: invitations, and the one way a person joins a team (what sign-up needs, without the rest
    of the team's machinery)."""

    def __init__(self, team: TeamStore, quotas: Quotas, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.team = team
        self.quotas = quotas
        self.clock = clock

    def invite(self, caller: Caller, request: InvitationCreate) -> InvitationCreated:
        """An invitation to the caller's tenant with its code, shown this once (no e-mail is sent: the inviter
        passes the accept link on)."""
        if any(member.email == request.email for member in self.team.members(caller.tenant_id)):
            raise AlreadyMember("This person is a member already")
        if len(self.team.invitations(caller.tenant_id)) >= MAX_PENDING_INVITATIONS:
            raise TeamFull(f"A team has at most {MAX_PENDING_INVITATIONS} pending invitations; withdraw some first")
        invitation, code = new_invitation(caller.tenant_id, request.email, request.role, caller.user_id, self.clock())
        self.team.invite(invitation)
        logger.info("Invitation created", extra={"role": request.role})
        return InvitationCreated(invitation=invitation.public(), code=code)

    def withdraw(self, caller: Caller, invitation_id: str) -> None:
        if not is_id(invitation_id) or not self.team.withdraw(caller.tenant_id, invitation_id):
            raise InvitationNotFound()

    def invitation_for(self, code: str, email: str) -> StoredInvitation:
        """The pending invitation `code` stands for, if it is meant for `email`."""
        parsed = parse_code(code)
        invitation = self.team.invitation(parsed[0], parsed[1]) if parsed else None
        if parsed is None or invitation is None or not invitation.matches(parsed[2]):
            raise InvitationNotFound()
        if invitation.expired(self.clock()):
            raise InvitationExpired("This invitation has expired; ask for a new one")
        if invitation.email != email:
            raise InvitationForAnotherEmail("This invitation is for another e-mail address")
        return invitation

    def admit(self, profile: UserProfile, invitation: StoredInvitation, *, leaving: str | None = None) -> Member:
        """The one way a person joins a team (signed up or signed in with an invitation); the invitation is used up
        at the same time; the plan's member limit holds here (402 when it is reached)."""
        if len(self.team.members(invitation.tenant_id)) >= MAX_MEMBERS:
            raise TeamFull(f"A team has at most {MAX_MEMBERS} members")
        joined = profile.model_copy(update={"tenant_id": invitation.tenant_id, "role": invitation.role})
        now = self.clock()
        self.quotas.acquire(invitation.tenant_id, "members")
        try:
            self.team.admit(joined, now, invitation.id, leaving=leaving)
        except BaseException:
            self.quotas.release(invitation.tenant_id, "members")
            raise
        logger.info("Member joined", extra={"tenant_id": invitation.tenant_id, "role": invitation.role})
        return Member.of(joined, now)


class TeamService:
    def __init__(
        self,
        team: TeamStore,
        invitations: Invitations,
        chatbots: ChatbotStore,
        identity: IdentityProvider,
        *,
        sessions: Sessions,
        erasures: ErasureQueue,
    ) -> None:
        self.team = team
        self.invitations = invitations
        self.chatbots = chatbots
        self.identity = identity
        self.sessions = sessions
        self.erasures = erasures

    def list(self, caller: Caller) -> Team:
        """The members in the order they joined (their items are keyed by user id), and the pending invitations."""
        members = sorted(self.team.members(caller.tenant_id), key=lambda member: member.joined_at)
        return Team(members=members, invitations=self.team.invitations(caller.tenant_id))

    def join(self, caller: Caller, code: str) -> Member:
        """A signed-in person accepts an invitation. Their own tenant must hold nothing (no chatbot, no other
        member): it is then erased and they move; otherwise 409, as joining would leave it or its data behind."""
        assert caller.profile is not None
        invitation = self.invitations.invitation_for(code, caller.profile.email)
        if invitation.tenant_id == caller.tenant_id:
            raise AlreadyMember("You are a member of this team already")
        others = [member for member in self.team.members(caller.tenant_id) if member.id != caller.user_id]
        if others or self.chatbots.ids(caller.tenant_id):
            raise AlreadyInATeam(
                "You belong to a team that has chatbots or other members; delete it or leave it before joining another"
            )
        member = self.invitations.admit(caller.profile, invitation, leaving=caller.tenant_id)
        self.erasures.request(ErasureRequest(tenant_id=caller.tenant_id))
        return member

    def change_role(self, caller: Caller, user_id: str, role: Role) -> Member:
        """Only an owner makes or unmakes owners; the last owner stays one. Takes effect on the member's next
        request (the profile is read per request)."""
        member = self._member(caller, user_id)
        if role == member.role:
            return member
        if "owner" in (role, member.role) and caller.role != "owner":
            raise Forbidden("Only an owner can make or unmake owners")
        other_owner = None
        if member.role == "owner":
            other_owner = next(
                (m.id for m in self.team.members(caller.tenant_id) if m.role == "owner" and m.id != user_id), None
            )
            if other_owner is None:
                raise LastOwner("The last owner cannot be demoted; transfer ownership instead")
        self.team.set_role(caller.tenant_id, user_id, role, other_owner=other_owner)
        logger.info("Role changed", extra={"role": role})
        return member.model_copy(update={"role": role})

    def transfer(self, caller: Caller, user_id: str) -> Member:
        """Hand the caller's ownership to another member; the caller becomes an admin."""
        if user_id == caller.user_id:
            raise InvalidInput("You own this team already")
        member = self._member(caller, user_id)
        self.team.transfer(caller.tenant_id, caller.user_id, user_id)
        logger.info("Ownership transferred")
        return member.model_copy(update={"role": "owner"})

    def remove(self, caller: Caller, user_id: str) -> None:
        """Remove a member (not an owner): their sessions and open chats end at once. Their sign-in is deleted too:
        without a team it could do nothing, and it would keep the e-mail address from being invited by sign-up."""
        member = self._member(caller, user_id)
        if member.role == "owner":
            raise Forbidden("An owner cannot be removed; transfer ownership first")
        self.sessions.end(caller.tenant_id, user_id)
        self.team.remove(caller.tenant_id, user_id)
        self.invitations.quotas.release(caller.tenant_id, "members")
        self.identity.delete(member.email)
        logger.info("Member removed")

    def _member(self, caller: Caller, user_id: str) -> Member:
        member = self.team.member(caller.tenant_id, user_id) if is_user_id(user_id) else None
        if member is None:
            raise MemberNotFound()
        return member
