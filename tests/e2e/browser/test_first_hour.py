"""A new customer's first hour (issue 28) in a real browser against the stack as `make run` starts it (no model
configured: answers are quotes from the documents): every console page on a phone, documents uploaded with a status
that never contradicts itself and deleted only once confirmed, quotes labelled as such and the model settings a
choice marked unused, web pages cited by their titles, the API reference one click away, the widget on a site that
may not use it, and the small things (Saved. in view, one way of writing dates, empty charts, a taken e-mail)."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from local.fakes.samples import pdf
from local.stack.process import send_upload
from tests.support.api import bearer
from tests.support.browser import PASSWORD, assert_accessible, delete_for_good, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot, Site

ORGANIZATION = "Llama Farm of the High Andes"
GUIDE = (
    "# Feeding\n\nLlamas eat grass and hay. An adult llama needs about two percent of its weight in food daily.\n\n"
    "# Sounds\n\nLlamas hum when they are calm or curious. An alarm call sounds like a braying donkey.\n"
)
PHONE = ViewportSize(width=375, height=700)
# Long enough, on a busy machine, for a document's indexing or a one-page crawl.
SLOW_MS = 90_000
# How every date of the console reads: "5 Mar 2026", with ", 14:05" for a moment.
DAY = r"\d{1,2} [A-Z][a-z]{2} \d{4}"
MOMENT = DAY + r", \d{2}:\d{2}"


class Owner:
    """An owner of a new organization, reached through the API."""

    def __init__(self, base_url: str, organization: str = ORGANIZATION) -> None:
        self.api = httpx.Client(base_url=base_url, timeout=30)
        self.email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
        registered = self.api.post(
            "/auth/register", json={"email": self.email, "password": PASSWORD, "organization": organization}
        )
        assert registered.status_code == 201, registered.text
        self.account: dict[str, Any] = registered.json()
        self.auth = bearer(self.account)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(path, headers=self.auth, json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def get(self, path: str) -> dict[str, Any]:
        response = self.api.get(path, headers=self.auth)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def chatbot(self, **fields: Any) -> dict[str, Any]:
        return self.post("/chatbots", {"name": "Llama care", **fields})

    def indexed(self, chatbot_id: str, filename: str, text: str) -> dict[str, Any]:
        """A Markdown document uploaded and indexed."""
        created = self.post(
            f"/chatbots/{chatbot_id}/documents",
            {"filename": filename, "content_type": "text/markdown", "size_bytes": len(text.encode())},
        )
        send_upload(created["upload"], text.encode()).raise_for_status()
        return self.until(f"/chatbots/{chatbot_id}/documents/{created['document']['id']}", "status", "indexed")

    def until(self, path: str, field: str, value: str, seconds: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (found := self.get(path))[field] != value:
            assert time.monotonic() < deadline, f"{path} stayed {found[field]}"
            time.sleep(0.25)
        return found

    def close(self) -> None:
        self.api.close()


@pytest.fixture
def owner(base_url: str) -> Iterator[Owner]:
    made = Owner(base_url)
    yield made
    made.close()


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _ask(page: Page, question: str) -> Locator:
    """Ask in the playground; the answer once its sources are shown."""
    page.get_by_label("Question").fill(question)
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".turn.assistant").last
    expect(answer.get_by_role("list", name="Sources")).to_be_visible(timeout=SLOW_MS)
    return answer


def test_every_console_page_fits_a_phone_and_is_accessible(
    page: Page, base_url: str, owner: Owner, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given an organization with a chatbot holding a document, a text snippet, a conversation, a key and an invitation
    bot = owner.chatbot(visibility="public", allowed_origins=["https://shop.example.com"])
    owner.indexed(bot["id"], "llama-care.md", GUIDE)
    owner.post(f"/chatbots/{bot['id']}/sources", {"type": "text", "title": "Opening hours", "text": "Nine to five."})
    owner.post(f"/chatbots/{bot['id']}/query", {"question": "What do llamas eat?"})
    owner.post("/api-keys", {"name": "Helpdesk server"})
    invited = owner.post(
        "/members/invitations", {"email": f"helper-{uuid.uuid4().hex[:8]}@example.com", "role": "member"}
    )
    chatbot = f"{base_url}/#/chatbots/{bot['id']}"

    # When every page of the console is opened on a phone (375 by 700), signed out then signed in
    page.set_viewport_size(PHONE)
    signed_out = {
        "sign-in": (f"{base_url}/#/signin", page.get_by_role("heading", name="Sign in to Parley")),
        "sign-up": (f"{base_url}/#/signup", page.get_by_role("heading", name="Create your Parley account")),
        "join": (f"{base_url}/#/join/{invited['code']}", page.get_by_role("heading", name="Join your team on Parley")),
    }
    signed_in = {
        "chatbots": (f"{base_url}/#/chatbots", page.get_by_role("table", name="Your chatbots")),
        "settings": (f"{chatbot}/settings", page.get_by_role("combobox", name="Model")),
        "documents": (f"{chatbot}/documents", page.get_by_role("table", name="Documents")),
        "sources": (f"{chatbot}/sources", page.get_by_role("table", name="Sources")),
        "playground": (f"{chatbot}/playground", page.get_by_role("button", name=re.compile("What do llamas eat"))),
        "embed": (f"{chatbot}/embed", page.get_by_role("button", name="Copy snippet")),
        "conversations": (f"{chatbot}/conversations", page.get_by_role("list", name=re.compile("^Conversations"))),
        "analytics": (f"{chatbot}/analytics", page.get_by_label("Totals for the period")),
        "keys": (f"{base_url}/#/keys", page.get_by_role("table").filter(has_text="Helpdesk server")),
        "team": (f"{base_url}/#/team", page.get_by_role("heading", name="Pending invitations")),
        "usage": (f"{base_url}/#/usage", page.get_by_text("Your plan:")),
        "not-found": (f"{base_url}/#/nowhere", page.get_by_role("heading", name="Page not found")),
    }
    widths: dict[str, int] = {}

    def visit(name: str, url: str, ready: Locator) -> None:
        page.goto(url)
        expect(ready.first).to_be_visible()
        widths[name] = _page_width(page)
        assert page.evaluate(_CUT_OR_CRUSHED) == [], name
        assert_accessible(page, accessibility_violations)
        screenshot(page, f"phone-{name}")

    for name, (url, ready) in signed_out.items():
        visit(name, url, ready)
    sign_in(page, base_url, owner.email)
    # Then the header holds the organization's name typed at sign-up, the e-mail address and Sign out, in view
    header = page.locator("header.top")
    expect(header).to_contain_text(ORGANIZATION)
    for part in (header.get_by_text(owner.email), header.get_by_role("button", name="Sign out")):
        expect(part).to_be_in_viewport(ratio=1)
    for name, (url, ready) in signed_in.items():
        visit(name, url, ready)
        if name == "playground":
            _ask(page, "When do llamas hum?")
            screenshot(page, "phone-playground-answered")
            widths["playground-answered"] = _page_width(page)
        if name == "conversations":
            page.get_by_role("button", name="What do llamas eat?").click()
            expect(page.get_by_role("list", name="Messages").get_by_role("listitem")).to_have_count(2)
            screenshot(page, "phone-conversation")
            widths["conversation"] = _page_width(page)
            assert_accessible(page, accessibility_violations)

    # And no page is wider than the phone, nor any of its tables (a card per row: no column cut off)
    assert {name: width for name, width in widths.items() if width > PHONE["width"]} == {}
    assert len(widths) == len(signed_out) + len(signed_in) + 2


# What a phone would show cut off or crushed: a table wider than its box (its last columns out of sight), or a check
# box or radio button squeezed narrower than it is drawn (beside a label that wraps).
_CUT_OR_CRUSHED = """() => [
    ...[...document.querySelectorAll(".table-scroll")]
        .filter((box) => box.scrollWidth > box.clientWidth)
        .map((box) => `${box.getAttribute("aria-label")}: ${box.scrollWidth} px in ${box.clientWidth}`),
    ...[...document.querySelectorAll("input[type=checkbox], input[type=radio]")]
        .filter((box) => box.checkVisibility() && box.getBoundingClientRect().width < 12)
        .map((box) => `${box.closest("label")?.textContent.trim()}: ${box.getBoundingClientRect().width} px wide`),
]"""


def test_uploads_say_one_thing_at_a_time_and_a_document_is_deleted_only_once_confirmed(
    page: Page,
    base_url: str,
    owner: Owner,
    tmp_path: Path,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given a chatbot with a text snippet (a source's document), and an owner on its documents, each row's status
    # recorded at every change
    bot = owner.chatbot()
    snippet = owner.post(f"/chatbots/{bot['id']}/sources", {"type": "text", "title": "Hours", "text": "Nine to five."})
    sign_in(page, base_url, owner.email)
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/documents")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    page.evaluate(_RECORD_STATUSES)

    # When a readable PDF and a damaged one are uploaded
    (tmp_path / "llamas.pdf").write_bytes(pdf(["Llamas hum when they are calm or curious."]))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    page.get_by_label("Choose files…").set_input_files([tmp_path / "llamas.pdf", tmp_path / "broken.pdf"])
    documents = page.get_by_role("table", name="Documents")
    good = documents.get_by_role("row").filter(has_text="llamas.pdf")
    bad = documents.get_by_role("row").filter(has_text="broken.pdf")
    expect(good).to_be_visible()
    screenshot(page, "uploading")
    expect(good).to_have_attribute("data-status", "indexed", timeout=SLOW_MS)
    expect(bad).to_have_attribute("data-status", "failed", timeout=SLOW_MS)
    screenshot(page, "settled")

    # Then each row said how its upload went, then what ingest made of it, never that it still awaited its file; and
    # once settled no progress bar or "Uploaded" is left, the damaged one saying why it failed
    seen: dict[str, list[str]] = page.evaluate("window.statuses")
    for name, last in (("llamas.pdf", "Indexed"), ("broken.pdf", "Failed")):
        said = seen[name]
        assert said[-1] == last, said
        assert "Waiting for the upload" not in said, said
        assert any(text.startswith(("Uploading", "Uploaded")) for text in said), said
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_text("Uploaded")).to_have_count(0)
    expect(bad).to_contain_text("Failed: ")

    # And the snippet's document has no Delete (it changes with its source), but a way to the source
    source_row = documents.get_by_role("row").filter(has_text="Hours")
    expect(source_row).to_be_visible()
    expect(source_row.get_by_role("button", name=re.compile("Delete"))).to_have_count(0)
    expect(source_row.get_by_role("link", name="Changes with its source")).to_have_attribute(
        "href", f"#/chatbots/{bot['id']}/sources"
    )
    assert snippet["type"] == "text"

    # When the damaged one's Delete is pressed, Then a dialog asks first, its focus on Cancel
    bad.get_by_role("button", name="Delete broken.pdf…").click()
    confirmation = page.get_by_role("dialog", name="Delete “broken.pdf”?")
    expect(confirmation).to_be_visible()
    expect(confirmation.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "delete-asked")
    # and Enter on it, or Escape, keeps the document
    page.keyboard.press("Enter")
    expect(confirmation).to_be_hidden()
    bad.get_by_role("button", name="Delete broken.pdf…").click()
    page.keyboard.press("Escape")
    expect(confirmation).to_be_hidden()
    expect(bad).to_be_visible()
    assert len(owner.get(f"/chatbots/{bot['id']}/documents")["items"]) == 3

    # When it is confirmed, Then it goes, and nothing of it is left on the page
    bad.get_by_role("button", name="Delete broken.pdf…").click()
    confirmation.get_by_role("button", name="Delete document").click()
    expect(page.get_by_text("broken.pdf")).to_have_count(0)
    names = [item["filename"] for item in owner.get(f"/chatbots/{bot['id']}/documents")["items"]]
    assert sorted(names) == ["Hours.txt", "llamas.pdf"]
    screenshot(page, "deleted")


# Records, per document row, each distinct text its status cell shows (window.statuses[filename]).
_RECORD_STATUSES = """() => {
    window.statuses = {};
    const note = () => {
        for (const row of document.querySelectorAll("tr[data-status]")) {
            const name = row.cells[0].firstChild.textContent;
            const said = row.querySelector(".status").textContent;
            const seen = (window.statuses[name] ??= []);
            if (seen.at(-1) !== said) seen.push(said);
        }
    };
    new MutationObserver(note).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def test_quotes_are_labelled_and_the_model_is_a_choice_marked_unused_without_a_model(
    page: Page, base_url: str, owner: Owner, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given the stack as `make run` starts it, without a model: the API says so, with the deployment's models
    answers = owner.get("/usage")["answers"]
    assert answers["mode"] == "extractive"
    allowed = [model["name"] for model in answers["models"]]
    assert len(allowed) > 1
    bot = owner.chatbot()
    owner.indexed(bot["id"], "llama-care.md", GUIDE)
    sign_in(page, base_url, owner.email)

    # When the owner asks in the playground
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/playground")
    expect(page.get_by_role("note")).to_contain_text("No language model is configured")
    answer = _ask(page, "When do llamas hum?")

    # Then the answer is labelled as quotes from the documents, beside who wrote it
    expect(answer.locator(".turn-head")).to_have_text(re.compile(r"^Chatbot\s*Quotes from the documents$"))
    expect(answer.locator(".answer")).to_contain_text("hum")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "playground-quotes")

    # And an answer not in the documents (a new conversation's question) says that, apart from who wrote it
    page.get_by_role("button", name="New conversation").click()
    unanswered = page.locator(".turn.assistant")
    expect(unanswered).to_have_count(0)
    page.get_by_label("Question").fill("Who won the 1998 World Cup?")
    page.get_by_role("button", name="Ask").click()
    expect(unanswered).to_have_count(1)
    badge = unanswered.last.get_by_text("Not in the documents")
    expect(badge).to_be_visible(timeout=SLOW_MS)
    who = unanswered.last.locator(".who").bounding_box()
    box = badge.bounding_box()
    assert who is not None
    assert box is not None
    assert box["x"] >= who["x"] + who["width"] + 4, (who, box)  # a gap between "Chatbot" and the badge
    screenshot(page, "not-in-the-documents")

    # When the settings are opened, Then the model is a choice of the deployment's allowed models, marked unused
    page.get_by_role("link", name="Settings").click()
    model = page.get_by_role("combobox", name="Model")
    expect(model).to_have_value(bot["model_name"])
    options = model.locator("option")
    expect(options).to_have_count(len(allowed))
    assert [name.split(" ")[0] for name in options.all_inner_texts()] == allowed
    unavailable = [item["name"] for item in answers["models"] if not item["on_plan"]]
    for name in unavailable:
        expect(model.locator(f"option[value='{name}']")).to_be_disabled()
    fieldset = page.get_by_role("group", name=re.compile("^Language model"))
    expect(fieldset).to_contain_text("Unused: no model is configured")
    expect(fieldset).to_contain_text("answers are passages quoted from the documents")
    for field in ("Model", "Temperature", "Max answer tokens"):
        expect(fieldset.get_by_label(field)).to_be_visible()
    assert_accessible(page, accessibility_violations)
    taken = screenshot(page, "settings-model-unused")
    # the window as the owner sees it, scrolled to the model's settings (the full page has the save bar over them)
    fieldset.evaluate("element => element.scrollIntoView({ block: 'start' })")
    page.screenshot(path=taken.with_name(f"{taken.stem}-in-view.png"))

    # And the chatbots' list says answers are quotes rather than naming a model as if it answered
    page.get_by_role("link", name="Chatbots", exact=True).first.click()
    row = page.get_by_role("table", name="Your chatbots").get_by_role("row").filter(has_text="Llama care")
    expect(row).to_contain_text(f"Quotes from the documents ({bot['model_name']} unused: no model)")
    screenshot(page, "chatbots-quotes")

    # And the conversation, read later, keeps the label
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/conversations")
    page.get_by_role("button", name="When do llamas hum?", exact=True).click()
    messages = page.get_by_role("list", name="Messages")
    expect(messages.get_by_text("Quotes from the documents")).to_be_visible()
    expect(messages.get_by_text(re.compile(f"^Answered {MOMENT}$")).first).to_be_visible()


def test_the_widget_labels_quotes_and_on_a_site_not_allowed_says_only_that_it_is_not_available(
    page: Page,
    base_url: str,
    owner: Owner,
    shop: Site,
    elsewhere: Site,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    # Given a public chatbot for the shop's site, its snippet on the shop's page and on another site's
    bot = owner.chatbot(visibility="public", allowed_origins=[shop.origin], welcome_message="Hi! Ask me about llamas.")
    owner.indexed(bot["id"], "llama-care.md", GUIDE)
    tag = f'<script src="{base_url}/widget.js" data-key="{bot["public_key"]}" async></script>'
    page.set_viewport_size(PHONE)

    # When a visitor of the shop asks (no model configured)
    page.goto(shop.web_page("/quotes", "Llama wool shop", tag))
    page.get_by_role("button", name="Open chat").click()
    panel = page.locator("[data-parley-widget] .panel")
    expect(panel.locator(".welcome")).to_have_text("Hi! Ask me about llamas.")
    page.get_by_label("Your question").fill("When do llamas hum?")
    page.get_by_label("Your question").press("Enter")
    answer = panel.locator(".message.assistant").last
    expect(answer).to_have_class(re.compile(r"\bdone\b"), timeout=SLOW_MS)

    # Then the answer says it is quoted from the documents
    expect(answer.locator(".label")).to_have_text("Quoted from the documents")
    expect(answer.locator(".text")).to_contain_text("hum")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "widget-quotes")

    # When a visitor of a site the chatbot does not allow opens the chat
    page.goto(elsewhere.web_page("/", "Copycat shop", tag))
    page.get_by_role("button", name="Open chat").click()

    # Then it does not greet them: it says plainly the chat is not available here, with nothing to type into
    expect(panel).to_have_attribute("data-link", "refused")
    expect(panel.get_by_role("status")).to_have_text("This chat is not available on this website.")
    expect(panel.locator(".welcome")).to_be_hidden()
    expect(panel.get_by_text("Hi! Ask me about llamas.")).to_be_hidden()
    expect(page.get_by_label("Your question")).to_be_hidden()
    expect(panel.get_by_role("button", name="Send")).to_be_hidden()
    expect(panel.get_by_role("button", name="Close chat")).to_be_focused()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "widget-refused")


