"""The role table, driven through every tenant route of the HTTP API: each principal gets the route's answer, or
403 where its role may not. A route missing from the table fails the coverage test, so none can skip it."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from parley.container import get_container

from local.fakes.pinecone import FakePinecone
from local.stack.snapshot import pickled_moto_state, restore_moto_state
from local.template import http_routes

PEOPLE = frozenset({"owner", "admin", "member"})
EVERYONE = PEOPLE | {"api_key"}
MANAGERS = frozenset({"owner", "admin", "api_key"})
OWNER = frozenset({"owner"})

# Who may, per action, as the issue states it: members use chatbots and documents; admins also manage them and
# the team; only owners hand over ownership, manage keys and delete the tenant. An API key acts for the tenant, never
# for a person: no team, no keys, no tenant. "person" = any signed-in person. Written out here, not read from
# parley/domain/roles.py, so that the test checks the code against the issue rather than against itself.
MAY: dict[str, frozenset[str]] = {
    "person": PEOPLE,
    "chatbots:read": EVERYONE,
    "chatbots:manage": MANAGERS,
    "documents:read": EVERYONE,
    "documents:manage": MANAGERS,
    "chat": EVERYONE,
    "conversations:read": EVERYONE,
    "conversations:export": MANAGERS,
    "feedback:give": EVERYONE,
    # A person answers a visitor who asked for one: an API key acts for no one.
    "handoffs:answer": PEOPLE,
    "analytics:read": EVERYONE,
    "usage:read": EVERYONE,
    "team:read": PEOPLE,
    "team:manage": frozenset({"owner", "admin"}),
    "ownership:transfer": OWNER,
    "keys:manage": OWNER,
    "tenant:delete": OWNER,
}


class World:
    """One tenant with an owner, an admin, a member and an API key; a chatbot with a document and an answer; and
    ways to make a fresh thing for a call that uses one up (a deletion, a removal)."""

    def __init__(self, lambdas: Any, register: Callable[..., dict[str, Any]]) -> None:
        self.lambdas, self.register = lambdas, register
        self.owner = register("owner@example.com")
        # Room for every call each principal makes (the plan's limits are tests/integration/test_plan_limits.py's)
        get_container().quotas.assign(self.owner["tenant"]["id"], "business")
        self.tokens = {"owner": self.owner["tokens"]["access_token"]}
        for role in ("admin", "member"):
            self.tokens[role] = self.new_member(role)["tokens"]["access_token"]
        self.chatbot_id = self.new_chatbot()
        self.document_id = self.new_document()
        self.source_id = self.new_source()
        self.lambdas.deliver()  # indexed: a document at rest, which a new version may replace
        asked = self.call("QueryFunction", "POST", "/chatbots/{chatbot_id}/query", 200, {"question": "Hours?"})
        self.message_id = asked["message_id"]
        self.key = self.call("ApiKeysFunction", "POST", "/api-keys", 201, {"name": "server"})["key"]
        stranger = register("stranger@example.com")
        stray = self.invite("someone@example.com", token=stranger["tokens"]["access_token"])
        # Another tenant's invitation, its secret tampered with: no one's.
        self.stray_code = stray["code"] + "x"

    def call(self, function: str, method: str, path: str, ok: int, body: Any = None) -> Any:
        status, answer = self.lambdas.call(
            function,
            method,
            path,
            token=self.tokens["owner"],
            body=body,
            path_parameters={"chatbot_id": getattr(self, "chatbot_id", "")} if "{chatbot_id}" in path else None,
        )
        assert status == ok, answer
        return answer

    def invite(self, email: str, role: str = "member", token: str | None = None) -> dict[str, Any]:
        status, created = self.lambdas.call(
            "AuthFunction",
            "POST",
            "/members/invitations",
            token=token or self.tokens["owner"],
            body={"email": email, "role": role},
        )
        assert status == 201, created
        return dict(created)

    def new_member(self, role: str = "member") -> dict[str, Any]:
        email = f"{uuid.uuid4().hex[:12]}@example.com"
        return self.register(email, invitation=self.invite(email, role)["code"])

    def new_chatbot(self) -> str:
        return str(self.call("ChatbotsFunction", "POST", "/chatbots", 201, {"name": "Help"})["id"])

    def new_document(self) -> str:
        return str(
            self.lambdas.upload(self.owner, self.chatbot_id, "a.txt", "text/plain", b"Open nine to five.")["document"][
                "id"
            ]
        )

    def new_source(self) -> str:
        body = {"type": "text", "title": "Hours", "text": "Open nine to five."}
        return str(self.call("UploadFunction", "POST", "/chatbots/{chatbot_id}/sources", 201, body)["id"])

    def fresh(self, name: str) -> str:
        """A new thing to be used up by one call, named as the route's path parameter."""
        match name:
            case "chatbot_id":
                return self.new_chatbot()
            case "document_id":
                return self.new_document()
            case "invitation_id":
                return str(self.invite(f"{uuid.uuid4().hex[:12]}@example.com")["invitation"]["id"])
            case "user_id":
                return str(self.new_member()["user"]["id"])
            case "source_id":
                source_id = self.new_source()
                self.lambdas.deliver()  # its document indexed: at rest, so an edit may write its next version
                return source_id
            case "key_id":
                return str(self.call("ApiKeysFunction", "POST", "/api-keys", 201, {"name": "spare"})["id"])
        raise AssertionError(name)

    def parameter(self, name: str) -> str:
        return str(
            {
                "chatbot_id": self.chatbot_id,
                "document_id": self.document_id,
                "message_id": self.message_id,
                "conversation_id": "0" * 32,
                "source_id": self.source_id,
            }[name]
        )


