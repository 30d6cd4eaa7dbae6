from __future__ import annotations

import pytest


def test_register_returns_user_tenant_and_tokens(lambdas):
    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ada@example.com", "password": "correct-horse-1"}
    )

    assert status == 201
    assert body["user"]["role"] == "owner"
    assert body["user"]["tenant_id"] == body["tenant"]["id"]
    assert body["tokens"]["token_type"] == "Bearer"
    assert body["tokens"]["access_token"]
    assert body["tokens"]["refresh_token"]


def test_duplicate_email_is_409(lambdas, register):
    register("ada@example.com")

    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ADA@example.com", "password": "correct-horse-2"}
    )

    assert status == 409
    assert body["error"]["code"] == "email_taken"


def test_weak_password_is_400_with_the_policy_reason(lambdas):
    status, body = lambdas.call(
        "AuthFunction", "POST", "/auth/register", body={"email": "ada@example.com", "password": "short"}
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
def test_invalid_register_input_is_422(lambdas, body):
    status, payload = lambdas.call("AuthFunction", "POST", "/auth/register", body=body)

    assert status == 422
    assert payload["error"]["code"] == "validation_error"
    assert payload["error"]["message"]


def test_malformed_json_is_422(lambdas):
    status, payload = lambdas.call("AuthFunction", "POST", "/auth/login", body=None)

    assert status == 422
    assert payload["error"]["code"] == "validation_error"


def test_login_and_wrong_password(lambdas, register):
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


def test_me_returns_the_callers_profile(lambdas, register):
    registered = register("ada@example.com", name="Ada Lovelace")

    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", sub=registered["user"]["id"])

    assert status == 200
    assert body == {**registered["user"], "name": "Ada Lovelace"}
    assert set(body) == {"id", "email", "name", "tenant_id", "role", "created_at"}


def test_me_for_unknown_user_is_401(lambdas):
    status, body = lambdas.call("AuthFunction", "GET", "/auth/me", sub="no-such-user")

    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_refresh_then_logout_revokes_the_refresh_token(lambdas, register):
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


def test_health_needs_nothing(lambdas):
    assert lambdas.call("AuthFunction", "GET", "/health") == (200, {"status": "ok"})
