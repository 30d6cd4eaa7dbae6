"""The small interfaces services depend on; adapters implement them for AWS and for tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Annotations only: a function loads the domain models of the ports it uses, not of every port.
    from datetime import date, datetime

    from parley.domain.accounts import Failures, SignIn, Tenant, Tokens, UserProfile
    from parley.domain.analytics import AnalyticsDay, Tally
    from parley.domain.api_keys import ApiKey, ApiKeyGrant
    from parley.domain.chatbots import Chatbot
    from parley.domain.common import Page, PageRequest
    from parley.domain.connections import Connection
    from parley.domain.conversations import Conversation, Feedback, Message, Usage
    from parley.domain.documents import Awaited, Document
    from parley.domain.erasure import ErasureRequest
    from parley.domain.feedback import StoredAnswer
    from parley.domain.gaps import Gap
    from parley.domain.handoff import Handoff
    from parley.domain.lexical import Contribution, Statistics
    from parley.domain.roles import Role
    from parley.domain.sources import CrawlMessage, PageRecord, Source
    from parley.domain.team import Invitation, Member, StoredInvitation
    from parley.domain.vectors import Hit, HybridQuery, VectorRecord


class IdentityProvider(Protocol):
    """Users' credentials and sessions (Cognito in AWS and in the local stack)."""

    def sign_up(self, email: str, password: str, name: str) -> str:
        """Create the user and return its stable id (the token's `sub`)."""

    def confirm(self, email: str) -> None: ...

    def delete(self, email: str) -> None:
        """Remove the user; nothing happens if there is none."""

    def sign_in(self, email: str, password: str) -> SignIn: ...

    def refresh(self, refresh_token: str) -> Tokens: ...

    def sign_out(self, access_token: str) -> None:
        """Revoke the user's refresh tokens."""

    def verified_claims(self, access_token: str) -> dict[str, Any]:
        """The claims of an access token of this app, checked where it is used (signature, issuer, expiry,
        token_use, client id) without a call to the provider; Unauthorized if any check fails."""


class AccountStore(Protocol):
    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        """Store a new tenant and its first user together, or neither."""

    def get_user(self, user_id: str) -> UserProfile | None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def sign_out(self, user_id: str, at: int) -> None:
        """Record that the user signed out at `at` (epoch seconds): tokens issued until then are refused."""

    def delete_user(self, user_id: str) -> None: ...

    def erase_tenant(self, tenant_id: str) -> None:
        """Delete every item of the tenant's partition (the tenant itself included)."""


class TeamStore(Protocol):
    """A tenant's members (each also a user profile, kept in step) and its invitations."""

    def members(self, tenant_id: str) -> list[Member]: ...

    def member(self, tenant_id: str, user_id: str) -> Member | None: ...

    def invitations(self, tenant_id: str) -> list[Invitation]: ...

    def invitation(self, tenant_id: str, invitation_id: str) -> StoredInvitation | None: ...

    def invite(self, invitation: StoredInvitation) -> None: ...

    def withdraw(self, tenant_id: str, invitation_id: str) -> bool:
        """Delete the invitation; False if there was none."""

    def admit(self, profile: UserProfile, joined_at: datetime, invitation_id: str, *, leaving: str | None) -> None:
        """Make `profile` a member of its tenant and use up the invitation, all or nothing: InvitationNotFound if
        it was used or withdrawn meanwhile. `leaving` is the tenant a signed-up user moves from (their profile
        must still be there); None for a new user."""

    def set_role(self, tenant_id: str, user_id: str, role: Role, *, other_owner: str | None = None) -> None:
        """Change a member's role; with `other_owner`, only while that member is still an owner (so that two
        owners demoting each other at once cannot leave the tenant without one)."""

    def transfer(self, tenant_id: str, from_owner: str, to_member: str) -> None:
        """Make `to_member` the owner and `from_owner` (still an owner) an admin, together."""

    def remove(self, tenant_id: str, user_id: str) -> None:
        """Delete the member and their profile, together."""


class FailureCounter(Protocol):
    """Failures per subject (an e-mail from a network, a client address) in fixed windows: what slows password
    guessing."""

    def failures(self, subject: str, window_seconds: int) -> Failures:
        """The failures counted in the current window, how long ago the last was, and how long the window lasts."""

    def fail(self, subject: str, window_seconds: int) -> None: ...


