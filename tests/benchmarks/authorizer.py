"""What the HTTP API's Lambda authorizer adds to a request, through the local stack as `make run` serves it.

GET /chatbots, each way N times: with an access token or an API key, the authorizer's answer cached (the same
credential again) or not (a credential not seen yet, made beforehand). The difference is the authorizer's share of a
request (locally: a worker process invoked over a pipe; in AWS: a Lambda invocation). Then the authorizer function's
own REPORTs: its warm duration per kind of credential, and its init (the handler import) on fresh environments.
The routes behind do the same work either way (the key's grant or the user's profile: one GetItem each).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.stack.stack import ROOT
from tests.benchmarks.cold_start import Parley, output_to, report_ids, running_parley, wait_for_reports

AUTHORIZER = "HttpAuthorizerFunction"


def _new_key(parley: Parley) -> str:
    created = parley.api.post("/api-keys", headers=parley.auth, json={"name": f"bench-{uuid.uuid4().hex[:6]}"})
    created.raise_for_status()
    return str(created.json()["key"])


def _new_token(parley: Parley, email: str) -> str:
    signed_in = parley.api.post("/auth/login", json={"email": email, "password": "correct-horse-1"})
    signed_in.raise_for_status()
    return str(signed_in.json()["tokens"]["access_token"])


def _timed(parley: Parley, credentials: list[str]) -> list[float]:
    """Milliseconds per GET /chatbots, one request per credential, in order."""
    latencies = []
    for credential in credentials:
        started = time.perf_counter()
        response = parley.api.get("/chatbots", headers={"authorization": f"Bearer {credential}"})
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return latencies


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(values):8.1f}{p95:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--cold", type=int, default=5, help="fresh environments whose init is measured")
    args = parser.parse_args()
    n = args.requests
    for folder in (ROOT / "layers" / "parley" / "parley", ROOT / "functions"):
        compileall.compile_dir(folder, quiet=1)
    openai, pinecone = FakeOpenAI().start(), FakePinecone(dimension=512).start()
    logs = Path(tempfile.mkdtemp(prefix="parley-authorizer-"))
    rows: list[tuple[str, list[float]]] = []
    durations: dict[str, list[float]] = {}
    inits: list[float] = []
    try:
        with (
            tempfile.TemporaryDirectory() as scratch,
            output_to(logs / "stack.log"),
            running_parley(Path(scratch), openai, pinecone) as parley,
        ):
            email = parley.api.get("/auth/me", headers=parley.auth).json()["email"]
            key = _new_key(parley)
            _timed(parley, [parley.token, key])  # warm every function on the way
            fresh_tokens = [_new_token(parley, email) for _ in range(n)]
            fresh_keys = [_new_key(parley) for _ in range(n)]
            # A new key's first request records its use (one write by the route, not the authorizer's doing): made
            # here, with the scheme spelled in lower case, which the gateway caches as another identity.
            for fresh_key in fresh_keys:
                parley.api.get("/chatbots", headers={"authorization": f"bearer {fresh_key}"}).raise_for_status()
            for kind, cached, fresh in (
                ("access token", parley.token, fresh_tokens),
                ("API key", key, fresh_keys),
            ):
                seen = report_ids(parley.runtime, AUTHORIZER)
                hits: list[float] = []
                misses: list[float] = []
                # Alternated, so that the machine's other load weighs on both alike.
                for credential in fresh:
                    hits += _timed(parley, [cached])
                    misses += _timed(parley, [credential])
                rows += [(f"{kind}, cached answer", hits), (f"{kind}, authorizer called", misses)]
                reports = wait_for_reports(parley.runtime, AUTHORIZER, seen, count=n)
                durations[kind] = [report.duration_ms for report in reports if report.init_duration_ms is None]
            for _ in range(args.cold):
                seen = report_ids(parley.runtime, AUTHORIZER)
                credential = _new_key(parley)
                parley.runtime.recycle(AUTHORIZER)
                _timed(parley, [credential])
                (first,) = wait_for_reports(parley.runtime, AUTHORIZER, seen, cold=True)
                inits.append(first.init_duration_ms or 0.0)
    except Exception:
        print(f"the stack's output: {logs / 'stack.log'}", file=sys.stderr)
        raise
    finally:
        openai.stop()
        pinecone.stop()
    shutil.rmtree(logs)

    print(f"\nHTTP API authorizer: GET /chatbots through the local stack, {n} requests each ({os.cpu_count()} cores)")
    print(f"  {'request (ms)':<36}{'median':>8}{'p95':>8}")
    for label, latencies in rows:
        print(f"  {label:<36}{_stats(latencies)}")
    medians = {label: statistics.median(latencies) for label, latencies in rows}
    for kind, hit, miss in (
        ("access token", "access token, cached answer", "access token, authorizer called"),
        ("API key", "API key, cached answer", "API key, authorizer called"),
    ):
        print(f"  added by a call of the authorizer ({kind}): {medians[miss] - medians[hit]:.1f} ms (median)")
    for kind, values in durations.items():
        print(f"  authorizer function, warm duration ({kind}): {_stats(values)}  (median, p95)")
    init = statistics.median(inits)
    print(f"  authorizer function, init (handler import), {len(inits)} fresh environments: median {init:.0f} ms")


if __name__ == "__main__":
    main()
