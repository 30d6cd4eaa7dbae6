"""Runtime settings: one validated model, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from parley.domain.accounts import SignInLimits
from parley.domain.chatbots import DEFAULT_SPENDING_LIMITS, SpendingLimits
from parley.domain.embeddings import MINILM_SPACE, OPENAI_MIN_RELEVANCE, EmbeddingSpace
from parley.domain.ingest_limits import IngestLimits
from parley.errors import ConfigurationError

ENV_PREFIX = "PARLEY_"
# The cosine similarity, in all-MiniLM-L6-v2's space, from which a visitor's question is taken to ask what a Q&A pair's
# question asks: the lowest with precision >= 0.98 on the train half of tests/benchmarks/data/qa_pairs.jsonl (47 pairs
# in 7 domains, 141 paraphrases, 94 same-topic near-misses), measured by tests/benchmarks/qa_threshold.py. On the
# held-out half: precision 1.00 (no wrong direct answer), recall 0.16 of paraphrases (0.26 at 0.82, still with no
# wrong one); MiniLM ranks same-topic questions close ("What time is check-out?" is 0.87 from "What time is
# check-in?"), so only near-verbatim questions answer directly and the rest are answered from the pair as a passage.
MINILM_QA_THRESHOLD = 0.87


def _comma_separated(value: Any) -> Any:
    """A list variable arrives as one comma-separated string (a CommaDelimitedList parameter, joined)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


NameList = Annotated[tuple[str, ...], BeforeValidator(_comma_separated), Field(min_length=1)]