def test_web_pages_are_cited_by_their_titles(
    page: Page, base_url: str, owner: Owner, shop: Site, screenshot: Screenshot
) -> None:
    # Given a chatbot whose website source crawled one page of the shop, titled, and the chatbot public on the shop
    title = "Shearing and wool care | Llama Farm"
    url = shop.page(
        "/care/shearing",
        f"<!doctype html><html lang='en'><head><title>{title}</title></head><body><main><h1>Shearing</h1>"
        "<p>Llamas are shorn once a year, in late spring, before the summer heat.</p></main></body></html>",
    )
    bot = owner.chatbot(visibility="public", allowed_origins=[shop.origin])
    owner.post(f"/chatbots/{bot['id']}/sources", {"type": "website", "url": url, "mode": "crawl"})
    deadline = time.monotonic() + SLOW_MS / 1000
    while not [d for d in owner.get(f"/chatbots/{bot['id']}/documents")["items"] if d["status"] == "indexed"]:
        assert time.monotonic() < deadline, "the page was not indexed in time"
        time.sleep(0.5)
    sign_in(page, base_url, owner.email)

    # When the owner asks in the playground
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/playground")
    answer = _ask(page, "When are llamas shorn?")

    # Then the page is cited by its title, with a link to its address; the address is not its name
    citation = answer.get_by_role("list", name="Sources").get_by_role("listitem").first
    expect(citation.get_by_role("button")).to_have_text(f"[1] {title}")
    expect(citation.get_by_role("link", name="Open page")).to_have_attribute("href", url)
    expect(citation).not_to_contain_text(url)
    screenshot(page, "playground-page-title")

    # And a visitor of the shop sees the same title in the widget
    tag = f'<script src="{base_url}/widget.js" data-key="{bot["public_key"]}" async></script>'
    page.goto(shop.web_page("/titles", "Llama wool shop", tag))
    page.get_by_role("button", name="Open chat").click()
    page.get_by_label("Your question").fill("When are llamas shorn?")
    page.get_by_label("Your question").press("Enter")
    visitor_answer = page.locator("[data-parley-widget] .message.assistant").last
    expect(visitor_answer).to_have_class(re.compile(r"\bdone\b"), timeout=SLOW_MS)
    expect(visitor_answer.locator("summary").first).to_have_text(title)
    screenshot(page, "widget-page-title")


