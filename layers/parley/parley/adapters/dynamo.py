"""DynamoDB single-table storage. Every tenant-owned key starts with `TENANT#<id>`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from parley.domain.accounts import Tenant, UserProfile
from parley.domain.chatbots import Chatbot
from parley.domain.common import timestamp

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


def _record(model: Tenant | UserProfile | Chatbot, **keys: str | None) -> dict[str, Any]:
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
        names = {f"#f{i}": field for i, field in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        try:
            updated = self.table.client.update_item(
                TableName=self.table.name,
                Key=serialize({"PK": tenant_key(tenant_id), "SK": _chatbot_sk(chatbot_id)}),
                UpdateExpression="SET " + ", ".join(f"{name} = :v{i}" for i, name in enumerate(names)),
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deleted_at)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_NEW",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return None
        return _live_chatbot(deserialize(updated["Attributes"]))

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
