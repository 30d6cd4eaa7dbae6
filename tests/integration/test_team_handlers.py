"""The team through the auth function, against the table in moto: invitations, joining, roles, removal, and the
walls between tenants."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


def _as(account: dict[str, Any]) -> dict[str, str]:
    return {"token": account["tokens"]["access_token"]}


def _invite(lambdas: Functions, inviter: dict[str, Any], email: str, role: str = "member") -> dict[str, Any]:
    status, created = lambdas.call(
        "AuthFunction", "POST", "/members/invitations", **_as(inviter), body={"email": email, "role": role}
    )
    assert status == 201, created
    return dict(created)


def _team(lambdas: Functions, account: dict[str, Any]) -> dict[str, Any]:
    status, team = lambdas.call("AuthFunction", "GET", "/members", **_as(account))
    assert status == 200, team
    return dict(team)


def _me(lambdas: Functions, account: dict[str, Any]) -> tuple[int, Any]:
    return lambdas.call("AuthFunction", "GET", "/auth/me", **_as(account))


def _table_items(lambdas: Functions) -> list[str]:
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=lambdas.resources["Table"]["Ref"])
    return [json.dumps(item) for page in pages for item in page["Items"]]


@pytest.fixture
def member(lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any]) -> dict[str, Any]:
    return register("dan@example.com", invitation=_invite(lambdas, owner, "dan@example.com")["code"])


def test_an_invited_sign_up_joins_the_team_and_the_code_is_single_use(
    lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any]
) -> None:
    # Given an invitation for Bea as an admin, listed as pending
    created = _invite(lambdas, owner, "bea@example.com", "admin")
    assert created["code"]
    assert "code_hash" not in created["invitation"]
    assert [i["email"] for i in _team(lambdas, owner)["invitations"]] == ["bea@example.com"]

    # When Bea signs up with it
    bea = register("bea@example.com", invitation=created["code"])

    # Then she is an admin of the owner's tenant, listed with her join time, and the invitation is gone
    assert (bea["tenant"]["id"], bea["user"]["role"]) == (owner["tenant"]["id"], "admin")
    team = _team(lambdas, owner)
    assert {(m["email"], m["role"]) for m in team["members"]} == {
        ("owner@example.com", "owner"),
        ("bea@example.com", "admin"),
    }
    assert all(m["joined_at"] and m["name"] and m["id"] for m in team["members"])
    assert team["invitations"] == []
    # and the code is used up
    status, body = lambdas.call(
        "AuthFunction",
        "POST",
        "/auth/register",
        body={"email": "bea2@example.com", "password": "correct-horse-1", "invitation": created["code"]},
    )
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_sign_up_with_an_invitation_for_another_email_is_403_and_leaves_no_user(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    code = _invite(lambdas, owner, "bea@example.com")["code"]

    status, body = lambdas.call(
        "AuthFunction",
        "POST",
        "/auth/register",
        body={"email": "eve@example.com", "password": "correct-horse-1", "invitation": code},
    )

    assert (status, body["error"]["code"]) == (403, "invitation_email_mismatch")
    with pytest.raises(ClientError):
        boto3.client("cognito-idp").admin_get_user(
            UserPoolId=lambdas.resources["UserPool"]["Ref"], Username="eve@example.com"
        )


def test_a_signed_in_person_joins_if_their_own_tenant_is_empty_else_409(
    lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any]
) -> None:
    # Given Cy with an empty tenant of his own, and Eve whose tenant has a chatbot, both invited
    cy, eve = register("cy@example.com"), register("eve@example.com")
    status, _ = lambdas.call("ChatbotsFunction", "POST", "/chatbots", **_as(eve), body={"name": "Eve's"})
    assert status == 201
    cy_code, eve_code = (_invite(lambdas, owner, f"{name}@example.com")["code"] for name in ("cy", "eve"))

    # When each accepts signed in
    cy_status, cy_member = lambdas.call("AuthFunction", "POST", "/members", **_as(cy), body={"invitation": cy_code})
    eve_status, eve_body = lambdas.call("AuthFunction", "POST", "/members", **_as(eve), body={"invitation": eve_code})

    # Then Cy is a member of the owner's team on his very next request (same token), and his old tenant is erased
    assert (cy_status, cy_member["role"]) == (201, "member")
    assert _me(lambdas, cy)[1]["tenant_id"] == owner["tenant"]["id"]
    assert lambdas.deliver(to="ErasureFunction") >= 1
    assert [item for item in _table_items(lambdas) if cy["tenant"]["id"] in item] == []
    # and Eve is refused and stays where she was
    assert (eve_status, eve_body["error"]["code"]) == (409, "already_in_a_team")
    assert _me(lambdas, eve)[1]["tenant_id"] == eve["tenant"]["id"]


def test_a_role_change_takes_effect_on_the_next_request(lambdas: Functions, owner: dict[str, Any], member: Any) -> None:
    # Given Dan, a member, who may not invite
    assert (
        lambdas.call("AuthFunction", "POST", "/members/invitations", **_as(member), body={"email": "x@example.com"})[0]
        == 403
    )

    # When the owner makes him an admin
    status, changed = lambdas.call(
        "AuthFunction", "PATCH", "/members/{user_id}", **_as(owner), path_parameters={"user_id": member["user"]["id"]},
        body={"role": "admin"},
    )  # fmt: skip

    # Then his same token may invite now
    assert (status, changed["role"]) == (200, "admin")
    assert _invite(lambdas, member, "x@example.com")["invitation"]["role"] == "member"


def test_the_last_owner_cannot_be_demoted_but_can_hand_over_ownership(
    lambdas: Functions, owner: dict[str, Any], member: Any
) -> None:
    me = {"user_id": owner["user"]["id"]}
    dan = {"user_id": member["user"]["id"]}

    status, body = lambdas.call(
        "AuthFunction", "PATCH", "/members/{user_id}", **_as(owner), path_parameters=me, body={"role": "admin"}
    )
    assert (status, body["error"]["code"]) == (409, "last_owner")

    status, body = lambdas.call(
        "AuthFunction", "POST", "/members/{user_id}/ownership", **_as(owner), path_parameters=dan
    )
    assert (status, body["role"]) == (200, "owner")
    roles = {m["email"]: m["role"] for m in _team(lambdas, owner)["members"]}
    assert roles == {"owner@example.com": "admin", "dan@example.com": "owner"}
    assert _me(lambdas, owner)[1]["role"] == "admin"


def test_removing_a_member_ends_their_session_and_deletes_their_sign_in(
    lambdas: Functions, owner: dict[str, Any], member: Any
) -> None:
    # Given Dan, signed in
    assert _me(lambdas, member)[0] == 200

    # When the owner removes him
    status, _ = lambdas.call(
        "AuthFunction", "DELETE", "/members/{user_id}", **_as(owner), path_parameters={"user_id": member["user"]["id"]}
    )

    # Then his token stops working at once and his sign-in is gone (the e-mail may be invited again)
    assert status == 204
    assert _me(lambdas, member)[0] == 401
    with pytest.raises(ClientError):
        boto3.client("cognito-idp").admin_get_user(
            UserPoolId=lambdas.resources["UserPool"]["Ref"], Username="dan@example.com"
        )
    assert [m["email"] for m in _team(lambdas, owner)["members"]] == ["owner@example.com"]


def test_a_removed_members_refresh_token_is_refused_with_401(
    lambdas: Functions, owner: dict[str, Any], member: Any
) -> None:
    # Given Dan's refresh token, which works while he is a member
    refresh = {"refresh_token": member["tokens"]["refresh_token"]}
    assert lambdas.call("AuthFunction", "POST", "/auth/refresh", body=refresh)[0] == 200
    # When the owner removes him
    lambdas.call(
        "AuthFunction", "DELETE", "/members/{user_id}", **_as(owner), path_parameters={"user_id": member["user"]["id"]}
    )
    # Then the refresh token is refused as Cognito refuses it (NotAuthorizedException), not with a 500
    status, body = lambdas.call("AuthFunction", "POST", "/auth/refresh", body=refresh)
    assert status == 401, body


def test_the_owner_cannot_be_removed(lambdas: Functions, owner: dict[str, Any], member: Any) -> None:
    # Even by an admin
    lambdas.call(
        "AuthFunction", "PATCH", "/members/{user_id}", **_as(owner), path_parameters={"user_id": member["user"]["id"]},
        body={"role": "admin"},
    )  # fmt: skip

    status, body = lambdas.call(
        "AuthFunction", "DELETE", "/members/{user_id}", **_as(member), path_parameters={"user_id": owner["user"]["id"]}
    )

    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert _me(lambdas, owner)[0] == 200


def test_another_tenant_cannot_see_change_or_remove_a_member_nor_touch_an_invitation(
    lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any], member: Any
) -> None:
    # Given a stranger of another tenant, and a pending invitation of the owner's
    stranger = register("stranger@example.com")
    pending = _invite(lambdas, owner, "pending@example.com")
    dan = {"user_id": member["user"]["id"]}
    invitation = {"invitation_id": pending["invitation"]["id"]}
    tampered = pending["code"][:-2] + ("AA" if not pending["code"].endswith("AA") else "BB")

    # When the stranger reaches for them
    answers = {
        "change": lambdas.call("AuthFunction", "PATCH", "/members/{user_id}", **_as(stranger), path_parameters=dan,
                               body={"role": "admin"}),
        "remove": lambdas.call("AuthFunction", "DELETE", "/members/{user_id}", **_as(stranger), path_parameters=dan),
        "transfer": lambdas.call("AuthFunction", "POST", "/members/{user_id}/ownership", **_as(stranger),
                                 path_parameters=dan),
        "withdraw": lambdas.call("AuthFunction", "DELETE", "/members/invitations/{invitation_id}", **_as(stranger),
                                 path_parameters=invitation),
        "accept": lambdas.call("AuthFunction", "POST", "/members", **_as(stranger), body={"invitation": tampered}),
    }  # fmt: skip

    # Then each is 404, the stranger's list holds only their own, and nothing of the owner's changed
    assert {name: (status, body["error"]["code"]) for name, (status, body) in answers.items()} == dict.fromkeys(
        answers, (404, "not_found")
    )
    assert [m["email"] for m in _team(lambdas, stranger)["members"]] == ["stranger@example.com"]
    assert _team(lambdas, stranger)["invitations"] == []
    team = _team(lambdas, owner)
    assert {(m["email"], m["role"]) for m in team["members"]} == {
        ("owner@example.com", "owner"),
        ("dan@example.com", "member"),
    }
    assert [i["email"] for i in team["invitations"]] == ["pending@example.com"]


def test_closing_the_account_erases_every_member(
    lambdas: Functions, register: Callable[..., dict[str, Any]], owner: dict[str, Any], member: Any
) -> None:
    # Given a team of three
    bea = register("bea@example.com", invitation=_invite(lambdas, owner, "bea@example.com", "admin")["code"])
    users = [owner, member, bea]

    # When the owner deletes the account
    status, _ = lambdas.call("AuthFunction", "DELETE", "/account", **_as(owner))

    # Then nobody of the team can act or sign in, and once the worker ran nothing of theirs is left
    assert status == 204
    assert [_me(lambdas, user)[0] for user in users] == [401, 401, 401]
    cognito, pool = boto3.client("cognito-idp"), lambdas.resources["UserPool"]["Ref"]
    for user in users:
        with pytest.raises(ClientError):
            cognito.admin_get_user(UserPoolId=pool, Username=user["user"]["email"])
    lambdas.deliver(to="ErasureFunction")
    left = _table_items(lambdas)
    assert [item for item in left if any(user["user"]["id"] in item for user in users)] == []
    assert [item for item in left if owner["tenant"]["id"] in item] == []
