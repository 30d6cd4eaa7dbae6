"""`/_ops` in a browser after some traffic: the template's dashboard rendered with what the stack measured (its text
widget's Markdown rendered, charts with a time axis and a value axis in their unit, no `nan`), the alarms, no error in
the browser's console and no serious accessibility violation; a screenshot kept as an artifact."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import Page

from local.cloudwatch.dashboards import template_dashboards
from local.fakes.samples import GUIDE
from local.stack.stack import ROOT
from local.template import Resolver, load_template, parameter_values
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot

QUESTIONS = ("What do llamas eat?", "When do llamas hum?", "How much food does a llama need?", "What is a llama?")


def test_the_operator_page_renders_the_dashboard_and_alarms_after_traffic(
    page: Page,
    api: httpx.Client,
    base_url: str,
    chatbot_with_document: Callable[..., tuple[dict[str, Any], dict[str, Any]]],
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given some traffic: an indexed document, questions, searches, a 404 and a 401
    account, bot = chatbot_with_document(base_url, "guide.md", GUIDE)
    auth = bearer(account)
    for question in QUESTIONS * 3:
        assert api.post(f"/chatbots/{bot['id']}/query", headers=auth, json={"question": question}).status_code == 200
        assert api.post(f"/chatbots/{bot['id']}/search", headers=auth, json={"query": question}).status_code == 200
    assert api.get("/chatbots/not-a-chatbot", headers=auth).status_code == 404
    assert api.get("/chatbots").status_code == 401

    # When an operator opens the page
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{base_url}/_ops")
    screenshot(page, "operator-page")

    # Then every titled widget of the template's dashboard is there
    template = load_template(ROOT / "template.yaml")
    resolver = Resolver(template, parameter_values(template), lambda logical_id, _: f"local-{logical_id}")
    for dashboard in template_dashboards(template, resolver):
        for widget in dashboard.widgets:
            title = widget["properties"].get("title")
            if title:
                assert page.get_by_role("heading", name=title, exact=True, level=3).is_visible()
    # And the HTTP API's requests of the latest minute were counted, the last ones (a 404, a 401) among them
    requests = page.locator(
        "article", has=page.get_by_role("heading", name="Owners' API: requests and errors", exact=True)
    )

    def latest(metric: str) -> float:
        item = requests.locator("li", has=page.locator(".label", has_text=re.compile(f"^{metric}$")))
        return float(item.locator(".value").inner_text().replace(",", ""))

    assert latest("Count") >= latest("4xx") >= 1
    # And the text widget's Markdown is rendered (a heading, bold, code), none of its markup shown
    notes = page.locator("article").first
    assert notes.get_by_role("heading", name=re.compile(r"^Parley \w+: operators$")).is_visible()
    assert notes.locator("strong", has_text="critical").is_visible()
    assert notes.locator("code").count() >= 1
    shown = page.locator("main").inner_text()
    assert [marker for marker in ("##", "**", "`") if marker in shown] == []
    # And no figure reads nan: a rate with nothing to divide has no data
    assert not re.search(r"\bnan\b", shown, re.IGNORECASE)
    # And the charts have a time axis and a value axis in their metric's unit
    latency = page.locator("article", has=page.get_by_role("heading", name="Owners' API: latency", exact=True))
    assert latency.locator(".value-axis text", has_text=re.compile(r"^[\d,.]+ ms$")).count() >= 2
    assert latency.locator(".time-axis text", has_text=re.compile(r"^\d\d:\d\d UTC$")).count() >= 1
    assert requests.locator(".value-axis text", has_text=re.compile(r"^[\d,.]+ count$")).count() >= 2
    # And the alarms are listed with a state
    alarms = page.locator("section", has=page.get_by_role("heading", name="Alarms", exact=True, level=2))
    assert alarms.locator("tbody tr").count() >= 2
    # And nothing of a tenant is on it: metrics carry no tenant, no question
    text = page.content()
    assert account["tenant"]["id"] not in text
    assert QUESTIONS[0] not in text
    assert accessibility_violations(page) == []
    # And the browser's console has no error (a chart's bad point, a missing file)
    assert console_errors == []
