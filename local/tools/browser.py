"""Debian's Chromium driven by Playwright, as the browser tests and the tools launch it (Playwright's own browser
download cannot work offline; `make chromium` installs Debian's package)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium; Playwright gives each launch a new temporary profile (--user-data-dir)."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Chromium is not installed: `make chromium` installs Debian's package")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)


def screenshot(url: str, path: Path) -> None:
    """A full-page screenshot of `url` at 1280 px wide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.screenshot(path=path, full_page=True)
        browser.close()