class ConnectionStore(Protocol):
    def add(self, connection: Connection) -> None: ...

    def get(self, tenant_id: str, connection_id: str) -> Connection | None:
        """The live connection, or None once it is closed or expired."""

    def remove(self, tenant_id: str, connection_id: str) -> None: ...

    def of_caller(self, tenant_id: str, caller: str) -> list[Connection]:
        """The live connections one caller (a user, or a visitor tag) has open in the tenant."""

    def of_members(self, tenant_id: str) -> list[Connection]:
        """The live connections of the tenant's signed-in people (not its visitors'): who a handoff is pushed to."""


class Connections(Protocol):
    """Pushes frames to WebSocket clients (the API Gateway management API)."""

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        """Deliver one frame; raises StreamInterrupted when the client has gone."""

    def close(self, connection_id: str) -> None:
        """Disconnect the client (nothing happens if it has already gone)."""


class ChatbotStore(Protocol):
    """Chatbots by tenant. A deleted chatbot, until it is erased, is seen only by its owner's reads (`list`, and
    `get` with `deleting`): for everything else it does not exist."""

    def add(self, chatbot: Chatbot) -> None: ...

    def get(self, tenant_id: str, chatbot_id: str, *, deleting: bool = False) -> Chatbot | None:
        """The live chatbot; with `deleting`, a deleted one not erased yet too."""

    def ids(self, tenant_id: str) -> list[str]:
        """Every chatbot of the tenant not erased yet, deleted ones included."""

    def list(self, tenant_id: str, page: PageRequest) -> Page[Chatbot]:
        """One page of the tenant's chatbots not erased yet, deleted ones included, oldest first."""

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        """Apply `changes` atomically; None when the chatbot does not exist or is deleted."""

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> Chatbot | None:
        """Hide the chatbot and retire its public key until it is erased, and return it as it was; None if there is
        no such chatbot (an already deleted one that is not erased yet counts, so that deleting it again asks again
        for its erasure)."""

    def erase(self, tenant_id: str, chatbot_id: str) -> None: ...

    def by_public_key(self, public_key: str) -> Chatbot | None:
        """The live chatbot that owns a publishable key (any visibility; the caller checks it)."""


class DocumentStore(Protocol):
    """Documents by tenant and chatbot. Soft-deleted documents are invisible to every read."""

    def add(self, document: Document) -> None: ...

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document | None: ...

    def uploads_expired(self, before: datetime) -> list[Document]:
        """Live documents, of any tenant, still waiting for an upload whose ticket expired before `before`."""

    def all(self, tenant_id: str, chatbot_id: str) -> list[Document]:
        """Every document of the chatbot not erased yet, deleted ones included."""

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Document]:
        """One page of the chatbot's documents, oldest first."""

    def claim(self, document: Document, source: str, now: datetime, version: int = 1) -> Document | None:
        """Mark the document `processing` for upload `source` of `version` (a replacement's brings its content);
        None if it is deleted, `source` already ended, or `version` is not the one awaited."""

    def await_version(self, document: Document, awaited: Awaited, now: datetime) -> Document | None:
        """Await the upload of `awaited` to replace the content of a document at rest (indexed or failed); None
        if it is being indexed, waiting for its first upload, or deleted."""

    def lapse(self, document: Document, version: int, now: datetime) -> Document | None:
        """Stop awaiting `version`, whose ticket expired unused; the document keeps its content."""

    def finish(self, document: Document, source: str, changes: Mapping[str, Any]) -> Document | None:
        """Record the outcome of `source` while it is `processing`; None if the document was deleted meanwhile or
        another delivery of `source` ended it first."""

    def soft_delete(self, tenant_id: str, chatbot_id: str, document_id: str, deleted_at: datetime) -> Document | None:
        """Mark deleted and return the document as it was; None if there was no live document."""

    def expire_upload(self, document: Document, reason: str, now: datetime) -> Document | None:
        """Mark a document whose upload never came failed; None if an upload was claimed (or it was deleted)."""

    def erase(self, tenant_id: str, chatbot_id: str) -> None: ...


