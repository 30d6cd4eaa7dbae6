"""A tenant's members and invitations, in the tenant's partition; each member's profile (keyed by user) is kept in
step with its member item by transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.table import Table, record
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
        self.table.put(item, new=True)

    def withdraw(self, tenant_id: str, invitation_id: str) -> bool:
        return self.table.delete(
            keys.tenant(tenant_id), keys.invitation(invitation_id), condition="attribute_exists(PK)"
        )

    def admit(self, profile: UserProfile, joined_at: datetime, invitation_id: str, *, leaving: str | None) -> None:
        put_profile = self.table.put_request(
            record(profile, PK=keys.user(profile.id), SK=keys.PROFILE_SK),
            condition="attribute_not_exists(PK)" if leaving is None else "tenant_id = :leaving",
            values={":leaving": leaving},
        )
        items: list[dict[str, Any]] = [
            {
                "Delete": self.table.delete_request(
                    keys.tenant(profile.tenant_id), keys.invitation(invitation_id), condition="attribute_exists(PK)"
                )
            },
            {"Put": put_profile},
            {"Put": self.table.new_item(member_record(profile, joined_at))},
        ]
        if leaving is not None:
            items.append({"Delete": self.table.delete_request(keys.tenant(leaving), keys.member(profile.id))})
        failed = self.table.transact(items)
        if failed == 0:
            raise InvitationNotFound()
        if failed is not None:
            raise ObjectChanged("Your account changed meanwhile; try again")

    def set_role(self, tenant_id: str, user_id: str, role: Role, *, other_owner: str | None = None) -> None:
        items = self._role_updates(tenant_id, user_id, role)
        if other_owner is not None:
            items.append(self._still_owner(tenant_id, other_owner))
        if self.table.transact(items) is not None:
            raise MemberNotFound("The member or their role changed meanwhile; reload and try again")

    def transfer(self, tenant_id: str, from_owner: str, to_member: str) -> None:
        items = [
            *self._role_updates(tenant_id, to_member, "owner"),
            *self._role_updates(tenant_id, from_owner, "admin", only_if="owner"),
        ]
        if self.table.transact(items) is not None:
            raise MemberNotFound("The member or your role changed meanwhile; reload and try again")

    def remove(self, tenant_id: str, user_id: str) -> None:
        items = [
            {
                "Delete": self.table.delete_request(
                    keys.tenant(tenant_id), keys.member(user_id), condition="attribute_exists(PK)"
                )
            },
            {
                "Delete": self.table.delete_request(
                    keys.user(user_id), keys.PROFILE_SK, condition="tenant_id = :tenant", values={":tenant": tenant_id}
                )
            },
        ]
        if self.table.transact(items) is not None:
            raise MemberNotFound()

    def _role_updates(
        self, tenant_id: str, user_id: str, role: Role, *, only_if: Role | None = None
    ) -> list[dict[str, Any]]:
        """Updates of the member item and the profile to `role` (each only while the member is in the tenant, and,
        with `only_if`, while they hold that role)."""
        member_update = self.table.update_request(
            keys.tenant(tenant_id),
            keys.member(user_id),
            "SET #role = :role",
            condition="#role = :was" if only_if else "attribute_exists(PK)",
            names={"#role": "role"},
            values={":role": role, ":was": only_if},
        )
        profile_update = self.table.update_request(
            keys.user(user_id),
            keys.PROFILE_SK,
            "SET #role = :role",
            condition="tenant_id = :tenant",
            names={"#role": "role"},
            values={":role": role, ":tenant": tenant_id},
        )
        return [{"Update": member_update}, {"Update": profile_update}]

    def _still_owner(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": self.table.check_request(
                keys.tenant(tenant_id),
                keys.member(user_id),
                "#role = :owner",
                names={"#role": "role"},
                values={":owner": "owner"},
            )
        }
