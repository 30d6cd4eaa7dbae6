"""The prompt files shipped with the package, read once."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def prompt(name: str) -> str:
    return files("parley").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8").strip()
