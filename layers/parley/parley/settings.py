"""Runtime settings: one validated model, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.domain.accounts import SignInLimits
from parley.domain.embeddings import MINILM_SPACE, OPENAI_MIN_RELEVANCE, EmbeddingSpace
from parley.errors import ConfigurationError

ENV_PREFIX = "PARLEY_"


class Settings(BaseModel):
    """Everything Parley reads from its environment (`PARLEY_<FIELD>` variables, set by template.yaml)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    tracing: bool = False
    table_name: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    # True where the user pool does not ask for e-mail confirmation: register then confirms the user itself.
    auto_confirm_users: bool = False

    documents_bucket: str | None = None
    max_upload_bytes: int = Field(default=50_000_000, gt=0)
    upload_url_ttl: int = Field(default=900, ge=60, le=3600)
    # Receives of an ingest message before SQS moves it to the dead-letter queue (the queue's maxReceiveCount).
    ingest_max_receives: int = Field(default=3, ge=1)

    embedder: Literal["openai", "minilm"] = "openai"
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int = Field(default=512, ge=64, le=3072)
    openai_api_key_secret: str | None = None  # a Secrets Manager secret name, never the key itself
    openai_base_url: str | None = None  # any OpenAI-compatible server

    # The floor of abuse protection for anonymous visitors of public chatbots (messages per minute).
    visitor_messages_per_minute: int = Field(default=10, ge=1)
    chatbot_messages_per_minute: int = Field(default=120, ge=1)

    # Failed sign-ins allowed in a window, per e-mail address (slows guessing one account's password) and per client
    # address, an IPv6 /64 counting as one (slows trying many accounts; offices behind one NAT share it).
    sign_in_failures_per_email: int = Field(default=10, ge=1)
    sign_in_failures_per_address: int = Field(default=50, ge=1)
    sign_in_window_seconds: int = Field(default=900, ge=60)

    # The WebSocket API's management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}).
    websocket_endpoint: str | None = None

    # The language model; "none" answers extractively from the passages (the local stack without a key).
    llm: Literal["openai", "none"] = "openai"

    vector_index: Literal["pinecone", "local"] = "pinecone"
    pinecone_api_key_secret: str | None = None
    pinecone_index_host: str | None = None
    # Where the local index keeps its files (the embedded default only).
    data_dir: str = ".local-data"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `PARLEY_*` variable; unknown ones are ignored so new settings can roll out first."""
        source = os.environ if env is None else env
        values = {key[len(ENV_PREFIX) :].lower(): value for key, value in source.items() if key.startswith(ENV_PREFIX)}
        # Empty variables (a template parameter left blank) mean "not set".
        return cls.model_validate({key: value for key, value in values.items() if value != ""})

    @property
    def embedding_space(self) -> EmbeddingSpace:
        """The space of the configured embedder's vectors."""
        if self.embedder == "minilm":
            return MINILM_SPACE
        return EmbeddingSpace(self.embedding_model, self.embedding_dimensions, OPENAI_MIN_RELEVANCE)

    @property
    def sign_in_limits(self) -> SignInLimits:
        return SignInLimits(
            self.sign_in_failures_per_email, self.sign_in_failures_per_address, self.sign_in_window_seconds
        )

    def require(self, name: str) -> str:
        """Return a setting a component cannot work without, or explain which variable is missing."""
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(f"{ENV_PREFIX}{name.upper()} is not set")
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read once."""
    return Settings.from_env()
