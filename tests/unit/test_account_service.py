from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.accounts import LoginRequest, RegisterRequest, SignInLimits
from parley.domain.chatbots import ChatbotCreate
from parley.errors import EmailTaken, InvalidCredentials, RateLimited, Unauthorized
from parley.services.accounts import AccountClosure, AccountService, resolve_caller
from parley.services.chatbots import ChatbotService
from parley.services.team import Invitations

if TYPE_CHECKING:
    from tests.unit.conftest import (
        FakeIdentityProvider,
        InMemoryAccountStore,
        InMemoryChatbotStore,
        InMemoryFailureCounter,
        InMemoryTeamStore,
        RecordingErasureQueue,
    )


ADDRESS = "203.0.113.7"
LIMITS = SignInLimits(per_email=3, per_address=5, window_seconds=900)


@pytest.fixture
def sign_in_limits() -> SignInLimits:
    return LIMITS


def _register(email: str = "ada@example.com", **extra: Any) -> RegisterRequest:
    return RegisterRequest(email=email, password="correct-horse-1", **extra)


def test_register_creates_tenant_and_owner_and_signs_in(
    accounts: AccountService,
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
) -> None:
    # Given a fresh platform (the fixtures)
    # When someone registers with an organization name
    registration = accounts.register(_register(name="Ada", organization="Analytical Engines"))

    # Then they own a new tenant of that name and hold tokens
    assert registration.tenant.name == "Analytical Engines"
    assert registration.user.role == "owner"
    assert registration.user.tenant_id == registration.tenant.id
    assert account_store.users[registration.user.id] == registration.user
    assert registration.tokens is not None
    assert identity.users["ada@example.com"]["confirmed"] is True


def test_register_without_auto_confirm_returns_no_tokens(
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
    failure_counter: InMemoryFailureCounter,
    invitations: Invitations,
) -> None:
    unconfirmed = AccountService(
        identity, account_store, failure_counter, invitations, auto_confirm=False, sign_in_limits=LIMITS
    )
    registration = unconfirmed.register(_register())

    assert registration.tokens is None
    assert identity.users["ada@example.com"]["confirmed"] is False


def test_register_normalizes_email_and_names_defaults(accounts: AccountService) -> None:
    registration = accounts.register(_register(email="  Ada@Example.COM "))

    assert registration.user.email == "ada@example.com"
    assert registration.user.name == "ada"
    assert registration.tenant.name == "ada's organization"


def test_duplicate_email_is_refused(accounts: AccountService) -> None:
    accounts.register(_register())

    with pytest.raises(EmailTaken):
        accounts.register(_register())


def test_failed_account_write_removes_the_identity(
    accounts: AccountService,
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
) -> None:
    # Given storage that fails while the identity provider works
    account_store.fail_next = True

    # When registering
    with pytest.raises(RuntimeError):
        accounts.register(_register())

    # Then no half-made user keeps the e-mail address taken
    assert "ada@example.com" not in identity.users
    assert account_store.users == {}


def test_login_returns_profile_and_tokens(accounts: AccountService) -> None:
    registered = accounts.register(_register())

    session = accounts.login(LoginRequest(email="ADA@example.com", password="correct-horse-1"), ADDRESS)

    assert session.user == registered.user
    assert session.tokens.access_token


def test_login_with_wrong_password_is_refused(accounts: AccountService) -> None:
    accounts.register(_register())

    with pytest.raises(InvalidCredentials):
        accounts.login(LoginRequest(email="ada@example.com", password="wrong-password-1"), ADDRESS)


def test_login_of_identity_without_profile_is_refused(
    accounts: AccountService,
    identity: FakeIdentityProvider,
) -> None:
    identity.sign_up("ghost@example.com", "correct-horse-1", "ghost")

    with pytest.raises(Unauthorized):
        accounts.login(LoginRequest(email="ghost@example.com", password="correct-horse-1"), ADDRESS)


def test_caller_is_resolved_from_sub(
    accounts: AccountService,
    account_store: InMemoryAccountStore,
) -> None:
    registered = accounts.register(_register())

    caller = resolve_caller(account_store, {"sub": registered.user.id, "token_use": "access"})

    assert caller.tenant_id == registered.tenant.id
    assert caller.role == "owner"


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": "unknown-user"}])
def test_caller_without_known_sub_is_unauthorized(account_store: InMemoryAccountStore, claims: Any) -> None:
    with pytest.raises(Unauthorized):
        resolve_caller(account_store, claims)


