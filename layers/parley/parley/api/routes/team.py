from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from parley.api.deps import Person, allowed, service
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.team import InvitationCreate, InvitationCreated, JoinRequest, Member, RoleChange, Team
from parley.services.team import Invitations, TeamService

TeamServiceDep = Annotated[TeamService, service(lambda c: c.team)]
InvitationsDep = Annotated[Invitations, service(lambda c: c.invitations)]
Reader = Annotated[Caller, allowed("team:read")]
Manager = Annotated[Caller, allowed("team:manage")]

router = APIRouter(prefix="/members", responses=errors(401, 403))


@router.get("")
def list_members(caller: Reader, team: TeamServiceDep) -> Team:
    """The team: its members and the invitations not accepted yet."""
    return team.list(caller)


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 404, 409, 410, 422))
def join(body: JoinRequest, caller: Person, team: TeamServiceDep) -> Member:
    """Accept an invitation meant for the caller's e-mail address: they move to its team with the invited role.
    Refused (409) while the caller's own team has chatbots or other members."""
    return team.join(caller, body.invitation)


@router.post("/invitations", status_code=status.HTTP_201_CREATED, responses=errors(400, 409, 422))
def invite(body: InvitationCreate, caller: Manager, invitations: InvitationsDep) -> InvitationCreated:
    """Invite someone by e-mail as an admin or a member. The code, shown this once, is the accept link's: no
    e-mail is sent."""
    return invitations.invite(caller, body)


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def withdraw(invitation_id: str, caller: Manager, invitations: InvitationsDep) -> Response:
    invitations.withdraw(caller, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{user_id}", responses=errors(400, 404, 409, 422))
def change_role(user_id: str, body: RoleChange, caller: Manager, team: TeamServiceDep) -> Member:
    """Change a member's role; only an owner makes or unmakes owners, and the last owner stays one."""
    return team.change_role(caller, user_id, body.role)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def remove(user_id: str, caller: Manager, team: TeamServiceDep) -> Response:
    """Remove a member (not an owner): their sessions and open chats end at once, and their sign-in is deleted."""
    team.remove(caller, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{user_id}/ownership", responses=errors(400, 404, 409))
def transfer_ownership(
    user_id: str, caller: Annotated[Caller, allowed("ownership:transfer")], team: TeamServiceDep
) -> Member:
    """Hand ownership to another member; the caller becomes an admin."""
    return team.transfer(caller, user_id)
