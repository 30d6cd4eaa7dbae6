"""A real browser for the web front ends: Debian's Chromium driven by Playwright (its own browser download cannot work
offline), launched once with a fresh profile, a fresh context per test, and each test's screenshots kept under
tests/e2e/browser/artifacts/<test>/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from local.loopback import LoopbackServer
from local.stack.stack import ROOT
from local.tools.browser import launch

HERE = Path(__file__).parent
ARTIFACTS = HERE / "artifacts"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Long enough for an answer streamed by the local stack on a busy machine; a step that never happens still fails.
STEP_TIMEOUT_MS = 30_000
# How long `expect` waits for what a test expects to see: its default, 5 s, is less than a function's first call can
# take on a busy machine (the widget's connection, an answer, a document indexed).
EXPECT_TIMEOUT_MS = 60_000
# The `screenshot` fixture: (page, step) -> the picture of the page, kept among the test's artifacts.
Screenshot = Callable[[Page, str], Path]
# The `accessibility_violations` fixture: (page[, selector]) -> axe-core's serious and critical violations.
AccessibilityViolations = Callable[..., list[dict[str, Any]]]


class Chromium:
    """The browser the browser tests share (a fresh context per test keeps them apart), launched when a test first
    needs it. Playwright's sync API keeps an asyncio loop running in the main thread while it is open, which the
    suite's other tests (asyncio.run) cannot share, so it is closed once the last test of this folder has run (and
    launched again should another come after tests of other folders, as pytest-xdist may order them)."""

    def __init__(self) -> None:
        self._opened = ExitStack()
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            playwright = self._opened.enter_context(sync_playwright())
            self._browser = launch(playwright)
            self._opened.callback(self._browser.close)
        return self._browser

    def close(self) -> None:
        self._browser = None
        self._opened.close()


CHROMIUM = pytest.StashKey[Chromium]()


@pytest.fixture(scope="session")
def chromium(request: pytest.FixtureRequest) -> Iterator[Chromium]:
    shared = request.config.stash[CHROMIUM] = Chromium()
    yield shared
    shared.close()


@pytest.fixture
def browser(chromium: Chromium) -> Browser:
    return chromium.get()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    shared = item.config.stash.get(CHROMIUM, None)
    if shared is not None and (nextitem is None or HERE not in nextitem.path.parents):
        shared.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own (no cookies or storage shared between tests); a script error on it fails the
    test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    expect.set_options(timeout=5_000)
    context.close()
    assert not errors, "script errors on the page:\n" + "\n".join(errors)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """Saves `page` as `NN-<step>.png` in the test's artifact folder (emptied first), in the order taken."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken: list[Path] = []

    def take(page: Page, step: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        taken.append(path)
        return path

    return take


@pytest.fixture
def accessibility_violations() -> AccessibilityViolations:
    return serious_accessibility_violations


def serious_accessibility_violations(page: Page, selector: str | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (or within `selector`), each with its rule and nodes."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("(context) => axe.run(context ?? document)", selector)
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


class Site(LoopbackServer):
    """A website on its own origin (a port of 127.0.0.1) whose pages the tests write."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        super().__init__(self._serve)
        self.origin = self.url

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        body = self.pages.get(request.path)
        request.send_response(200 if body is not None else 404)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.end_headers()
        request.wfile.write((body or "Not found").encode())

    def page(self, path: str, body: str) -> str:
        self.pages[path] = body
        return self.origin + path

    def web_page(self, path: str, title: str, script: str, css: str = "") -> str:
        """A shop's page at `path` holding `script` (a snippet) and styled by `css`; its URL."""
        return self.page(path, web_page(title, script, css))


def web_page(title: str, script: str, css: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{css}</style>'
        f'</head><body><main><h1>{title}</h1><p>Fine llama wool since 1987. <a href="#wool">Our wool</a></p></main>'
        f"{script}</body></html>"
    )


@pytest.fixture(scope="module")
def shop() -> Iterator[Site]:
    """A website a public chatbot allows."""
    with Site() as site:
        yield site


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Site]:
    """A website the chatbot does not allow."""
    with Site() as site:
        yield site
