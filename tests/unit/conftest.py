"""In-memory stand-ins for the ports, so services are tested without AWS."""

from __future__ import annotations

import builtins
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import pytest
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.answers.extractive import ExtractiveAnswerer, JudgedQuestion
from parley.domain.accounts import Failures, SignIn, SignInLimits, Tenant, Tokens, UserProfile
from parley.domain.chatbots import Chatbot
from parley.domain.common import Page, PageRequest, timestamp
from parley.domain.connections import Connection
from parley.domain.documents import Awaited, Content, Document
from parley.domain.embeddings import MINILM_SPACE
from parley.domain.erasure import ErasureRequest
from parley.domain.lexical import Contribution, Statistics, chunk_terms, query_term_ids, query_vector
from parley.domain.passages import Passage
from parley.domain.plans import month_of
from parley.domain.roles import Role
from parley.domain.team import Invitation, Member, StoredInvitation
from parley.domain.vectors import Hit, HybridQuery, VectorRecord
from parley.errors import EmailTaken, InvalidCredentials, InvitationNotFound, ObjectChanged, Unauthorized
from parley.services.accounts import AccountService
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer
from parley.services.quotas import Quotas
from parley.services.sessions import Sessions
from parley.services.team import Invitations, TeamService

from local.fakes.openai import fake_embedding
from local.stack.stack import ROOT
from local.template import FunctionSpec, Resolver, functions, load_template, parameter_values


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Record = TypeVar("Record", bound=_Identified)


def page_of(records: Iterable[Record], page: PageRequest) -> Page[Record]:
    """Records in id order (creation order, as the table keeps them), the cursor being the last id shown."""
    after = sorted((record for record in records if page.cursor is None or record.id > page.cursor), key=lambda r: r.id)
    shown = after[: page.limit]
    return Page(shown, shown[-1].id if len(after) > page.limit else None)


class FakeIdentityProvider:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.revoked: set[str] = set()

    def sign_up(self, email: str, password: str, name: str) -> str:
        if email in self.users:
            raise EmailTaken("taken")
        self.users[email] = {"id": str(uuid.uuid4()), "password": password, "confirmed": False}
        return str(self.users[email]["id"])

    def confirm(self, email: str) -> None:
        self.users[email]["confirmed"] = True

    def delete(self, email: str) -> None:
        self.users.pop(email, None)

    def sign_in(self, email: str, password: str) -> SignIn:
        user = self.users.get(email)
        if not user or user["password"] != password:
            raise InvalidCredentials("wrong")
        refresh = f"refresh-{user['id']}-{uuid.uuid4().hex}"
        return SignIn(
            user_id=user["id"],
            tokens=Tokens(access_token=f"access-{user['id']}", refresh_token=refresh, expires_in=3600),
        )

    def refresh(self, refresh_token: str) -> Tokens:
        if refresh_token in self.revoked:
            raise Unauthorized("revoked")
        return Tokens(access_token="access-again", refresh_token=refresh_token, expires_in=3600)

    def sign_out(self, access_token: str) -> None:
        self.revoked.add(access_token)

    def verified_claims(self, access_token: str) -> dict[str, Any]:
        raise AssertionError("no service these tests build verifies tokens (the authorizer's tests do, on moto)")


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.users: dict[str, UserProfile] = {}
        self.fail_next = False

    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        if self.fail_next:
            raise RuntimeError("DynamoDB is down")
        self.tenants[tenant.id] = tenant
        self.users[owner.id] = owner

    def get_user(self, user_id: str) -> UserProfile | None:
        return self.users.get(user_id)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def sign_out(self, user_id: str, at: int) -> None:
        self.users[user_id] = self.users[user_id].model_copy(update={"signed_out_at": at})

    def delete_user(self, user_id: str) -> None:
        self.users.pop(user_id, None)

    def erase_tenant(self, tenant_id: str) -> None:
        self.tenants.pop(tenant_id, None)


