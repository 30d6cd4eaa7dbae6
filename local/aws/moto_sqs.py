"""moto's SQS without a cost that grows with the square of a queue's depth.

moto 5 works out a queue's attributes all at once whenever it reads any one of them, and three of them count the
queue's messages (visible, in flight, delayed). It reads one for every message it sends (whether the queue
deduplicates by content) and for every message it delivers (the retention period): a receive of 10 from a queue
holding 300 uploads' notifications walked the queue about thirty times. That was a tenth of the stack process's
samples (py-spy) while 300 SciFact abstracts were uploaded and ingested, a cost SQS has no counterpart of. Here
each attribute is worked out when it is read, as moto works it out; what the attributes say, and which messages
are sent and delivered, is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.sqs.models import Queue


class QueueAttributes(Mapping[str, Any]):
    """A queue's attributes as moto's `Queue.attributes` gives them, each read from the queue when asked for."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:  # type: ignore[attr-defined]
            names += queue.KMS_ATTRIBUTES
        if queue.policy:
            names.append("Policy")
        if queue.redrive_policy:
            names.append("RedrivePolicy")
        return list(dict.fromkeys(names))

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        if name == "Policy" and self._queue.policy:
            return self._queue.policy
        if name == "RedrivePolicy" and self._queue.redrive_policy:
            return json.dumps(self._queue.redrive_policy)
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def install() -> None:
    """Replace moto's implementation (idempotent; affects every moto backend in this process)."""
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment, method-assign]
