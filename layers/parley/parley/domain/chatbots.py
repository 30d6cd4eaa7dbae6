"""Chatbots: a tenant's configured assistants, each with its own prompt, model settings and public key."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from parley.domain.chunking import (
    DEFAULT_OVERLAP,
    DEFAULT_SIZE,
    MAX_OVERLAP,
    MAX_SIZE,
    MIN_SIZE,
    check_chunking,
)
from parley.domain.common import Model, Paged, Request

Visibility = Literal["private", "public"]
# A deleted chatbot is `deleting` until the erasure worker has removed it with everything it owned.
ChatbotStatus = Literal["active", "deleting"]

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(localhost|(?:{_LABEL}\.)+[a-z][a-z0-9-]*[a-z0-9]|\d{{1,3}}(?:\.\d{{1,3}}){{3}})$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str:
    """Return the canonical `scheme://host[:port]` form browsers send in `Origin`, or raise ValueError."""
    text = value.strip()
    if text.endswith("/"):
        text = text[:-1]
    parts = urlsplit(text)
    if parts.scheme not in _DEFAULT_PORTS or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r} is not an origin like https://example.com")
    host = (parts.hostname or "").lower()
    if not _HOST.match(host):
        raise ValueError(f"{value!r} does not name a valid host")
    port = parts.port  # raises ValueError for a malformed port
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _normalize_origins(values: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_origin(value) for value in values))


def new_public_key() -> str:
    """A publishable key: safe to embed in a web page, it only opens the chatbot's public chat."""
    return "pk_" + secrets.token_urlsafe(24)


_PUBLIC_KEY = re.compile(r"^pk_[A-Za-z0-9_-]{32}$")


def is_public_key(value: str) -> bool:
    """Whether `value` has the shape of a key new_public_key issues."""
    return bool(_PUBLIC_KEY.match(value))


Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=1000)]
SystemPrompt = Annotated[str, StringConstraints(max_length=8000)]
WelcomeMessage = Annotated[str, StringConstraints(max_length=1000)]
ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")]
Temperature = Annotated[float, Field(ge=0, le=2)]
MaxTokens = Annotated[int, Field(ge=1, le=4096)]
TopK = Annotated[int, Field(ge=1, le=50)]
# scheme://, a host name of at most 253 characters, :port.
Origin = Annotated[str, StringConstraints(max_length=270)]
Origins = Annotated[list[Origin], Field(max_length=20), AfterValidator(_normalize_origins)]
ChunkSize = Annotated[int, Field(ge=MIN_SIZE, le=MAX_SIZE)]
ChunkOverlap = Annotated[int, Field(ge=0, le=MAX_OVERLAP)]
MinRelevance = Annotated[float, Field(ge=0, le=1)]
# Seconds; a few seconds is allowed so that a test (or a demo) can see the timeout without waiting minutes.
HandoffTimeout = Annotated[int, Field(ge=1, le=3600)]
DEFAULT_HANDOFF_TIMEOUT = 120


@dataclass(frozen=True)
class SpendingLimits:
    """What a chatbot may spend of the platform's model key: the deployment's allowed models (the first is the
    default of new chatbots) and the most tokens one answer may take."""

    models: tuple[str, ...]
    max_tokens: int

    @property
    def default_model(self) -> str:
        return self.models[0]

    def check(self, model_name: str | None, max_tokens: int | None, *, under: str = "this deployment") -> None:
        """Raise ValueError naming each choice these limits (of `under`: the deployment, or a plan) do not allow."""
        problems = []
        if model_name is not None and model_name not in self.models:
            problems.append(f"model_name: {model_name!r} is not available; choose one of {', '.join(self.models)}")
        if max_tokens is not None and max_tokens > self.max_tokens:
            problems.append(f"max_tokens: at most {self.max_tokens} on {under}")
        if problems:
            raise ValueError("; ".join(problems))

    def model_for(self, chatbot: Chatbot) -> str:
        """The model to call: the chatbot's while the deployment allows it (the list may have narrowed since the
        chatbot chose it), else the default."""
        return chatbot.model_name if chatbot.model_name in self.models else self.default_model

    def max_tokens_for(self, chatbot: Chatbot) -> int:
        return min(chatbot.max_tokens, self.max_tokens)


