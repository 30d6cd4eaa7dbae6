"""One hierarchy of errors; each carries the HTTP status and the stable code clients see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

INTERNAL_MESSAGE = "Something went wrong on our side"


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

    @property
    def public_message(self) -> str:
        """What a client is told: the message, unless the failure is ours (5xx), whose details stay in the logs."""
        return INTERNAL_MESSAGE if self.status >= 500 else self.message


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


class Forbidden(ParleyError):
    code, status = "forbidden", 403


class NotFound(ParleyError):
    code, status = "not_found", 404


class ChatbotNotFound(NotFound):
    """Another tenant's, a deleted and an unknown chatbot look the same to the caller."""

    @classmethod
    def default_message(cls) -> str:
        return "Chatbot not found"


class DocumentNotFound(NotFound):
    @classmethod
    def default_message(cls) -> str:
        return "Document not found"


class ConversationNotFound(NotFound):
    """Another tenant's, another visitor's and an unknown conversation look the same to the caller."""

    @classmethod
    def default_message(cls) -> str:
        return "Conversation not found"


class HandoffNotFound(NotFound):
    """No request for a person on this conversation (or not the caller's tenant's, or not the visitor's own)."""

    @classmethod
    def default_message(cls) -> str:
        return "No one asked for a person on this conversation"


class HandoffConflict(ParleyError):
    """The handoff is not in the state this needs: another member took it, it is not waiting, or not yours to answer."""

    code, status = "conflict", 409


class ConversationHeld(HandoffConflict):
    """The visitor's conversation waits for or is held by a person: the bot does not answer it."""

    @classmethod
    def default_message(cls) -> str:
        return "A person is answering this conversation; the bot is silent until they hand it back"


class ExportTooLarge(ParleyError):
    """More conversations in an export's range than one request reads; a narrower range gets them."""

    code, status = "export_too_large", 422


class ApiKeyNotFound(NotFound):
    """Another tenant's, a revoked and an unknown key look the same to the caller."""

    @classmethod
    def default_message(cls) -> str:
        return "API key not found"


class AnswerNotFound(NotFound):
    """Another tenant's, another chatbot's, another visitor's, a question's and an unknown message look the same."""

    @classmethod
    def default_message(cls) -> str:
        return "Answer not found"


class SourceNotFound(NotFound):
    """Another tenant's, a deleted and an unknown source look the same to the caller."""

    @classmethod
    def default_message(cls) -> str:
        return "Source not found"


class SourceBusy(ParleyError):
    """A source that cannot do this now: a sync is under way, or it has nothing to sync (a snippet, a Q&A pair)."""

    code, status = "conflict", 409


class EmailTaken(ParleyError):
    code, status = "email_taken", 409


class DocumentBusy(ParleyError):
    """A document that cannot change now: being indexed, still waiting for its first upload, or kept by a source."""

    code, status = "conflict", 409


class ObjectChanged(ParleyError):
    """An uploaded object was replaced or removed after its event was sent; the newer upload's event follows."""

    code, status = "object_changed", 409


class MemberNotFound(NotFound):
    """Another tenant's member and an unknown user look the same to the caller."""

    @classmethod
    def default_message(cls) -> str:
        return "Member not found"


class InvitationNotFound(NotFound):
    """Another tenant's, a withdrawn, an accepted and an unknown invitation look the same."""

    @classmethod
    def default_message(cls) -> str:
        return "Invitation not found"


class InvitationExpired(ParleyError):
    code, status = "invitation_expired", 410


class InvitationForAnotherEmail(ParleyError):
    code, status = "invitation_email_mismatch", 403


class AlreadyInATeam(ParleyError):
    """Joining a team while belonging to another that holds something (a chatbot, another member)."""

    code, status = "already_in_a_team", 409


class AlreadyMember(ParleyError):
    code, status = "already_member", 409


class LastOwner(ParleyError):
    code, status = "last_owner", 409


class TeamFull(ParleyError):
    code, status = "team_full", 409


class UnreadableDocument(ParleyError):
    """An uploaded file that cannot be indexed whatever the number of attempts: damaged, empty, scanned, or over
    an ingest limit. Its message says why in words its owner can act on; the document ends `failed` at once."""

    code, status = "unreadable_document", 422


class OverIngestLimit(UnreadableDocument):
    """A file over one of ingest's limits (size, text, pages, parts, unpacked size, reading time)."""


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


class PlanLimitReached(ParleyError):
    """What the tenant's plan allows is used up; the message names the limit and, for a monthly one, when it
    resets."""

    code, status = "plan_limit", 402


class UnknownAction(ParleyError):
    """A WebSocket frame whose `action` names no route."""

    code, status = "unknown_action", 400


class UpstreamUnavailable(ParleyError):
    code, status = "upstream_unavailable", 503


class InternalError(ParleyError):
    """A failure on our side; clients see only that something went wrong."""

    code, status = "internal_error", 500


class ConfigurationError(InternalError):
    """The deployment is missing something; never the caller's fault."""


class StreamInterrupted(Exception):
    """The one following a streamed answer has gone (a closed WebSocket): stop writing it."""


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The one error shape of every HTTP response and WebSocket error frame."""
    return {"error": {"code": code, "message": message}}


def validation_message(problems: Iterable[Mapping[str, Any]]) -> str:
    """Pydantic's validation problems as one readable line: `field: what is wrong; …`."""
    parts = []
    for problem in problems:
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
        parts.append(f"{where}: {problem.get('msg')}" if where else str(problem.get("msg")))
    return "; ".join(parts) or "Invalid request"
