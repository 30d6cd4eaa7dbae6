"""The eval's owner session outlives its access token: an ended token is renewed once and the request sent again."""

from __future__ import annotations

import json

import httpx
import pytest

from local.tools.eval import _OwnerSession


def test_a_request_refused_for_an_ended_token_is_sent_again_with_a_renewed_one() -> None:
    seen: list[tuple[str, str | None]] = []

    def stack(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/auth/refresh":
            assert json.loads(request.content) == {"refresh_token": "refresh"}
            return httpx.Response(200, json={"tokens": {"access_token": "new", "refresh_token": "refresh"}})
        if request.headers["authorization"] == "Bearer new":
            return httpx.Response(200, json={"status": "indexed"})
        return httpx.Response(401, json={"error": {"code": "unauthorized"}})

    session = _OwnerSession({"access_token": "old", "refresh_token": "refresh"})
    with httpx.Client(base_url="http://stack", transport=httpx.MockTransport(stack), auth=session) as client:
        first = client.get("/chatbots/c/documents/d?x=1")
        second = client.get("/chatbots/c/documents/e")

    assert first.json() == {"status": "indexed"}
    assert second.status_code == 200
    assert seen == [
        ("/chatbots/c/documents/d", "Bearer old"),
        ("/auth/refresh", None),
        ("/chatbots/c/documents/d", "Bearer new"),
        ("/chatbots/c/documents/e", "Bearer new"),
    ]


def test_a_refused_renewal_is_an_error_not_a_loop() -> None:
    def stack(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"code": "unauthorized"}})

    session = _OwnerSession({"access_token": "old", "refresh_token": "revoked"})
    with (
        httpx.Client(base_url="http://stack", transport=httpx.MockTransport(stack), auth=session) as client,
        pytest.raises(httpx.HTTPStatusError) as refused,
    ):
        client.get("/chatbots")

    assert refused.value.response.url.path == "/auth/refresh"
