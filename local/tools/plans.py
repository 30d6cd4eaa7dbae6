"""`python -m local.tools.plans …`: the operators' plans tool (parley.tools.plans) run against `make run`'s stack, as
an operator runs it against AWS. It reads the stack's endpoint and table from the stack.json the running stack
writes, and calls with the local administrator's key (the IAM-checking proxy lets it do anything, as an operator's
role would)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from local.template import REGION

DEFAULT_DATA_DIR = Path(".local-data")


def stack_environment(data_dir: Path) -> dict[str, str]:
    """The variables that point boto3 and parley at the local stack's table."""
    stack = json.loads((data_dir / "stack.json").read_text())
    return {
        "AWS_ENDPOINT_URL": stack["aws_endpoint"],
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "PARLEY_TABLE_NAME": stack["resources"]["Table"]["Ref"],
    }


def main() -> int:
    data_dir = Path(os.environ.get("PARLEY_DATA_DIR", DEFAULT_DATA_DIR))
    if (data_dir / "stack.json").exists():
        os.environ.update(stack_environment(data_dir))
    from parley.tools import plans

    return plans.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