class BlobStore(Protocol):
    def upload_form(self, key: str, content_type: str, size_bytes: int, expires_in: int) -> tuple[str, dict[str, str]]:
        """The URL and fields of a presigned POST that stores exactly `size_bytes` bytes of `content_type` at `key`,
        tagged as an upload the bucket expires after a while."""

    def put_upload(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` at `key` as an upload, tagged as upload forms tag theirs (what Parley writes itself)."""

    def read(self, key: str, etag: str | None = None) -> bytes:
        """The object's bytes; with `etag`, only that version (ObjectChanged otherwise)."""

    def keep(self, upload: str, etag: str, key: str) -> None:
        """Copy version `etag` of `upload` (server-side) to `key`, without the tag that expires uploads;
        ObjectChanged if that version is gone."""

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object whose key starts with `prefix`."""


class PublishedFiles(Protocol):
    """Files a website serves (the web console's bucket behind CloudFront)."""

    def publish(self, key: str, body: bytes, content_type: str, cache_control: str) -> None: ...

    def withdraw(self, key: str) -> None: ...


class Embedder(Protocol):
    """Turns text into vectors; `model` and `dimension` identify the vector space."""

    model: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class DocumentEmbedder(Embedder, Protocol):
    """An embedder ingest tells ahead which texts its next `embed_documents` will ask for (each document's chunks as
    soon as it is read, the group's call once all are): one that computes vectors itself may start on them; one that
    sends requests waits, so that a group is still one request."""

    def prefetch(self, texts: Sequence[str]) -> None: ...


class VectorIndex(Protocol):
    """Vectors by namespace (one per tenant), ids `<document_id>#<chunk_no>`."""

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> None: ...

    def ids(self, namespace: str, prefix: str) -> list[str]: ...

    def delete(self, namespace: str, ids: Sequence[str]) -> None: ...

    def search(self, namespace: str, query: HybridQuery, top_k: int, chatbot_id: str) -> list[Hit]:
        """Best chunks of one chatbot by dense · query.dense + sparse · query.sparse, best first."""


class LexiconStore(Protocol):
    """Each chatbot's lexical statistics (chunk count, document frequency of each term), shared by every function:
    ingest records a document's contribution, deletes forget it, questions read the terms they hold."""

    def record(
        self, tenant_id: str, chatbot_id: str, document_id: str, contribution: Contribution, *, first: bool = False
    ) -> None:
        """Make `contribution` the document's share (replacing an earlier one); repeating it changes nothing.
        `first`: the document can have no share yet (its first upload's first attempt), so none is looked for."""

    def forget(self, tenant_id: str, chatbot_id: str, document_id: str) -> None:
        """Remove the document's share, if any; repeating it changes nothing."""

    def statistics(self, tenant_id: str, chatbot_id: str, term_ids: Sequence[int]) -> Statistics: ...

    def erase(self, tenant_id: str, chatbot_id: str, document_ids: Sequence[str]) -> None:
        """Delete the chatbot's statistics and the shares of `document_ids`, without adjusting anything."""


class RateLimiter(Protocol):
    def hit(self, tenant_id: str, key: str, limit: int, window_seconds: int) -> int:
        """Count one event for `key` in the current window; raises RateLimited once `limit` is passed."""


class ConversationStore(Protocol):
    def get(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Conversation | None: ...

    def messages(self, tenant_id: str, conversation_id: str, page: PageRequest) -> Page[Message]:
        """One page of the conversation's messages, oldest first."""

    def recent_messages(self, tenant_id: str, conversation_id: str, limit: int) -> list[Message]:
        """The conversation's last `limit` messages, in order."""

    def append(
        self,
        conversation: Conversation,
        messages: Sequence[Message],
        *,
        new: bool,
        tally: Tally,
        gaps: Sequence[Gap] = (),
    ) -> None:
        """Store messages and the conversation's new state together, with a pointer to each answer (and the question
        it answers), the answer's analytics `tally` and the knowledge `gaps` it revealed, or nothing."""

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Conversation]:
        """One page of the chatbot's conversations, the most recently started first."""

    def started_between(
        self,
        tenant_id: str,
        chatbot_id: str,
        start: datetime,
        end: datetime,
        page: PageRequest,
        *,
        newest_first: bool = False,
    ) -> Page[Conversation]:
        """One page of the chatbot's conversations started at or after `start` and before `end`, oldest first (or
        newest first)."""

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        """Delete the chatbot's conversations and their messages (their pointers and analytics too)."""

    def answer(self, tenant_id: str, chatbot_id: str, message_id: str) -> StoredAnswer | None:
        """The chatbot's assistant message with this id (by its pointer: no scan), or None."""

    def rate(self, tenant_id: str, chatbot_id: str, answer: Message, feedback: Feedback, tally: Tally) -> bool:
        """Store `feedback` on `answer` and add `tally`, together; False (nothing written) if the answer's rating
        is no longer the one `answer` carries (another rating came in between)."""


class GapStore(Protocol):
    """Questions each chatbot could not answer, by time."""

    def add(self, tenant_id: str, gap: Gap) -> None: ...

    def since(self, tenant_id: str, chatbot_id: str, start: datetime, limit: int) -> list[Gap]:
        """The chatbot's gaps recorded at or after `start`, at most `limit` (the most recent), newest first."""


class HandoffStore(Protocol):
    """Each conversation's request for a person, under its tenant; every change is conditional on the state it
    changes, so that two members cannot both take a conversation."""

    def get(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Handoff | None: ...

    def put(self, handoff: Handoff, tally: Tally) -> None:
        """Store a new request for a person (replacing an ended one), adding `tally` to its chatbot's counters."""

    def of_tenant(self, tenant_id: str) -> list[Handoff]:
        """Every handoff of the tenant whose record is kept (ended ones included)."""

    def take(self, handoff: Handoff, member: str, now: datetime) -> Handoff | None:
        """Give the waiting handoff to `member`; None if it is no longer waiting, or its deadline has passed."""

    def replied(self, handoff: Handoff, text: str, now: datetime) -> None:
        """Record the member's first reply and when it came (later ones change nothing)."""

    def hand_back(self, handoff: Handoff, member: str, status: str, now: datetime) -> Handoff | None:
        """End `member`'s hold with `status` (bot or closed); None if they no longer hold it."""

    def leave_contact(self, handoff: Handoff, email: str, now: datetime) -> Handoff: ...


class AnalyticsStore(Protocol):
    def days(self, tenant_id: str, chatbot_id: str, first: date, last: date) -> list[AnalyticsDay]:
        """Every day of the range, oldest first (zeros where nothing was counted)."""


class ExportFiles(Protocol):
    """Where exports too large to answer inline are kept for a short while, for their owner to download."""

    def store(self, key: str, body: IO[bytes], content_type: str, filename: str) -> None:
        """Write `body` (read to its end) to `key`, to be downloaded as `filename`; it expires on its own."""

    def link(self, key: str, expires_in: int) -> str:
        """A URL that downloads `key` without other credentials, for `expires_in` seconds."""


class Requeue(Protocol):
    def send_again(self, queue_arn: str, bodies: list[str]) -> list[int]:
        """Put `bodies` on the queue of `queue_arn` again as new messages; the positions of those not taken."""


class ErasureQueue(Protocol):
    def request(self, request: ErasureRequest, *, delay_seconds: int = 0) -> None:
        """Hand `request` to the erasure worker (after `delay_seconds`)."""


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage


class AnswerListener(Protocol):
    """Follows an answer as it is written (the WebSocket chat). Either method may raise StreamInterrupted
    when nobody is listening any more; the answer then stops and is stored as interrupted."""

    def started(self, conversation_id: str, message_id: str) -> None: ...

    def token(self, text: str) -> None: ...


class LanguageModel(Protocol):
    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        temperature: float,
        max_tokens: int,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """The model's reply; with `on_token`, streamed, each piece handed over as it arrives."""


class ApiKeyStore(Protocol):
    """A tenant's API keys, and each key's grant found by its hash alone (what authenticating a request reads)."""

    def add(self, key: ApiKey) -> None: ...

    def list(self, tenant_id: str, page: PageRequest) -> Page[ApiKey]:
        """One page of the tenant's keys, oldest first, each with when it was last used."""

    def revoke(self, tenant_id: str, key_id: str) -> bool:
        """Remove the key and its grant at once; False if the tenant has no such key."""

    def erase(self, tenant_id: str) -> None:
        """Remove every key of the tenant, grants first (a closed tenant's keys stop working)."""

    def grant(self, hash: str) -> ApiKeyGrant | None:
        """The grant of the key with this hash (a strongly consistent read: a revoked key is gone at once)."""

    def mark_used(self, hash: str, at: datetime, unless_since: datetime) -> None:
        """Record the key's use at `at`, unless it was recorded after `unless_since` (or the key is gone)."""


class UsageCounters(Protocol):
    """Each tenant's plan and counters: standing ones, and one set per calendar month (`YYYY-MM`)."""

    def plan(self, tenant_id: str) -> str | None:
        """The name of the plan an operator assigned the tenant, or None (the default plan)."""

    def assign(self, tenant_id: str, plan: str) -> bool:
        """Put the tenant on `plan`; False if there is no such tenant."""

    def add(self, tenant_id: str, counter: str, amount: int, limit: int, month: str | None = None) -> bool:
        """Add `amount` to the counter (of `month`, for a monthly one) unless that would take it past `limit`, in
        one atomic conditional write; False, and nothing counted, if it would."""

    def subtract(self, tenant_id: str, counter: str, amount: int, month: str | None = None) -> None:
        """Give back `amount`, never below zero."""

    def add_for(self, document: Document, pages: int, at: datetime, limits: Mapping[str, int]) -> str | None:
        """Count `document`'s version once: its pages (the month of `at`) and its bytes, unless either would pass its
        limit, with the version, pages and time recorded on the document, all in one transaction. None once counted
        (by this call, or by an earlier attempt: then nothing is added); else the counter over its limit (nothing
        counted)."""

    def subtract_for(self, document: Document) -> bool:
        """Give back what `add_for` counted for `document`'s version (as `document` records it), removing the record
        in the same transaction; False, with nothing given back, unless the stored document records it still."""

    def counts(self, tenant_id: str, month: str) -> dict[str, int]:
        """The standing counters and those of `month` (absent ones are zero), read without a scan."""

    def usage(self, tenant_id: str, month: str) -> tuple[str | None, dict[str, int]]:
        """`plan` and `counts` in one read."""


class SourceStore(Protocol):
    """Sources, and the pages of website sources (DynamoDB; parley/adapters/dynamo/sources.py says how a sync's
    claims and ends stay exact)."""

    def add(self, source: Source) -> None: ...

    def get(self, tenant_id: str, chatbot_id: str, source_id: str, *, deleted: bool = False) -> Source | None:
        """The live source, or (`deleted`) one deleted and not erased yet."""

    def update(self, source: Source, changes: Mapping[str, Any]) -> Source | None:
        """Apply `changes` to a live source; None when it is gone."""

    def start_sync(self, source: Source, sync_id: str, deadline: datetime, now: datetime) -> Source | None:
        """Begin a sync unless one is under way (None then)."""

    def end_sync(self, source: Source, sync_id: str, changes: Mapping[str, Any]) -> Source | None:
        """End the sync, once (None if it ended already)."""

    def soft_delete(self, source: Source, now: datetime) -> bool:
        """Hide the source; False if it was gone already."""

    def due(self, before: datetime) -> list[Source]:
        """Website sources due to sync again, or whose sync is past its deadline."""

    def all(self, tenant_id: str, chatbot_id: str) -> list[Source]:
        """Every source of the chatbot, deleted ones included."""

    def erase_source(self, tenant_id: str, chatbot_id: str, source_id: str) -> None: ...

    def take_crawl_slot(self, tenant_id: str, slots: int, holder: str, now: int, hold_seconds: int) -> int | None:
        """One of the tenant's `slots` places in the crawl function, held by `holder` until `now + hold_seconds`
        (epoch seconds) unless given back sooner; None while every one is held."""

    def give_back_crawl_slot(self, tenant_id: str, slot: int, holder: str) -> None: ...

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        """Every source of the chatbot, and their pages."""

    def page(self, source: Source, url: str) -> PageRecord | None: ...

    def pages(self, source: Source) -> list[PageRecord]: ...

    def list_pages(self, source: Source, page: PageRequest) -> Page[PageRecord]: ...

    def claim_page(self, source: Source, sync_id: str, url: str, depth: int, parent: str) -> str:
        """ "queued" (counted into the sync), "taken" (in it already) or "refused" (max_pages reached, sync over)."""

    def skip_page(self, source: Source, sync_id: str, url: str, reason: str) -> bool: ...

    def start_page(self, source: Source, sync_id: str, url: str, now: datetime) -> PageRecord | None:
        """The page marked fetching, or None once it ended in this sync."""

    def finish_page(self, source: Source, page: PageRecord) -> bool:
        """End the page and give back its place in the sync, once."""

    def finish_start(self, source: Source, sync_id: str) -> bool:
        """End the sync's start, once."""

    def put_page(self, source: Source, page: PageRecord) -> None: ...

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Source]:
        """Newest first."""


class CrawlQueue(Protocol):
    def send(self, message: CrawlMessage, *, delay_seconds: int = 0) -> None:
        """Hand `message` to the crawl function (after `delay_seconds`)."""
