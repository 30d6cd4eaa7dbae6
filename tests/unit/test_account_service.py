from __future__ import annotations

import pytest
from parley.domain.accounts import LoginRequest, RegisterRequest
from parley.domain.chatbots import ChatbotCreate
from parley.errors import EmailTaken, Forbidden, InvalidCredentials, Unauthorized
from parley.services.accounts import AccountClosure, AccountService, resolve_caller
from parley.services.chatbots import ChatbotService


def _service(identity, account_store, auto_confirm=True) -> AccountService:
    return AccountService(identity, account_store, auto_confirm=auto_confirm)


def _register(email="ada@example.com", **extra) -> RegisterRequest:
    return RegisterRequest(email=email, password="correct-horse-1", **extra)


def test_register_creates_tenant_and_owner_and_signs_in(identity, account_store):
    # Given a fresh platform
    service = _service(identity, account_store)

    # When someone registers with an organization name
    registration = service.register(_register(name="Ada", organization="Analytical Engines"))

    # Then they own a new tenant of that name and hold tokens
    assert registration.tenant.name == "Analytical Engines"
    assert registration.user.role == "owner"
    assert registration.user.tenant_id == registration.tenant.id
    assert account_store.users[registration.user.id] == registration.user
    assert registration.tokens is not None
    assert identity.users["ada@example.com"]["confirmed"] is True


def test_register_without_auto_confirm_returns_no_tokens(identity, account_store):
    registration = _service(identity, account_store, auto_confirm=False).register(_register())

    assert registration.tokens is None
    assert identity.users["ada@example.com"]["confirmed"] is False


def test_register_normalizes_email_and_names_defaults(identity, account_store):
    registration = _service(identity, account_store).register(_register(email="  Ada@Example.COM "))

    assert registration.user.email == "ada@example.com"
    assert registration.user.name == "ada"
    assert registration.tenant.name == "ada's organization"


def test_duplicate_email_is_refused(identity, account_store):
    service = _service(identity, account_store)
    service.register(_register())

    with pytest.raises(EmailTaken):
        service.register(_register())


def test_failed_account_write_removes_the_identity(identity, account_store):
    # Given storage that fails while the identity provider works
    account_store.fail_next = True

    # When registering
    with pytest.raises(RuntimeError):
        _service(identity, account_store).register(_register())

    # Then no half-made user keeps the e-mail address taken
    assert "ada@example.com" not in identity.users
    assert account_store.users == {}


def test_login_returns_profile_and_tokens(identity, account_store):
    service = _service(identity, account_store)
    registered = service.register(_register())

    session = service.login(LoginRequest(email="ADA@example.com", password="correct-horse-1"))

    assert session.user == registered.user
    assert session.tokens.access_token


def test_login_with_wrong_password_is_refused(identity, account_store):
    service = _service(identity, account_store)
    service.register(_register())

    with pytest.raises(InvalidCredentials):
        service.login(LoginRequest(email="ada@example.com", password="wrong-password-1"))


def test_login_of_identity_without_profile_is_refused(identity, account_store):
    identity.sign_up("ghost@example.com", "correct-horse-1", "ghost")

    with pytest.raises(Unauthorized):
        _service(identity, account_store).login(LoginRequest(email="ghost@example.com", password="correct-horse-1"))


def test_caller_is_resolved_from_sub(identity, account_store):
    registered = _service(identity, account_store).register(_register())

    caller = resolve_caller(account_store, {"sub": registered.user.id, "token_use": "access"})

    assert caller.tenant_id == registered.tenant.id
    assert caller.role == "owner"


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": "unknown-user"}])
def test_caller_without_known_sub_is_unauthorized(account_store, claims):
    with pytest.raises(Unauthorized):
        resolve_caller(account_store, claims)


def test_closing_an_account_ends_sign_in_hides_chatbots_and_asks_for_erasure(
    identity, account_store, chatbot_store, erasures
):
    # Given an owner with a chatbot
    registration = _service(identity, account_store).register(_register())
    tenant = registration.tenant.id
    chatbot = ChatbotService(chatbot_store, erasures).create(tenant, ChatbotCreate(name="Support"))
    caller = resolve_caller(account_store, {"sub": registration.user.id, "token_use": "access"})

    # When they close the account
    AccountClosure(identity, account_store, chatbot_store, erasures).close(caller)

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


def test_only_the_owner_may_close_the_account(identity, account_store, chatbot_store, erasures):
    registration = _service(identity, account_store).register(_register())
    member = resolve_caller(account_store, {"sub": registration.user.id, "token_use": "access"}).model_copy(
        update={"role": "member"}
    )

    with pytest.raises(Forbidden):
        AccountClosure(identity, account_store, chatbot_store, erasures).close(member)

    assert erasures.requests == []
    assert "ada@example.com" in identity.users
