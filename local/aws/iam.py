"""Each function's IAM policy as template.yaml grants it, evaluated the way IAM does for identity policies.

The local stack gives every function its own access key; the AWS proxy (proxy.py) maps a request's key to
its function and asks the function's `Policy` whether the action on the resource is allowed. An explicit Deny wins,
then an Allow, and anything else is an implicit deny, as in AWS.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from local.template import ACCOUNT_ID, Resolver, TemplateError

# SAM adds these to every function's role (AWSLambdaBasicExecutionRole); logs go to the terminal locally.
BASIC_EXECUTION = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


@cache
def _pattern(glob: str, *, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: `*` is any run of characters (slashes included), `?` is one character.
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in glob)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    @classmethod
    def of(cls, raw: Mapping[str, Any], where: str) -> Statement:
        unsupported = set(raw) - {"Sid", "Effect", "Action", "Resource"}
        if unsupported:
            # NotAction, NotResource and Condition change the meaning; refuse rather than evaluate them wrongly.
            raise TemplateError(f"{where}: the local IAM check does not evaluate {sorted(unsupported)}")
        return cls(raw["Effect"], _as_tuple(raw["Action"]), _as_tuple(raw["Resource"]))

    def covers(self, action: str, resource: str) -> bool:
        return any(_pattern(glob, ignore_case=True).match(action) for glob in self.actions) and any(
            _pattern(glob, ignore_case=False).match(resource) for glob in self.resources
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str
    # What allowed it: (statement's position in the function's policy, the action pattern that matched).
    granted_by: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Policy:
    """What one function's execution role may do."""

    function: str
    statements: tuple[Statement, ...]
    access_key_id: str = field(default_factory=lambda: "ASIA" + secrets.token_hex(8).upper())
    secret_access_key: str = field(default_factory=lambda: secrets.token_urlsafe(30), repr=False)

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{self.function}Role/{self.function}"

    def decide(self, action: str, resource: str) -> Decision:
        matching = [(number, s) for number, s in enumerate(self.statements) if s.covers(action, resource)]
        if any(statement.effect == "Deny" for _, statement in matching):
            reason = f"with an explicit deny in an identity-based policy of {self.function}"
        elif matching:
            granted_by = tuple(
                (number, glob)
                for number, statement in matching
                for glob in statement.actions
                if _pattern(glob, ignore_case=True).match(action)
            )
            return Decision(True, "", granted_by)
        else:
            reason = f"because no identity-based policy of {self.function} allows the {action} action"
        return Decision(
            False, f"User: {self.principal} is not authorized to perform: {action} on resource: {resource} {reason}"
        )


def function_policies(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Policy]:
    """Every function's policy: its template statements (intrinsics resolved) plus SAM's basic execution role."""
    policies = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        statements = [Statement("Allow", BASIC_EXECUTION, ("*",))]
        for number, document in enumerate(resource["Properties"].get("Policies", [])):
            where = f"{logical_id}.Policies[{number}]"
            if not isinstance(document, dict) or set(document) != {"Statement"}:
                # Managed policies and SAM policy templates would have to be expanded here to be checked.
                raise TemplateError(f"{where}: the local stack checks inline statements only, not {document!r}")
            statements += [Statement.of(raw, where) for raw in resolver.resolve(document["Statement"])]
        policies[logical_id] = Policy(logical_id, tuple(statements))
    return policies


class IamUsage:
    """Which of the functions' statements allowed a call, written as JSON lines to a file as the stack runs: first each
    function's statements (`{"function", "statement", "effect", "actions", "resources", "sam"}`), then each
    (function, statement, action pattern) the first time it allows a call (`{"function", "statement", "pattern",
    "action", "resource"}`). Tests read it to know that every statement of the template is needed by a path they
    run, so that removing it would fail that path (the proxy then refuses the call, naming function and action)."""

    def __init__(self, path: Path, policies: Iterable[Policy]) -> None:
        self.path = path
        self._seen: set[tuple[str, int, str]] = set()
        self._lock = threading.Lock()
        with path.open("w") as out:
            for policy in policies:
                for number, statement in enumerate(policy.statements):
                    line = {
                        "function": policy.function,
                        "statement": number,
                        "effect": statement.effect,
                        "actions": list(statement.actions),
                        "resources": list(statement.resources),
                        "sam": statement.actions == BASIC_EXECUTION,
                    }
                    out.write(json.dumps(line) + "\n")

    def record(self, function: str, action: str, resource: str, decision: Decision) -> None:
        new = [(function, number, glob) for number, glob in decision.granted_by]
        with self._lock:
            new = [key for key in new if key not in self._seen]
            if not new:
                return
            self._seen.update(new)
            with self.path.open("a") as out:
                for _, number, glob in new:
                    line = {"function": function, "statement": number, "pattern": glob}
                    out.write(json.dumps({**line, "action": action, "resource": resource}) + "\n")


class Policies:
    """The functions' policies, found by the access key a request was signed with."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self._by_key = {policy.access_key_id: policy for policy in policies}

    def by_access_key(self, access_key_id: str) -> Policy | None:
        return self._by_key.get(access_key_id)

    def __iter__(self) -> Iterator[Policy]:
        return iter(self._by_key.values())

    def credentials(self) -> dict[str, tuple[str, str]]:
        """function → (access key id, secret access key)."""
        return {policy.function: (key, policy.secret_access_key) for key, policy in self._by_key.items()}