@dataclass(frozen=True)
class Case:
    action: str
    ok: int  # the status when allowed (in a tenant set up as World does)
    body: Callable[[World], Any] | None = None
    params: tuple[str, ...] = field(default=())
    # Path parameters each allowed call uses up (a deletion, a removal): made anew for every call.
    fresh: tuple[str, ...] = field(default=())
    query: dict[str, str] | None = None


def _new_email(world: World) -> dict[str, str]:
    return {"email": f"{uuid.uuid4().hex[:12]}@example.com", "role": "member"}


# Every route that takes a token; a new route adds a row here (the coverage test insists).
ROUTES: dict[str, Case] = {
    "POST /auth/logout": Case("person", 204),
    "GET /auth/me": Case("person", 200),
    "DELETE /account": Case("tenant:delete", 204),
    "GET /chatbots": Case("chatbots:read", 200),
    "POST /chatbots": Case("chatbots:manage", 201, lambda w: {"name": "Another"}),
    "GET /chatbots/{chatbot_id}": Case("chatbots:read", 200, params=("chatbot_id",)),
    "PATCH /chatbots/{chatbot_id}": Case("chatbots:manage", 200, lambda w: {"name": "Renamed"}, ("chatbot_id",)),
    "DELETE /chatbots/{chatbot_id}": Case("chatbots:manage", 202, fresh=("chatbot_id",)),
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
    "PUT /chatbots/{chatbot_id}/documents/{document_id}": Case(
        "documents:manage",
        200,
        lambda w: {"filename": "a2.txt", "content_type": "text/plain", "size_bytes": 12},
        ("chatbot_id", "document_id"),
    ),
    "DELETE /chatbots/{chatbot_id}/documents/{document_id}": Case(
        "documents:manage", 204, params=("chatbot_id",), fresh=("document_id",)
    ),
    "POST /chatbots/{chatbot_id}/sources": Case(
        "documents:manage",
        201,
        lambda w: {"type": "qa", "question": "Hours?", "answer": "Nine to five."},
        ("chatbot_id",),
    ),
    "GET /chatbots/{chatbot_id}/sources": Case("documents:read", 200, params=("chatbot_id",)),
    "GET /chatbots/{chatbot_id}/sources/{source_id}": Case("documents:read", 200, params=("chatbot_id", "source_id")),
    "PATCH /chatbots/{chatbot_id}/sources/{source_id}": Case(
        "documents:manage", 200, lambda w: {"title": "Opening hours"}, params=("chatbot_id",), fresh=("source_id",)
    ),
    "DELETE /chatbots/{chatbot_id}/sources/{source_id}": Case(
        "documents:manage", 202, params=("chatbot_id",), fresh=("source_id",)
    ),
    # A snippet has nothing to sync: allowed callers learn that (409); refused ones never get as far.
    "POST /chatbots/{chatbot_id}/sources/{source_id}/sync": Case(
        "documents:manage", 409, params=("chatbot_id", "source_id")
    ),
    "GET /chatbots/{chatbot_id}/sources/{source_id}/pages": Case(
        "documents:read", 200, params=("chatbot_id", "source_id")
    ),
    "POST /chatbots/{chatbot_id}/search": Case("chat", 200, lambda w: {"query": "hours"}, ("chatbot_id",)),
    "POST /chatbots/{chatbot_id}/query": Case("chat", 200, lambda w: {"question": "Hours?"}, ("chatbot_id",)),
    "GET /chatbots/{chatbot_id}/conversations": Case("conversations:read", 200, params=("chatbot_id",)),
    # An id of no conversation: allowed callers learn that (404); refused ones never get as far.
    "GET /chatbots/{chatbot_id}/conversations/{conversation_id}": Case(
        "conversations:read", 404, params=("chatbot_id", "conversation_id")
    ),
    "GET /chatbots/{chatbot_id}/conversations/export": Case(
        "conversations:export", 200, params=("chatbot_id",), query={"format": "jsonl"}
    ),
    "POST /chatbots/{chatbot_id}/messages/{message_id}/feedback": Case(
        "feedback:give", 204, lambda w: {"rating": "up"}, ("chatbot_id", "message_id")
    ),
    "GET /chatbots/{chatbot_id}/analytics": Case("analytics:read", 200, params=("chatbot_id",)),
    "GET /chatbots/{chatbot_id}/gaps": Case("analytics:read", 200, params=("chatbot_id",)),
    "GET /handoffs": Case("handoffs:answer", 200),
    # No visitor asked for a person on this conversation: allowed callers learn that (404).
    **{
        f"POST /chatbots/{{chatbot_id}}/conversations/{{conversation_id}}/handoff/{step}": Case(
            "handoffs:answer", 404, body, ("chatbot_id", "conversation_id")
        )
        for step, body in (("take", None), ("messages", lambda w: {"text": "Hello"}), ("release", lambda w: {}))
    },
    "GET /usage": Case("usage:read", 200),
    "GET /members": Case("team:read", 200),
    # Anyone signed in may accept an invitation meant for them; this one is not theirs (404).
    "POST /members": Case("person", 404, lambda w: {"invitation": w.stray_code}),
    "POST /members/invitations": Case("team:manage", 201, _new_email),
    "DELETE /members/invitations/{invitation_id}": Case("team:manage", 204, fresh=("invitation_id",)),
    "PATCH /members/{user_id}": Case("team:manage", 200, lambda w: {"role": "admin"}, fresh=("user_id",)),
    "DELETE /members/{user_id}": Case("team:manage", 204, fresh=("user_id",)),
    "POST /members/{user_id}/ownership": Case("ownership:transfer", 200, fresh=("user_id",)),
    "GET /api-keys": Case("keys:manage", 200),
    "POST /api-keys": Case("keys:manage", 201, lambda w: {"name": "another"}),
    "DELETE /api-keys/{key_id}": Case("keys:manage", 204, fresh=("key_id",)),
}

