"""The local DynamoDB writes its data-plane answers without moto's serializer where they are plain JSON, and they are
the answers moto's serializer gives (local/aws/moto_dynamodb.py): the same for every kind of attribute value, an empty
answer, a page with its LastEvaluatedKey, a count, and the binary values that still go through the serializer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoResult

from local.aws import moto_dynamodb
from tests.support.dynamodb import create_keyed_table

TABLE = "answers"
PLAIN = {
    "PK": {"S": "p"},
    "SK": {"S": "plain"},
    "text": {"S": "Llamas hum."},
    "count": {"N": "12"},
    "share": {"N": "0.25"},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2.5"]},
    "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}, {"BOOL": False}, {"NULL": True}]}, "empty": {"M": {}}}},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
}
BINARY = {"PK": {"S": "p"}, "SK": {"S": "binary"}, "blob": {"B": b"\x00\xffbytes"}, "blobs": {"BS": [b"\x01", b"\x02"]}}
KEY = {"PK": {"S": "p"}, "SK": {"S": "plain"}}


def _answers(client: Any) -> list[Any]:
    """Every data-plane call's answer, without the request's metadata, from a table holding PLAIN and BINARY."""
    create_keyed_table(client, TABLE)
    calls: list[Callable[[], Any]] = [
        lambda: client.put_item(TableName=TABLE, Item=PLAIN),
        lambda: client.put_item(TableName=TABLE, Item=BINARY),
        lambda: client.put_item(TableName=TABLE, Item=PLAIN, ReturnValues="ALL_OLD"),
        lambda: client.get_item(TableName=TABLE, Key=KEY),
        lambda: client.get_item(TableName=TABLE, Key={"PK": {"S": "p"}, "SK": {"S": "binary"}}),
        lambda: client.get_item(TableName=TABLE, Key={"PK": {"S": "p"}, "SK": {"S": "absent"}}),
        lambda: client.get_item(
            TableName=TABLE,
            Key=KEY,
            ProjectionExpression="nested.list[0], #c",
            ExpressionAttributeNames={"#c": "count"},
        ),
        lambda: client.query(
            TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "p"}}
        ),
        lambda: client.query(
            TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Limit=1
        ),
        lambda: client.query(
            TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "q"}}
        ),
        lambda: client.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Select="COUNT",
        ),
        lambda: client.scan(TableName=TABLE),
        lambda: client.batch_get_item(RequestItems={TABLE: {"Keys": [KEY, {"PK": {"S": "p"}, "SK": {"S": "absent"}}]}}),
        lambda: client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": KEY}}]),
        lambda: client.update_item(
            TableName=TABLE,
            Key=KEY,
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        lambda: client.update_item(
            TableName=TABLE,
            Key=KEY,
            UpdateExpression="SET flag = :f",
            ExpressionAttributeValues={":f": {"BOOL": False}},
            ReturnValues="UPDATED_OLD",
        ),
        lambda: client.update_item(TableName=TABLE, Key=KEY, UpdateExpression="REMOVE nothing"),
        lambda: client.delete_item(TableName=TABLE, Key=KEY, ReturnValues="ALL_OLD"),
        lambda: client.delete_item(TableName=TABLE, Key=KEY),
    ]
    answers = []
    for call in calls:
        answer = call()
        answer.pop("ResponseMetadata")
        answers.append(answer)
    return answers


def test_plain_answers_skip_the_serializer_and_every_answer_is_the_serializers(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local DynamoDB, its answers counted by the way they are written
    moto_dynamodb.install()
    serialized = []
    serializer = ActionResult.execute_result  # moto's, for every kind of result

    def counted(result: ActionResult, context: Any) -> Any:
        serialized.append(context.operation_model.name)
        return serializer(result, context)

    monkeypatch.setattr(moto_dynamodb, "_execute_result", counted)

    # When every data-plane call is made, then made again on a new table with moto's serializer for every answer
    fast = _answers(boto3.client("dynamodb"))
    monkeypatch.setattr(DynamoResult, "execute_result", serializer)
    client = boto3.client("dynamodb")
    client.delete_table(TableName=TABLE)
    slow = _answers(client)

    # Then the answers are the same, and only those holding the binary item went through the serializer the first
    # time (of 19 answers: its GetItem, both queries of its partition, the scan)
    assert fast == slow
    assert [name for name in serialized if name != "CreateTable"] == ["GetItem", "Query", "Query", "Scan"]


def test_a_transactions_update_expressions_are_checked_each_time_though_parsed_once(aws: None) -> None:
    # Given the local DynamoDB, whose request checks parse each update expression once
    moto_dynamodb.install()
    client = boto3.client("dynamodb")
    create_keyed_table(client, TABLE)

    def add(names: dict[str, str], expression: str = "ADD #n :one") -> Any:
        update: dict[str, Any] = {"TableName": TABLE, "Key": KEY, "UpdateExpression": expression}
        update |= {"ExpressionAttributeValues": {":one": {"N": "1"}}, "ExpressionAttributeNames": names}
        return client.transact_write_items(TransactItems=[{"Update": update}])  # type: ignore[typeddict-item]

    # When the same expression comes with its name, with a name it does not use, broken, then again with its name
    add({"#n": "count"})
    refused = []
    for names, expression in (({"#n": "count", "#x": "x"}, "ADD #n :one"), ({"#n": "count"}, "ADD #n ,")):
        with pytest.raises(client.exceptions.ClientError) as error:
            add(names, expression)
        refused.append(error.value.response["Error"]["Code"])
    add({"#n": "count"})

    # Then each is checked as moto checks it: the two good ones applied, the others refused
    assert refused == ["ValidationException"] * 2
    assert client.get_item(TableName=TABLE, Key=KEY)["Item"]["count"] == {"N": "2"}
