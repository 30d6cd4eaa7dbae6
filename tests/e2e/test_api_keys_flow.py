"""API keys through `make run`: the HTTP API's Lambda authorizer, run by the local gateway from the template."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from local.stack.process import moto_client
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.support.api import ChatbotWithDocument, NewAccount

LLAMAS = "# Llama care\n\nLlamas eat grass and hay. They need fresh water every day and a shelter from rain.\n"


def _give_role(local_aws: dict[str, Any], user_id: str, tenant_id: str, role: str) -> None:
    """Put a user in another tenant with `role`, straight in the table (invitations are the team feature's)."""
    table = local_aws["resources"]["Table"]["Ref"]
    dynamodb = moto_client(local_aws, "dynamodb")
    dynamodb.update_item(
        TableName=table,
        Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET tenant_id = :tenant, #role = :role",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues={":tenant": {"S": tenant_id}, ":role": {"S": role}},
    )


def test_an_api_key_reads_and_asks_within_its_scope_until_revoked(
    api: httpx.Client, base_url: str, chatbot_with_document: ChatbotWithDocument, new_account: NewAccount
) -> None:
    # Given an owner with an indexed chatbot and a second chatbot
    account, bot = chatbot_with_document(base_url, "llamas.md", LLAMAS)
    owner = bearer(account["tokens"]["access_token"])
    other_bot = api.post("/chatbots", headers=owner, json={"name": "Other"}).json()

    # When they create a key for the tenant and one limited to the first chatbot
    created = api.post("/api-keys", headers=owner, json={"name": "backend"})
    scoped = api.post("/api-keys", headers=owner, json={"name": "widget server", "chatbot_id": bot["id"]}).json()

    # Then the key is shown once, and works on the tenant's routes: documents and questions
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith("sk_")
    listed = api.get("/api-keys", headers=owner).json()["items"]
    assert {item["id"] for item in listed} == {key["id"], scoped["id"]}
    assert all("key" not in item for item in listed)
    documents = api.get(f"/chatbots/{bot['id']}/documents", headers=bearer(key["key"]))
    assert documents.status_code == 200
    assert [document["filename"] for document in documents.json()["items"]] == ["llamas.md"]
    answer = api.post(
        f"/chatbots/{bot['id']}/query", headers=bearer(key["key"]), json={"question": "What do llamas eat?"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["citations"]
    upload = api.post(
        f"/chatbots/{other_bot['id']}/documents",
        headers=bearer(key["key"]),
        json={"filename": "more.md", "content_type": "text/markdown", "size_bytes": 10},
    )
    assert upload.status_code == 201, upload.text
    # and the key's last use is shown to the owner
    used = {item["id"]: item for item in api.get("/api-keys", headers=owner).json()["items"]}
    assert used[key["id"]]["last_used_at"] is not None

    # and the scoped key sees its chatbot only (the other is not found)
    scoped_headers = bearer(scoped["key"])
    assert [item["id"] for item in api.get("/chatbots", headers=scoped_headers).json()["items"]] == [bot["id"]]
    assert api.get(f"/chatbots/{bot['id']}/documents", headers=scoped_headers).status_code == 200
    assert api.get(f"/chatbots/{other_bot['id']}/documents", headers=scoped_headers).status_code == 404
    # and a key manages no keys, and is no person
    assert api.post("/api-keys", headers=bearer(key["key"]), json={"name": "more"}).status_code == 403
    assert api.get("/auth/me", headers=bearer(key["key"])).status_code == 403

    # When another tenant tries to revoke the key
    stranger = new_account()
    refused = api.delete(f"/api-keys/{key['id']}", headers=bearer(stranger["tokens"]["access_token"]))

    # Then it is not found, and the key still works
    assert refused.status_code == 404
    assert api.get(f"/chatbots/{bot['id']}/documents", headers=bearer(key["key"])).status_code == 200

    # When the owner revokes it (the gateway has its authorizer's answer cached)
    assert api.delete(f"/api-keys/{key['id']}", headers=owner).status_code == 204

    # Then it is refused at once, and the scoped key still works
    revoked = api.get(f"/chatbots/{bot['id']}/documents", headers=bearer(key["key"]))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "unauthorized"
    assert api.get(f"/chatbots/{bot['id']}/documents", headers=scoped_headers).status_code == 200


def test_admins_and_members_cannot_create_keys(
    api: httpx.Client, new_account: NewAccount, local_aws: dict[str, Any]
) -> None:
    # Given an owner, and an admin and a member of the owner's tenant
    owner = new_account()
    admin, member = new_account(), new_account()
    _give_role(local_aws, admin["user"]["id"], owner["tenant"]["id"], "admin")
    _give_role(local_aws, member["user"]["id"], owner["tenant"]["id"], "member")

    for person in (admin, member):
        # When they try to create or list keys
        headers = bearer(person["tokens"]["access_token"])
        created = api.post("/api-keys", headers=headers, json={"name": "mine"})

        # Then they are forbidden
        assert created.status_code == 403, created.text
        assert api.get("/api-keys", headers=headers).status_code == 403
    assert (
        api.post("/api-keys", headers=bearer(owner["tokens"]["access_token"]), json={"name": "ok"}).status_code == 201
    )


def test_requests_without_a_valid_credential_are_refused_by_the_gateway(api: httpx.Client) -> None:
    assert api.get("/chatbots").status_code == 401
    assert api.get("/chatbots", headers=bearer("sk_not-a-key")).status_code == 403
    assert api.get("/chatbots", headers=bearer("not-a-token")).status_code == 403
