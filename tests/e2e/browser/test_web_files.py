"""What the stack serves for the front ends besides their builds: the runtime config, readable from any website."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot


def test_the_runtime_config_names_the_apis_and_any_website_may_read_it(api: httpx.Client, base_url: str) -> None:
    response = api.get("/config.json", headers={"Origin": "https://shop.example"})

    assert response.status_code == 200
    assert response.json() == {
        "apiUrl": base_url,
        "publicApiUrl": base_url,
        "websocketUrl": base_url.replace("http://", "ws://", 1),
    }
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_api_reference_page_has_no_serious_accessibility_violation(
    page: Page, base_url: str, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    page.goto(f"{base_url}/docs")
    screenshot(page, "api-reference")

    assert page.get_by_role("heading", level=1).inner_text()
    assert accessibility_violations(page) == []
