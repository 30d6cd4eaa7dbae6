"""Tenants and user profiles."""

from __future__ import annotations

import contextlib

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record, serialize
from parley.adapters.dynamo.team import member_record
from parley.domain.accounts import Tenant, UserProfile


class DynamoAccountStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        self.table.client.transact_write_items(
            TransactItems=[
                {"Put": self.table.put_new(record(tenant, PK=keys.tenant(tenant.id), SK=keys.TENANT_SK))},
                {"Put": self.table.put_new(record(owner, PK=keys.user(owner.id), SK=keys.PROFILE_SK))},
                {"Put": self.table.put_new(member_record(owner, owner.created_at))},
            ]
        )

    def get_user(self, user_id: str) -> UserProfile | None:
        item = self.table.get(keys.user(user_id), keys.PROFILE_SK)
        return UserProfile.model_validate(item) if item else None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self.table.get(keys.tenant(tenant_id), keys.TENANT_SK)
        return Tenant.model_validate(item) if item else None

    def sign_out(self, user_id: str, at: int) -> None:
        # Only ever later: two sign-outs racing cannot move the cut-off back.
        with contextlib.suppress(self.table.client.exceptions.ConditionalCheckFailedException):
            self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize({"PK": keys.user(user_id), "SK": keys.PROFILE_SK}),
                UpdateExpression="SET signed_out_at = :at",
                ConditionExpression=(
                    "attribute_exists(PK) AND (attribute_not_exists(signed_out_at) OR signed_out_at < :at)"
                ),
                ExpressionAttributeValues=serialize({":at": at}),
            )

    def delete_user(self, user_id: str) -> None:
        self.table.client.delete_item(
            TableName=self.table.name, Key=serialize({"PK": keys.user(user_id), "SK": keys.PROFILE_SK})
        )

    def erase_tenant(self, tenant_id: str) -> None:
        self.table.erase(keys.tenant(tenant_id))