class InMemoryTeamStore:
    """The team as the profiles of the account store's tenant (the table keeps a member item in step with each)."""

    def __init__(self, accounts: InMemoryAccountStore) -> None:
        self.accounts = accounts
        self.joined: dict[str, datetime] = {}
        self.pending: dict[str, StoredInvitation] = {}

    def members(self, tenant_id: str) -> list[Member]:
        return [
            Member.of(profile, self.joined.get(profile.id, profile.created_at))
            for profile in self.accounts.users.values()
            if profile.tenant_id == tenant_id
        ]

    def member(self, tenant_id: str, user_id: str) -> Member | None:
        return next((member for member in self.members(tenant_id) if member.id == user_id), None)

    def invitations(self, tenant_id: str) -> list[Invitation]:
        return [invitation.public() for invitation in self.pending.values() if invitation.tenant_id == tenant_id]

    def invitation(self, tenant_id: str, invitation_id: str) -> StoredInvitation | None:
        invitation = self.pending.get(invitation_id)
        return invitation if invitation and invitation.tenant_id == tenant_id else None

    def invite(self, invitation: StoredInvitation) -> None:
        self.pending[invitation.id] = invitation

    def withdraw(self, tenant_id: str, invitation_id: str) -> bool:
        return self.invitation(tenant_id, invitation_id) is not None and bool(self.pending.pop(invitation_id))

    def admit(self, profile: UserProfile, joined_at: datetime, invitation_id: str, *, leaving: str | None) -> None:
        if self.pending.pop(invitation_id, None) is None:
            raise InvitationNotFound()
        self.accounts.users[profile.id] = profile
        self.joined[profile.id] = joined_at

    def set_role(self, tenant_id: str, user_id: str, role: Role, *, other_owner: str | None = None) -> None:
        users = self.accounts.users
        users[user_id] = users[user_id].model_copy(update={"role": role})

    def transfer(self, tenant_id: str, from_owner: str, to_member: str) -> None:
        self.set_role(tenant_id, to_member, "owner")
        self.set_role(tenant_id, from_owner, "admin")

    def remove(self, tenant_id: str, user_id: str) -> None:
        self.accounts.users.pop(user_id)


class InMemoryConnectionStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Connection] = {}

    def add(self, connection: Connection) -> None:
        self.items[(connection.tenant_id, connection.id)] = connection

    def get(self, tenant_id: str, connection_id: str) -> Connection | None:
        return self.items.get((tenant_id, connection_id))

    def remove(self, tenant_id: str, connection_id: str) -> None:
        self.items.pop((tenant_id, connection_id), None)

    def of_caller(self, tenant_id: str, caller: str) -> list[Connection]:
        return [c for (tenant, _), c in self.items.items() if tenant == tenant_id and c.caller == caller]

    def of_members(self, tenant_id: str) -> list[Connection]:
        return [c for (tenant, _), c in self.items.items() if tenant == tenant_id and c.public_key is None]