# Principals and how a test becomes one: a token of that role in the world's tenant, or the tenant's API key.
CALLERS: dict[str, Callable[[World], dict[str, Any]]] = {
    **{role: (lambda world, role=role: {"token": world.tokens[role]}) for role in ("owner", "admin", "member")},  # type: ignore[misc]
    "api_key": lambda world: {"key": world.key},
}


def test_every_route_that_takes_a_token_is_in_the_role_table(template: dict[str, Any]) -> None:
    assert {f"{r.method} {r.path}" for r in http_routes(template) if r.authorizer} == set(ROUTES)
    assert {case.action for case in ROUTES.values()} <= set(MAY)


# The world as first built in this process: the World itself, moto's state and the Pinecone fake's records right after.
_BUILT: list[tuple[World, bytes, dict[str, dict[str, Any]]]] = []


@pytest.fixture
def world(lambdas: Any, register: Callable[..., dict[str, Any]], pinecone_fake: FakePinecone) -> World:
    """A tenant as World sets it up, built once per module and process: every later test starts from a copy of what
    the first build left in moto and in the fakes, as fresh as if it had built it again."""
    if not _BUILT:
        built = World(lambdas, register)
        _BUILT.append((built, pickled_moto_state(), copy.deepcopy(dict(pinecone_fake.namespaces))))
        return built
    built, moto_state, vectors = _BUILT[0]
    restore_moto_state(moto_state)
    pinecone_fake.load(copy.deepcopy(vectors))
    built.lambdas, built.register = lambdas, register
    return built


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_role_table(lambdas: Any, world: World, template: dict[str, Any], route: str) -> None:
    # Given a tenant with a caller of every principal, and the route's request
    case = ROUTES[route]
    method, path = route.split(" ", 1)
    function = next(r.function for r in http_routes(template) if (r.method, r.path) == (method, path))
    allowed = MAY[case.action]

    # When each calls it: the refused first (they change nothing), the owner last (closing the tenant or handing
    # it over is the last thing that can happen in it)
    answers: dict[str, Any] = {}
    for principal in sorted(CALLERS, key=lambda p: (p in allowed, p == "owner", p)):
        parameters = {name: world.parameter(name) for name in case.params}
        parameters |= {name: world.fresh(name) for name in case.fresh}
        response = lambdas.respond(
            function,
            method,
            path,
            **CALLERS[principal](world),
            path_parameters=parameters,
            body=case.body(world) if case.body else None,
            query=case.query,
        )
        status = response["statusCode"]
        refused = status == 403 and json.loads(response["body"]).get("error", {}).get("code") == "forbidden"
        answers[principal] = "forbidden" if refused else status

    # Then each gets the route's answer if their role may, else 403
    assert answers == {p: case.ok if p in allowed else "forbidden" for p in CALLERS}
