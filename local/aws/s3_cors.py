"""S3's CORS, decided by the bucket's rules as S3 decides it.

moto answers any preflight 200 (whatever the method and headers asked for, and for a bucket without CORS rules), so a
browser upload the bucket's rules refuse in AWS would work locally. The local AWS proxy answers preflights here, and
puts CORS headers on S3's answers to browser requests only when a rule allows the origin and method.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
    "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)


class PreflightRefused(Exception):
    """S3's refusal of a preflight: `status` and `code` as S3 answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _pattern(value: str, *, ignore_case: bool) -> re.Pattern[str]:
    # S3 rules allow `*` as a wildcard (one per origin); nothing else is special.
    return re.compile(
        "^" + ".*".join(re.escape(part) for part in value.split("*")) + "$", re.IGNORECASE if ignore_case else 0
    )


@dataclass(frozen=True)
class CorsRule:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    max_age: int | None = None

    @classmethod
    def from_s3(cls, rule: Mapping[str, Any]) -> CorsRule:
        """A rule as GetBucketCors returns it."""
        return cls(
            origins=tuple(rule.get("AllowedOrigins", ())),
            methods=tuple(rule.get("AllowedMethods", ())),
            headers=tuple(rule.get("AllowedHeaders", ())),
            expose=tuple(rule.get("ExposeHeaders", ())),
            max_age=rule.get("MaxAgeSeconds"),
        )

    def allows(self, origin: str, method: str, headers: Sequence[str] = ()) -> bool:
        return (
            any(_pattern(allowed, ignore_case=False).match(origin) for allowed in self.origins)
            and method in self.methods
            and all(any(_pattern(h, ignore_case=True).match(header) for h in self.headers) for header in headers)
        )

    def allow_origin(self, origin: str) -> str:
        return "*" if self.origins == ("*",) else origin

    def common_headers(self, origin: str) -> dict[str, str]:
        headers = {
            "Access-Control-Allow-Origin": self.allow_origin(origin),
            "Access-Control-Allow-Methods": ", ".join(self.methods),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if self.expose:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers


def preflight(rules: Sequence[CorsRule] | None, headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of S3's 200 answer to a preflight (`headers`: the request's, lower-cased names), the first rule
    that allows it deciding; PreflightRefused when S3 refuses it."""
    origin = headers.get("origin")
    if not origin:
        raise PreflightRefused(400, "BadRequest", "Insufficient information. Origin request header needed.")
    method = headers.get("access-control-request-method")
    if not method:
        raise PreflightRefused(400, "BadRequest", "Invalid Access-Control-Request-Method: null")
    if not rules:
        raise PreflightRefused(403, "AccessForbidden", NOT_ENABLED)
    asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
    for rule in rules:
        if rule.allows(origin, method, asked):
            answer = rule.common_headers(origin)
            if asked:
                answer["Access-Control-Allow-Headers"] = ", ".join(asked)
            return answer
    raise PreflightRefused(403, "AccessForbidden", NOT_ALLOWED)


def response_headers(rules: Sequence[CorsRule] | None, origin: str | None, method: str) -> dict[str, str]:
    """The CORS headers S3 adds to its answer to a request from `origin`: none unless a rule allows it (S3 still
    carries the request out; the browser then withholds the answer from the page)."""
    if not origin:
        return {}
    for rule in rules or ():
        if rule.allows(origin, method):
            return rule.common_headers(origin)
    return {}
