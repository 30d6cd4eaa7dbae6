"""Sign-up, sign-in and sessions; resolving a verified token to the tenant it acts for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from parley.domain.accounts import (
    Caller,
    LoginRequest,
    RegisterRequest,
    Registration,
    Session,
    SignedInUser,
    SignInLimits,
    Tenant,
    Tokens,
    UserProfile,
)
from parley.domain.common import new_id, utcnow
from parley.domain.erasure import ErasedUser, ErasureRequest
from parley.errors import InvalidCredentials, InvitationNotFound, RateLimited, Unauthorized
from parley.observability import logger
from parley.ports import AccountStore, ChatbotStore, ErasureQueue, FailureCounter, IdentityProvider, TeamStore
from parley.services.team import Invitations


class AccountService:
    def __init__(
        self,
        identity: IdentityProvider,
        accounts: AccountStore,
        failures: FailureCounter,
        invitations: Invitations,
        *,
        auto_confirm: bool,
        sign_in_limits: SignInLimits,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.identity = identity
        self.accounts = accounts
        self.failures = failures
        self.invitations = invitations
        self.auto_confirm = auto_confirm
        self.sign_in_limits = sign_in_limits
        self.clock = clock

    def register(self, request: RegisterRequest) -> Registration:
        """Create the user with their organization (tenant) and owner profile, or, with an invitation, as a member
        of the inviting tenant; all or nothing."""
        invitation = self.invitations.invitation_for(request.invitation, request.email) if request.invitation else None
        tenant = self.accounts.get_tenant(invitation.tenant_id) if invitation else None
        if invitation and tenant is None:
            raise InvitationNotFound()
        name = request.name or request.email.split("@")[0]
        user_id = self.identity.sign_up(request.email, request.password, name)
        now = self.clock()
        tenant = tenant or Tenant(id=new_id(), name=request.organization or f"{name}'s organization", created_at=now)
        profile = UserProfile(
            id=user_id, email=request.email, name=name, tenant_id=tenant.id, role="owner", created_at=now
        )
        try:
            if invitation:
                profile = profile.model_copy(update={"role": self.invitations.admit(profile, invitation).role})
            else:
                self.accounts.create_account(tenant, profile)
            if self.auto_confirm:
                self.identity.confirm(request.email)
        except Exception:
            # Without its tenant the user could never sign in usefully, and the e-mail would stay taken.
            self.identity.delete(request.email)
            raise
        logger.info("Account registered", extra={"tenant_id": tenant.id, "invited": invitation is not None})
        tokens = self.identity.sign_in(request.email, request.password).tokens if self.auto_confirm else None
        return Registration(user=profile, tenant=tenant, tokens=tokens)

    def login(self, request: LoginRequest, address: str) -> Session:
        """Sign in from client `address`. Past the failed sign-ins allowed for the e-mail or for the address, every
        attempt is refused (429) until the window ends; a success resets neither count, so an account of one's own
        cannot be used to clear an address's failures."""
        window = self.sign_in_limits.window_seconds
        subjects = self.sign_in_limits.subjects(request.email, address)
        for subject, limit in subjects:
            failed, retry_after = self.failures.failures(subject, window)
            if failed >= limit:
                raise RateLimited("Too many failed sign-ins; try again later", retry_after=retry_after)
        try:
            signed_in = self.identity.sign_in(request.email, request.password)
        except InvalidCredentials:
            for subject, _ in subjects:
                self.failures.fail(subject, window)
            raise
        profile = self.accounts.get_user(signed_in.user_id)
        if profile is None:
            raise Unauthorized("This account has no organization")
        return Session(user=profile, tokens=signed_in.tokens)

    def refresh(self, refresh_token: str) -> Tokens:
        return self.identity.refresh(refresh_token)

    def caller_of(self, access_token: str) -> Caller:
        """Who an access token acts for, verified here (the WebSocket authorizer; API Gateway verifies the HTTP
        API's tokens and hands over their claims)."""
        return resolve_caller(self.accounts, self.identity.verified_claims(access_token))


def _epoch(value: object) -> int:
    """A time claim (API Gateway hands claims over as strings); 0 when missing."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def issued_at(claims: Mapping[str, object]) -> int:
    """A token's `iat`; 0 when missing, so it predates any sign-out."""
    return _epoch(claims.get("iat"))


class AccountClosure:
    """Deleting an organization: its members' sign-ins end at once, and everything it owns is erased."""

    def __init__(
        self,
        identity: IdentityProvider,
        accounts: AccountStore,
        team: TeamStore,
        chatbots: ChatbotStore,
        erasures: ErasureQueue,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.identity = identity
        self.accounts = accounts
        self.team = team
        self.chatbots = chatbots
        self.erasures = erasures
        self.clock = clock

    def close(self, caller: Caller) -> None:
        now = self.clock()
        for chatbot_id in self.chatbots.ids(caller.tenant_id):
            # Visitors stop reaching the tenant's chatbots now, not when the worker gets to them.
            self.chatbots.soft_delete(caller.tenant_id, chatbot_id, now)
        emails = {member.id: member.email for member in self.team.members(caller.tenant_id)}
        if caller.profile is not None:
            # An account made before teams has no member item for its owner.
            emails.setdefault(caller.user_id, caller.profile.email)
        users = [ErasedUser(id=user_id, email=email) for user_id, email in emails.items()]
        # Asked first: the worker erases the users too, so nothing is left if what follows fails.
        self.erasures.request(ErasureRequest(tenant_id=caller.tenant_id, users=users))
        for user in users:
            self.identity.delete(user.email)
            self.accounts.delete_user(user.id)
        logger.info("Account closed", extra={"tenant_id": caller.tenant_id, "members": len(users)})


def signed_in_user(accounts: AccountStore, profile: UserProfile) -> SignedInUser:
    """The signed-in person's profile with their organization's name (one read: the tenant's record)."""
    tenant = accounts.get_tenant(profile.tenant_id)
    if tenant is None:
        raise Unauthorized("This account has no organization")
    return SignedInUser.model_validate({**profile.model_dump(), "organization": tenant.name})


def resolve_caller(accounts: AccountStore, claims: Mapping[str, object], *, now: int | None = None) -> Caller:
    """The tenant and role behind verified token claims. Refused: an ID token (it proves who signed in, not what
    they may call), a token without a profile, a token issued before the user last signed out, and, given `now`
    (epoch seconds), one expired since it was verified (an authorizer's answer is cached past a token's expiry)."""
    if claims.get("token_use") != "access":
        raise Unauthorized("Only access tokens are accepted")
    if now is not None and not now < _epoch(claims.get("exp")):
        raise Unauthorized("The access token has expired")
    user_id = claims.get("sub")
    profile = accounts.get_user(str(user_id)) if user_id else None
    if profile is None:
        raise Unauthorized("Unknown user")
    token_issued_at = issued_at(claims)
    if profile.signed_out_since(token_issued_at):
        raise Unauthorized("This session has ended; sign in again")
    logger.append_keys(tenant_id=profile.tenant_id)
    return Caller(
        user_id=profile.id,
        tenant_id=profile.tenant_id,
        role=profile.role,
        profile=profile,
        token_issued_at=token_issued_at,
    )
