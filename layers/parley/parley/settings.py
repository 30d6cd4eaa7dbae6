"""Runtime settings: one validated model per concern, read from the environment once per container.

Every setting keeps its variable, `PARLEY_<NAME>` (template.yaml sets them, the local stack adds its own), and a
group names it by alias where the field drops the group's word: `PARLEY_INGEST_MAX_PAGES` is
`settings.ingest.max_pages`. A function's environment holds only the resources it uses (its template entry and the
globals): it declares them (`Resource`, in functions/*/app.py) and a cold start without one of them fails, naming
the variable, before any event is handled. (An app.py that holds the entry points of several functions is checked
for all of them at import: those functions share their needs.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from parley.domain.accounts import SignInLimits
from parley.domain.chatbots import DEFAULT_SPENDING_LIMITS, Answering, SpendingLimits
from parley.domain.embeddings import (
    MINILM_SPACE,
    OPENAI_GAP_THRESHOLD,
    OPENAI_MIN_RELEVANCE,
    OPENAI_MIN_SENTENCE_SCORE,
    EmbeddingSpace,
)
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

# A resource's name (or a queue's URL) is whatever CloudFormation gives it: one word, checked at cold start for being
# there (Resource) rather than for its spelling. Endpoints are http(s) URLs.
Name = Annotated[str, StringConstraints(pattern=r"^\S+$")]
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Resource(Enum):
    """A resource of the stack a function may need, by the variable that names it."""

    TABLE = "table_name"
    DOCUMENTS_BUCKET = "documents_bucket"
    WEB_BUCKET = "web_bucket"
    ERASURE_QUEUE = "erasure_queue_url"
    CRAWL_QUEUE = "crawl_queue_url"
    USER_POOL = "user_pool_id"
    USER_POOL_CLIENT = "user_pool_client_id"
    WEBSOCKET_API = "websocket_endpoint"

    @property
    def variable(self) -> str:
        return f"{ENV_PREFIX}{self.value.upper()}"


class _Group(BaseModel):
    # Each group reads the whole environment and takes its own variables (by alias, where a field has one).
    model_config = ConfigDict(extra="ignore", frozen=True)


class Resources(_Group):
    """The stack's resources, by name or address; a function is given those it uses (template.yaml)."""

    table_name: Name | None = None
    documents_bucket: Name | None = None
    # Where the web console and the widget are hosted (the web config function writes config.json there).
    web_bucket: Name | None = None
    # The queue of erasure requests (deleted chatbots and tenants).
    erasure_queue_url: Name | None = None
    # The queue of website sources' pages to crawl.
    crawl_queue_url: Name | None = None
    user_pool_id: Name | None = None
    user_pool_client_id: Name | None = None
    # Where the pool publishes its token signing keys; unset, Cognito's public URL under the issuer (the local stack
    # points it at moto, which serves them under the same path).
    user_pool_keys_url: HttpUrl | None = None
    # The WebSocket API's management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}).
    websocket_endpoint: HttpUrl | None = None

    def __getitem__(self, resource: Resource) -> str:
        """The resource's name or address; ConfigurationError if this function's environment does not name it."""
        value = getattr(self, resource.value)
        if value is None:
            raise ConfigurationError(f"{resource.variable} is not set")
        return str(value)

    def check(self, needs: Collection[Resource]) -> None:
        """Refuse to start a function without a resource it needs, naming every variable missing."""
        missing = sorted(resource.variable for resource in needs if getattr(self, resource.value) is None)
        if missing:
            raise ConfigurationError(f"This function needs {', '.join(missing)}, not set in its environment")

    @property
    def user_pool_issuer(self) -> str:
        """The `iss` of the pool's tokens (a pool id starts with its region: `us-east-1_AbC123`)."""
        pool = self[Resource.USER_POOL]
        return f"https://cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}"

    @property
    def user_pool_signing_keys(self) -> str:
        return self.user_pool_keys_url or f"{self.user_pool_issuer}/.well-known/jwks.json"