def test_the_api_reference_is_linked_from_the_console_and_shows_what_bodies_hold(
    page: Page, base_url: str, owner: Owner, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given an owner on the API keys page, which says to send `Bearer sk_…`
    sign_in(page, base_url, owner.email)
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_text("Authorization: Bearer sk_…")).to_be_visible()

    # When they follow the page's link to the API reference
    page.get_by_role("main").get_by_role("link", name="API reference").click()

    # Then the reference opens, its descriptions' Markdown rendered (no raw backticks)
    expect(page).to_have_url(f"{base_url}/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Parley API v1")
    assert "`" not in page.locator("body").inner_text()
    # And a request body's fields are listed: sign-up's, with what each must be
    register = page.locator("section", has=page.get_by_role("heading", name="POST /auth/register"))
    fields = register.get_by_role("table")
    expect(fields.get_by_role("row")).to_have_count(6)  # a header and five fields
    expect(fields.get_by_role("row").filter(has_text="password")).to_contain_text("required")
    expect(fields.get_by_role("row").filter(has_text="organization")).to_contain_text("at most 100 characters")
    # And each error status's usual meaning is stated once, at the top, not under every route
    text = page.locator("body").inner_text()
    assert text.count("No such resource for this caller") == 1
    expect(register.get_by_role("link", name="409")).to_have_attribute("href", "#error-409")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "api-reference")
    # And from any page of the console, the header links it too
    page.go_back()
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="API reference")).to_have_attribute(
        "href", f"{base_url}/docs"
    )
    # And it fits a phone
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/docs#post-auth-register")
    assert _page_width(page) <= PHONE["width"]
    screenshot(page, "api-reference-phone")


