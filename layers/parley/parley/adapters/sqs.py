"""SQS as the queue of erasure requests, and of website sources' pages to crawl."""

from __future__ import annotations

from functools import cached_property
from typing import Any

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
