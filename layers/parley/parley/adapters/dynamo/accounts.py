"""Tenants and user profiles."""

from __future__ import annotations

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record
from parley.adapters.dynamo.team import member_record
from parley.domain.accounts import Tenant, UserProfile


class DynamoAccountStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        self.table.write_all(
            [
                {"Put": self.table.new_item(record(tenant, PK=keys.tenant(tenant.id), SK=keys.TENANT_SK))},
                {"Put": self.table.new_item(record(owner, PK=keys.user(owner.id), SK=keys.PROFILE_SK))},
                {"Put": self.table.new_item(member_record(owner, owner.created_at))},
            ]
        )

    def get_user(self, user_id: str) -> UserProfile | None:
        item = self.table.get(keys.user(user_id), keys.PROFILE_SK)
        return UserProfile.model_validate(item) if item else None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self.table.get(keys.tenant(tenant_id), keys.TENANT_SK)
        return Tenant.model_validate(item) if item else None

    def sign_out(self, user_id: str, at: int) -> None:
        # Only ever later: two sign-outs racing cannot move the cut-off back (the later one's condition fails).
        self.table.update(
            keys.user(user_id),
            keys.PROFILE_SK,
            "SET signed_out_at = :at",
            condition="attribute_exists(PK) AND (attribute_not_exists(signed_out_at) OR signed_out_at < :at)",
            values={":at": at},
        )

    def delete_user(self, user_id: str) -> None:
        self.table.delete(keys.user(user_id), keys.PROFILE_SK)

    def erase_tenant(self, tenant_id: str) -> None:
        self.table.erase(keys.tenant(tenant_id))
