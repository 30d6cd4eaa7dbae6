"""A local stack's log as the tests read it: the functions' structured lines (Powertools' JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The structured lines the functions wrote (Powertools' JSON), EMF records left out."""
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "_aws" not in entry:
                lines.append(entry)
    return lines
