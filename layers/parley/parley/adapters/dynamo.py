"""DynamoDB single-table storage. Every tenant-owned key starts with `TENANT#<id>`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

from parley.domain.accounts import Tenant, UserProfile
from parley.domain.chatbots import Chatbot
from parley.domain.common import timestamp, utcnow
from parley.domain.connections import Connection
from parley.domain.conversations import Conversation, Message
from parley.domain.documents import Document
from parley.errors import RateLimited

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def tenant_key(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(item) for item in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(item) for item in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain JSON-ish values → DynamoDB attribute values (None is left out, floats become Decimals)."""
    return {key: _serializer.serialize(_to_dynamo(value)) for key, value in item.items() if value is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


class Table:
    """The one table, with the few operations the stores need."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.name, Key=serialize({"PK": pk, "SK": sk}), ConsistentRead=True)
        return deserialize(found["Item"]) if "Item" in found else None

    def query_prefix(self, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
        """Every item of one partition whose sort key starts with `sk_prefix`, across pages."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": serialize({":pk": pk, ":prefix": sk_prefix}),
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield deserialize(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_new(self, item: Mapping[str, Any]) -> Any:
        """A Put request that fails if the key is taken (for `transact_write_items` or `put_item`)."""
        return {
            "TableName": self.name,
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }


def _record(model: BaseModel, **keys: str | None) -> dict[str, Any]:
    return {**keys, **model.model_dump(mode="json")}


class DynamoAccountStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create_account(self, tenant: Tenant, owner: UserProfile) -> None:
        # The profile is keyed by user: a token's `sub` must lead to its tenant in one read.
        self.table.client.transact_write_items(
            TransactItems=[
                {"Put": self.table.put_new(_record(tenant, PK=tenant_key(tenant.id), SK="TENANT"))},
                {"Put": self.table.put_new(_record(owner, PK=f"USER#{owner.id}", SK="PROFILE"))},
            ]
        )

    def get_user(self, user_id: str) -> UserProfile | None:
        item = self.table.get(f"USER#{user_id}", "PROFILE")
        return UserProfile.model_validate(item) if item else None


def _set_clause(changes: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`SET`/`REMOVE` expression for `changes`; None values are removed rather than stored."""
    names = {f"#f{i}": field for i, field in enumerate(changes)}
    sets = [f"#f{i} = :v{i}" for i, value in enumerate(changes.values()) if value is not None]
    removes = [f"#f{i}" for i, value in enumerate(changes.values()) if value is None]
    values = {f":v{i}": value for i, value in enumerate(changes.values()) if value is not None}
    expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    return expression.strip(), names, values


def _chatbot_sk(chatbot_id: str) -> str:
    return f"CHATBOT#{chatbot_id}"


def _live_chatbot(item: Mapping[str, Any] | None) -> Chatbot | None:
    if not item or item.get("deleted_at"):
        return None
    return Chatbot.model_validate(item)


class DynamoChatbotStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, chatbot: Chatbot) -> None:
        record = _record(
            chatbot,
            PK=tenant_key(chatbot.tenant_id),
            SK=_chatbot_sk(chatbot.id),
            # Sparse index: the public chat finds a chatbot by its publishable key alone.
            GSI1PK=f"PUBLIC_KEY#{chatbot.public_key}",
            GSI1SK=_chatbot_sk(chatbot.id),
        )
        self.table.client.put_item(**self.table.put_new(record))

    def get(self, tenant_id: str, chatbot_id: str) -> Chatbot | None:
        return _live_chatbot(self.table.get(tenant_key(tenant_id), _chatbot_sk(chatbot_id)))

    def list(self, tenant_id: str) -> list[Chatbot]:
        items = self.table.query_prefix(tenant_key(tenant_id), "CHATBOT#")
        return [chatbot for item in items if (chatbot := _live_chatbot(item))]

    def update(self, tenant_id: str, chatbot_id: str, changes: Mapping[str, Any]) -> Chatbot | None:
        expression, names, values = _set_clause(changes)
        try:
            updated = self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize({"PK": tenant_key(tenant_id), "SK": _chatbot_sk(chatbot_id)}),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return None
        return _live_chatbot(deserialize(updated["Attributes"]))

    def by_public_key(self, public_key: str) -> Chatbot | None:
        found = self.table.client.query(
            TableName=self.table.name,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :key",
            ExpressionAttributeValues=serialize({":key": f"PUBLIC_KEY#{public_key}"}),
            Limit=1,
        )
        items = found.get("Items", [])
        return _live_chatbot(deserialize(items[0])) if items else None

    def soft_delete(self, tenant_id: str, chatbot_id: str, deleted_at: datetime) -> bool:
        try:
            self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize({"PK": tenant_key(tenant_id), "SK": _chatbot_sk(chatbot_id)}),
                # Dropping the index keys retires the public key with the chatbot.
                UpdateExpression="SET deleted_at = :now, updated_at = :now REMOVE GSI1PK, GSI1SK",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeValues=serialize({":now": timestamp(deleted_at)}),
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


class DynamoRateLimiter:
    """Fixed-window counters: one atomic ADD per event on an item that expires with its window."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.clock = clock

    def hit(self, tenant_id: str, key: str, limit: int, window_seconds: int) -> int:
        now = int(self.clock())
        window = now - now % window_seconds
        counted = self.table.client.update_item(
            TableName=self.table.name,
            Key=serialize({"PK": tenant_key(tenant_id), "SK": f"RATE#{key}#{window}"}),
            UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues=serialize({":one": 1, ":expires": window + 2 * window_seconds}),
            ReturnValues="UPDATED_NEW",
        )
        hits = int(deserialize(counted["Attributes"])["hits"])
        if hits > limit:
            raise RateLimited("Too many messages; wait a moment", retry_after=window + window_seconds - now)
        return hits


def _document_sk(chatbot_id: str, document_id: str) -> str:
    return f"DOC#{chatbot_id}#{document_id}"


def _live_document(item: Mapping[str, Any] | None) -> Document | None:
    if not item or item.get("deleted_at"):
        return None
    return Document.model_validate(item)


class DynamoDocumentStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, tenant_id: str, chatbot_id: str, document_id: str) -> dict[str, Any]:
        return serialize({"PK": tenant_key(tenant_id), "SK": _document_sk(chatbot_id, document_id)})

    def add(self, document: Document) -> None:
        record = _record(document, PK=tenant_key(document.tenant_id), SK=_document_sk(document.chatbot_id, document.id))
        self.table.client.put_item(**self.table.put_new(record))

    def get(self, tenant_id: str, chatbot_id: str, document_id: str) -> Document | None:
        return _live_document(self.table.get(tenant_key(tenant_id), _document_sk(chatbot_id, document_id)))

    def list(self, tenant_id: str, chatbot_id: str) -> list[Document]:
        items = self.table.query_prefix(tenant_key(tenant_id), f"DOC#{chatbot_id}#")
        return [document for item in items if (document := _live_document(item))]

    def _update(self, document: Document, changes: Mapping[str, Any], condition: str, **values: Any) -> Document | None:
        expression, names, change_values = _set_clause(changes)
        try:
            updated = self.table.client.update_item(
                TableName=self.table.name,
                Key=self._key(document.tenant_id, document.chatbot_id, document.id),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(PK) AND attribute_not_exists(deleted_at) AND ({condition})",
                ExpressionAttributeNames={
                    **names,
                    **{name: name[1:] for name in ("#status", "#source") if name in condition},
                },
                ExpressionAttributeValues=serialize({**change_values, **values}),
                ReturnValues="ALL_NEW",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return None
        return _live_document(deserialize(updated["Attributes"]))

    def claim(self, document: Document, source: str, now: datetime) -> Document | None:
        changes = {"status": "processing", "source": source, "error": None, "updated_at": timestamp(now)}
        # A redelivered notification of an upload that already ended leaves the document alone; one that is
        # still `processing` (a crashed or timed-out attempt) is taken up again.
        condition = "attribute_not_exists(#source) OR #source <> :source OR #status = :processing"
        return self._update(document, changes, condition, **{":source": source, ":processing": "processing"})

    def finish(self, document: Document, source: str, changes: Mapping[str, Any]) -> Document | None:
        stamped = {**changes, "updated_at": timestamp(utcnow())}
        return self._update(document, stamped, "#source = :source", **{":source": source})

    def soft_delete(self, tenant_id: str, chatbot_id: str, document_id: str, deleted_at: datetime) -> Document | None:
        try:
            previous = self.table.client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, chatbot_id, document_id),
                UpdateExpression="SET deleted_at = :now, updated_at = :now",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeValues=serialize({":now": timestamp(deleted_at)}),
                ReturnValues="ALL_OLD",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return None
        return Document.model_validate(deserialize(previous["Attributes"]))


class DynamoConnectionStore:
    """Live WebSocket connections under their tenant; TTL removes the ones whose $disconnect never came."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, connection: Connection) -> None:
        item = _record(connection, PK=tenant_key(connection.tenant_id), SK=f"CONNECTION#{connection.id}")
        self.table.client.put_item(TableName=self.table.name, Item=serialize(item))

    def get(self, tenant_id: str, connection_id: str) -> Connection | None:
        item = self.table.get(tenant_key(tenant_id), f"CONNECTION#{connection_id}")
        # TTL deletes within days, not at the second: an expired record is already gone.
        if item is None or item["expires_at"] <= time.time():
            return None
        return Connection.model_validate(item)

    def remove(self, tenant_id: str, connection_id: str) -> None:
        self.table.client.delete_item(
            TableName=self.table.name, Key=serialize({"PK": tenant_key(tenant_id), "SK": f"CONNECTION#{connection_id}"})
        )


def _message_sk(conversation_id: str, message: Message | None = None) -> str:
    # Time first: messages of a conversation come back in the order they were written.
    suffix = f"{timestamp(message.created_at)}#{message.id}" if message else ""
    return f"MSG#{conversation_id}#{suffix}"


class DynamoConversationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, chatbot_id: str, conversation_id: str) -> Conversation | None:
        item = self.table.get(tenant_key(tenant_id), f"CONV#{chatbot_id}#{conversation_id}")
        return Conversation.model_validate(item) if item else None

    def messages(self, tenant_id: str, conversation_id: str, limit: int | None = None) -> list[Message]:
        if limit is None:
            items = list(self.table.query_prefix(tenant_key(tenant_id), _message_sk(conversation_id)))
        else:
            page = self.table.client.query(
                TableName=self.table.name,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues=serialize(
                    {":pk": tenant_key(tenant_id), ":prefix": _message_sk(conversation_id)}
                ),
                ScanIndexForward=False,
                Limit=limit,
                ConsistentRead=True,
            )
            items = [deserialize(item) for item in reversed(page.get("Items", []))]
        return [Message.model_validate(item) for item in items]

    def append(self, conversation: Conversation, messages: Sequence[Message], *, new: bool) -> None:
        pk = tenant_key(conversation.tenant_id)
        sk = f"CONV#{conversation.chatbot_id}#{conversation.id}"
        if new:
            head: dict[str, Any] = {"Put": self.table.put_new(_record(conversation, PK=pk, SK=sk))}
        else:
            head = {
                "Update": {
                    "TableName": self.table.name,
                    "Key": serialize({"PK": pk, "SK": sk}),
                    "UpdateExpression": "SET updated_at = :now ADD message_count :added",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": serialize(
                        {":now": timestamp(conversation.updated_at), ":added": len(messages)}
                    ),
                }
            }
        puts = [
            {"Put": self.table.put_new(_record(message, PK=pk, SK=_message_sk(conversation.id, message)))}
            for message in messages
        ]
        items: Any = [head, *puts]
        self.table.client.transact_write_items(TransactItems=items)

    def list(self, tenant_id: str, chatbot_id: str) -> list[Conversation]:
        items = self.table.query_prefix(tenant_key(tenant_id), f"CONV#{chatbot_id}#")
        return [Conversation.model_validate(item) for item in items]
