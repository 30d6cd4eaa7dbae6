"""What a first visit downloads stays within its budget (the builds of `make web`, which `make test` runs first)."""

from __future__ import annotations

import pytest

from local.stack.stack import ROOT
from local.stack.web import CONSOLE_FIRST_LOAD_LIMIT, WIDGET_LIMIT, WebFiles, first_load, gzipped_size

FILES = WebFiles(ROOT / "web", {})


def test_the_consoles_first_load_is_at_most_250_kb_gzipped() -> None:
    loaded = first_load(FILES.console)

    assert [path.suffix for path in loaded].count(".js") >= 1  # the app's script is counted, not only the page
    assert sum(gzipped_size(path) for path in loaded) <= CONSOLE_FIRST_LOAD_LIMIT


def test_the_widget_is_at_most_25_kb_gzipped() -> None:
    if not FILES.widget.is_file():
        pytest.skip("web/widget is not built (its package lands separately)")
    assert gzipped_size(FILES.widget) <= WIDGET_LIMIT
