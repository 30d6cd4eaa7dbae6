"""Tenants (organizations), their users and the tokens users hold."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from parley.domain.common import Model, Request, address_block
from parley.domain.roles import Principal, Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError("must be a valid e-mail address")
    return email


Email = Annotated[str, AfterValidator(_normalize_email)]
# Cognito's own policy (template.yaml) decides what is strong enough; this bound only stops absurd input.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# An invitation to a team (parley.domain.team): "<tenant id>.<invitation id>.<secret>".
InvitationCode = Annotated[str, StringConstraints(min_length=1, max_length=200)]


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins are allowed in a window, per e-mail address and per client address."""

    per_email: int
    per_address: int
    window_seconds: int

    def subjects(self, email: str, address: str) -> list[tuple[str, int]]:
        """The counters a sign-in attempt is held to, each with its limit; the e-mail is hashed (no address in keys)."""
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        return [(f"email:{digest}", self.per_email), (f"address:{address_block(address)}", self.per_address)]


class Tenant(Model):
    id: str
    name: str
    created_at: datetime


class UserProfile(Model):
    id: str
    email: str
    name: str
    tenant_id: str
    role: Role
    created_at: datetime
    # Stored with the profile, so that checking it costs no read of its own; never shown. Epoch seconds.
    signed_out_at: int | None = Field(default=None, exclude=True)

    def signed_out_since(self, issued_at: int) -> bool:
        """Whether the user signed out after a token issued at `issued_at` (epoch seconds): such tokens are dead.
        A token's `iat` has whole seconds, so one issued in the second of the sign-out counts as before it."""
        return self.signed_out_at is not None and issued_at <= self.signed_out_at


class SignedInUser(UserProfile):
    """The signed-in person's profile, with the name of their organization (as given at sign-up)."""

    organization: str


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class RegisterRequest(Request):
    email: Email
    password: Password
    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    organization: Annotated[str, StringConstraints(max_length=100)] | None = None
    # An invitation's code: the user joins that tenant with the invited role instead of creating one.
    invitation: InvitationCode | None = None


class LoginRequest(Request):
    email: Email
    password: Password


class RefreshRequest(Request):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=8192)]


class Registration(BaseModel):
    user: UserProfile
    tenant: Tenant
    # None while the user pool waits for the user to confirm their e-mail address.
    tokens: Tokens | None


class Session(BaseModel):
    user: UserProfile
    tokens: Tokens


class TokenRefresh(BaseModel):
    tokens: Tokens


class SignIn(BaseModel):
    """What the identity provider returns for a correct password."""

    user_id: str
    tokens: Tokens


class Caller(BaseModel):
    """Who is calling, resolved from a verified token or API key; every tenant-scoped call starts here."""

    user_id: str
    tenant_id: str
    role: Role
    # None for an API key, which acts for the tenant and not for a person.
    profile: UserProfile | None = Field(default=None, repr=False)
    # The token's `iat` (epoch seconds): a session opened with it ends when the user signs out.
    token_issued_at: int = 0
    # Set when the caller is an API key; a key may be limited to one chatbot.
    api_key_id: str | None = None
    chatbot_scope: str | None = None

    @property
    def principal(self) -> Principal:
        return "api_key" if self.api_key_id else self.role
