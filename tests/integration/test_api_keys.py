"""API keys through their handlers and the HTTP API's Lambda authorizer, against the template's table in moto."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import jwt
import moto.cognitoidp
import pytest
from parley.adapters.dynamo import keys
from parley.container import get_container
from parley.domain.common import utcnow
from parley.settings import Resource

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


@pytest.fixture
def stranger(register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return register("stranger@example.com")


def _bot(lambdas: Functions, user: dict[str, Any], name: str = "Support") -> dict[str, Any]:
    status, bot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", sub=user["user"]["id"], body={"name": name})
    assert status == 201, bot
    return dict(bot)


def _create_key(lambdas: Functions, user: dict[str, Any], **body: Any) -> tuple[int, Any]:
    return lambdas.call("ApiKeysFunction", "POST", "/api-keys", sub=user["user"]["id"], body={"name": "CI", **body})


def _new_key(lambdas: Functions, user: dict[str, Any], **body: Any) -> dict[str, Any]:
    status, created = _create_key(lambdas, user, **body)
    assert status == 201, created
    return dict(created)


def _list(lambdas: Functions, user: dict[str, Any]) -> list[dict[str, Any]]:
    status, listed = lambdas.call("ApiKeysFunction", "GET", "/api-keys", sub=user["user"]["id"])
    assert status == 200, listed
    return list(listed["items"])


def _revoke(lambdas: Functions, user: dict[str, Any], key_id: str) -> tuple[int, Any]:
    return lambdas.call(
        "ApiKeysFunction", "DELETE", "/api-keys/{key_id}", sub=user["user"]["id"], path_parameters={"key_id": key_id}
    )


def _documents(lambdas: Functions, key: str, chatbot_id: str) -> tuple[int, Any]:
    return lambdas.call(
        "UploadFunction", "GET", "/chatbots/{chatbot_id}/documents", key=key, path_parameters={"chatbot_id": chatbot_id}
    )


def _authorize(lambdas: Functions, authorization: str) -> dict[str, Any]:
    event = {"version": "2.0", "type": "REQUEST", "headers": {"authorization": authorization}, "requestContext": {}}
    return dict(lambdas.invoke("HttpAuthorizerFunction", event))


def _items() -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=get_container().settings.resources[Resource.TABLE])["Items"])


def _with_role(user: dict[str, Any], tenant_id: str, role: str) -> None:
    """Make `user` a member of `tenant_id` with `role` (the team's invitations are another feature's)."""
    boto3.client("dynamodb").update_item(
        TableName=get_container().settings.resources[Resource.TABLE],
        Key={"PK": {"S": keys.user(user["user"]["id"])}, "SK": {"S": keys.PROFILE_SK}},
        UpdateExpression="SET tenant_id = :tenant, #role = :role",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues={":tenant": {"S": tenant_id}, ":role": {"S": role}},
    )


def test_a_key_is_shown_once_and_only_its_hash_is_stored(lambdas: Functions, owner: dict[str, Any]) -> None:
    # When the owner creates a key
    created = _new_key(lambdas, owner)

    # Then the response holds the key: sk_ and 32 random bytes, url-safe
    key = created["key"]
    assert key.startswith("sk_")
    assert len(key) >= 3 + 43
    assert set(key[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # and nothing stored holds it, only its SHA-256 (the grant is keyed by it)
    stored = json.dumps(_items())
    assert key not in stored
    assert key[3:] not in stored
    assert keys.api_key_grant(hashlib.sha256(key.encode()).hexdigest()) in stored
    # and the list shows its prefix, never the key
    (listed,) = _list(lambdas, owner)
    assert "key" not in listed
    assert listed["prefix"] == key[: len(listed["prefix"])]
    assert len(listed["prefix"]) < 12
    assert {k: listed[k] for k in ("id", "name", "chatbot_id", "created_at")} == {
        k: created[k] for k in ("id", "name", "chatbot_id", "created_at")
    }
    assert listed["last_used_at"] is None


def test_a_key_acts_for_its_tenant_and_is_refused_once_revoked_even_while_the_authorizer_answer_is_cached(
    lambdas: Functions, owner: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key of the owner's tenant, accepted on the tenant's routes
    bot = _bot(lambdas, owner)
    key = _new_key(lambdas, owner)
    status, listed = lambdas.call("ChatbotsFunction", "GET", "/chatbots", key=key["key"])
    assert (status, [item["id"] for item in listed["items"]]) == (200, [bot["id"]])
    assert _documents(lambdas, key["key"], bot["id"]) == (200, {"items": [], "next_cursor": None})
    cached = _authorize(lambdas, f"Bearer {key['key']}")
    assert cached["isAuthorized"] is True

    # When the owner revokes it
    assert _revoke(lambdas, owner, key["id"]) == (204, None)

    # Then the authorizer refuses it (403), and so does the route even with the answer cached before (401)
    assert _documents(lambdas, key["key"], bot["id"])[0] == 403
    assert _authorize(lambdas, f"Bearer {key['key']}") == {"isAuthorized": False}

    def cached_answer(event: dict[str, Any]) -> None:
        event["requestContext"]["authorizer"] = {"lambda": cached["context"]}

    monkeypatch.setattr(lambdas, "authorize", cached_answer)
    status, body = _documents(lambdas, key["key"], bot["id"])
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert _list(lambdas, owner) == []


def test_a_key_scoped_to_a_chatbot_sees_that_chatbot_only(lambdas: Functions, owner: dict[str, Any]) -> None:
    # Given two chatbots, and a key limited to the first
    scoped_bot, other_bot = _bot(lambdas, owner, "One"), _bot(lambdas, owner, "Two")
    key = _new_key(lambdas, owner, chatbot_id=scoped_bot["id"])["key"]

    # When the key lists chatbots and reaches for each
    listed = lambdas.call("ChatbotsFunction", "GET", "/chatbots", key=key)[1]

    # Then it sees its chatbot only; the other answers as one of another tenant (404)
    assert [item["id"] for item in listed["items"]] == [scoped_bot["id"]]
    assert _documents(lambdas, key, scoped_bot["id"])[0] == 200
    status, body = _documents(lambdas, key, other_bot["id"])
    assert (status, body["error"]["code"]) == (404, "not_found")
    # and it cannot make itself another chatbot
    status, body = lambdas.call("ChatbotsFunction", "POST", "/chatbots", key=key, body={"name": "Three"})
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_another_tenants_key_and_chatbot_are_not_found(
    lambdas: Functions, owner: dict[str, Any], stranger: Any
) -> None:
    # Given a key of the owner's tenant, and a chatbot of theirs
    key = _new_key(lambdas, owner)
    bot = _bot(lambdas, owner)

    # When a stranger revokes that key, or makes a key for that chatbot
    revoked = _revoke(lambdas, stranger, key["id"])
    scoped = _create_key(lambdas, stranger, chatbot_id=bot["id"])

    # Then both are not found, the stranger lists no key, and the owner's key still works
    assert (revoked[0], revoked[1]["error"]["code"]) == (404, "not_found")
    assert (scoped[0], scoped[1]["error"]["code"]) == (404, "not_found")
    assert _list(lambdas, stranger) == []
    assert _documents(lambdas, key["key"], bot["id"])[0] == 200
    # and the owner's key reaches nothing of the stranger's
    stranger_bot = _bot(lambdas, stranger)
    assert _documents(lambdas, key["key"], stranger_bot["id"])[0] == 404


@pytest.mark.parametrize("key_id", ["0" * 32, "not-an-id"])
def test_revoking_an_unknown_key_is_not_found(lambdas: Functions, owner: dict[str, Any], key_id: Any) -> None:
    status, body = _revoke(lambdas, owner, key_id)

    assert (status, body["error"]["code"]) == (404, "not_found")


def test_only_owners_manage_keys_and_keys_manage_none(
    lambdas: Functions, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    # Given an admin and a member of the owner's tenant, and a key
    tenant_id = owner["tenant"]["id"]
    admin, member = register("admin@example.com"), register("member@example.com")
    _with_role(admin, tenant_id, "admin")
    _with_role(member, tenant_id, "member")
    key = _new_key(lambdas, owner)

    # Then neither person may create, list or revoke keys, and neither may the key
    for user in (admin, member):
        assert _create_key(lambdas, user)[0] == 403
        assert lambdas.call("ApiKeysFunction", "GET", "/api-keys", sub=user["user"]["id"])[0] == 403
        assert _revoke(lambdas, user, key["id"])[0] == 403
    created = lambdas.call("ApiKeysFunction", "POST", "/api-keys", key=key["key"], body={"name": "more"})
    assert created[0] == 403
    assert lambdas.call("AuthFunction", "GET", "/auth/me", key=key["key"])[0] == 403
    assert [item["id"] for item in _list(lambdas, owner)] == [key["id"]]


def test_last_use_is_recorded_at_most_once_a_minute(
    lambdas: Functions, owner: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key, and a clock the test moves
    bot = _bot(lambdas, owner)
    key = _new_key(lambdas, owner)
    service = get_container().api_keys
    start = utcnow()
    now = [start]
    monkeypatch.setattr(service, "clock", lambda: now[0])
    writes: list[Any] = []
    mark_used = service.keys.mark_used

    def recording(*args: Any) -> Any:
        writes.append(args)
        return mark_used(*args)

    monkeypatch.setattr(service.keys, "mark_used", recording)

    # When it is used, again within the minute, then after it
    _documents(lambdas, key["key"], bot["id"])
    first = _list(lambdas, owner)[0]["last_used_at"]
    now[0] = start + timedelta(seconds=59)
    _documents(lambdas, key["key"], bot["id"])
    within = _list(lambdas, owner)[0]["last_used_at"]
    now[0] = start + timedelta(seconds=61)
    _documents(lambdas, key["key"], bot["id"])
    after = _list(lambdas, owner)[0]["last_used_at"]

    # Then the use within the minute wrote nothing (not even a refused conditional update)
    assert first is not None
    assert within == first
    assert after > first
    assert len(writes) == 2


def test_a_closed_tenants_keys_stop_working(lambdas: Functions, owner: dict[str, Any]) -> None:
    # Given a key of a tenant its owner closes
    key = _new_key(lambdas, owner)
    assert lambdas.call("AuthFunction", "DELETE", "/account", sub=owner["user"]["id"])[0] == 204

    # When the erasure has run
    lambdas.deliver()

    # Then the key is gone with its grant
    assert _authorize(lambdas, f"Bearer {key['key']}") == {"isAuthorized": False}
    assert not [item for item in _items() if item["PK"]["S"].startswith(("KEYHASH#", keys.api_keys()))]


# ---------------------------------------------------------------- the authorizer and access tokens


def _forged(claims: dict[str, Any], **changes: Any) -> str:
    """A token signed with the key moto signs with (so only the changed claims make it wrong)."""
    private = json.loads(
        gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources/jwks-private.json.gz").read_bytes())
    )
    key = jwt.algorithms.RSAAlgorithm.from_jwk(private)
    return jwt.encode({**claims, **changes}, key, algorithm="RS256", headers={"kid": private["kid"]})  # type: ignore[arg-type]


def test_authorizer_allows_an_access_token_with_what_the_routes_check_again(
    lambdas: Functions, owner: dict[str, Any]
) -> None:
    token = owner["tokens"]["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})

    answer = _authorize(lambdas, f"Bearer {token}")

    assert answer == {
        "isAuthorized": True,
        "context": {"sub": owner["user"]["id"], "token_use": "access", "iat": claims["iat"], "exp": claims["exp"]},
    }


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"token_use": "id"}, id="id-token"),
        pytest.param({"exp": int(time.time()) - 10}, id="expired"),
        pytest.param({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, id="other-pool"),
        pytest.param({"client_id": "another-app"}, id="other-client"),
    ],
)
def test_authorizer_refuses_tokens_that_are_not_live_access_tokens_of_this_app(
    lambdas: Functions, owner: dict[str, Any], changes: Any
) -> None:
    claims = jwt.decode(owner["tokens"]["access_token"], options={"verify_signature": False})
    assert _authorize(lambdas, f"Bearer {_forged(claims)}")["isAuthorized"] is True  # the forgery itself is sound

    assert _authorize(lambdas, f"Bearer {_forged(claims, **changes)}") == {"isAuthorized": False}


def test_authorizer_refuses_unsigned_unknown_and_missing_credentials(lambdas: Functions, owner: dict[str, Any]) -> None:
    claims = jwt.decode(owner["tokens"]["access_token"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]  # what an attacker sends

    for authorization in (f"Bearer {unsigned}", "Bearer sk_unknown", "Bearer ", "Basic abc", ""):
        assert _authorize(lambdas, authorization) == {"isAuthorized": False}, authorization


def test_a_token_expired_since_the_authorizer_allowed_it_is_refused_by_the_route(
    lambdas: Functions, owner: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the authorizer's cached answer for a token that has expired since
    answer = _authorize(lambdas, f"Bearer {owner['tokens']['access_token']}")
    expired = {**answer["context"], "exp": int(time.time()) - 1}

    def cached_answer(event: dict[str, Any]) -> None:
        event["requestContext"]["authorizer"] = {"lambda": expired}

    monkeypatch.setattr(lambdas, "authorize", cached_answer)

    # When it is used
    status, body = lambdas.call("ChatbotsFunction", "GET", "/chatbots", token=owner["tokens"]["access_token"])

    # Then the route refuses it
    assert (status, body["error"]["message"]) == (401, "The access token has expired")
