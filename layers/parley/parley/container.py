"""The one place that picks adapters from settings and builds services, lazily and once per container.

Building any of them fetches no secret and makes no SDK client: adapters do that on their first call, so a
function only reaches (and needs permission for) what its events use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from parley.settings import Resource, Settings, get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from parley.adapters.dynamo.table import Table
    from parley.adapters.openai_access import OpenAIAccess
    from parley.answers.extractive import ExtractiveAnswerer
    from parley.crawling.fetch import FetchPolicy
    from parley.ports import (
        AccountStore,
        ApiKeyStore,
        BlobStore,
        ChatbotStore,
        Connections,
        ConnectionStore,
        ConversationStore,
        CrawlQueue,
        DocumentEmbedder,
        DocumentStore,
        ErasureQueue,
        ExportFiles,
        GapStore,
        HandoffStore,
        IdentityProvider,
        LanguageModel,
        LexiconStore,
        PublishedFiles,
        RateLimiter,
        Requeue,
        SourceStore,
        TeamStore,
        UsageCounters,
        VectorIndex,
    )
    from parley.services.abandoned_uploads import AbandonedUploads
    from parley.services.accounts import AccountClosure, AccountService
    from parley.services.admission import ConnectionAdmission
    from parley.services.analytics import AnalyticsService
    from parley.services.answers import AnswerService
    from parley.services.api_keys import ApiKeys
    from parley.services.chatbots import ChatbotService
    from parley.services.conversations import ConversationService
    from parley.services.crawl import Crawler
    from parley.services.documents import DocumentService
    from parley.services.erasure import Erasure
    from parley.services.exports import ConversationExports
    from parley.services.feedback import FeedbackService
    from parley.services.gaps import KnowledgeGaps
    from parley.services.handoffs import Handoffs
    from parley.services.indexer import DocumentIndexer
    from parley.services.live_chat import LiveChat
    from parley.services.public_chat import PublicChat
    from parley.services.quotas import Quotas
    from parley.services.retrieval import Retriever
    from parley.services.sessions import Sessions
    from parley.services.sources import SourceService
    from parley.services.team import Invitations, TeamService
    from parley.services.web_config import WebConfigPublisher


class _BuiltOnFirstUse:
    """Stands for what `build` makes, and makes it on the first attribute read (a method called)."""

    def __init__(self, build: Callable[[], object]) -> None:
        self._build = build

    @cached_property
    def _target(self) -> object:
        return self._build()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def secrets(self) -> SecretsProvider:
        import boto3
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        # A client of boto3's default session, as every other client here: Powertools' own provider would open a
        # session of its own and load the SDK's endpoint and service data again (about 150 ms at cold start).
        return SecretsProvider(boto3_client=boto3.client("secretsmanager"))

    def secret(self, name: str) -> str:
        """A secret's value, fetched by its name (cached for 5 minutes, never logged)."""
        return str(self.secrets.get(name, max_age=300))

    @cached_property
    def table(self) -> Table:
        from parley.adapters.dynamo.table import Table

        return Table(self.settings.resources[Resource.TABLE])

    @cached_property
    def account_store(self) -> AccountStore:
        from parley.adapters.dynamo.accounts import DynamoAccountStore

        return DynamoAccountStore(self.table)

    @cached_property
    def chatbot_store(self) -> ChatbotStore:
        from parley.adapters.dynamo.chatbots import DynamoChatbotStore

        return DynamoChatbotStore(self.table)

    @cached_property
    def document_store(self) -> DocumentStore:
        from parley.adapters.dynamo.documents import DynamoDocumentStore

        return DynamoDocumentStore(self.table)

    @cached_property
    def conversation_store(self) -> ConversationStore:
        from parley.adapters.dynamo.conversations import DynamoConversationStore

        return DynamoConversationStore(self.table)

    @cached_property
    def connection_store(self) -> ConnectionStore:
        from parley.adapters.dynamo.connections import DynamoConnectionStore

        return DynamoConnectionStore(self.table)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        from parley.adapters.dynamo.rate_limits import DynamoRateLimiter

        return DynamoRateLimiter(self.table, self.settings.rate_limits.clock())

    @cached_property
    def blobs(self) -> BlobStore:
        from parley.adapters.s3 import S3BlobStore

        return S3BlobStore(self.settings.resources[Resource.DOCUMENTS_BUCKET])

    @cached_property
    def web_files(self) -> PublishedFiles:
        from parley.adapters.s3 import S3PublishedFiles

        return S3PublishedFiles(self.settings.resources[Resource.WEB_BUCKET])

    @cached_property
    def web_config(self) -> WebConfigPublisher:
        from parley.services.web_config import WebConfigPublisher

        return WebConfigPublisher(self.web_files)

    @cached_property
    def openai(self) -> OpenAIAccess:
        from parley.adapters.openai_access import OpenAIAccess

        providers = self.settings.providers
        # The secret's name is read when the key is first needed, as the key itself is.
        return OpenAIAccess(lambda: self.secret(providers.openai_key_secret), providers.openai_base_url)

    @cached_property
    def embedder(self) -> DocumentEmbedder:
        if self.settings.providers.embedder == "minilm":
            from parley.adapters.embedded.minilm import MiniLMEmbedder

            return MiniLMEmbedder()
        from parley.adapters.openai_embedder import OpenAIEmbedder

        providers = self.settings.providers
        return OpenAIEmbedder(self.openai, providers.embedding_model, providers.embedding_dimensions)

    @cached_property
    def llm(self) -> LanguageModel | None:
        if self.settings.providers.llm == "none":
            return None
        from parley.adapters.openai_chat import OpenAIChat

        return OpenAIChat(self.openai)

    @cached_property
    def vector_index(self) -> VectorIndex:
        # Services that reach the index on some paths only (a document's deletion, not its upload) hold it from the
        # start: it is built on its first call, so that the others never load the local index's numpy and files.
        return cast("VectorIndex", _BuiltOnFirstUse(self._build_vector_index))

    def _build_vector_index(self) -> VectorIndex:
        providers = self.settings.providers
        space = providers.embedding_space
        if providers.vector_index == "local":
            from parley.adapters.embedded.local_index import LocalVectorIndex

            return LocalVectorIndex(Path(providers.data_dir) / "index", space.model, space.dimension)
        from parley.adapters.pinecone_index import PineconeIndex

        return PineconeIndex(
            lambda: self.secret(providers.pinecone_key_secret), providers.pinecone_host, space.dimension
        )

    @cached_property
    def retriever(self) -> Retriever:
        from parley.services.retrieval import Retriever

        return Retriever(self.embedder, self.vector_index, self.lexicon)

    @cached_property
    def lexicon(self) -> LexiconStore:
        from parley.adapters.dynamo.lexicon import DynamoLexicon

        return DynamoLexicon(self.table)

    @cached_property
    def connections(self) -> Connections:
        from parley.adapters.apigateway import ApiGatewayConnections

        return ApiGatewayConnections(self.settings.resources[Resource.WEBSOCKET_API])

    @cached_property
    def identity(self) -> IdentityProvider:
        from parley.adapters.cognito import CognitoIdentityProvider

        resources = self.settings.resources

        return CognitoIdentityProvider(
            user_pool_id=resources[Resource.USER_POOL],
            client_id=resources[Resource.USER_POOL_CLIENT],
            issuer=resources.user_pool_issuer,
            keys_url=resources.user_pool_signing_keys,
        )

    @cached_property
    def erasure_queue(self) -> ErasureQueue:
        from parley.adapters.sqs import SqsErasureQueue

        return SqsErasureQueue(self.settings.resources[Resource.ERASURE_QUEUE])

    @cached_property
    def requeue(self) -> Requeue:
        from parley.adapters.sqs import SqsRequeue

        return SqsRequeue()

    @cached_property
    def accounts(self) -> AccountService:
        from parley.adapters.dynamo.rate_limits import DynamoFailureCounter
        from parley.services.accounts import AccountService

        return AccountService(
            self.identity,
            self.account_store,
            DynamoFailureCounter(self.table, self.settings.rate_limits.clock()),
            self.invitations,
            auto_confirm=self.settings.sign_in.auto_confirm_users,
            sign_in_limits=self.settings.sign_in.limits,
        )

    @cached_property
    def sessions(self) -> Sessions:
        from parley.services.sessions import Sessions

        return Sessions(self.identity, self.account_store, self.connection_store, self.connections)

    @cached_property
    def account_closure(self) -> AccountClosure:
        from parley.services.accounts import AccountClosure

        return AccountClosure(
            self.identity, self.account_store, self.team_store, self.chatbot_store, self.erasure_queue
        )

    @cached_property
    def team_store(self) -> TeamStore:
        from parley.adapters.dynamo.team import DynamoTeamStore

        return DynamoTeamStore(self.table)

    @cached_property
    def invitations(self) -> Invitations:
        from parley.services.team import Invitations

        return Invitations(self.team_store, self.quotas)

    @cached_property
    def team(self) -> TeamService:
        from parley.services.team import TeamService

        return TeamService(
            self.team_store,
            self.invitations,
            self.chatbot_store,
            self.identity,
            sessions=self.sessions,
            erasures=self.erasure_queue,
        )

    @cached_property
    def chatbots(self) -> ChatbotService:
        from parley.services.chatbots import ChatbotService

        return ChatbotService(
            self.chatbot_store, self.erasure_queue, quotas=self.quotas, limits=self.settings.answers.spending_limits
        )

    @cached_property
    def erasure(self) -> Erasure:
        from parley.services.erasure import Erasure

        return Erasure(
            chatbots=self.chatbot_store,
            documents=self.document_store,
            conversations=self.conversation_store,
            accounts=self.account_store,
            identity=self.identity,
            blobs=self.blobs,
            index=self.vector_index,
            lexicon=self.lexicon,
            queue=self.erasure_queue,
            api_keys=self.api_key_store,
            quotas=self.quotas,
            sources=self.source_store,
        )

    @cached_property
    def documents(self) -> DocumentService:
        from parley.services.documents import DocumentService

        return DocumentService(
            self.document_store,
            self.chatbot_store,
            self.blobs,
            self.vector_index,
            self.lexicon,
            quotas=self.quotas,
            max_bytes=self.settings.uploads.max_bytes,
            upload_ttl=self.settings.uploads.ticket_ttl,
        )

    @cached_property
    def answers(self) -> AnswerService:
        from parley.services.answers import AnswerService

        return AnswerService(
            self.chatbot_store,
            self.conversation_store,
            self.retriever,
            self.llm,
            self.rate_limiter,
            extractive=self.extractive,
            quotas=self.quotas,
            tenant_questions_per_minute=self.settings.rate_limits.tenant_questions_per_minute,
            limits=self.settings.answers.spending_limits,
            default_min_relevance=self.settings.providers.embedding_space.min_relevance,
            qa_threshold=self.settings.qa_threshold,
        )

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        from parley.answers.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(self.embedder, self.settings.providers.embedding_space.min_sentence_score)

    @cached_property
    def conversations(self) -> ConversationService:
        from parley.services.conversations import ConversationService

        return ConversationService(self.chatbot_store, self.conversation_store, self.handoff_store)

    @cached_property
    def export_files(self) -> ExportFiles:
        from parley.adapters.s3 import S3ExportFiles

        return S3ExportFiles(self.settings.resources[Resource.DOCUMENTS_BUCKET])

    @cached_property
    def exports(self) -> ConversationExports:
        from parley.services.exports import ConversationExports

        return ConversationExports(
            self.chatbot_store,
            self.conversation_store,
            self.export_files,
            self.team_store,
            inline_max_bytes=self.settings.exports.inline_max_bytes,
            max_conversations=self.settings.exports.max_conversations,
            link_ttl=self.settings.exports.link_ttl,
        )

    @cached_property
    def public_chat(self) -> PublicChat:
        from parley.services.public_chat import PublicChat

        return PublicChat(
            self.chatbot_store,
            self.rate_limiter,
            self.answers,
            self.handoff_store,
            per_visitor=self.settings.rate_limits.visitor_messages_per_minute,
            per_network=self.settings.rate_limits.network_messages_per_minute,
            per_chatbot=self.settings.rate_limits.chatbot_messages_per_minute,
        )

    @cached_property
    def admission(self) -> ConnectionAdmission:
        from parley.services.admission import ConnectionAdmission

        return ConnectionAdmission(
            self.accounts,
            self.public_chat,
            self.rate_limiter,
            per_network=self.settings.rate_limits.connections_per_minute,
        )

    @cached_property
    def handoff_store(self) -> HandoffStore:
        from parley.adapters.dynamo.handoffs import DynamoHandoffStore

        return DynamoHandoffStore(self.table)

    @cached_property
    def handoffs(self) -> Handoffs:
        from parley.services.handoffs import Handoffs

        return Handoffs(
            self.chatbot_store,
            self.conversation_store,
            self.handoff_store,
            self.connection_store,
            self.connections,
            gaps=self.gap_store,
        )

    @cached_property
    def gap_store(self) -> GapStore:
        from parley.adapters.dynamo.gaps import DynamoGapStore

        return DynamoGapStore(self.table)

    @cached_property
    def gaps(self) -> KnowledgeGaps:
        from parley.services.gaps import KnowledgeGaps

        return KnowledgeGaps(
            self.chatbot_store,
            self.gap_store,
            self.handoff_store,
            self.document_store,
            self.embedder,
            threshold=self.settings.gap_threshold,
            qa_threshold=self.settings.qa_threshold,
        )

    @cached_property
    def live_chat(self) -> LiveChat:
        from parley.services.live_chat import LiveChat

        return LiveChat(
            self.connection_store,
            self.connections,
            self.public_chat,
            self.answers,
            self.account_store,
            feedback=self.feedback,
            handoffs=self.handoffs,
        )

    @cached_property
    def indexer(self) -> DocumentIndexer:
        from parley.services.indexer import DocumentIndexer

        return DocumentIndexer(
            self.document_store,
            self.chatbot_store,
            self.blobs,
            self.embedder,
            self.vector_index,
            lexicon=self.lexicon,
            quotas=self.quotas,
            max_bytes=self.settings.uploads.max_bytes,
            limits=self.settings.ingest.limits,
        )

    @cached_property
    def abandoned_uploads(self) -> AbandonedUploads:
        from parley.services.abandoned_uploads import AbandonedUploads

        return AbandonedUploads(self.document_store, grace=timedelta(seconds=self.settings.uploads.expiry_grace))

    @cached_property
    def api_key_store(self) -> ApiKeyStore:
        from parley.adapters.dynamo.api_keys import DynamoApiKeyStore

        return DynamoApiKeyStore(self.table)

    @cached_property
    def api_keys(self) -> ApiKeys:
        from parley.services.api_keys import ApiKeys

        return ApiKeys(self.api_key_store, self.chatbot_store, self.quotas)

    @cached_property
    def feedback(self) -> FeedbackService:
        from parley.services.feedback import FeedbackService

        return FeedbackService(
            self.chatbot_store,
            self.conversation_store,
            self.public_chat,
            self.rate_limiter,
            self.gap_store,
            per_network=self.settings.rate_limits.network_messages_per_minute,
        )

    @cached_property
    def analytics(self) -> AnalyticsService:
        from parley.adapters.dynamo.analytics import DynamoAnalyticsStore
        from parley.services.analytics import AnalyticsService

        return AnalyticsService(self.chatbot_store, DynamoAnalyticsStore(self.table))

    @cached_property
    def usage_counters(self) -> UsageCounters:
        from parley.adapters.dynamo.usage import DynamoUsageCounters

        return DynamoUsageCounters(self.table)

    @cached_property
    def quotas(self) -> Quotas:
        from parley.services.quotas import Quotas

        return Quotas(self.usage_counters)

    @cached_property
    def source_store(self) -> SourceStore:
        from parley.adapters.dynamo.sources import DynamoSourceStore

        return DynamoSourceStore(self.table)

    @cached_property
    def crawl_queue(self) -> CrawlQueue:
        from parley.adapters.sqs import SqsCrawlQueue

        return SqsCrawlQueue(self.settings.resources[Resource.CRAWL_QUEUE])

    @cached_property
    def source_service(self) -> SourceService:
        from parley.services.sources import SourceService

        return SourceService(
            self.source_store,
            self.chatbot_store,
            self.documents,
            self.document_store,
            self.crawl_queue,
            quotas=self.quotas,
            max_sync=timedelta(seconds=self.settings.crawl.max_sync_seconds),
        )

    @cached_property
    def fetch_policy(self) -> FetchPolicy:
        """How website sources fetch: public addresses only, unless this is the local stack (allow_loopback)."""
        from parley.crawling.fetch import FetchPolicy  # only the crawl function reads the web (http.client, ssl)

        return FetchPolicy(
            user_agent=self.settings.crawl.user_agent,
            allow_loopback=self.settings.crawl.allow_loopback,
            max_bytes=self.settings.crawl.max_page_bytes,
        )

    @cached_property
    def crawler(self) -> Crawler:
        from parley.services.crawl import Crawler

        return Crawler(
            self.source_store,
            self.documents,
            self.document_store,
            self.crawl_queue,
            policy=self.fetch_policy,
            max_depth=self.settings.crawl.max_depth,
            resync=timedelta(hours=self.settings.crawl.resync_hours),
            settle_seconds=self.settings.crawl.settle_seconds,
        )


@lru_cache(maxsize=1)
def get_container() -> Container:
    return Container(get_settings())
