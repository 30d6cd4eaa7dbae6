"""Requests for a person, one per conversation, in the tenant's partition; TTL removes a record a while after."""

from __future__ import annotations

from datetime import datetime, timedelta

from parley.adapters.dynamo import keys
from parley.adapters.dynamo.analytics import tally_update
from parley.adapters.dynamo.table import Table, record
from parley.domain.analytics import Tally
from parley.domain.common import timestamp
from parley.domain.handoff import HANDOFF_RECORD_DAYS, Handoff


class DynamoHandoffStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Handoff | None:
        item = self.table.get(keys.tenant(tenant_id), keys.handoff(chatbot_id, conversation_id))
        return Handoff.model_validate(item) if item else None

    def put(self, handoff: Handoff, tally: Tally) -> None:
        expires_at = int((handoff.requested_at + timedelta(days=HANDOFF_RECORD_DAYS)).timestamp())
        item = record(handoff, PK=keys.tenant(handoff.tenant_id), SK=self._sk(handoff))
        counts = tally_update(self.table, handoff.tenant_id, handoff.chatbot_id, tally)
        self.table.write_all([{"Put": self.table.put_request({**item, "expires_at": expires_at})}, {"Update": counts}])

    def of_tenant(self, tenant_id: str) -> list[Handoff]:
        items = self.table.query_prefix(keys.tenant(tenant_id), keys.handoffs(), consistent=True)
        return [Handoff.model_validate(item) for item in items]

    def take(self, handoff: Handoff, member: str, now: datetime) -> Handoff | None:
        taken = self.table.update(
            keys.tenant(handoff.tenant_id),
            self._sk(handoff),
            "SET #status = :taken, taken_by = :member, taken_at = :now, updated_at = :now",
            condition="#status = :waiting AND wait_until > :now",
            names={"#status": "status"},
            values={
                ":taken": "with_human",
                ":waiting": "waiting_for_human",
                ":member": member,
                ":now": timestamp(now),
            },
            returns="ALL_NEW",
        )
        return Handoff.model_validate(taken) if taken is not None else None

    def replied(self, handoff: Handoff, text: str, now: datetime) -> None:
        self.table.update(
            keys.tenant(handoff.tenant_id),
            self._sk(handoff),
            "SET first_reply_at = if_not_exists(first_reply_at, :now), first_reply = if_not_exists(first_reply, :text),"
            " updated_at = :now",
            values={":now": timestamp(now), ":text": text},
        )

    def hand_back(self, handoff: Handoff, member: str, status: str, now: datetime) -> Handoff | None:
        ended = self.table.update(
            keys.tenant(handoff.tenant_id),
            self._sk(handoff),
            "SET #status = :ended, updated_at = :now",
            condition="#status = :taken AND taken_by = :member",
            names={"#status": "status"},
            values={":ended": status, ":taken": "with_human", ":member": member, ":now": timestamp(now)},
            returns="ALL_NEW",
        )
        return Handoff.model_validate(ended) if ended is not None else None

    def leave_contact(self, handoff: Handoff, email: str, now: datetime) -> Handoff:
        left = self.table.update(
            keys.tenant(handoff.tenant_id),
            self._sk(handoff),
            "SET contact_email = :email, updated_at = :now",
            values={":email": email, ":now": timestamp(now)},
            returns="ALL_NEW",
        )
        return Handoff.model_validate(left)

    @staticmethod
    def _sk(handoff: Handoff) -> str:
        return keys.handoff(handoff.chatbot_id, handoff.conversation_id)
