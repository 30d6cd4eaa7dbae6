"""The one place that picks adapters from settings and builds services, lazily and once per container."""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from parley.settings import Settings, get_settings

if TYPE_CHECKING:
    from parley.adapters.dynamo import Table
    from parley.ports import AccountStore
    from parley.services.accounts import AccountService
    from parley.services.chatbots import ChatbotService


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def client(self, service: str) -> Any:
        """A boto3 client; the endpoint comes from the standard AWS variables (the local stack sets them)."""
        import boto3

        return boto3.client(service)  # type: ignore[call-overload]

    @cached_property
    def table(self) -> Table:
        from parley.adapters.dynamo import Table

        return Table(self.client("dynamodb"), self.settings.require("table_name"))

    @cached_property
    def account_store(self) -> AccountStore:
        from parley.adapters.dynamo import DynamoAccountStore

        return DynamoAccountStore(self.table)

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
        from parley.adapters.dynamo import DynamoChatbotStore
        from parley.services.chatbots import ChatbotService

        return ChatbotService(DynamoChatbotStore(self.table))


@lru_cache(maxsize=1)
def get_container() -> Container:
    return Container(get_settings())
