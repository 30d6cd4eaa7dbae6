"""A tenant's team: its members and the invitations that bring new ones in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from parley.domain.accounts import Email, InvitationCode, UserProfile
from parley.domain.common import Model, Request, is_id, new_id
from parley.domain.roles import Role

# How long an invitation can be accepted.
INVITATION_LIFETIME = timedelta(days=7)

# Bounds of a team whatever the plan (a plan may allow fewer): the list of it stays one short response.
MAX_MEMBERS = 500
MAX_PENDING_INVITATIONS = 100

# What an owner or admin may invite as: ownership is only ever handed over (POST /members/{id}/ownership).
InvitedRole = Literal["admin", "member"]


class Member(Model):
    """One person of a tenant's team (a copy of their profile's public part, kept in the tenant's partition so
    that listing the team reads one partition)."""

    id: str
    email: str
    name: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, profile: UserProfile, joined_at: datetime) -> Member:
        return cls(id=profile.id, email=profile.email, name=profile.name, role=profile.role, joined_at=joined_at)


class Invitation(Model):
    id: str
    tenant_id: str
    email: str
    role: InvitedRole
    invited_by: str
    created_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class StoredInvitation(Invitation):
    """An invitation as stored: with the hash of its code, never shown."""

    code_hash: str

    def public(self) -> Invitation:
        return Invitation.model_validate(self.model_dump(exclude={"code_hash"}))

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.code_hash, _hash(secret))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_invitation(
    tenant_id: str, email: str, role: InvitedRole, invited_by: str, now: datetime
) -> tuple[StoredInvitation, str]:
    """A new invitation and its code (which is stored only as a hash: it is shown this once)."""
    secret = secrets.token_urlsafe(32)
    invitation = StoredInvitation(
        id=new_id(),
        tenant_id=tenant_id,
        email=email,
        role=role,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
        code_hash=_hash(secret),
    )
    return invitation, f"{tenant_id}.{invitation.id}.{secret}"


def parse_code(code: str) -> tuple[str, str, str] | None:
    """(tenant id, invitation id, secret) of a well-formed code, so that it leads to its record in one read; None
    for anything else (it names nothing, and is not looked up)."""
    tenant_id, _, rest = code.partition(".")
    invitation_id, _, secret = rest.partition(".")
    if not (is_id(tenant_id) and is_id(invitation_id) and secret):
        return None
    return tenant_id, invitation_id, secret


def is_user_id(value: str) -> bool:
    """Whether `value` has the shape of a user id (Cognito's `sub`, a UUID); anything else names no member."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


class InvitationCreate(Request):
    email: Email
    role: InvitedRole = "member"


class InvitationCreated(BaseModel):
    invitation: Invitation
    # Shown once: the console turns it into an accept link (`#/join/<code>`). No e-mail is sent.
    code: str


class JoinRequest(Request):
    invitation: InvitationCode


class RoleChange(Request):
    role: Role


class Team(BaseModel):
    members: list[Member] = Field(max_length=MAX_MEMBERS)
    # Pending ones, expired ones included until withdrawn (the table's TTL removes them some time after expiry).
    invitations: list[Invitation] = Field(max_length=MAX_PENDING_INVITATIONS)
