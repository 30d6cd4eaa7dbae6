"""The local SQS works out each queue attribute when it is read (local/aws/moto_sqs.py): the attributes are the ones
moto's own property gives, for every kind of queue and whatever its messages are doing."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto.sqs.models import Queue, sqs_backends

from local.aws import moto_sqs
from local.template import ACCOUNT_ID, REGION

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}


def _queues(sqs: Any) -> dict[str, Queue]:
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    target = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": "3"})
    uploads = sqs.create_queue(
        QueueName="uploads",
        Attributes={"VisibilityTimeout": "20", "RedrivePolicy": redrive, "Policy": json.dumps(POLICY)},
    )["QueueUrl"]
    ordered = sqs.create_queue(
        QueueName="ordered.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    sqs.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    # Messages visible, in flight, delayed, and a duplicate the FIFO queue drops by its content
    for n in range(5):
        sqs.send_message(QueueUrl=uploads, MessageBody=str(n))
    sqs.send_message(QueueUrl=uploads, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=2)
    for _ in range(2):
        sqs.send_message(QueueUrl=ordered, MessageBody="once", MessageGroupId="g")
    return sqs_backends[ACCOUNT_ID][REGION].queues


def test_each_queues_attributes_are_the_ones_moto_works_out(aws: None) -> None:
    # Given queues of every kind: with a dead-letter queue and a policy, FIFO, encrypted, and a plain one
    moto = Queue.attributes
    moto_sqs.install()
    try:
        queues = _queues(boto3.client("sqs"))

        # Then each attribute read is moto's, and so are all of them together
        for queue in queues.values():
            expected = moto.fget(queue)  # type: ignore[attr-defined]
            assert dict(queue.attributes) == expected
            assert all(queue.attributes.get(name) == value for name, value in expected.items())
            assert queue.attributes.get("ContentBasedDeduplication") == expected.get("ContentBasedDeduplication")
        assert queues["uploads"].attributes["ApproximateNumberOfMessages"] == 3
        assert queues["uploads"].attributes["ApproximateNumberOfMessagesNotVisible"] == 2
        assert queues["uploads"].attributes["ApproximateNumberOfMessagesDelayed"] == 1
        assert queues["ordered.fifo"].attributes["ApproximateNumberOfMessages"] == 1
        assert "RedrivePolicy" in queues["uploads"].attributes
        assert "FifoQueue" not in queues["uploads"].attributes
    finally:
        Queue.attributes = moto  # type: ignore[method-assign]
