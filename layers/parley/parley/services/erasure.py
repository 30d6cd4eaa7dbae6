"""The erasure worker: a deleted chatbot, or a closed tenant, leaves nothing behind in the table, the bucket or the
vector index. Each step deletes what the later ones are found by last, so an interrupted run is simply run again."""

from __future__ import annotations

from parley.domain.common import utcnow
from parley.domain.documents import stored_prefixes
from parley.domain.erasure import ErasureRequest
from parley.domain.vectors import document_prefix
from parley.observability import logger
from parley.ports import (
    AccountStore,
    ApiKeyStore,
    BlobStore,
    ChatbotStore,
    ConversationStore,
    DocumentStore,
    ErasureQueue,
    IdentityProvider,
    LexiconStore,
    SourceStore,
    VectorIndex,
)
from parley.services.quotas import Quotas

# SQS's longest delay, and the ingest function's timeout: an attempt in flight during the first pass has ended
# (and cleaned what it could) before the second pass looks again.
SECOND_PASS_DELAY = 900


class Erasure:
    def __init__(
        self,
        *,
        chatbots: ChatbotStore,
        documents: DocumentStore,
        conversations: ConversationStore,
        accounts: AccountStore,
        identity: IdentityProvider,
        blobs: BlobStore,
        index: VectorIndex,
        lexicon: LexiconStore,
        queue: ErasureQueue,
        api_keys: ApiKeyStore,
        quotas: Quotas,
        sources: SourceStore,
    ) -> None:
        self.chatbots = chatbots
        self.documents = documents
        self.conversations = conversations
        self.accounts = accounts
        self.identity = identity
        self.blobs = blobs
        self.index = index
        self.lexicon = lexicon
        self.queue = queue
        self.api_keys = api_keys
        self.quotas = quotas
        self.sources = sources

    def erase(self, request: ErasureRequest) -> None:
        """Carry out `request`; after the first pass, ask for the second."""
        logger.append_keys(tenant_id=request.tenant_id)
        if request.chatbot_id is None:
            self.erase_tenant(request)
        else:
            self.erase_chatbot(request.tenant_id, request.chatbot_id)
        logger.info("Erased", extra={"chatbot_id": request.chatbot_id, "final": request.final})
        if not request.final:
            self.queue.request(request.model_copy(update={"final": True}), delay_seconds=SECOND_PASS_DELAY)

    def erase_chatbot(self, tenant_id: str, chatbot_id: str) -> None:
        for source in self.sources.all(tenant_id, chatbot_id):
            # Sources first, marked deleted, so that their crawl writes nothing more and their places in the plan
            # are given back once however often this runs.
            if self.sources.soft_delete(source, utcnow()):
                self.quotas.release(tenant_id, "sources")
        documents = self.documents.all(tenant_id, chatbot_id)
        for document in documents:
            # Marking each live document deleted first gives back its share of the plan exactly once, however
            # often this runs; an indexing run in flight then gives back what it counted itself.
            was = self.documents.soft_delete(tenant_id, chatbot_id, document.id, utcnow())
            if was is not None:
                self.quotas.release_document(was)
            ids = self.index.ids(tenant_id, document_prefix(document.id))
            if ids:
                self.index.delete(tenant_id, ids)
        self.lexicon.erase(tenant_id, chatbot_id, [document.id for document in documents])
        for prefix in stored_prefixes(tenant_id, chatbot_id):
            self.blobs.delete_prefix(prefix)
        self.conversations.erase(tenant_id, chatbot_id)
        self.sources.erase(tenant_id, chatbot_id)
        self.documents.erase(tenant_id, chatbot_id)
        self.chatbots.erase(tenant_id, chatbot_id)

    def erase_tenant(self, request: ErasureRequest) -> None:
        tenant_id = request.tenant_id
        self.api_keys.erase(tenant_id)
        for chatbot_id in self.chatbots.ids(tenant_id):
            self.erase_chatbot(tenant_id, chatbot_id)
        leftover = self.index.ids(tenant_id, "")  # the namespace is the tenant's: anything left in it is theirs
        if leftover:
            self.index.delete(tenant_id, leftover)
        for prefix in stored_prefixes(tenant_id):
            self.blobs.delete_prefix(prefix)
        for user in request.users:
            self.identity.delete(user.email)
            self.accounts.delete_user(user.id)
        self.accounts.erase_tenant(tenant_id)