class Providers(_Group):
    """Who embeds, answers and indexes: OpenAI and Pinecone (their keys in Secrets Manager, by name), or the
    embedded default (MiniLM, the local index, extractive answers) that the local stack runs offline."""

    embedder: Literal["openai", "minilm"] = "openai"
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int = Field(default=512, ge=64, le=3072)
    # The language model; "none" answers extractively from the passages (the local stack without a key).
    llm: Literal["openai", "none"] = "openai"
    openai_api_key_secret: Name | None = None  # a Secrets Manager secret name, never the key itself
    openai_base_url: HttpUrl | None = None  # any OpenAI-compatible server
    vector_index: Literal["pinecone", "local"] = "pinecone"
    pinecone_api_key_secret: Name | None = None
    # The index's host, as Pinecone names it (parley-abc123.svc.pinecone.io).
    pinecone_index_host: Name | None = None
    # Where the local index keeps its files (the embedded default only).
    data_dir: str = ".local-data"

    @property
    def embedding_space(self) -> EmbeddingSpace:
        """The space of the configured embedder's vectors."""
        if self.embedder == "minilm":
            return MINILM_SPACE
        return EmbeddingSpace(
            self.embedding_model,
            self.embedding_dimensions,
            min_relevance=OPENAI_MIN_RELEVANCE,
            min_sentence_score=OPENAI_MIN_SENTENCE_SCORE,
            gap_threshold=OPENAI_GAP_THRESHOLD,
        )

    @property
    def openai_key_secret(self) -> str:
        return _given(self.openai_api_key_secret, "openai_api_key_secret")

    @property
    def pinecone_key_secret(self) -> str:
        return _given(self.pinecone_api_key_secret, "pinecone_api_key_secret")

    @property
    def pinecone_host(self) -> str:
        return _given(self.pinecone_index_host, "pinecone_index_host")


class Uploads(_Group):
    """Documents uploaded through presigned POSTs: how large, how long a ticket works, how long one may wait."""

    max_bytes: int = Field(default=50_000_000, gt=0, alias="max_upload_bytes")
    ticket_ttl: int = Field(default=900, ge=60, le=3600, alias="upload_url_ttl")
    # How long past its ticket's expiry a document may wait for its upload before it ends `failed`.
    expiry_grace: int = Field(default=3600, ge=0, alias="upload_expiry_grace")


class Ingest(_Group):
    """Reading and indexing one document."""

    # Receives of an ingest message before SQS moves it to the dead-letter queue (the queue's maxReceiveCount).
    max_receives: int = Field(default=3, ge=1, alias="ingest_max_receives")
    # What one document may cost to read and index (IngestLimits, where each default is argued).
    max_expanded_bytes: int = Field(default=IngestLimits.expanded_bytes, gt=0, alias="ingest_max_expanded_bytes")
    max_pages: int = Field(default=IngestLimits.pages, gt=0, alias="ingest_max_pages")
    max_characters: int = Field(default=IngestLimits.characters, gt=0, alias="ingest_max_characters")
    max_chunks: int = Field(default=IngestLimits.chunks, gt=0, alias="ingest_max_chunks")
    max_seconds: float = Field(default=IngestLimits.seconds, gt=0, alias="ingest_max_seconds")

    @property
    def limits(self) -> IngestLimits:
        """The deployment's limits on one document; a plan may later bring its own."""
        return IngestLimits(
            expanded_bytes=self.max_expanded_bytes,
            pages=self.max_pages,
            characters=self.max_characters,
            chunks=self.max_chunks,
            seconds=self.max_seconds,
        )


