"""Contract benchmark: a wide schemathesis pass over the whole HTTP API (shared/openapi.json, as the local stack serves
it) from a fixed seed, on a stack started as `make run` starts it: every operation called with valid and with invalid
generated input, every answer checked against the contract. Prints the requests made and the answers by status class;
fails (exit status 1) on any 5xx or answer the contract does not document. The e2e tier runs a bounded pass of it.

`python -m tests.benchmarks.contract [--examples N] [--seed S]`: N examples per operation and generation mode (150 by
default: over 5,000 requests for the API's operations)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from local.stack.process import start_stack, stop_stack
from tests.support.contract import owner_of_a_chatbot, run_pass

EXAMPLES = 150
SEED = 26


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=EXAMPLES)
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="parley-contract-bench-"))
    process, url = start_stack(folder / "data", folder / "stack.log", limit_seconds=180)
    try:
        started = time.monotonic()
        # (a machine shared with other work may take minutes to index the owner's document: a figure, not a limit)
        owner = owner_of_a_chatbot(url, index_seconds=600)
        done = run_pass(url, owner, examples=options.examples, fixed_seed=options.seed)
        seconds = time.monotonic() - started
    finally:
        stop_stack(process)
    print(f"contract (schemathesis, seed {options.seed}, {options.examples} examples per operation and mode)")
    print(f"  {done.summary()}")
    print(
        f"  {done.counts['requests'] / seconds:.1f} requests/s over {seconds:.0f} s; stack log {folder / 'stack.log'}"
    )
    for violation in done.violations:
        print(f"\n{violation}")
    return 1 if done.counts["5xx"] or done.violations else 0


if __name__ == "__main__":
    sys.exit(main())
