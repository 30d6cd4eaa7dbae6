"""A tenant's members and invitations, in the tenant's partition; each member's profile (keyed by user) is kept in
step with its member item by transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record, serialize
from parley.domain.accounts import UserProfile
from parley.domain.roles import Role
from parley.domain.team import Invitation, Member, StoredInvitation
from parley.errors import InvitationNotFound, MemberNotFound, ObjectChanged


def member_record(profile: UserProfile, joined_at: datetime) -> dict[str, Any]:
    """The member item of a profile (its user's public part, in the tenant's partition)."""
    return record(Member.of(profile, joined_at), PK=keys.tenant(profile.tenant_id), SK=keys.member(profile.id))


class DynamoTeamStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def members(self, tenant_id: str) -> list[Member]:
        return [Member.model_validate(item) for item in self.table.query_prefix(keys.tenant(tenant_id), keys.members())]

    def member(self, tenant_id: str, user_id: str) -> Member | None:
        item = self.table.get(keys.tenant(tenant_id), keys.member(user_id))
        return Member.model_validate(item) if item else None

    def invitations(self, tenant_id: str) -> list[Invitation]:
        return [
            StoredInvitation.model_validate(item).public()
            for item in self.table.query_prefix(keys.tenant(tenant_id), keys.invitations())
        ]

    def invitation(self, tenant_id: str, invitation_id: str) -> StoredInvitation | None:
        item = self.table.get(keys.tenant(tenant_id), keys.invitation(invitation_id))
        return StoredInvitation.model_validate(item) if item else None

    def invite(self, invitation: StoredInvitation) -> None:
        item = record(invitation, PK=keys.tenant(invitation.tenant_id), SK=keys.invitation(invitation.id))
        # Epoch seconds, the table's TTL attribute: DynamoDB drops an expired invitation some time later.
        item["expires_at"] = int(invitation.expires_at.timestamp())
        self.table.client.put_item(**self.table.put_new(item))

    def withdraw(self, tenant_id: str, invitation_id: str) -> bool:
        try:
            self.table.client.delete_item(
                TableName=self.table.name,
                Key=serialize({"PK": keys.tenant(tenant_id), "SK": keys.invitation(invitation_id)}),
                ConditionExpression="attribute_exists(PK)",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def admit(self, profile: UserProfile, joined_at: datetime, invitation_id: str, *, leaving: str | None) -> None:
        put_profile: dict[str, Any] = {
            "TableName": self.table.name,
            "Item": serialize(record(profile, PK=keys.user(profile.id), SK=keys.PROFILE_SK)),
        }
        if leaving is None:
            put_profile["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put_profile["ConditionExpression"] = "tenant_id = :leaving"
            put_profile["ExpressionAttributeValues"] = serialize({":leaving": leaving})
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self.table.name,
                    "Key": serialize({"PK": keys.tenant(profile.tenant_id), "SK": keys.invitation(invitation_id)}),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {"Put": put_profile},
            {"Put": self.table.put_new(member_record(profile, joined_at))},
        ]
        if leaving is not None:
            items.append(
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": serialize({"PK": keys.tenant(leaving), "SK": keys.member(profile.id)}),
                    }
                }
            )
        failed = self._transact(items)
        if failed == 0:
            raise InvitationNotFound()
        if failed is not None:
            raise ObjectChanged("Your account changed meanwhile; try again")

    def set_role(self, tenant_id: str, user_id: str, role: Role, *, other_owner: str | None = None) -> None:
        items = self._role_updates(tenant_id, user_id, role)
        if other_owner is not None:
            items.append(self._still_owner(tenant_id, other_owner))
        if self._transact(items) is not None:
            raise MemberNotFound("The member or their role changed meanwhile; reload and try again")

    def transfer(self, tenant_id: str, from_owner: str, to_member: str) -> None:
        items = [
            *self._role_updates(tenant_id, to_member, "owner"),
            *self._role_updates(tenant_id, from_owner, "admin", only_if="owner"),
        ]
        if self._transact(items) is not None:
            raise MemberNotFound("The member or your role changed meanwhile; reload and try again")

    def remove(self, tenant_id: str, user_id: str) -> None:
        items = [
            {
                "Delete": {
                    "TableName": self.table.name,
                    "Key": serialize({"PK": keys.tenant(tenant_id), "SK": keys.member(user_id)}),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Delete": {
                    "TableName": self.table.name,
                    "Key": serialize({"PK": keys.user(user_id), "SK": keys.PROFILE_SK}),
                    "ConditionExpression": "tenant_id = :tenant",
                    "ExpressionAttributeValues": serialize({":tenant": tenant_id}),
                }
            },
        ]
        if self._transact(items) is not None:
            raise MemberNotFound()

    def _role_updates(
        self, tenant_id: str, user_id: str, role: Role, *, only_if: Role | None = None
    ) -> list[dict[str, Any]]:
        """Updates of the member item and the profile to `role` (each only while the member is in the tenant, and,
        with `only_if`, while they hold that role)."""
        condition = "#role = :was" if only_if else "attribute_exists(PK)"
        values = {":role": role, ":was": only_if}
        member_update = {
            "TableName": self.table.name,
            "Key": serialize({"PK": keys.tenant(tenant_id), "SK": keys.member(user_id)}),
            "UpdateExpression": "SET #role = :role",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": serialize(values),
        }
        profile_update = {
            "TableName": self.table.name,
            "Key": serialize({"PK": keys.user(user_id), "SK": keys.PROFILE_SK}),
            "UpdateExpression": "SET #role = :role",
            "ConditionExpression": "tenant_id = :tenant",
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": serialize({":role": role, ":tenant": tenant_id}),
        }
        return [{"Update": member_update}, {"Update": profile_update}]

    def _still_owner(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self.table.name,
                "Key": serialize({"PK": keys.tenant(tenant_id), "SK": keys.member(user_id)}),
                "ConditionExpression": "#role = :owner",
                "ExpressionAttributeNames": {"#role": "role"},
                "ExpressionAttributeValues": serialize({":owner": "owner"}),
            }
        }

    def _transact(self, items: list[Any]) -> int | None:
        """Write `items` together; the index of the first whose condition failed, or None if all were written."""
        try:
            self.table.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" not in reasons:
                raise
            return reasons.index("ConditionalCheckFailed")
        return None