class Answers(_Group):
    """The spending guard (template parameters AllowedModels and MaxAnswerTokens): the models chatbots may call on
    the platform's key, the first being the default, and the most tokens one answer may take; and when a Q&A pair
    answers a question as written."""

    allowed_models: NameList = DEFAULT_SPENDING_LIMITS.models
    max_answer_tokens: int = Field(default=DEFAULT_SPENDING_LIMITS.max_tokens, ge=1, le=4096)
    # The similarity at which a Q&A pair answers directly (mode "qa", no model call). Scores depend on the embedding
    # model: unset, the embedded default's measured MINILM_QA_THRESHOLD applies, and with OpenAI's embedder (never
    # measured offline) pairs answer only as passages until a deployment measures its own value with
    # `tests/benchmarks/qa_threshold.py --embedder openai` and sets it here.
    qa_match_threshold: float | None = Field(default=None, gt=0, le=1)
    # From this similarity two unanswered questions are one knowledge gap; unset, the embedding space's own.
    gap_group_threshold: float | None = Field(default=None, gt=0, le=1)

    @property
    def spending_limits(self) -> SpendingLimits:
        return SpendingLimits(self.allowed_models, self.max_answer_tokens)


class RateLimits(_Group):
    """Abuse limits, per minute (fixed windows counted in the table). A visitor of a public chatbot is counted by the
    id their widget keeps, by network (an IPv4 address; an IPv6 /64, which one subscriber holds whole), then against
    the chatbot's shared budget, which never refuses a network's first messages (services/public_chat.py)."""

    visitor_messages_per_minute: int = Field(default=10, ge=1)
    network_messages_per_minute: int = Field(default=20, ge=1)
    chatbot_messages_per_minute: int = Field(default=240, ge=1)
    # Owners' questions (REST and WebSocket) per tenant; WebSocket connections opened per network and tenant.
    tenant_questions_per_minute: int = Field(default=60, ge=1)
    connections_per_minute: int = Field(default=20, ge=1)
    # The time (epoch seconds) these windows and the sign-in failures' read instead of the clock. Only the local stacks
    # of the tests set it (template.yaml never does), so that a test's burst of messages or sign-ins falls in one
    # window whatever second it starts at; each test's counts are its own tenant's, chatbot's or e-mail's.
    fixed_time: int | None = Field(default=None, gt=0, alias="limits_fixed_time")

    def clock(self) -> Callable[[], float]:
        """What the rate limits' and sign-in windows read as the time: the clock, unless a test stack fixed it."""
        fixed = self.fixed_time
        return time.time if fixed is None else lambda: float(fixed)


class SignIn(_Group):
    """Signing up and in."""

    # True where the user pool does not ask for e-mail confirmation: register then confirms the user itself.
    auto_confirm_users: bool = False
    # Failed sign-ins on an e-mail from one network (an IPv4 /24, an IPv6 /64) before each attempt from there waits
    # twice as long as the last (slows guessing one account's password, not its owner elsewhere), and failed sign-ins
    # allowed in a window per client address, an IPv6 /64 counting as one (slows trying many accounts; offices behind
    # one NAT share it). domain/accounts.py's SignInLimits says why no count is per e-mail alone.
    failures_per_email: int = Field(default=5, ge=1, alias="sign_in_failures_per_email")
    failures_per_address: int = Field(default=50, ge=1, alias="sign_in_failures_per_address")
    window_seconds: int = Field(default=900, ge=60, alias="sign_in_window_seconds")

    @property
    def limits(self) -> SignInLimits:
        return SignInLimits(self.failures_per_email, self.failures_per_address, self.window_seconds)


class Exports(_Group):
    """Conversation exports: up to this weight in the response (domain/exports.py: response_weight) the file is the
    response, beyond it a download link (Lambda answers at most 6 MB, its headers included); at most this many
    conversations per request (one query each, which must end within the API's 30 s), and how long a link works."""

    inline_max_bytes: int = Field(default=5_000_000, ge=1, le=6_000_000, alias="export_inline_max_bytes")
    max_conversations: int = Field(default=1000, ge=1, alias="export_max_conversations")
    link_ttl: int = Field(default=900, ge=60, le=3600, alias="export_link_ttl")


