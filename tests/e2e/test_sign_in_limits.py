"""Password guessing through the local stack: Cognito's policy refuses weak passwords at sign-up, and failed
sign-ins per e-mail end in 429 with Retry-After (the counters are written with the auth function's own IAM policy)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.support.api import NewAccount

pytestmark = pytest.mark.e2e


def test_sign_up_refuses_a_weak_password(api: httpx.Client) -> None:
    response = api.post("/auth/register", json={"email": "weak@example.com", "password": "aaaaaaaaa1"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "weak_password"


def test_failed_sign_ins_per_email_end_in_429_with_retry_after(api: httpx.Client, new_account: NewAccount) -> None:
    # Given an account whose password is guessed wrong as often as a deployment allows (10 by default)
    account = new_account()
    for _ in range(10):
        guess = api.post("/auth/login", json={"email": account["email"], "password": f"guess-{uuid.uuid4().hex}"})
        assert guess.status_code == 401, guess.text

    # When the right password comes next
    refused = api.post("/auth/login", json={"email": account["email"], "password": account["password"]})

    # Then it is refused until the window ends, and the client is told how long to wait
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 900
