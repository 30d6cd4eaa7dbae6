"""`make run` builds the front ends only when a file they are built from changed: a restart does not rebuild them."""

from __future__ import annotations

import subprocess

from local.stack.stack import ROOT

OUTPUTS = ("web/console/dist/index.html", "web/widget/dist/widget.js", "web/contract/api.d.ts")


def make_web() -> str:
    finished = subprocess.run(
        ["make", "--no-print-directory", "web"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=True
    )
    return finished.stdout


def test_the_front_ends_are_not_built_again_from_unchanged_sources() -> None:
    # Given the front ends built (now, or by an earlier `make web`, `make run` or `make test`)
    make_web()
    built = {path: (ROOT / path).stat().st_mtime_ns for path in OUTPUTS}

    # When `make web` runs again, as every `make run` does
    printed = make_web()

    # Then nothing is built: the builds are the same files
    assert "the front ends are built from these sources already" in printed
    assert "npm" not in printed
    assert {path: (ROOT / path).stat().st_mtime_ns for path in OUTPUTS} == built
