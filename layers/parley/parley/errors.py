"""One hierarchy of errors; each carries the HTTP status and the stable code clients see."""

from __future__ import annotations

from typing import ClassVar


class ParleyError(Exception):
    """A failure the caller can understand; its message is safe to show."""

    code: ClassVar[str] = "bad_request"
    status: ClassVar[int] = 400

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message())

    @classmethod
    def default_message(cls) -> str:
        return cls.code.replace("_", " ").capitalize()

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(ParleyError):
    code, status = "invalid_input", 400


class ValidationFailed(ParleyError):
    """Input that is well-formed but breaks a rule spanning several fields (same code as schema errors)."""

    code, status = "validation_error", 422


class WeakPassword(ParleyError):
    code, status = "weak_password", 400


class Unauthorized(ParleyError):
    code, status = "unauthorized", 401


class InvalidCredentials(ParleyError):
    code, status = "invalid_credentials", 401


class EmailNotConfirmed(ParleyError):
    code, status = "email_not_confirmed", 403


class NotFound(ParleyError):
    code, status = "not_found", 404


class EmailTaken(ParleyError):
    code, status = "email_taken", 409


class ObjectChanged(ParleyError):
    """An uploaded object was replaced or removed after its event was sent; the newer upload's event follows."""

    code, status = "object_changed", 409


class PayloadTooLarge(ParleyError):
    code, status = "file_too_large", 413


class UnsupportedMediaType(ParleyError):
    code, status = "unsupported_media_type", 415


class OriginNotAllowed(ParleyError):
    code, status = "origin_not_allowed", 403


class RateLimited(ParleyError):
    code, status = "rate_limited", 429

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamUnavailable(ParleyError):
    code, status = "upstream_unavailable", 503


class ConfigurationError(ParleyError):
    """The deployment is missing something; never the caller's fault."""

    code, status = "internal_error", 500


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The one error shape of every HTTP response and WebSocket error frame."""
    return {"error": {"code": code, "message": message}}