def test_the_small_things_of_the_first_hour(
    page: Page, base_url: str, owner: Owner, screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    # Given an organization with a chatbot, a conversation, a key, and a chatbot to delete
    bot = owner.chatbot()
    owner.indexed(bot["id"], "llama-care.md", GUIDE)
    owner.post(f"/chatbots/{bot['id']}/query", {"question": "What do llamas eat?"})
    owner.post("/api-keys", {"name": "Helpdesk server"})
    old = owner.chatbot(name="Old bot")

    # A taken e-mail address at sign-up offers to sign in instead, with that address
    page.goto(f"{base_url}/#/signup")
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    assert_accessible(page, accessibility_violations)
    screenshot(page, "sign-up-taken")
    page.get_by_role("link", name="Sign in instead").click()
    expect(page.get_by_role("heading", name="Sign in to Parley")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # A chatbot being deleted (until its erasure ends, seconds later) is listed, but not as something to open
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()
    page.goto(f"{base_url}/#/chatbots/{old['id']}/settings")
    page.get_by_role("button", name="Delete chatbot…").click()
    delete_for_good(page, page.get_by_role("dialog", name="Delete “Old bot”?"), "Old bot")
    rows = page.get_by_role("table", name="Your chatbots").get_by_role("row")
    expect(rows.filter(has_text="Llama care").get_by_role("link", name="Llama care")).to_be_visible()
    screenshot(page, "deleting-not-a-link")

    # "Saved." shows beside the Save button, in view, even when Enter is pressed in the form's first field
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/settings")
    name = page.get_by_label("Name", exact=True)
    name.fill("Llama care and feeding")
    name.press("Enter")
    saved = page.get_by_role("status").filter(has_text="Saved.")
    expect(saved).to_be_in_viewport()
    button = page.get_by_role("button", name="Save settings")
    expect(button).to_be_in_viewport()
    saved_box, button_box = saved.bounding_box(), button.bounding_box()
    assert saved_box is not None
    assert button_box is not None
    assert abs(saved_box["y"] - button_box["y"]) < button_box["height"], (saved_box, button_box)
    taken = screenshot(page, "saved")
    page.screenshot(path=taken.with_name(f"{taken.stem}-in-view.png"))  # the window as the owner sees it

    # The analytics' period menu is as wide as its choices, and a chart of a period with nothing says so
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/analytics")
    period = page.get_by_role("combobox", name="Period")
    expect(period).to_be_visible()
    menu, body = period.bounding_box(), page.locator("main").bounding_box()
    assert menu is not None
    assert body is not None
    assert menu["width"] < body["width"] / 2, (menu, body)
    feedback = page.locator("figure").filter(has_text="Feedback per day")
    expect(feedback).to_contain_text(re.compile(f"Nothing to show: none from {DAY} to {DAY}\\."))
    expect(feedback.locator("svg")).to_have_count(0)
    questions = page.locator("figure").filter(has_text="Questions and conversations per day")
    expect(questions.locator(".chart-scale")).to_have_text(re.compile(f"^{DAY}max 1{DAY}$"))
    assert_accessible(page, accessibility_violations)
    screenshot(page, "analytics")

    # Dates are written one way on every page that shows them
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/conversations")
    expect(page.get_by_role("list", name=re.compile("^Conversations")).locator(".hint").first).to_have_text(
        re.compile(f"^ ?{MOMENT} · 2 messages$")
    )
    page.goto(f"{base_url}/#/keys")
    key = page.get_by_role("row").filter(has_text="Helpdesk server")
    expect(key.get_by_role("cell").nth(3)).to_have_text(re.compile(f"^{MOMENT}$"))
    page.goto(f"{base_url}/#/team")
    expect(page.get_by_role("row").filter(has_text=owner.email).get_by_role("cell").nth(3)).to_have_text(
        re.compile(f"^{DAY}$")
    )
    page.goto(f"{base_url}/#/usage")
    expect(page.locator("time")).to_have_text(re.compile(f"^{DAY}$"))
    screenshot(page, "usage-dates")

    # And the export names who started a conversation by e-mail address
    page.goto(f"{base_url}/#/chatbots/{bot['id']}/conversations")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    rows_exported = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["started_by"] for row in rows_exported] == [owner.email, owner.email]
