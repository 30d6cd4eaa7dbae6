"""Fault injection in the local stack, off unless asked for: a seeded share of the calls to each service fails as
that service fails, so the product's retries, fallbacks and idempotency run offline.

`python -m local --fakes --faults openai=0.2,pinecone=0.1,s3=0.05,dynamodb=0.05,ingest=0.1 --fault-seed 7`:

- openai: the fake answers 429 (with Retry-After), 500, or holds the request until the client gives up (past its
  timeout); a streamed chat reply is cut after part of its tokens;
- pinecone: the fake answers 500 or 503 on upserts, lists, queries and deletes;
- s3, dynamodb: the AWS proxy refuses a function's call with the throttling or server error AWS returns (before
  moto sees it: what AWS refuses it has not applied);
- ingest: the ingest function's worker process is killed part-way through an invocation, as a Lambda environment
  that runs out of memory is; SQS then redelivers after the visibility timeout, and dead-letters after
  maxReceiveCount.

Each target draws from its own generator, seeded by the seed and its name, so a run is reproducible as far as the
order of concurrent calls allows. Every injected fault is logged as `FAULT: …`.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Mapping, Sequence

log = logging.getLogger("local")

TARGETS = ("openai", "pinecone", "s3", "dynamodb", "ingest")


class FaultSpecError(ValueError):
    """A --faults value that names an unknown target or a rate outside [0, 1]."""


class Faults:
    """One target's faults: which calls fail, and how."""

    def __init__(self, target: str, rate: float, seed: int = 0) -> None:
        self.target = target
        self.rate = rate
        self._random = random.Random(f"{seed}:{target}")  # noqa: S311 - reproducible faults, not secrecy
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    def draw(self, kinds: Sequence[str], where: str = "") -> str | None:
        """None for a call that goes through; otherwise the kind of failure it gets, one of `kinds` at random."""
        with self._lock:
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            kind = self._random.choice(kinds)
            self.injected[kind] += 1
        log.warning("FAULT: %s %s%s", self.target, kind, f" on {where}" if where else "")
        return kind

    def fraction(self) -> float:
        """A number in [0, 1) from the same generator (how far into a reply or an invocation a fault strikes)."""
        with self._lock:
            return self._random.random()


def parse_faults(spec: str, seed: int = 0) -> dict[str, Faults]:
    """`openai=0.2,s3=0.05` → each named target's faults; an empty spec injects none."""
    faults: dict[str, Faults] = {}
    for part in filter(None, (item.strip() for item in spec.split(","))):
        target, _, value = part.partition("=")
        if target not in TARGETS:
            raise FaultSpecError(f"unknown fault target {target!r}; use {', '.join(TARGETS)}")
        try:
            rate = float(value)
        except ValueError:
            raise FaultSpecError(f"{target}={value!r}: the rate is a fraction such as 0.1") from None
        if not 0 <= rate <= 1:
            raise FaultSpecError(f"{target}={rate}: the rate is a fraction between 0 and 1")
        faults[target] = Faults(target, rate, seed)
    return faults


def active(faults: Mapping[str, Faults], target: str) -> Faults | None:
    """The target's faults, or None when it has none to inject."""
    found = faults.get(target)
    return found if found and found.rate > 0 else None
