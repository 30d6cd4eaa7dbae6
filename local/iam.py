"""Each function's IAM policy as template.yaml grants it, evaluated the way IAM does for identity policies.

The local stack gives every function its own access key; the AWS proxy (local/aws_proxy.py) maps a request's key to
its function and asks the function's `Policy` whether the action on the resource is allowed. An explicit Deny wins,
then an Allow, and anything else is an implicit deny, as in AWS.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
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
        matching = [statement for statement in self.statements if statement.covers(action, resource)]
        if any(statement.effect == "Deny" for statement in matching):
            reason = f"with an explicit deny in an identity-based policy of {self.function}"
        elif matching:
            return Decision(True, "")
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


class Policies:
    """The functions' policies, found by the access key a request was signed with."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self._by_key = {policy.access_key_id: policy for policy in policies}

    def by_access_key(self, access_key_id: str) -> Policy | None:
        return self._by_key.get(access_key_id)

    def credentials(self) -> dict[str, tuple[str, str]]:
        """function → (access key id, secret access key)."""
        return {policy.function: (key, policy.secret_access_key) for key, policy in self._by_key.items()}