def test_closing_an_account_ends_sign_in_hides_chatbots_and_asks_for_erasure(
    accounts: AccountService,
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
    chatbot_store: InMemoryChatbotStore,
    erasures: RecordingErasureQueue,
    team_store: InMemoryTeamStore,
    chatbots: ChatbotService,
) -> None:
    # Given an owner with a chatbot
    registration = accounts.register(_register())
    tenant = registration.tenant.id
    chatbot = chatbots.create(tenant, ChatbotCreate(name="Support"))
    caller = resolve_caller(account_store, {"sub": registration.user.id, "token_use": "access"})

    # When they close the account
    AccountClosure(identity, account_store, team_store, chatbot_store, erasures).close(caller)

    # Then they can no longer sign in or act, the chatbot is hidden, and the tenant's erasure is asked for
    assert "ada@example.com" not in identity.users
    with pytest.raises(Unauthorized):
        resolve_caller(account_store, {"sub": registration.user.id, "token_use": "access"})
    assert chatbot_store.get(tenant, chatbot.id) is None
    ((request, _),) = erasures.requests
    assert (request.tenant_id, request.chatbot_id, [u.id for u in request.users]) == (
        tenant,
        None,
        [registration.user.id],
    )


def _login(service: Any, email: str, password: str, address: Any = ADDRESS) -> Any:
    return service.login(LoginRequest(email=email, password=password), address)


def test_failed_sign_ins_are_limited_per_email_even_for_the_right_password(accounts: AccountService) -> None:
    # Given an account whose password was guessed wrong as often as allowed
    accounts.register(_register())
    for n in range(LIMITS.per_email):
        with pytest.raises(InvalidCredentials):
            _login(accounts, "ada@example.com", "guess-guess-1", address=f"198.51.100.{n}")

    # Then even the right password is refused until the window ends, from any address
    with pytest.raises(RateLimited) as refused:
        _login(accounts, "ada@example.com", "correct-horse-1", address="192.0.2.1")
    assert 0 < refused.value.retry_after <= LIMITS.window_seconds
    # And another account is not affected
    accounts.register(_register("bob@example.com"))
    assert _login(accounts, "bob@example.com", "correct-horse-1", address="192.0.2.1").user.email == "bob@example.com"


def test_failed_sign_ins_are_limited_per_address_and_a_success_does_not_reset_them(accounts: AccountService) -> None:
    # Given an attacker with an account of their own, failing on other accounts from one address
    accounts.register(_register("mallory@example.com"))
    for n in range(LIMITS.per_address - 1):
        with pytest.raises(InvalidCredentials):
            _login(accounts, f"victim{n}@example.com", "guess-guess-1")

    # When they sign in to their own account in between, then fail once more
    _login(accounts, "mallory@example.com", "correct-horse-1")
    with pytest.raises(InvalidCredentials):
        _login(accounts, "victim9@example.com", "guess-guess-1")

    # Then the address is refused, even for the attacker's own account
    with pytest.raises(RateLimited):
        _login(accounts, "mallory@example.com", "correct-horse-1")
    # And another address is not
    assert _login(accounts, "mallory@example.com", "correct-horse-1", address="192.0.2.1").user


def test_an_ipv6_64_counts_as_one_address(accounts: AccountService) -> None:
    for n in range(LIMITS.per_address):
        with pytest.raises(InvalidCredentials):
            _login(accounts, f"victim{n}@example.com", "guess-guess-1", address=f"2001:db8:1:2::{n + 1:x}")

    with pytest.raises(RateLimited):
        _login(accounts, "other@example.com", "guess-guess-1", address="2001:db8:1:2:ffff::1")
    with pytest.raises(InvalidCredentials):
        _login(accounts, "other@example.com", "guess-guess-1", address="2001:db8:1:3::1")


def test_failure_counters_hold_no_email_address(
    accounts: AccountService,
    failure_counter: InMemoryFailureCounter,
) -> None:

    with pytest.raises(InvalidCredentials):
        _login(accounts, "ada@example.com", "guess-guess-1")

    assert not any("ada" in subject for subject in failure_counter.counts)
    assert len(failure_counter.counts) == 2
