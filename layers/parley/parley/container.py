"""The one place that picks adapters from settings and builds services, lazily and once per container."""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parley.settings import Settings, get_settings

if TYPE_CHECKING:
    from parley.adapters.dynamo import Table
    from parley.ingest.indexer import DocumentIndexer
    from parley.ports import (
        AccountStore,
        BlobStore,
        ChatbotStore,
        Connections,
        ConnectionStore,
        ConversationStore,
        DocumentStore,
        Embedder,
        LanguageModel,
        VectorIndex,
    )
    from parley.retrieval import Retriever
    from parley.services.accounts import AccountService
    from parley.services.answers import AnswerService
    from parley.services.chatbots import ChatbotService
    from parley.services.documents import DocumentService
    from parley.services.live_chat import LiveChat
    from parley.services.public_chat import PublicChat


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client; the endpoint comes from the standard AWS variables (the local stack sets them)."""
        import boto3

        return boto3.client(service, **options)  # type: ignore[call-overload]

    def secret(self, name_setting: str) -> str:
        """A secret's value, fetched by the name a setting holds (cached by Powertools, never logged)."""
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(self.settings.require(name_setting), max_age=300))

    @cached_property
    def table(self) -> Table:
        from parley.adapters.dynamo import Table

        return Table(self.client("dynamodb"), self.settings.require("table_name"))

    @cached_property
    def account_store(self) -> AccountStore:
        from parley.adapters.dynamo import DynamoAccountStore

        return DynamoAccountStore(self.table)

    @cached_property
    def chatbot_store(self) -> ChatbotStore:
        from parley.adapters.dynamo import DynamoChatbotStore

        return DynamoChatbotStore(self.table)

    @cached_property
    def document_store(self) -> DocumentStore:
        from parley.adapters.dynamo import DynamoDocumentStore

        return DynamoDocumentStore(self.table)

    @cached_property
    def blobs(self) -> BlobStore:
        from botocore.config import Config

        from parley.adapters.s3 import S3BlobStore

        # SigV4 presigned URLs are accepted in every region (and by the local stack's S3).
        config = Config(signature_version="s3v4")
        return S3BlobStore(self.client("s3", config=config), self.settings.require("documents_bucket"))

    @cached_property
    def conversation_store(self) -> ConversationStore:
        from parley.adapters.dynamo import DynamoConversationStore

        return DynamoConversationStore(self.table)

    def openai_client(self, *, max_retries: int, timeout: float) -> Any:
        from openai import OpenAI

        return OpenAI(
            api_key=self.secret("openai_api_key_secret"),
            base_url=self.settings.openai_base_url,
            max_retries=max_retries,
            timeout=timeout,
        )

    @cached_property
    def embedder(self) -> Embedder:
        if self.settings.embedder == "minilm":
            from parley.adapters.embedded.minilm import MiniLMEmbedder

            return MiniLMEmbedder()
        from parley.adapters.openai_embedder import OpenAIEmbedder

        client = self.openai_client(max_retries=4, timeout=30.0)
        return OpenAIEmbedder(client, self.settings.embedding_model, self.settings.embedding_dimensions)

    @cached_property
    def llm(self) -> LanguageModel | None:
        if self.settings.llm == "none":
            return None
        from parley.adapters.openai_chat import OpenAIChat

        # Two quick retries: a person is waiting, and the extractive fallback is ready.
        return OpenAIChat(self.openai_client(max_retries=2, timeout=30.0))

    @cached_property
    def retriever(self) -> Retriever:
        from parley.retrieval import Retriever

        return Retriever(self.embedder, self.vector_index)

    @cached_property
    def vector_index(self) -> VectorIndex:
        if self.settings.vector_index == "local":
            from parley.adapters.embedded.local_index import LocalVectorIndex

            return LocalVectorIndex(Path(self.settings.data_dir) / "index", *self.settings.embedding_space)
        from pinecone import Pinecone

        from parley.adapters.pinecone_index import PineconeIndex

        host = self.settings.require("pinecone_index_host")
        index = Pinecone(api_key=self.secret("pinecone_api_key_secret")).Index(host=host)
        return PineconeIndex(index, self.settings.embedding_space[1])

    @cached_property
    def accounts(self) -> AccountService:
        from parley.adapters.cognito import CognitoIdentityProvider
        from parley.services.accounts import AccountService

        identity = CognitoIdentityProvider(
            self.client("cognito-idp"),
            user_pool_id=self.settings.require("user_pool_id"),
            client_id=self.settings.require("user_pool_client_id"),
        )
        return AccountService(identity, self.account_store, auto_confirm=self.settings.auto_confirm_users)

    @cached_property
    def chatbots(self) -> ChatbotService:
        from parley.services.chatbots import ChatbotService

        return ChatbotService(self.chatbot_store)

    @cached_property
    def documents(self) -> DocumentService:
        from parley.services.documents import DocumentService

        return DocumentService(
            self.document_store,
            self.chatbot_store,
            self.blobs,
            lambda: self.vector_index,
            max_bytes=self.settings.max_upload_bytes,
            upload_ttl=self.settings.upload_url_ttl,
        )

    @cached_property
    def answers(self) -> AnswerService:
        from parley.services.answers import AnswerService

        return AnswerService(self.chatbot_store, self.conversation_store, lambda: self.retriever, lambda: self.llm)

    @cached_property
    def public_chat(self) -> PublicChat:
        from parley.adapters.dynamo import DynamoRateLimiter
        from parley.services.public_chat import PublicChat

        return PublicChat(
            self.chatbot_store,
            DynamoRateLimiter(self.table),
            lambda: self.answers,
            per_visitor=self.settings.visitor_messages_per_minute,
            per_chatbot=self.settings.chatbot_messages_per_minute,
        )

    @cached_property
    def connection_store(self) -> ConnectionStore:
        from parley.adapters.dynamo import DynamoConnectionStore

        return DynamoConnectionStore(self.table)

    @cached_property
    def connections(self) -> Connections:
        from parley.adapters.apigateway import ApiGatewayConnections

        endpoint = self.settings.require("websocket_endpoint")
        return ApiGatewayConnections(self.client("apigatewaymanagementapi", endpoint_url=endpoint))

    @cached_property
    def live_chat(self) -> LiveChat:
        from parley.services.live_chat import LiveChat

        return LiveChat(
            self.connection_store,
            lambda: self.connections,
            lambda: self.accounts,
            lambda: self.public_chat,
            lambda: self.answers,
        )

    @cached_property
    def indexer(self) -> DocumentIndexer:
        from parley.ingest.indexer import DocumentIndexer

        return DocumentIndexer(
            self.document_store,
            self.chatbot_store,
            self.blobs,
            self.embedder,
            self.vector_index,
            max_bytes=self.settings.max_upload_bytes,
        )


@lru_cache(maxsize=1)
def get_container() -> Container:
    return Container(get_settings())
