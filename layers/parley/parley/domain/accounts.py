"""Tenants (organizations), their users and the tokens users hold."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from parley.domain.common import Model, Request, address_block

Role = Literal["owner", "admin", "member"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError("must be a valid e-mail address")
    return email


Email = Annotated[str, AfterValidator(_normalize_email)]
# Cognito's own policy (template.yaml) decides what is strong enough; this bound only stops absurd input.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


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
    """Who is calling, resolved from verified token claims; every tenant-scoped call starts here."""

    user_id: str
    tenant_id: str
    role: Role
    profile: UserProfile = Field(repr=False)
