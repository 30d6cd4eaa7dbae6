"""The local DynamoDB refuses oversized keys in every request, as AWS does (moto checks them only on writes)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws import moto_dynamodb
from tests.support.dynamodb import create_keyed_table

TABLE = "limits"


@pytest.fixture
def dynamodb(aws: Any) -> Any:
    moto_dynamodb.install()
    client = boto3.client("dynamodb")
    create_keyed_table(client, TABLE)
    return client


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _refused(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    return str(raised.value.response["Error"]["Message"])


@pytest.mark.parametrize(
    ("pk", "sk", "which"),
    [("p" * 2049, "s", "hashkey"), ("p", "s" * 1025, "range keys")],
)
def test_every_request_naming_an_oversized_key_is_refused(dynamodb: Any, pk: Any, sk: Any, which: Any) -> None:
    key = _key(pk, sk)
    calls = [
        lambda: dynamodb.get_item(TableName=TABLE, Key=key),
        lambda: dynamodb.delete_item(TableName=TABLE, Key=key),
        lambda: dynamodb.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "1"}}
        ),
        lambda: dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key]}}),
        lambda: dynamodb.transact_write_items(
            TransactItems=[
                {"ConditionCheck": {"TableName": TABLE, "Key": key, "ConditionExpression": "attribute_exists(PK)"}}
            ]
        ),
        lambda: dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":sk": {"S": sk}},
        ),
        lambda: dynamodb.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "p"}},
            ExclusiveStartKey=key,
        ),
    ]
    for call in calls:
        assert which in _refused(call)


def test_keys_at_the_limits_are_accepted(dynamodb: Any) -> None:
    key = _key("p" * 2048, "s" * 1024)

    dynamodb.put_item(TableName=TABLE, Item=key)

    assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"] == key
    found = dynamodb.query(
        TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "p" * 2048}}
    )
    assert found["Items"] == [key]
