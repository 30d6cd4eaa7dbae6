"""Imports point down: every module of the parley package imports only from its own part of the package and from
the layers below it (ARCHITECTURE.md §3), so a module's folder tells its layer and no arrow runs back up."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "parley" / "parley"

# The layers, top to bottom, each with its parts. A module may import from its own part and from any part of a layer
# below; the parts of a layer do not import each other, except where a layer says they may (`shared`).
LAYERS: list[tuple[str, tuple[str, ...], bool]] = [
    # Entry points: the Lambda glue, the HTTP routers, the operators' tools.
    ("entry", ("parley.handlers", "parley.api", "parley.tools"), False),
    # The one place that picks adapters and builds services.
    ("composition", ("parley.container",), False),
    ("services", ("parley.services",), False),
    # The pipelines' steps, and the ports' implementations: services use the steps, the container the adapters.
    ("steps and adapters", ("parley.ingest", "parley.answers", "parley.crawling", "parley.adapters"), False),
    # What every layer above uses.
    (
        "shared",
        (
            "parley.ports",
            "parley.observability",
            "parley.snapstart",
            "parley.resilience",
            "parley.settings",
            "parley.log_redaction",
        ),
        True,
    ),
    ("domain", ("parley.domain",), False),
    ("text", ("parley.text",), False),
    ("errors", ("parley.errors",), False),
]


def _part(module: str) -> tuple[int, str, bool] | None:
    """The layer (its depth, 0 at the top) and the part a module belongs to."""
    for depth, (_, parts, siblings) in enumerate(LAYERS):
        for part in parts:
            if module == part or module.startswith(f"{part}."):
                return depth, part, siblings
    return None


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    names = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(names)


def _imports(source: str, module: str, *, is_package: bool) -> Iterator[str]:
    """Every parley module `source` imports, wherever the import stands (type-checking blocks and function bodies
    included: a lazy import is still an arrow)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "parley")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] == "parley":
                # `from parley.domain import lexical` imports the module parley.domain.lexical.
                yield from (f"{base}.{alias.name}" for alias in node.names)


def arrows_up(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """The imports of `module` that run back up (or sideways between parts of one layer), described."""
    found = _part(module)
    assert found is not None, f"{module} belongs to no layer: add it to LAYERS"
    depth, part, siblings = found
    wrong = []
    for imported in sorted(set(_imports(source, module, is_package=is_package))):
        target = _part(imported)
        if target is None:
            wrong.append(f"{module} ({LAYERS[depth][0]}) imports {imported}, which belongs to no layer")
            continue
        target_depth, target_part, _ = target
        if target_part == part or target_depth > depth or (target_depth == depth and siblings):
            continue
        wrong.append(f"{module} ({LAYERS[depth][0]}) imports {imported} ({LAYERS[target_depth][0]})")
    return wrong


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name != "parley":
            yield name, path


def test_every_module_of_the_package_sits_in_a_layer() -> None:
    # Given every module of the parley package
    modules = [name for name, _ in _modules()]

    # When each is placed in the layers
    unplaced = [name for name in modules if _part(name) is None]

    # Then none is left out (a new top-level module says where it belongs)
    assert len(modules) > 100
    assert unplaced == []


def test_no_import_runs_back_up_the_layers() -> None:
    # Given every module of the parley package, and its imports
    wrong = []
    for name, path in _modules():
        # When its imports are compared with its layer
        wrong += arrows_up(name, path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py")

    # Then every one points down (or stays within its own part)
    assert wrong == []


def test_the_layers_keep_the_rules_the_house_states() -> None:
    # The domain is below services, adapters, handlers and the API; services are below handlers and the API.
    def depth(part: str) -> int:
        found = _part(part)
        assert found is not None
        return found[0]

    for above in ("parley.services", "parley.adapters", "parley.handlers", "parley.api", "parley.container"):
        assert depth("parley.domain") > depth(above)
    for above in ("parley.handlers", "parley.api", "parley.container"):
        assert depth("parley.services") > depth(above)


def test_an_arrow_up_or_sideways_is_caught() -> None:
    # Given modules that import upward, sideways between steps, and lazily inside a function
    domain = "from parley.services.quotas import Quotas\n"
    step = "def f():\n    from parley.adapters.s3 import S3BlobStore\n"
    service = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from parley.handlers import crawl\n"
    relative = "from ..services import quotas\n"

    # When they are checked, Then each arrow is reported, and an arrow down is not
    assert arrows_up("parley.domain.sources", domain) == [
        "parley.domain.sources (domain) imports parley.services.quotas.Quotas (services)"
    ]
    assert arrows_up("parley.answers.citations", step) == [
        "parley.answers.citations (steps and adapters) imports parley.adapters.s3.S3BlobStore (steps and adapters)"
    ]
    assert arrows_up("parley.services.crawl", service) == [
        "parley.services.crawl (services) imports parley.handlers.crawl (entry)"
    ]
    assert arrows_up("parley.domain.sources", relative) == [
        "parley.domain.sources (domain) imports parley.services.quotas (services)"
    ]
    assert arrows_up("parley.services.crawl", "from parley.domain.urls import normalize\n") == []
