"""The erasure function's entry point: each message of the erasure queue erases one deleted chatbot or closed
tenant; a failed one is retried by SQS (every step can be repeated) and ends in its dead-letter queue after the
queue's maxReceiveCount."""

from __future__ import annotations

# First, before anything loads pydantic (parley/handlers/sqs_batch.py says why).
from parley.handlers.sqs_batch import Delivery, sqs_batch

# isort: split
from parley.container import get_container
from parley.domain.erasure import ErasureRequest


def _erase(message: Delivery) -> None:
    get_container().erasure.erase(ErasureRequest.model_validate_json(message.body))


handle_batch = sqs_batch(_erase)
