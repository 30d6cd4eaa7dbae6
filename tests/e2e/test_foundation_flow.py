"""One path through the local stack over HTTP: the gateway, the JWT check, the real handlers and moto."""

from __future__ import annotations

import re
import subprocess
import time
from typing import TYPE_CHECKING

import httpx

from local.stack.stack import ROOT
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import NewAccount


def test_register_login_me_and_chatbot_crud(api: httpx.Client, new_account: NewAccount) -> None:
    # Given a registered user who logs in
    account = new_account()
    login = api.post("/auth/login", json={"email": account["email"], "password": account["password"]})
    assert login.status_code == 200
    headers = bearer(login.json())

    # When they look at themselves and manage a chatbot
    me = api.get("/auth/me", headers=headers)
    created = api.post("/chatbots", headers=headers, json={"name": "Support", "top_k": 8})
    chatbot_id = created.json()["id"]
    patched = api.patch(f"/chatbots/{chatbot_id}", headers=headers, json={"visibility": "public"})
    listed = api.get("/chatbots", headers=headers)
    deleted = api.delete(f"/chatbots/{chatbot_id}", headers=headers)
    # Erased in the background: deleting until then (the erasure function is fed by its queue's poller)
    states = [(shown := api.get(f"/chatbots/{chatbot_id}", headers=headers)).status_code]
    deadline = time.monotonic() + 30
    while shown.status_code == 200 and time.monotonic() < deadline:
        assert shown.json()["status"] == "deleting"
        time.sleep(0.2)
        states.append((shown := api.get(f"/chatbots/{chatbot_id}", headers=headers)).status_code)

    # Then every step answers per the contract
    assert me.status_code == 200
    assert me.json()["tenant_id"] == account["tenant"]["id"]
    assert created.status_code == 201
    assert created.json()["top_k"] == 8
    assert patched.status_code == 200
    assert patched.json()["visibility"] == "public"
    assert [item["id"] for item in listed.json()["items"]] == [chatbot_id]
    assert (deleted.status_code, deleted.json()) == (202, {"id": chatbot_id, "status": "deleting"})
    assert states[-1] == 404


def test_other_tenant_gets_404_for_chatbot(api: httpx.Client, new_account: NewAccount) -> None:
    owner, stranger = new_account(), new_account()
    chatbot_id = api.post("/chatbots", headers=bearer(owner), json={"name": "Private"}).json()["id"]

    responses = [
        api.get(f"/chatbots/{chatbot_id}", headers=bearer(stranger)),
        api.patch(f"/chatbots/{chatbot_id}", headers=bearer(stranger), json={"name": "Mine"}),
        api.delete(f"/chatbots/{chatbot_id}", headers=bearer(stranger)),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert api.get(f"/chatbots/{chatbot_id}", headers=bearer(owner)).json()["name"] == "Private"


def test_requests_without_a_valid_token_are_refused(api: httpx.Client) -> None:
    # No credential: API Gateway answers 401 itself; one its Lambda authorizer refuses: 403.
    assert api.get("/chatbots").status_code == 401
    assert api.get("/auth/me", headers={"authorization": "Bearer forged.token.value"}).status_code == 403
    assert api.post("/chatbots", json={"name": "x"}).status_code == 401


def test_logout_revokes_the_refresh_token(api: httpx.Client, new_account: NewAccount) -> None:
    account = new_account()
    refresh_token = account["tokens"]["refresh_token"]
    assert api.post("/auth/refresh", json={"refresh_token": refresh_token}).status_code == 200

    assert api.post("/auth/logout", headers=bearer(account)).status_code == 204

    refused = api.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


def test_unknown_route_is_404(api: httpx.Client) -> None:
    assert api.get("/no/such/route").status_code == 404


def test_readme_register_curl_returns_201_with_tokens(base_url: str) -> None:
    # The first curl a new user pastes, run as the README shows it (pointed at this test's port).
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^curl .*?/auth/register.*?(?<!\\)$", readme, re.MULTILINE | re.DOTALL)
    assert command, "README.md shows no register curl"
    email = "readme-" + str(abs(hash(base_url)))[:8] + "@example.com"
    runnable = command.group(0).replace("http://127.0.0.1:8000", base_url).replace("ada@example.com", email)

    result = subprocess.run(
        ["bash", "-c", runnable + " -w '\\n%{http_code}'"], capture_output=True, text=True, check=True, timeout=30
    )

    body, status = result.stdout.rsplit("\n", 1)
    assert status == "201", result.stdout
    assert '"access_token"' in body
