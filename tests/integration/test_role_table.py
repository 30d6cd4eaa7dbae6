"""The role table, driven through every tenant route of the HTTP API: each principal gets the route's answer, or
403 where its role may not. A route missing from the table fails the coverage test, so none can skip it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.stack import ROOT
from local.template import http_routes, load_template

EVERYONE = frozenset({"owner", "admin", "member"})
MANAGERS = frozenset({"owner", "admin"})
OWNER = frozenset({"owner"})

# Who may, per action, as the issue states it: members use chatbots and documents; admins also manage them and
# the team; only owners hand over ownership, manage keys and delete the tenant. "person" = any signed-in person.
MAY: dict[str, frozenset[str]] = {
    "person": EVERYONE,
    "chatbots:read": EVERYONE,
    "chatbots:manage": MANAGERS,
    "documents:read": EVERYONE,
    "documents:manage": MANAGERS,
    "chat": EVERYONE,
    "conversations:read": EVERYONE,
    "team:read": EVERYONE,
    "team:manage": MANAGERS,
    "ownership:transfer": OWNER,
    "tenant:delete": OWNER,
}


@dataclass(frozen=True)
class Case:
    action: str
    ok: int  # the status when allowed (in a tenant set up as `world` does)
    body: Callable[[dict[str, Any]], Any] | None = None
    params: tuple[str, ...] = field(default=())


def _new_email(world: dict[str, Any]) -> dict[str, str]:
    return {"email": "newcomer@example.com", "role": "member"}


# Every route that takes a token; engineer-added routes add a row here (the coverage test insists).
ROUTES: dict[str, Case] = {
    "POST /auth/logout": Case("person", 204),
    "GET /auth/me": Case("person", 200),
    "DELETE /account": Case("tenant:delete", 204),
    "GET /chatbots": Case("chatbots:read", 200),
    "POST /chatbots": Case("chatbots:manage", 201, lambda w: {"name": "Another"}),
    "GET /chatbots/{chatbot_id}": Case("chatbots:read", 200, params=("chatbot_id",)),
    "PATCH /chatbots/{chatbot_id}": Case("chatbots:manage", 200, lambda w: {"name": "Renamed"}, ("chatbot_id",)),
    "DELETE /chatbots/{chatbot_id}": Case("chatbots:manage", 202, params=("chatbot_id",)),
    "POST /chatbots/{chatbot_id}/documents": Case(
        "documents:manage",
        201,
        lambda w: {"filename": "b.txt", "content_type": "text/plain", "size_bytes": 10},
        ("chatbot_id",),
    ),
    "GET /chatbots/{chatbot_id}/documents": Case("documents:read", 200, params=("chatbot_id",)),
    "GET /chatbots/{chatbot_id}/documents/{document_id}": Case(
        "documents:read", 200, params=("chatbot_id", "document_id")
    ),
    "DELETE /chatbots/{chatbot_id}/documents/{document_id}": Case(
        "documents:manage", 204, params=("chatbot_id", "document_id")
    ),
    "POST /chatbots/{chatbot_id}/search": Case("chat", 200, lambda w: {"query": "hours"}, ("chatbot_id",)),
    "POST /chatbots/{chatbot_id}/query": Case("chat", 200, lambda w: {"question": "Hours?"}, ("chatbot_id",)),
    "GET /chatbots/{chatbot_id}/conversations": Case("conversations:read", 200, params=("chatbot_id",)),
    # An id of no conversation: allowed callers learn that (404); refused ones never get as far.
    "GET /chatbots/{chatbot_id}/conversations/{conversation_id}": Case(
        "conversations:read", 404, params=("chatbot_id", "conversation_id")
    ),
    "GET /members": Case("team:read", 200),
    # Anyone signed in may accept an invitation meant for them; this one is not theirs (404).
    "POST /members": Case("person", 404, lambda w: {"invitation": w["stray_code"]}),
    "POST /members/invitations": Case("team:manage", 201, _new_email),
    "DELETE /members/invitations/{invitation_id}": Case("team:manage", 204, params=("invitation_id",)),
    "PATCH /members/{user_id}": Case("team:manage", 200, lambda w: {"role": "admin"}, ("user_id",)),
    "DELETE /members/{user_id}": Case("team:manage", 204, params=("user_id",)),
    "POST /members/{user_id}/ownership": Case("ownership:transfer", 200, params=("user_id",)),
}

# Principals and how a test becomes one: a token of that role in the world's tenant. Engineer (2) adds "api_key".
CALLERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    role: (lambda world, role=role: {"token": world["tokens"][role]}) for role in ("owner", "admin", "member")
}


def _routes_with_tokens() -> set[str]:
    return {f"{r.method} {r.path}" for r in http_routes(load_template(ROOT / "template.yaml")) if r.authorizer}


def test_every_route_that_takes_a_token_is_in_the_role_table():
    assert _routes_with_tokens() == set(ROUTES)
    assert {case.action for case in ROUTES.values()} <= set(MAY)


@pytest.fixture
def world(lambdas, register) -> dict[str, Any]:
    """A tenant with an owner, an admin, a member and a second member to act on; a chatbot with a document; a
    pending invitation; and a code of another tenant's invitation."""
    owner = register("owner@example.com")
    owner_token = owner["tokens"]["access_token"]

    def invite(email: str, role: str, token: str = owner_token) -> dict[str, Any]:
        status, created = lambdas.call(
            "AuthFunction", "POST", "/members/invitations", token=token, body={"email": email, "role": role}
        )
        assert status == 201, created
        return dict(created)

    joined = {
        who: register(email, invitation=invite(email, role)["code"])
        for who, role, email in (
            ("admin", "admin", "admin@example.com"),
            ("member", "member", "member@example.com"),
            ("target", "member", "target@example.com"),
        )
    }
    status, chatbot = lambdas.call("ChatbotsFunction", "POST", "/chatbots", token=owner_token, body={"name": "Help"})
    assert status == 201, chatbot
    document = lambdas.upload(owner, chatbot["id"], "a.txt", "text/plain", b"Open nine to five.")["document"]
    stranger = register("stranger@example.com")
    stray = invite("someone@example.com", "member", stranger["tokens"]["access_token"])
    return {
        "tokens": {"owner": owner_token, **{r: joined[r]["tokens"]["access_token"] for r in ("admin", "member")}},
        "chatbot_id": chatbot["id"],
        "document_id": document["id"],
        "conversation_id": "0" * 32,
        "invitation_id": invite("pending@example.com", "member")["invitation"]["id"],
        "user_id": joined["target"]["user"]["id"],
        # Another tenant's invitation, its secret tampered with: no one's.
        "stray_code": stray["code"] + "x",
    }


def _function(route: str) -> str:
    method, path = route.split(" ", 1)
    routes = http_routes(load_template(ROOT / "template.yaml"))
    return next(r.function for r in routes if (r.method, r.path) == (method, path))


@pytest.mark.parametrize("principal", sorted(CALLERS))
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_role_table(lambdas, world, route, principal):
    # Given a caller of this principal and the route's request
    case = ROUTES[route]
    method, path = route.split(" ", 1)
    request = {
        **CALLERS[principal](world),
        "path_parameters": {name: world[name] for name in case.params},
        "body": case.body(world) if case.body else None,
    }

    # When they call it
    status, body = lambdas.call(_function(route), method, path, **request)

    # Then they get the route's answer if their role may, else 403
    if principal in MAY[case.action]:
        assert status == case.ok, body
    else:
        assert (status, body["error"]["code"]) == (403, "forbidden")
