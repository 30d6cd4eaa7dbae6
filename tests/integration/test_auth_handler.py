from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from parley.adapters.dynamo.rate_limits import DynamoFailureCounter
from parley.adapters.dynamo.table import Table
from parley.container import get_container
from parley.domain.accounts import Failures
from parley.settings import get_settings

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


def test_register_returns_user_tenant_and_tokens(lambdas: Functions) -> None:
    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ada@example.com", "password": "correct-horse-1"}
    )

    assert status == 201
    assert body["user"]["role"] == "owner"
    assert body["user"]["tenant_id"] == body["tenant"]["id"]
    assert body["tokens"]["token_type"] == "Bearer"
    assert body["tokens"]["access_token"]
    assert body["tokens"]["refresh_token"]


def test_duplicate_email_is_409(lambdas: Functions, register: Callable[..., dict[str, Any]]) -> None:
    register("ada@example.com")

    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ADA@example.com", "password": "correct-horse-2"}
    )

    assert status == 409
    assert body["error"]["code"] == "email_taken"


# Too short; ten characters of one class and a digit (accepted before the policy asked for 12 and a symbol).
@pytest.mark.parametrize("password", ["short", "aaaaaaaaa1", "aaaaaaaaaaa1"])
def test_weak_password_is_400_with_the_policy_reason(lambdas: Functions, password: Any) -> None:
    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ada@example.com", "password": password}
    )

    assert status == 400
    assert body["error"]["code"] == "weak_password"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "correct-horse-1"},
        {"password": "correct-horse-1"},
        {"email": "ada@example.com", "password": "correct-horse-1", "role": "admin"},
    ],
)
def test_invalid_register_input_is_422(lambdas: Functions, body: Any) -> None:
    status, payload = lambdas.call("AuthFunction", "POST", "/auth/register", body=body)

    assert status == 422
    assert payload["error"]["code"] == "validation_error"
    assert payload["error"]["message"]


def test_malformed_json_is_422(lambdas: Functions) -> None:
    status, payload = lambdas.call("AuthFunction", "POST", "/auth/login", body=None)

    assert status == 422
    assert payload["error"]["code"] == "validation_error"


def test_login_and_wrong_password(lambdas: Functions, register: Callable[..., dict[str, Any]]) -> None:
    registered = register("ada@example.com")

    ok_status, ok = lambdas.call(
        "AuthFunction", "POST", "/auth/login", body={"email": "ada@example.com", "password": "correct-horse-1"}
    )
    bad_status, bad = lambdas.call(
        "AuthFunction", "POST", "/auth/login", body={"email": "ada@example.com", "password": "wrong-horse-1"}
    )
    unknown_status, _ = lambdas.call(
        "AuthFunction", "POST", "/auth/login", body={"email": "nobody@example.com", "password": "wrong-horse-1"}
    )

    assert ok_status == 200
    assert ok["user"] == registered["user"]
    assert bad_status == 401
    assert bad["error"]["code"] == "invalid_credentials"
    assert unknown_status == 401


def test_me_returns_the_callers_profile_and_organization(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    registered = register("ada@example.com", name="Ada Lovelace", organization="Analytical Engines")

    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", sub=registered["user"]["id"])

    assert status == 200
    assert body == {**registered["user"], "name": "Ada Lovelace", "organization": "Analytical Engines"}
    assert set(body) == {"id", "email", "name", "tenant_id", "role", "created_at", "organization"}


def test_me_names_the_organization_sign_up_named_for_the_user_when_none_was_typed(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    registered = register("grace@example.com")

    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", sub=registered["user"]["id"])

    assert status == 200, body
    assert body["organization"] == registered["tenant"]["name"] == "grace's organization"


def test_me_for_unknown_user_is_401(lambdas: Functions) -> None:
    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", sub="no-such-user")

    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_refresh_then_logout_revokes_the_refresh_token(
    lambdas: Functions, register: Callable[..., dict[str, Any]]
) -> None:
    registered = register("ada@example.com")
    tokens = registered["tokens"]

    refreshed_status, refreshed = lambdas.call(
        "AuthFunction", "POST", "/auth/refresh", body={"refresh_token": tokens["refresh_token"]}
    )
    logout_status, _ = lambdas.call(
        "AuthFunction",
        "POST",
        "/auth/logout",
        sub=registered["user"]["id"],
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    after_status, after = lambdas.call(
        "AuthFunction", "POST", "/auth/refresh", body={"refresh_token": tokens["refresh_token"]}
    )

    assert refreshed_status == 200
    assert refreshed["tokens"]["access_token"]
    assert logout_status == 204
    assert after_status == 401
    assert after["error"]["code"] == "unauthorized"


def test_health_needs_nothing(lambdas: Functions) -> None:
    assert lambdas.call("AuthFunction", "GET", "/health") == (200, {"status": "ok"})


def _login(lambdas: Functions, email: str, password: str, address: str) -> Any:
    return lambdas.call(
        "AuthFunction", "POST", "/auth/login", body={"email": email, "password": password}, source_ip=address
    )


def test_failed_sign_ins_slow_their_network_down_but_not_the_owners(
    lambdas: Functions, register: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an account, and a deployment allowing 2 free failed sign-ins per e-mail and network, its limits' clock
    # standing still (the first wait is a second: a slow run would otherwise outlive it)
    monkeypatch.setenv("PARLEY_SIGN_IN_FAILURES_PER_EMAIL", "2")
    monkeypatch.setenv("PARLEY_LIMITS_FIXED_TIME", "1800000000")
    get_settings.cache_clear()
    get_container.cache_clear()
    register("ada@example.com")

    # When the password is guessed wrong twice, from two addresses of one /24
    assert _login(lambdas, "ada@example.com", "guess-guess-1", "198.51.100.1")[0] == 401
    assert _login(lambdas, "ada@example.com", "guess-guess-1", "198.51.100.2")[0] == 401

    # Then the next attempt from that network waits, the right password too, with the rate limit's error
    status, body = _login(lambdas, "ada@example.com", "correct-horse-1", "198.51.100.3")
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    # And the owner, from their own network, signs in
    status, session = _login(lambdas, "ada@example.com", "correct-horse-1", "192.0.2.1")
    assert status == 200, session
    assert session["user"]["email"] == "ada@example.com"


def test_failure_counts_are_per_window(lambdas: Functions) -> None:
    # Given the table's failure counter at a moment of a 900 s window
    now = [1_800_000_000.0 + 100]
    counter = DynamoFailureCounter(Table(lambdas.resources["Table"]["Ref"]), clock=lambda: now[0])

    # When a subject fails twice, the second time 30 s after the first
    counter.fail("address:192.0.2.1", 900)
    now[0] += 30
    counter.fail("address:192.0.2.1", 900)
    now[0] += 5

    # Then both count until the window ends (the last 5 s ago), and none in the next
    assert counter.failures("address:192.0.2.1", 900) == Failures(2, 5, 765)
    assert counter.failures("address:192.0.2.2", 900) == Failures(0, 0, 765)
    now[0] += 765
    assert counter.failures("address:192.0.2.1", 900) == Failures(0, 0, 900)