# A short list of small models (the default first) and an answer of at most ~750 words; see settings.py.
DEFAULT_SPENDING_LIMITS = SpendingLimits(models=("gpt-4o-mini", "gpt-4.1-mini"), max_tokens=1024)


@dataclass(frozen=True)
class Answering:
    """How this deployment answers: within its spending guard, and with a language model only when one is configured
    (without one, an answer is quotes from the documents and a chatbot's model settings go unused)."""

    limits: SpendingLimits
    model_configured: bool


# A deployment as template.yaml's defaults make it: the default spending guard, and OpenAI's chat model.
DEFAULT_ANSWERING = Answering(DEFAULT_SPENDING_LIMITS, model_configured=True)


class ChatbotSettings(BaseModel):
    """The fields a tenant chooses; shared by create, update and the stored record."""

    name: Name
    description: Description = ""
    system_prompt: SystemPrompt = ""
    welcome_message: WelcomeMessage = ""
    model_name: ModelName = "gpt-4o-mini"
    temperature: Temperature = 0.2
    max_tokens: MaxTokens = 512
    top_k: TopK = 5
    visibility: Visibility = "private"
    allowed_origins: Origins = []
    # How this chatbot's documents are cut into passages (tokens); applies to documents indexed afterwards.
    chunk_size: ChunkSize = DEFAULT_SIZE
    chunk_overlap: ChunkOverlap = DEFAULT_OVERLAP
    # Replace e-mail addresses, phone, card and IBAN numbers in questions before they reach the model or storage.
    redact_pii: bool = True
    # Below this similarity between question and best passage, the answer is "not in the documents" and no model is
    # called; unset, the embedding model's calibrated default applies (parley/domain/embeddings.py).
    min_relevance: MinRelevance | None = None
    # How long a visitor who asked for a person waits for a member to take the conversation before being told that
    # nobody is available (and offered to leave an e-mail address).
    handoff_timeout_seconds: HandoffTimeout = DEFAULT_HANDOFF_TIMEOUT


class ChatbotCreate(Request, ChatbotSettings):
    @model_validator(mode="after")
    def _check_chunking(self) -> ChatbotCreate:
        check_chunking(self.chunk_size, self.chunk_overlap)
        return self


class ChatbotUpdate(Request):
    """A partial update: only the fields present in the body change; none may be set to null."""

    name: Name | None = None
    description: Description | None = None
    system_prompt: SystemPrompt | None = None
    welcome_message: WelcomeMessage | None = None
    model_name: ModelName | None = None
    temperature: Temperature | None = None
    max_tokens: MaxTokens | None = None
    top_k: TopK | None = None
    visibility: Visibility | None = None
    allowed_origins: Origins | None = None
    chunk_size: ChunkSize | None = None
    chunk_overlap: ChunkOverlap | None = None
    redact_pii: bool | None = None
    min_relevance: MinRelevance | None = None
    handoff_timeout_seconds: HandoffTimeout | None = None

    @model_validator(mode="after")
    def _reject_nulls(self) -> ChatbotUpdate:
        nulls = sorted(field for field in self.model_fields_set if getattr(self, field) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class Chatbot(Model, ChatbotSettings):
    id: str
    tenant_id: str
    public_key: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def status(self) -> ChatbotStatus:
        return "active" if self.deleted_at is None else "deleting"


class ChatbotPublic(ChatbotSettings):
    """A chatbot as its owners see it."""

    id: str
    status: ChatbotStatus
    public_key: str
    created_at: datetime
    updated_at: datetime


class VisitorChatbot(BaseModel):
    """A public chatbot as a website visitor's chat shows it: its id (the chat's frames name it), name and welcome;
    nothing of its settings."""

    id: str
    name: str
    welcome_message: str


class ChatbotDeletion(BaseModel):
    """A deleted chatbot: listed and readable as `deleting`, and refused everything else, until it is erased."""

    id: str
    status: Literal["deleting"] = "deleting"


class ChatbotList(Paged):
    items: list[ChatbotPublic]
