"""Who may do what in a tenant: the one table every route's permission check reads.

A principal is a team member's role, or `api_key` for a server calling with a tenant API key. Members use chatbots
and documents; admins also manage them and the team; owners also hold the keys and the tenant itself. A key acts for
the tenant but never for a person: it cannot touch the team, other keys or the tenant.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["owner", "admin", "member"]
Principal = Literal["owner", "admin", "member", "api_key"]

Action = Literal[
    "chatbots:read",
    "chatbots:manage",
    "documents:read",
    "documents:manage",
    "chat",
    "conversations:read",
    "conversations:export",
    "feedback:give",
    "handoffs:answer",
    "analytics:read",
    "usage:read",
    "team:read",
    "team:manage",
    "ownership:transfer",
    "keys:manage",
    "tenant:delete",
]

_EVERYONE: frozenset[Principal] = frozenset(get_args(Principal))
_PEOPLE: frozenset[Principal] = frozenset(get_args(Role))
_MANAGERS: frozenset[Principal] = frozenset({"owner", "admin", "api_key"})
_OWNER: frozenset[Principal] = frozenset({"owner"})

PERMISSIONS: dict[Action, frozenset[Principal]] = {
    "chatbots:read": _EVERYONE,
    "chatbots:manage": _MANAGERS,
    "documents:read": _EVERYONE,
    "documents:manage": _MANAGERS,
    "chat": _EVERYONE,
    "conversations:read": _EVERYONE,
    "conversations:export": _MANAGERS,
    "feedback:give": _EVERYONE,
    "handoffs:answer": _PEOPLE,
    "analytics:read": _EVERYONE,
    "usage:read": _EVERYONE,
    "team:read": _PEOPLE,
    "team:manage": frozenset({"owner", "admin"}),
    "ownership:transfer": _OWNER,
    "keys:manage": _OWNER,
    "tenant:delete": _OWNER,
}


def permits(principal: Principal, action: Action) -> bool:
    return principal in PERMISSIONS[action]