class ClosingConnections:
    """Connections that are only ever closed (ending sessions sends no frames)."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        raise AssertionError("ending sessions sends no frames")

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)


class InMemoryChatbotStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Chatbot] = {}

    def add(self, chatbot: Chatbot) -> None:
        self.items[(chatbot.tenant_id, chatbot.id)] = chatbot

    def get(self, tenant_id: str, chatbot_id: str, *, deleting: bool = False) -> Chatbot | None:
        chatbot = self.items.get((tenant_id, chatbot_id))
        return chatbot if chatbot and (deleting or not chatbot.deleted_at) else None

    def list(self, tenant_id: str, page: PageRequest) -> Page[Chatbot]:
        return page_of((c for (tenant, _), c in self.items.items() if tenant == tenant_id), page)

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        chatbot = self.get(tenant_id, chatbot_id)
        if chatbot is None:
            return None
        updated = Chatbot.model_validate({**chatbot.model_dump(mode="json"), **changes})
        self.items[(tenant_id, chatbot_id)] = updated
        return updated

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> Chatbot | None:
        chatbot = self.items.get((tenant_id, chatbot_id))
        if chatbot is None:
            return None
        if not chatbot.deleted_at:
            self.items[(tenant_id, chatbot_id)] = chatbot.model_copy(update={"deleted_at": deleted_at})
        return chatbot

    def ids(self, tenant_id: str) -> builtins.list[str]:
        return [chatbot_id for (tenant, chatbot_id) in self.items if tenant == tenant_id]

    def by_public_key(self, public_key: str) -> Chatbot | None:
        return next((chatbot for chatbot in self.items.values() if chatbot.public_key == public_key), None)

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        self.items.pop((tenant_id, chatbot_id), None)


class InMemoryFailureCounter:
    """Failures per subject in one window that never ends (tests of the window itself use the table's counter), at a
    time the tests move (`now`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.last: dict[str, float] = {}
        self.now = 1_800_000_000.0

    def failures(self, subject: str, window_seconds: int) -> Failures:
        return Failures(self.counts[subject], int(self.now - self.last.get(subject, self.now)), window_seconds)

    def fail(self, subject: str, window_seconds: int) -> None:
        self.counts[subject] += 1
        self.last[subject] = self.now


class InMemoryUsageCounters:
    """The table's conditional counters, one dict per item (the standing one is month None)."""

    def __init__(self) -> None:
        self.plans: dict[str, str] = {}
        self.items: dict[tuple[str, str | None], Counter[str]] = {}
        # The version each document counted, its pages and when: (tenant, chatbot, document) → (version, pages, at).
        self.counted: dict[tuple[str, str, str], tuple[int, int, datetime]] = {}

    def plan(self, tenant_id: str) -> str | None:
        return self.plans.get(tenant_id)

    def assign(self, tenant_id: str, plan: str) -> bool:
        self.plans[tenant_id] = plan
        return True

    def add(self, tenant_id: str, counter: str, amount: int, limit: int, month: str | None = None) -> bool:
        item = self.items.setdefault((tenant_id, month), Counter())
        if item[counter] + amount > limit:
            return False
        item[counter] += amount
        return True

    def subtract(self, tenant_id: str, counter: str, amount: int, month: str | None = None) -> None:
        item = self.items.setdefault((tenant_id, month), Counter())
        if item[counter] >= amount:
            item[counter] -= amount

    def add_for(self, document: Document, pages: int, at: datetime, limits: Mapping[str, int]) -> str | None:
        """As the table does it, the record of the counted version kept here rather than on the document."""
        key = (document.tenant_id, document.chatbot_id, document.id)
        if self.counted.get(key, (None,))[0] == document.version:
            return None
        monthly, standing = (
            self.items.setdefault((document.tenant_id, month_of(at)), Counter()),
            self.items.setdefault((document.tenant_id, None), Counter()),
        )
        if monthly["pages"] + pages > limits["pages"]:
            return "pages"
        if standing["stored_bytes"] + document.size_bytes > limits["stored_bytes"]:
            return "stored_bytes"
        monthly["pages"] += pages
        standing["stored_bytes"] += document.size_bytes
        self.counted[key] = (document.version, pages, at)
        return None

    def subtract_for(self, document: Document) -> bool:
        key = (document.tenant_id, document.chatbot_id, document.id)
        if self.counted.get(key, (None,))[0] != document.version:
            return False
        _, pages, at = self.counted.pop(key)
        self.items[(document.tenant_id, month_of(at))]["pages"] -= pages
        self.items[(document.tenant_id, None)]["stored_bytes"] -= document.size_bytes
        return True

    def counts(self, tenant_id: str, month: str) -> dict[str, int]:
        return {**self.items.get((tenant_id, None), {}), **self.items.get((tenant_id, month), {})}

    def usage(self, tenant_id: str, month: str) -> tuple[str | None, dict[str, int]]:
        return self.plan(tenant_id), self.counts(tenant_id, month)


@pytest.fixture
def usage_counters() -> InMemoryUsageCounters:
    return InMemoryUsageCounters()


@pytest.fixture
def quotas(usage_counters: InMemoryUsageCounters) -> Quotas:
    return Quotas(usage_counters)


@pytest.fixture
def document_service(
    chatbot_store: InMemoryChatbotStore,
    document_store: InMemoryDocumentStore,
    blobs: InMemoryBlobStore,
    vector_index: InMemoryVectorIndex,
    lexicon: InMemoryLexicon,
    quotas: Quotas,
) -> DocumentService:
    """Documents over the in-memory stores, files up to 1 MB."""
    return DocumentService(
        document_store, chatbot_store, blobs, vector_index, lexicon, quotas=quotas, max_bytes=1_000_000
    )


@pytest.fixture
def document_indexer(
    chatbot_store: InMemoryChatbotStore,
    document_store: InMemoryDocumentStore,
    blobs: InMemoryBlobStore,
    embedder: Any,
    vector_index: InMemoryVectorIndex,
    lexicon: InMemoryLexicon,
    quotas: Quotas,
) -> DocumentIndexer:
    """The indexer over the same stores as `document_service`, files up to 1 MB."""
    return DocumentIndexer(
        document_store,
        chatbot_store,
        blobs,
        embedder,
        vector_index,
        lexicon=lexicon,
        quotas=quotas,
        max_bytes=1_000_000,
    )


@pytest.fixture
def failure_counter() -> InMemoryFailureCounter:
    return InMemoryFailureCounter()


@pytest.fixture
def identity() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def account_store() -> InMemoryAccountStore:
    return InMemoryAccountStore()


@pytest.fixture
def chatbot_store() -> InMemoryChatbotStore:
    return InMemoryChatbotStore()


@pytest.fixture
def team_store(account_store: InMemoryAccountStore) -> InMemoryTeamStore:
    return InMemoryTeamStore(account_store)


@pytest.fixture
def connection_store() -> InMemoryConnectionStore:
    return InMemoryConnectionStore()


@pytest.fixture
def closing_connections() -> ClosingConnections:
    return ClosingConnections()


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self.items: dict[str, Document] = {}

    def add(self, document: Document) -> None:
        self.items[document.id] = document

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document | None:
        document = self.items.get(document_id)
        if (
            document
            and document.tenant_id == tenant_id
            and document.chatbot_id == chatbot_id
            and not document.deleted_at
        ):
            return document
        return None

    def list(self, tenant_id: str, chatbot_id: str, page: PageRequest) -> Page[Document]:
        return page_of((d for d in self.items.values() if self.get(tenant_id, chatbot_id, d.id)), page)

    def _change(self, document: Document, changes: Mapping[str, Any]) -> Document:
        updated = Document.model_validate({**self.items[document.id].model_dump(mode="json"), **changes})
        self.items[document.id] = updated
        return updated

    def claim(self, document: Document, source: str, now: datetime, version: int = 1) -> Document | None:
        current = self.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None:
            return None
        if (current.status, current.source) == ("processing", source):
            return self._change(current, {"error": None})
        changes: dict[str, Any] = {"status": "processing", "source": source, "error": None}
        if version == 1 and current.status == "pending_upload":
            return self._change(current, changes)
        if version > 1 and current.awaited and current.awaited.version == version:
            content = current.awaited.model_dump(mode="json", include=set(Content.model_fields))
            return self._change(current, {**changes, **content, "version": version, "awaited": None})
        return None

    def await_version(self, document: Document, awaited: Awaited, now: datetime) -> Document | None:
        current = self.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None or current.status not in ("indexed", "failed"):
            return None
        return self._change(current, {"awaited": awaited.model_dump(mode="json")})

    def lapse(self, document: Document, version: int, now: datetime) -> Document | None:
        current = self.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None or current.awaited is None or current.awaited.version != version:
            return None
        return self._change(current, {"awaited": None})

    def uploads_expired(self, before: datetime) -> builtins.list[Document]:
        def due(document: Document) -> datetime | None:
            if document.awaited:
                return document.awaited.expires_at
            return document.upload_expires_at if document.status == "pending_upload" else None

        return [
            document
            for document in self.items.values()
            if not document.deleted_at and (expires := due(document)) is not None and expires < before
        ]

    def expire_upload(self, document: Document, reason: str, now: datetime) -> Document | None:
        current = self.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None or current.status != "pending_upload":
            return None
        return self._change(current, {"status": "failed", "error": reason})

    def all(self, tenant_id: str, chatbot_id: str) -> builtins.list[Document]:
        return [d for d in self.items.values() if (d.tenant_id, d.chatbot_id) == (tenant_id, chatbot_id)]

    def erase(self, tenant_id: str, chatbot_id: str) -> None:
        for document in self.all(tenant_id, chatbot_id):
            del self.items[document.id]

    def finish(self, document: Document, source: str, changes: Mapping[str, Any]) -> Document | None:
        current = self.get(document.tenant_id, document.chatbot_id, document.id)
        if current is None or current.source != source or current.status != "processing":
            return None
        return self._change(current, changes)

    def soft_delete(self, tenant_id: str, chatbot_id: str, document_id: str, deleted_at: datetime) -> Document | None:
        current = self.get(tenant_id, chatbot_id, document_id)
        if current is None:
            return None
        self._change(current, {"deleted_at": timestamp(deleted_at)})
        return current


class InMemoryBlobStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.kept: set[str] = set()  # the keys `keep` copied uploads to

    def upload_form(self, key: str, content_type: str, size_bytes: int, expires_in: int) -> tuple[str, dict[str, str]]:
        return "https://uploads.test/", {"key": key, "Content-Type": content_type, "size": str(size_bytes)}

    def put_upload(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def keep(self, upload: str, etag: str, key: str) -> None:
        if upload not in self.objects:
            raise ObjectChanged(upload)
        self.objects[key] = self.objects[upload]
        self.kept.add(key)

    def delete_prefix(self, prefix: str) -> None:
        for key in [key for key in self.objects if key.startswith(prefix)]:
            del self.objects[key]

    def read(self, key: str, etag: str | None = None) -> bytes:
        if key not in self.objects:
            raise ObjectChanged(key)
        return self.objects[key]

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class HashEmbedder:
    model, dimension = "hash", 8

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.prefetched: list[tuple[int, list[str]]] = []  # each prefetch: the embed calls made before it, its texts

    def prefetch(self, texts: Sequence[str]) -> None:
        self.prefetched.append((self.calls, list(texts)))

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("embedding service down")
        return [[float(value) for value in fake_embedding(text, self.dimension)] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class InMemoryVectorIndex:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, VectorRecord]] = {}

    def upsert(self, namespace: str, records: Sequence[VectorRecord]) -> None:
        self.namespaces.setdefault(namespace, {}).update({record.id: record for record in records})

    def ids(self, namespace: str, prefix: str) -> list[str]:
        return [id_ for id_ in self.namespaces.get(namespace, {}) if id_.startswith(prefix)]

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        for id_ in ids:
            self.namespaces.get(namespace, {}).pop(id_, None)

    def search(self, namespace: str, query: HybridQuery, top_k: int, chatbot_id: str) -> list[Hit]:
        raise AssertionError("these tests index; searching is tests/unit/test_retrieval.py's and test_local_index.py's")


class InMemoryLexicon:
    """Each document's contribution, summed per chatbot when asked."""

    def __init__(self) -> None:
        self.shares: dict[tuple[str, str, str], Contribution] = {}

    def record(
        self, tenant_id: str, chatbot_id: str, document_id: str, contribution: Contribution, *, first: bool = False
    ) -> None:
        self.shares[(tenant_id, chatbot_id, document_id)] = contribution

    def forget(self, tenant_id: str, chatbot_id: str, document_id: str) -> None:
        self.shares.pop((tenant_id, chatbot_id, document_id), None)

    def erase(self, tenant_id: str, chatbot_id: str, document_ids: Sequence[str]) -> None:
        for document_id in document_ids:
            self.forget(tenant_id, chatbot_id, document_id)

    def statistics(self, tenant_id: str, chatbot_id: str, term_ids: Sequence[int]) -> Statistics:
        mine = [
            share for (tenant, chatbot, _), share in self.shares.items() if (tenant, chatbot) == (tenant_id, chatbot_id)
        ]
        counts = {term: sum(share.frequencies.get(term, 0) for share in mine) for term in term_ids}
        return Statistics(sum(share.chunks for share in mine), {term: count for term, count in counts.items() if count})


class RecordingErasureQueue:
    def __init__(self) -> None:
        self.requests: list[tuple[ErasureRequest, int]] = []

    def request(self, request: ErasureRequest, *, delay_seconds: int = 0) -> None:
        self.requests.append((request, delay_seconds))


@pytest.fixture
def erasures() -> RecordingErasureQueue:
    return RecordingErasureQueue()


@pytest.fixture
def sessions(
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
    connection_store: InMemoryConnectionStore,
    closing_connections: ClosingConnections,
) -> Sessions:
    return Sessions(identity, account_store, connection_store, closing_connections)


@pytest.fixture
def invitations(team_store: InMemoryTeamStore, quotas: Quotas) -> Invitations:
    return Invitations(team_store, quotas)


@pytest.fixture
def chatbots(chatbot_store: InMemoryChatbotStore, erasures: RecordingErasureQueue, quotas: Quotas) -> ChatbotService:
    """The chatbot service on these fakes."""
    return ChatbotService(chatbot_store, erasures, quotas=quotas)


@pytest.fixture
def sign_in_limits() -> SignInLimits:
    """The failed sign-ins `accounts` allows (a module that counts them sets its own)."""
    return SignInLimits(per_email=10, per_address=50, window_seconds=900)


@pytest.fixture
def accounts(
    identity: FakeIdentityProvider,
    account_store: InMemoryAccountStore,
    failure_counter: InMemoryFailureCounter,
    invitations: Invitations,
    sign_in_limits: SignInLimits,
) -> AccountService:
    """The account service on these fakes, a new account confirmed at once (as `make run` confirms them)."""
    return AccountService(
        identity, account_store, failure_counter, invitations, auto_confirm=True, sign_in_limits=sign_in_limits
    )


@pytest.fixture
def team(
    team_store: InMemoryTeamStore,
    invitations: Invitations,
    chatbot_store: InMemoryChatbotStore,
    identity: FakeIdentityProvider,
    sessions: Sessions,
    erasures: RecordingErasureQueue,
) -> TeamService:
    return TeamService(team_store, invitations, chatbot_store, identity, sessions=sessions, erasures=erasures)


@pytest.fixture
def lexicon() -> InMemoryLexicon:
    return InMemoryLexicon()


@pytest.fixture
def document_store() -> InMemoryDocumentStore:
    return InMemoryDocumentStore()


@pytest.fixture
def blobs() -> InMemoryBlobStore:
    return InMemoryBlobStore()


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def vector_index() -> InMemoryVectorIndex:
    return InMemoryVectorIndex()


def judged(question: str, passages: Sequence[Passage]) -> JudgedQuestion:
    """The question weighed as a chatbot holding exactly these passages weighs it (its terms' IDF among them)."""
    contribution = Contribution.of([chunk_terms(passage.text) for passage in passages])
    ids = query_term_ids(question)
    counts = {term: contribution.frequencies[term] for term in ids if term in contribution.frequencies}
    sparse = query_vector(ids, Statistics(contribution.chunks, counts))
    return JudgedQuestion(question, None, dict(zip(sparse.indices, sparse.values, strict=True)) if sparse else {})


@pytest.fixture(scope="session", name="judged")
def judged_fixture() -> Callable[[str, Sequence[Passage]], JudgedQuestion]:
    """`judged`, for tests that build questions themselves."""
    return judged


@pytest.fixture(scope="session")
def answerer() -> ExtractiveAnswerer:
    """The extractive answerer of the embedded default: MiniLM (loaded once), its space's threshold."""
    return ExtractiveAnswerer(MiniLMEmbedder(), MINILM_SPACE.min_sentence_score)


@pytest.fixture(scope="session")
def extractive_answer(answerer: ExtractiveAnswerer) -> Callable[[str, Sequence[Passage]], str | None]:
    """`(question, passages)` → the extractive answer's text, or None when no sentence answers."""

    def answer(question: str, passages: Sequence[Passage]) -> str | None:
        extract = answerer.answer(judged(question, passages), passages)
        return extract.text if extract else None

    return answer


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """template.yaml, read as the local stack reads it."""
    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def specs(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    """Every function of the template, as the local stack runs it (its handler, environment, layers)."""
    resolver = Resolver(template, parameter_values(template), lambda logical_id, attribute: logical_id)
    return functions(template, resolver, ROOT)
