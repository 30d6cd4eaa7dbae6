"""Tenants (organizations), their users and the tokens users hold."""

from __future__ import annotations

import hashlib
import ipaddress
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
class Failures:
    """A subject's failed sign-ins in the current window, as a failure counter reads them."""

    count: int
    # Seconds since the last of them (meaningless when count is 0), and until the window ends.
    since_last: int
    window_left: int


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins slow the one guessing, not the owner. Per (e-mail, network): `per_email` failures are free,
    then each further attempt waits twice as long as the last (1 s, 2 s, 4 s… at most the window); another network
    is not held back. Per client address, whatever the e-mail: `per_address` failures in a window, then 429 until it
    ends (slows trying many accounts; offices behind one NAT share it). No count is per e-mail alone: a ceiling
    there is one anyone who knows the e-mail can fill, locking its owner out of every network."""

    per_email: int
    per_address: int
    window_seconds: int

    def subjects(self, email: str, address: str) -> tuple[str, str]:
        """The counters a sign-in attempt is held to: the e-mail's from this network (hashed: no e-mail address
        in keys), and the client address's."""
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        return f"email:{digest}:{sign_in_network(address)}", f"address:{address_block(address)}"

    def delay(self, failures: int) -> int:
        """Seconds an attempt on an e-mail waits after `failures` failures from one network."""
        if failures < self.per_email:
            return 0
        return int(min(self.window_seconds, 2 ** min(failures - self.per_email, 30)))


def sign_in_network(address: str) -> str:
    """The network whose failed sign-ins on an e-mail are counted together: an IPv4 /24, or an IPv6 /64. A guesser
    hops addresses within the block they rent or share (hosters and clouds hand out neighbouring addresses; a /64 is
    one subscriber's), while the owner signs in from their own network, which a /24 almost never shares with the
    guesser's (one that does shares its NAT too, and no count by address can tell them apart)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 64 if parsed.version == 6 else 24
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


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
