"""The team through the local stack over HTTP and WebSocket: invite, accept by signing up and by signing in, change
a role, hand over ownership, demote one of two owners (never the last), remove a member (whose open chat closes at
once)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.api import bearer, ws_url

if TYPE_CHECKING:
    from tests.support.api import NewAccount

PASSWORD = "correct-horse-1"


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def test_invite_accept_both_ways_change_role_transfer_and_remove(
    api: httpx.Client, base_url: str, new_account: NewAccount
) -> None:
    # Given an owner who invites Bea (admin) and Cy (member)
    owner = new_account()
    bea_email, cy_email = _email("bea"), _email("cy")
    invited = {
        email: api.post("/members/invitations", headers=bearer(owner), json={"email": email, "role": role})
        for email, role in ((bea_email, "admin"), (cy_email, "member"))
    }
    assert [response.status_code for response in invited.values()] == [201, 201]
    pending = api.get("/members", headers=bearer(owner)).json()["invitations"]
    assert sorted(i["email"] for i in pending) == sorted([bea_email, cy_email])

    # When Bea signs up with hers, and Cy, who had signed up on his own, accepts his signed in
    bea = api.post(
        "/auth/register",
        json={"email": bea_email, "password": PASSWORD, "invitation": invited[bea_email].json()["code"]},
    )
    cy = api.post("/auth/register", json={"email": cy_email, "password": PASSWORD}).json()
    joined = api.post("/members", headers=bearer(cy), json={"invitation": invited[cy_email].json()["code"]})

    # Then both are in the owner's team with their roles, and no invitation is left
    assert bea.status_code == 201, bea.text
    assert bea.json()["tenant"]["id"] == owner["tenant"]["id"]
    assert joined.status_code == 201, joined.text
    team = api.get("/members", headers=bearer(owner)).json()
    roles = {m["email"]: m["role"] for m in team["members"]}
    assert roles == {owner["email"]: "owner", bea_email: "admin", cy_email: "member"}
    assert team["invitations"] == []
    # and Cy, a member, sees the team but may not manage it
    assert api.get("/members", headers=bearer(cy)).status_code == 200
    assert api.post("/members/invitations", headers=bearer(cy), json={"email": _email("x")}).status_code == 403

    # When Bea (admin) makes Cy an admin, and the owner hands ownership to Bea
    cy_id, bea_id = cy["user"]["id"], bea.json()["user"]["id"]
    promoted = api.patch(f"/members/{cy_id}", headers=bearer(bea.json()), json={"role": "admin"})
    transferred = api.post(f"/members/{bea_id}/ownership", headers=bearer(owner))

    # Then the roles follow on the next request
    assert (promoted.status_code, promoted.json()["role"]) == (200, "admin")
    assert (transferred.status_code, transferred.json()["role"]) == (200, "owner")
    assert api.get("/auth/me", headers=bearer(owner)).json()["role"] == "admin"
    assert api.get("/auth/me", headers=bearer(bea.json())).json()["role"] == "owner"

    # When Bea makes the first owner an owner again, then an admin again (she stays the owner meanwhile)
    owner_id = owner["user"]["id"]
    co_owner = api.patch(f"/members/{owner_id}", headers=bearer(bea.json()), json={"role": "owner"})
    demoted = api.patch(f"/members/{owner_id}", headers=bearer(bea.json()), json={"role": "admin"})

    # Then both changes hold, and Bea, the last owner, cannot be demoted
    assert (co_owner.status_code, co_owner.json()["role"]) == (200, "owner")
    assert (demoted.status_code, demoted.json()["role"]) == (200, "admin")
    last = api.patch(f"/members/{bea_id}", headers=bearer(bea.json()), json={"role": "admin"})
    assert (last.status_code, last.json()["error"]["code"]) == (409, "last_owner")

    # When Cy has a chat open and the new owner removes him
    socket_url = ws_url(base_url, token=cy["tokens"]["access_token"])
    with connect(socket_url, open_timeout=10) as chat:
        removed = api.delete(f"/members/{cy_id}", headers=bearer(bea.json()))

        # Then his chat closes and his token stops working at once
        assert removed.status_code == 204
        with pytest.raises(ConnectionClosed):
            chat.recv(timeout=10)
    assert api.get("/auth/me", headers=bearer(cy)).status_code == 401
    assert cy_email not in {m["email"] for m in api.get("/members", headers=bearer(owner)).json()["members"]}


def test_another_tenant_gets_404_for_members_and_invitations(api: httpx.Client, new_account: NewAccount) -> None:
    # Given an owner with a member and a pending invitation, and a stranger
    owner, stranger = new_account(), new_account()
    member_email = _email("dan")
    code = api.post("/members/invitations", headers=bearer(owner), json={"email": member_email}).json()["code"]
    dan = api.post("/auth/register", json={"email": member_email, "password": PASSWORD, "invitation": code}).json()
    pending = api.post("/members/invitations", headers=bearer(owner), json={"email": _email("eve")}).json()
    dan_id, invitation_id = dan["user"]["id"], pending["invitation"]["id"]
    tampered = pending["code"][:-1] + ("A" if pending["code"][-1] != "A" else "B")

    # When the stranger reads, changes, removes, withdraws or accepts
    answers = [
        api.patch(f"/members/{dan_id}", headers=bearer(stranger), json={"role": "admin"}),
        api.delete(f"/members/{dan_id}", headers=bearer(stranger)),
        api.post(f"/members/{dan_id}/ownership", headers=bearer(stranger)),
        api.delete(f"/members/invitations/{invitation_id}", headers=bearer(stranger)),
        api.post("/members", headers=bearer(stranger), json={"invitation": tampered}),
    ]

    # Then each is 404 and the stranger's team is their own
    assert [response.status_code for response in answers] == [404] * 5
    listed = api.get("/members", headers=bearer(stranger)).json()
    assert [m["email"] for m in listed["members"]] == [stranger["email"]]
    assert listed["invitations"] == []
    # and the owner can still withdraw the invitation
    assert api.delete(f"/members/invitations/{invitation_id}", headers=bearer(owner)).status_code == 204
