"""Cold import time of each function's handler module: what a Lambda cold start pays before the first event.

Each sample is a fresh interpreter that imports the handler as the Lambda runtime does (by file), with the
environment template.yaml gives the function. Prints the median of N samples per function.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys

from local.stack import ROOT
from local.template import Resolver, functions, load_template, parameter_values

PROBE = """
import importlib.util, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
getattr(module, sys.argv[2])
print(time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()

    # As the layer build does (layers/parley/Makefile): nothing is compiled at cold start.
    for folder in (ROOT / "layers" / "parley" / "parley", ROOT / "functions"):
        compileall.compile_dir(folder, quiet=1)
    template = load_template(ROOT / "template.yaml")
    resolver = Resolver(template, parameter_values(template), lambda logical_id, attribute: f"bench-{logical_id}")
    print(f"cold import of handler modules, median of {args.samples} fresh processes ({sys.version.split()[0]})")
    for logical_id, spec in sorted(functions(template, resolver, ROOT).items()):
        env = {**os.environ, **spec.environment, "AWS_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
        samples = [
            float(
                subprocess.run(
                    [sys.executable, "-c", PROBE, str(spec.module_path), spec.handler_name],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(args.samples)
        ]
        print(f"  {logical_id:<20} {statistics.median(samples) * 1000:7.0f} ms   (min {min(samples) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