class Settings(BaseModel):
    """Everything Parley reads from its environment (`PARLEY_<FIELD>` variables, set by template.yaml)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    tracing: bool = False
    table_name: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    # Where the pool publishes its token signing keys; unset, Cognito's public URL under the issuer (the local stack
    # points it at moto, which serves them under the same path).
    user_pool_keys_url: str | None = None
    # True where the user pool does not ask for e-mail confirmation: register then confirms the user itself.
    auto_confirm_users: bool = False

    documents_bucket: str | None = None
    # Where the web console and the widget are hosted (the web config function writes config.json there).
    web_bucket: str | None = None
    max_upload_bytes: int = Field(default=50_000_000, gt=0)
    upload_url_ttl: int = Field(default=900, ge=60, le=3600)
    # How long past its ticket's expiry a document may wait for its upload before it ends `failed`.
    upload_expiry_grace: int = Field(default=3600, ge=0)
    # The queue of erasure requests (deleted chatbots and tenants).
    erasure_queue_url: str | None = None
    # Receives of an ingest message before SQS moves it to the dead-letter queue (the queue's maxReceiveCount).
    ingest_max_receives: int = Field(default=3, ge=1)
    # What one document may cost to read and index (IngestLimits, where each default is argued).
    ingest_max_expanded_bytes: int = Field(default=IngestLimits.expanded_bytes, gt=0)
    ingest_max_pages: int = Field(default=IngestLimits.pages, gt=0)
    ingest_max_characters: int = Field(default=IngestLimits.characters, gt=0)
    ingest_max_chunks: int = Field(default=IngestLimits.chunks, gt=0)
    ingest_max_seconds: float = Field(default=IngestLimits.seconds, gt=0)

    # The similarity at which a Q&A pair answers directly (mode "qa", no model call). Scores depend on the embedding
    # model: unset, the embedded default's measured MINILM_QA_THRESHOLD applies, and with OpenAI's embedder (never
    # measured offline) pairs answer only as passages until a deployment measures its own value with
    # `tests/benchmarks/qa_threshold.py --embedder openai` and sets it here.
    qa_match_threshold: float | None = Field(default=None, gt=0, le=1)

    embedder: Literal["openai", "minilm"] = "openai"
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int = Field(default=512, ge=64, le=3072)
    openai_api_key_secret: str | None = None  # a Secrets Manager secret name, never the key itself
    openai_base_url: str | None = None  # any OpenAI-compatible server

    # The spending guard (template parameters AllowedModels and MaxAnswerTokens): the models chatbots may call on
    # the platform's key, the first being the default, and the most tokens one answer may take.
    allowed_models: NameList = DEFAULT_SPENDING_LIMITS.models
    max_answer_tokens: int = Field(default=DEFAULT_SPENDING_LIMITS.max_tokens, ge=1, le=4096)
    # Abuse limits, per minute (fixed windows counted in the table). A visitor of a public chatbot is counted by
    # the id their widget keeps, by network (an IPv4 address; an IPv6 /64, which one subscriber holds whole), then
    # against the chatbot's shared budget, which never refuses a network's first messages (services/public_chat.py).
    visitor_messages_per_minute: int = Field(default=10, ge=1)
    network_messages_per_minute: int = Field(default=20, ge=1)
    chatbot_messages_per_minute: int = Field(default=240, ge=1)
    # Owners' questions (REST and WebSocket) per tenant; WebSocket connections opened per network and tenant.
    tenant_questions_per_minute: int = Field(default=60, ge=1)
    connections_per_minute: int = Field(default=20, ge=1)

    # Failed sign-ins allowed in a window, per e-mail address (slows guessing one account's password) and per client
    # address, an IPv6 /64 counting as one (slows trying many accounts; offices behind one NAT share it).
    sign_in_failures_per_email: int = Field(default=10, ge=1)
    sign_in_failures_per_address: int = Field(default=50, ge=1)
    sign_in_window_seconds: int = Field(default=900, ge=60)

    # Conversation exports: up to this weight in the response (domain/exports.py: response_weight) the file is the
    # response, beyond it a download link (Lambda answers at most 6 MB, its headers included); at most this many
    # conversations per request (one query each, which must end within the API's 30 s), and how long a link works.
    export_inline_max_bytes: int = Field(default=5_000_000, ge=1, le=6_000_000)
    export_max_conversations: int = Field(default=1000, ge=1)
    export_link_ttl: int = Field(default=900, ge=60, le=3600)

    # The WebSocket API's management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}).
    websocket_endpoint: str | None = None

    # The language model; "none" answers extractively from the passages (the local stack without a key).
    llm: Literal["openai", "none"] = "openai"

    vector_index: Literal["pinecone", "local"] = "pinecone"
    pinecone_api_key_secret: str | None = None
    pinecone_index_host: str | None = None
    # Where the local index keeps its files (the embedded default only).
    data_dir: str = ".local-data"

    # Whether website sources may fetch this machine's own (loopback) addresses, so the local stack can crawl a site
    # it serves; template.yaml never sets it, so a deployment refuses them (parley/crawling/addresses.py).
    fetch_allow_loopback: bool = False
    # Website sources: the queue of their pages, how their crawler names itself, what one page may weigh, how deep
    # links are followed from the start address, how long one sync may take, and how often a source syncs again.
    crawl_queue_url: str | None = None
    crawl_user_agent: str = "ParleyBot/1.0 (+https://github.com/parley/parley#bot)"
    crawl_max_page_bytes: int = Field(default=5_000_000, gt=0)
    crawl_max_depth: int = Field(default=5, ge=0)
    crawl_max_sync_seconds: int = Field(default=3600, ge=60)
    source_resync_hours: int = Field(default=24, ge=1)
    # How soon a sync whose pages are all crawled looks again at documents still being indexed.
    crawl_settle_seconds: int = Field(default=10, ge=0, le=900)
    # Receives of a crawl message before SQS moves it to the dead-letter queue (the queue's maxReceiveCount): the
    # last attempt at a page that keeps failing ends it `failed`, so the sync still ends.
    crawl_max_receives: int = Field(default=3, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `PARLEY_*` variable; unknown ones are ignored so new settings can roll out first."""
        source = os.environ if env is None else env
        values = {key[len(ENV_PREFIX) :].lower(): value for key, value in source.items() if key.startswith(ENV_PREFIX)}
        # Empty variables (a template parameter left blank) mean "not set".
        return cls.model_validate({key: value for key, value in values.items() if value != ""})

    @property
    def user_pool_issuer(self) -> str:
        """The `iss` of the pool's tokens (a pool id starts with its region: `us-east-1_AbC123`)."""
        pool = self.require("user_pool_id")
        return f"https://cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}"

    @property
    def user_pool_signing_keys(self) -> str:
        return self.user_pool_keys_url or f"{self.user_pool_issuer}/.well-known/jwks.json"

    @property
    def spending_limits(self) -> SpendingLimits:
        return SpendingLimits(self.allowed_models, self.max_answer_tokens)

    @property
    def embedding_space(self) -> EmbeddingSpace:
        """The space of the configured embedder's vectors."""
        if self.embedder == "minilm":
            return MINILM_SPACE
        return EmbeddingSpace(self.embedding_model, self.embedding_dimensions, OPENAI_MIN_RELEVANCE)

    @property
    def qa_threshold(self) -> float | None:
        """The deployment's Q&A matching threshold, None when it has none measured for its embedder."""
        if self.qa_match_threshold is not None:
            return self.qa_match_threshold
        return MINILM_QA_THRESHOLD if self.embedder == "minilm" else None

    @property
    def ingest_limits(self) -> IngestLimits:
        """The deployment's limits on one document; a plan may later bring its own."""
        return IngestLimits(
            expanded_bytes=self.ingest_max_expanded_bytes,
            pages=self.ingest_max_pages,
            characters=self.ingest_max_characters,
            chunks=self.ingest_max_chunks,
            seconds=self.ingest_max_seconds,
        )

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