class Crawl(_Group):
    """Website sources: how their crawler names itself, what one page may weigh, how deep links are followed from
    the start address, how long one sync may take, and how often a source syncs again."""

    # Whether website sources may fetch this machine's own (loopback) addresses, so the local stack can crawl a site
    # it serves; template.yaml never sets it, so a deployment refuses them (parley/crawling/addresses.py).
    allow_loopback: bool = Field(default=False, alias="fetch_allow_loopback")
    user_agent: str = Field(default="ParleyBot/1.0 (+https://github.com/parley/parley#bot)", alias="crawl_user_agent")
    max_page_bytes: int = Field(default=5_000_000, gt=0, alias="crawl_max_page_bytes")
    max_depth: int = Field(default=5, ge=0, alias="crawl_max_depth")
    max_sync_seconds: int = Field(default=3600, ge=60, alias="crawl_max_sync_seconds")
    resync_hours: int = Field(default=24, ge=1, alias="source_resync_hours")
    # How soon a sync whose pages are all crawled looks again at documents still being indexed.
    settle_seconds: int = Field(default=10, ge=0, le=900, alias="crawl_settle_seconds")
    # Receives of a crawl message before SQS moves it to the dead-letter queue (the queue's maxReceiveCount): the
    # last attempt at a page that keeps failing ends it `failed`, so the sync still ends.
    max_receives: int = Field(default=3, ge=1, alias="crawl_max_receives")


class Settings(BaseModel):
    """Everything Parley reads from its environment, by concern."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    tracing: bool = False
    resources: Resources = Resources()
    providers: Providers = Providers()
    uploads: Uploads = Uploads()
    ingest: Ingest = Ingest()
    answers: Answers = Answers()
    rate_limits: RateLimits = RateLimits()
    sign_in: SignIn = SignIn()
    exports: Exports = Exports()
    crawl: Crawl = Crawl()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `PARLEY_*` variable; unknown ones are ignored so new settings can roll out first."""
        source = os.environ if env is None else env
        # Empty variables (a template parameter left blank) mean "not set".
        values = {
            key[len(ENV_PREFIX) :].lower(): value
            for key, value in source.items()
            if key.startswith(ENV_PREFIX) and value != ""
        }
        groups = {name for name, field in cls.model_fields.items() if _group(field.annotation)}
        return cls.model_validate({**values, **dict.fromkeys(groups, values)})

    @classmethod
    def variables(cls) -> set[str]:
        """Every variable the settings read."""
        names: set[str] = set()
        for name, field in cls.model_fields.items():
            group = _group(field.annotation)
            names |= {part.alias or inner for inner, part in group.model_fields.items()} if group else {name}
        return {f"{ENV_PREFIX}{name.upper()}" for name in names}

    @property
    def gap_threshold(self) -> float:
        """The similarity from which two unanswered questions are grouped as one knowledge gap."""
        configured = self.answers.gap_group_threshold
        return configured if configured is not None else self.providers.embedding_space.gap_threshold

    @property
    def answering(self) -> Answering:
        """The spending guard, and whether a language model answers at all (`PARLEY_LLM` other than none)."""
        return Answering(self.answers.spending_limits, model_configured=self.providers.llm != "none")

    @property
    def qa_threshold(self) -> float | None:
        """The deployment's Q&A matching threshold, None when it has none measured for its embedder."""
        if self.answers.qa_match_threshold is not None:
            return self.answers.qa_match_threshold
        return MINILM_QA_THRESHOLD if self.providers.embedder == "minilm" else None


def _group(annotation: Any) -> type[_Group] | None:
    """The group a field of Settings holds, or None for a setting of its own (stage, tracing)."""
    return annotation if isinstance(annotation, type) and issubclass(annotation, _Group) else None


def _given(value: str | None, field: str) -> str:
    """A setting a component cannot work without, or which variable is missing."""
    if value is None:
        raise ConfigurationError(f"{ENV_PREFIX}{field.upper()} is not set")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read once."""
    return Settings.from_env()
