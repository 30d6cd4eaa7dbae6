"""SQS as the queue of erasure requests and of website sources' pages to crawl; and messages put back on their queue."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from parley.domain.common import batched_by_cost
from parley.domain.erasure import ErasureRequest
from parley.domain.sources import CrawlMessage


class SqsErasureQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    @cached_property
    def client(self) -> Any:
        import boto3

        return boto3.client("sqs")

    def request(self, request: ErasureRequest, *, delay_seconds: int = 0) -> None:
        self.client.send_message(
            QueueUrl=self.queue_url, MessageBody=request.model_dump_json(), DelaySeconds=delay_seconds
        )


class SqsCrawlQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    @cached_property
    def client(self) -> Any:
        import boto3

        return boto3.client("sqs")

    def send(self, message: CrawlMessage, *, delay_seconds: int = 0) -> None:
        self.client.send_message(
            QueueUrl=self.queue_url, MessageBody=message.model_dump_json(), DelaySeconds=delay_seconds
        )


# SendMessageBatch's caps: 10 messages and 256 KiB of bodies together.
SEND_BATCH_MESSAGES = 10
SEND_BATCH_BYTES = 262_144


class SqsRequeue:
    """Messages of an SQS batch put back on their queue as new messages (their receive count starts again)."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}

    @cached_property
    def client(self) -> Any:
        import boto3

        return boto3.client("sqs")

    def send_again(self, queue_arn: str, bodies: list[str]) -> list[int]:
        """Send `bodies` to the queue of `queue_arn` (its URL asked once a warm function), a SendMessageBatch per
        10; returns the positions of those SQS did not take."""
        if queue_arn not in self.urls:
            _, _, _, _, account, name = queue_arn.split(":")
            found = self.client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self.urls[queue_arn] = found["QueueUrl"]
        sizes = [len(body.encode()) for body in bodies]
        batches = batched_by_cost(
            range(len(bodies)), sizes.__getitem__, max_items=SEND_BATCH_MESSAGES, max_cost=SEND_BATCH_BYTES
        )
        refused: list[int] = []
        for batch in batches:
            entries = [{"Id": str(n), "MessageBody": bodies[n]} for n in batch]
            answer = self.client.send_message_batch(QueueUrl=self.urls[queue_arn], Entries=entries)
            refused.extend(int(failed["Id"]) for failed in answer.get("Failed", []))
        return refused
